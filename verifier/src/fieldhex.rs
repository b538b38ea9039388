//! Hex of field elements as every text interface (CLI, HTTP API, exports) writes them: the
//! canonical 32-byte little-endian encoding, lowercase.

use ark_bls12_381::Fr;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

/// Hex of a field element's canonical encoding.
pub fn fr_hex(x: &Fr) -> String {
    let mut b = Vec::with_capacity(32);
    let _ = x.serialize_compressed(&mut b);
    hex::encode(b)
}

/// Parses [`fr_hex`]'s output: exactly 32 bytes of hex, a canonical encoding (below the modulus).
pub fn fr_from_hex(text: &str) -> Option<Fr> {
    let b = hex::decode(text.trim()).ok()?;
    if b.len() != 32 {
        return None;
    }
    let x = Fr::deserialize_compressed(&b[..]).ok()?;
    (fr_hex(&x) == hex::encode(&b)).then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let x = Fr::from(123456789u64);
        assert_eq!(fr_from_hex(&fr_hex(&x)), Some(x));
        assert_eq!(fr_from_hex("00"), None);
        assert_eq!(fr_from_hex(&"ff".repeat(32)), None);
        assert_eq!(fr_from_hex("zz"), None);
    }
}
