//! Byte encodings of stored values (big-endian keys so RocksDB orders them numerically).

use ark_bls12_381::Fr;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use zkreg_circuits::{audit::AuditCiphertext, ecc::JubjubAffine};

use crate::LedgerError;

pub(crate) fn fr(x: &Fr) -> [u8; 32] {
    let mut out = [0u8; 32];
    let _ = x.serialize_compressed(&mut out[..]);
    out
}

pub(crate) fn read_fr(b: &[u8]) -> Result<Fr, LedgerError> {
    Fr::deserialize_compressed(b).map_err(|e| LedgerError::Corrupt(format!("field element: {e}")))
}

pub(crate) fn point(p: &JubjubAffine) -> [u8; 32] {
    let mut out = [0u8; 32];
    let _ = p.serialize_compressed(&mut out[..]);
    out
}

pub(crate) fn read_point(b: &[u8]) -> Result<JubjubAffine, LedgerError> {
    JubjubAffine::deserialize_compressed(b).map_err(|e| LedgerError::Corrupt(format!("point: {e}")))
}

pub(crate) fn be(x: u64) -> [u8; 8] {
    x.to_be_bytes()
}

pub(crate) fn read_be(b: &[u8]) -> Result<u64, LedgerError> {
    b.get(..8)
        .and_then(|s| s.try_into().ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| LedgerError::Corrupt("short integer".into()))
}

/// A regulator-key schedule: `(from_height be8 ‖ key)` per entry, oldest first.
pub(crate) fn schedule(s: &crate::genesis::KeySchedule) -> Vec<u8> {
    let mut out = Vec::with_capacity(40 * s.entries().len());
    for (h, p) in s.entries() {
        out.extend_from_slice(&be(*h));
        out.extend_from_slice(&point(p));
    }
    out
}

/// Inverse of [`schedule`].
pub(crate) fn read_schedule(b: &[u8]) -> Result<crate::genesis::KeySchedule, LedgerError> {
    if b.len() % 40 != 0 {
        return Err(LedgerError::Corrupt("regulator key schedule length".into()));
    }
    let entries = b
        .chunks_exact(40)
        .map(|c| Ok((read_be(&c[..8])?, read_point(&c[8..])?)))
        .collect::<Result<Vec<_>, LedgerError>>()?;
    Ok(crate::genesis::KeySchedule::from_entries(entries))
}

/// `R ‖ c_0 ‖ … ‖ c_{N-1}`.
pub(crate) fn audit_ct<const N: usize>(ct: &AuditCiphertext<N>) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 * (N + 1));
    out.extend_from_slice(&point(&ct.r_point));
    for c in &ct.c {
        out.extend_from_slice(&fr(c));
    }
    out
}

/// Inverse of [`audit_ct`].
pub fn read_audit_ct<const N: usize>(b: &[u8]) -> Result<AuditCiphertext<N>, LedgerError> {
    if b.len() != 32 * (N + 1) {
        return Err(LedgerError::Corrupt(format!(
            "audit ciphertext of {} bytes",
            b.len()
        )));
    }
    // The subgroup check is left out: a stored `R` was in a transaction whose proof shows
    // `R = r·G` (the verifier's `audit_r_proven` rule), and it costs more than the rest of the
    // row. Decompression still refuses a point off the curve.
    let r_point = JubjubAffine::deserialize_with_mode(&b[..32], Compress::Yes, Validate::No)
        .map_err(|e| LedgerError::Corrupt(format!("audit point: {e}")))?;
    let mut c = [Fr::from(0u64); N];
    for (i, slot) in c.iter_mut().enumerate() {
        *slot = read_fr(&b[32 * (i + 1)..32 * (i + 2)])?;
    }
    Ok(AuditCiphertext { r_point, c })
}
