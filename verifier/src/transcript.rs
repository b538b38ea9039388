//! One merlin transcript protocol for every Fiat–Shamir use in zkreg (as dalek's `bulletproofs`
//! does): labels are `&'static [u8]`, and each kind of value is absorbed in exactly one encoding,
//! written here once.
//!
//! | use | domain separator | where |
//! |---|---|---|
//! | batch-verification weights `zᵢ` | `zkreg/v1/batch` | [`crate::verify`] |
//! | Chaum–Pedersen disclosure proofs | `zkreg/v1/disclosure` | `zkreg-regulator` |
//! | committee decryption shares | `zkreg/v1/decryption-share` | `zkreg-regulator` |
//! | DKG deal signatures | `zkreg/v1/dkg-deal` | `zkreg-regulator` |
//! | rotation signatures | `zkreg/v1/rotation` | [`crate::rotation`] |
//!
//! Encodings: field elements and scalars as 32 bytes little-endian (canonical), Jubjub points and
//! Groth16 proof points arkworks-compressed, integers as merlin's `append_u64`. A challenge
//! scalar is 64 challenge bytes reduced modulo the group order (statistically uniform); a batch
//! weight is 16 challenge bytes (a 128-bit integer, enough for `2^-128` soundness error).

use crate::Groth16Proof;
use ark_bls12_381::Fr;
use ark_ff::{BigInteger, PrimeField};
use ark_serialize::CanonicalSerialize;
use merlin::Transcript;
use zkreg_circuits::ecc::{JubjubAffine, JubjubScalar};

/// The operations zkreg performs on a [`merlin::Transcript`].
pub trait TranscriptProtocol {
    /// Absorbs a BLS12-381 scalar-field element (32 bytes, little-endian).
    fn append_fr(&mut self, label: &'static [u8], x: &Fr);
    /// Absorbs a Jubjub point (32 bytes, compressed).
    fn append_jubjub(&mut self, label: &'static [u8], p: &JubjubAffine);
    /// Absorbs a Groth16 proof (192 bytes: A, B, C compressed).
    fn append_proof(&mut self, label: &'static [u8], proof: &Groth16Proof);
    /// A Jubjub scalar challenge: 64 bytes reduced modulo the subgroup order.
    fn challenge_jubjub_scalar(&mut self, label: &'static [u8]) -> JubjubScalar;
    /// A 128-bit challenge as a field element (a batch-verification weight).
    fn challenge_u128(&mut self, label: &'static [u8]) -> Fr;
}

fn compressed<T: CanonicalSerialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.compressed_size());
    if value.serialize_compressed(&mut out).is_err() {
        unreachable!("writing to a Vec cannot fail");
    }
    out
}

impl TranscriptProtocol for Transcript {
    fn append_fr(&mut self, label: &'static [u8], x: &Fr) {
        self.append_message(label, &x.into_bigint().to_bytes_le());
    }

    fn append_jubjub(&mut self, label: &'static [u8], p: &JubjubAffine) {
        self.append_message(label, &compressed(p));
    }

    fn append_proof(&mut self, label: &'static [u8], proof: &Groth16Proof) {
        self.append_message(label, &compressed(proof));
    }

    fn challenge_jubjub_scalar(&mut self, label: &'static [u8]) -> JubjubScalar {
        let mut buf = [0u8; 64];
        self.challenge_bytes(label, &mut buf);
        JubjubScalar::from_le_bytes_mod_order(&buf)
    }

    fn challenge_u128(&mut self, label: &'static [u8]) -> Fr {
        let mut bytes = [0u8; 16];
        self.challenge_bytes(label, &mut bytes);
        Fr::from(u128::from_le_bytes(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::AffineRepr;

    /// Each absorbed value changes the challenges; equal inputs give equal challenges.
    #[test]
    fn challenges_depend_on_every_absorbed_value() {
        let run = |x: u64, p: JubjubAffine| {
            let mut t = Transcript::new(b"zkreg/v1/test");
            t.append_fr(b"x", &Fr::from(x));
            t.append_jubjub(b"P", &p);
            (t.challenge_jubjub_scalar(b"e"), t.challenge_u128(b"z"))
        };
        let g = JubjubAffine::generator();
        let base = run(1, g);
        assert_eq!(base, run(1, g));
        assert_ne!(base, run(2, g));
        assert_ne!(base, run(1, (g + g).into()));
        assert!(base.1.into_bigint().num_bits() <= 128);
    }
}
