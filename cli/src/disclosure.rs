//! Honest disclosure of one audit ciphertext, checkable without the regulator's key.
//!
//! An audit ciphertext is `(R, c)` with `R = r·G`, `c_i = m_i + k_i`, and the keystream
//! `k = Poseidon-sponge(AUDIT, S.x, S.y)` derived from the shared point `S = r·RPK = rsk·R`.
//! To disclose `m` the regulator publishes `S` together with a **Chaum–Pedersen** proof that
//! `log_G(RPK) = log_R(S)` (both equal `rsk`), i.e. that `S` is the one point its key yields:
//!
//! ```text
//! prover (knows rsk):   k ← random,  A₁ = k·G,  A₂ = k·R
//!                       e = H(RPK, R, S, context, A₁, A₂)          (merlin transcript)
//!                       z = k + e·rsk                              proof = (e, z)
//! verifier:             A₁ = z·G − e·RPK,  A₂ = z·R − e·S
//!                       accept iff e = H(RPK, R, S, context, A₁, A₂)
//! ```
//!
//! Completeness: `z·G − e·RPK = k·G + e·rsk·G − e·rsk·G = A₁`, and likewise
//! `z·R − e·S = k·R + e·rsk·R − e·rsk·R = A₂`. Soundness: two accepting answers `(e, z)`,
//! `(e', z')` to one commitment give `rsk = (z − z')/(e − e')` for both bases, so `S = rsk·R` with
//! the same `rsk` as `RPK` (special soundness; Fiat–Shamir in the random-oracle model).
//! Zero knowledge: `(e, z)` is simulated by picking `z, e` and setting `A₁, A₂` as the verifier
//! computes them, so the proof reveals nothing about `rsk` beyond `S` itself, and `S` opens only
//! this ciphertext: it depends on this `R`.
//!
//! The verifier then recomputes `k` from `S`, decrypts `m_i = c_i − k_i` itself and compares with
//! the disclosed fields. The transcript uses the domain separator `zkreg/v1/disclosure` and static
//! labels; `context` binds the proof to the transaction (its id and ciphertext), and the prover's
//! nonce is derived from the transcript, the secret key and fresh randomness (merlin's
//! `TranscriptRng`), so a weak system RNG cannot leak `rsk`.

use ark_bls12_381::Fr;
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::PrimeField;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_std::UniformRand;
use merlin::Transcript;
use rand::{CryptoRng, RngCore};
use zkreg_circuits::{
    audit::{audit_keystream, shared_point, RegulatorSecretKey},
    ecc::{generator, mul_generator, JubjubAffine, JubjubScalar},
};

/// Domain separator of the transcript.
pub const DOMAIN: &[u8] = b"zkreg/v1/disclosure";

/// A Chaum–Pedersen proof `(e, z)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DleqProof {
    /// Challenge `e`.
    pub challenge: JubjubScalar,
    /// Response `z = k + e·rsk`.
    pub response: JubjubScalar,
}

/// Why a disclosure does not check out.
#[cfg_attr(not(test), allow(dead_code))] // field checks: see `check_disclosure`
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DisclosureError {
    /// The proof does not show `S = rsk·R` for the `rsk` behind `RPK`.
    #[error("the Chaum–Pedersen proof does not verify: the shared point is not the one the regulator key yields")]
    BadProof,
    /// The disclosed plaintext is not what `S` decrypts.
    #[error("disclosed field {index} is not what the ciphertext decrypts to")]
    FieldMismatch {
        /// Index of the first differing field.
        index: usize,
    },
    /// The disclosed plaintext has the wrong number of fields.
    #[error("the disclosure has {got} fields, the ciphertext {expected}")]
    FieldCount {
        /// Fields in the ciphertext.
        expected: usize,
        /// Fields disclosed.
        got: usize,
    },
    /// A scalar is not canonical.
    #[error("malformed proof encoding")]
    Encoding,
}

fn point_bytes(p: &JubjubAffine) -> Vec<u8> {
    let mut b = Vec::with_capacity(32);
    let _ = p.serialize_compressed(&mut b);
    b
}

fn transcript(
    rpk: &JubjubAffine,
    r: &JubjubAffine,
    s: &JubjubAffine,
    context: &[u8],
) -> Transcript {
    let mut t = Transcript::new(DOMAIN);
    t.append_message(b"G", &point_bytes(&generator()));
    t.append_message(b"RPK", &point_bytes(rpk));
    t.append_message(b"R", &point_bytes(r));
    t.append_message(b"S", &point_bytes(s));
    t.append_message(b"context", context);
    t
}

fn challenge(mut t: Transcript, a1: &JubjubAffine, a2: &JubjubAffine) -> JubjubScalar {
    t.append_message(b"A1", &point_bytes(a1));
    t.append_message(b"A2", &point_bytes(a2));
    let mut buf = [0u8; 64];
    t.challenge_bytes(b"e", &mut buf);
    JubjubScalar::from_le_bytes_mod_order(&buf)
}

/// Computes `S = rsk·R` and proves it honest.
pub fn prove<R: RngCore + CryptoRng>(
    rsk: &RegulatorSecretKey,
    r_point: &JubjubAffine,
    context: &[u8],
    rng: &mut R,
) -> (JubjubAffine, DleqProof) {
    let rpk = rsk.public_key();
    let s = shared_point(rsk, r_point);
    let t = transcript(&rpk, r_point, &s, context);
    let mut secret = Vec::with_capacity(32);
    let _ = rsk.0.serialize_compressed(&mut secret);
    let mut nonce_rng = t
        .build_rng()
        .rekey_with_witness_bytes(b"rsk", &secret)
        .finalize(rng);
    let k = JubjubScalar::rand(&mut nonce_rng);
    let a1 = mul_generator(&k);
    let a2 = (r_point.into_group() * k).into_affine();
    let e = challenge(t, &a1, &a2);
    (
        s,
        DleqProof {
            challenge: e,
            response: k + e * rsk.0,
        },
    )
}

/// Checks that `s = rsk·r_point` for the `rsk` behind `rpk`.
pub fn verify(
    rpk: &JubjubAffine,
    r_point: &JubjubAffine,
    s: &JubjubAffine,
    context: &[u8],
    proof: &DleqProof,
) -> Result<(), DisclosureError> {
    let e = proof.challenge;
    let z = proof.response;
    let a1 = (generator().into_group() * z - rpk.into_group() * e).into_affine();
    let a2 = (r_point.into_group() * z - s.into_group() * e).into_affine();
    if challenge(transcript(rpk, r_point, s, context), &a1, &a2) == e {
        Ok(())
    } else {
        Err(DisclosureError::BadProof)
    }
}

/// Decrypts `c` with the keystream of a shared point (no secret key needed).
pub fn decrypt_with_shared(s: &JubjubAffine, c: &[Fr]) -> Vec<Fr> {
    let k = audit_keystream(s, c.len());
    c.iter().zip(k).map(|(ci, ki)| *ci - ki).collect()
}

/// Full check of a disclosed plaintext: the proof, then that `S` decrypts `c` to `plaintext`.
/// (The CLI compares rendered records instead, see `audit::verify_disclosure`, which performs
/// the same two steps on the ledger's ciphertext.)
#[cfg_attr(not(test), allow(dead_code))]
pub fn check_disclosure(
    rpk: &JubjubAffine,
    r_point: &JubjubAffine,
    c: &[Fr],
    s: &JubjubAffine,
    context: &[u8],
    proof: &DleqProof,
    plaintext: &[Fr],
) -> Result<(), DisclosureError> {
    verify(rpk, r_point, s, context, proof)?;
    if plaintext.len() != c.len() {
        return Err(DisclosureError::FieldCount {
            expected: c.len(),
            got: plaintext.len(),
        });
    }
    let m = decrypt_with_shared(s, c);
    match m.iter().zip(plaintext).position(|(a, b)| a != b) {
        Some(index) => Err(DisclosureError::FieldMismatch { index }),
        None => Ok(()),
    }
}

impl DleqProof {
    /// `(e, z)` as 64 hex characters each.
    pub fn to_hex(self) -> (String, String) {
        let enc = |x: &JubjubScalar| {
            let mut b = Vec::with_capacity(32);
            let _ = x.serialize_compressed(&mut b);
            hex::encode(b)
        };
        (enc(&self.challenge), enc(&self.response))
    }

    /// Parses [`Self::to_hex`] (canonical scalars only).
    pub fn from_hex(e: &str, z: &str) -> Result<Self, DisclosureError> {
        let dec = |s: &str| -> Result<JubjubScalar, DisclosureError> {
            let b = hex::decode(s.trim()).map_err(|_| DisclosureError::Encoding)?;
            if b.len() != 32 {
                return Err(DisclosureError::Encoding);
            }
            JubjubScalar::deserialize_compressed(&b[..]).map_err(|_| DisclosureError::Encoding)
        };
        Ok(DleqProof {
            challenge: dec(e)?,
            response: dec(z)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;
    use zkreg_circuits::audit::encrypt;

    struct Case {
        rsk: RegulatorSecretKey,
        r_point: JubjubAffine,
        c: Vec<Fr>,
        m: Vec<Fr>,
    }

    fn case(seed: u64) -> (Case, ChaCha20Rng) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let rsk = RegulatorSecretKey(JubjubScalar::rand(&mut rng));
        let m: [Fr; 6] = std::array::from_fn(|i| Fr::from(1000 + i as u64));
        let ct = encrypt(&rsk.public_key(), &m, &JubjubScalar::rand(&mut rng));
        (
            Case {
                rsk,
                r_point: ct.r_point,
                c: ct.c.to_vec(),
                m: m.to_vec(),
            },
            rng,
        )
    }

    #[test]
    fn honest_disclosure_passes() {
        let (k, mut rng) = case(1);
        let (s, proof) = prove(&k.rsk, &k.r_point, b"tx", &mut rng);
        assert_eq!(
            check_disclosure(
                &k.rsk.public_key(),
                &k.r_point,
                &k.c,
                &s,
                b"tx",
                &proof,
                &k.m
            ),
            Ok(())
        );
        // The encoding round-trips.
        let (e, z) = proof.to_hex();
        assert_eq!(DleqProof::from_hex(&e, &z), Ok(proof));
    }

    #[test]
    fn wrong_shared_point_fails() {
        let (k, mut rng) = case(2);
        let (s, proof) = prove(&k.rsk, &k.r_point, b"tx", &mut rng);
        let wrong = (s.into_group() + generator().into_group()).into_affine();
        assert_eq!(
            check_disclosure(
                &k.rsk.public_key(),
                &k.r_point,
                &k.c,
                &wrong,
                b"tx",
                &proof,
                &k.m
            ),
            Err(DisclosureError::BadProof)
        );
        // A proof made with another key for the same R does not pass for this RPK either.
        let other = RegulatorSecretKey(JubjubScalar::rand(&mut rng));
        let (s2, p2) = prove(&other, &k.r_point, b"tx", &mut rng);
        assert_eq!(
            verify(&k.rsk.public_key(), &k.r_point, &s2, b"tx", &p2),
            Err(DisclosureError::BadProof)
        );
    }

    #[test]
    fn wrong_field_fails() {
        let (k, mut rng) = case(3);
        let (s, proof) = prove(&k.rsk, &k.r_point, b"tx", &mut rng);
        let mut lie = k.m.clone();
        lie[2] += Fr::from(1u64);
        assert_eq!(
            check_disclosure(
                &k.rsk.public_key(),
                &k.r_point,
                &k.c,
                &s,
                b"tx",
                &proof,
                &lie
            ),
            Err(DisclosureError::FieldMismatch { index: 2 })
        );
        assert!(matches!(
            check_disclosure(
                &k.rsk.public_key(),
                &k.r_point,
                &k.c,
                &s,
                b"tx",
                &proof,
                &k.m[..5]
            ),
            Err(DisclosureError::FieldCount { .. })
        ));
    }

    #[test]
    fn wrong_rpk_or_context_fails() {
        let (k, mut rng) = case(4);
        let (s, proof) = prove(&k.rsk, &k.r_point, b"tx", &mut rng);
        let other_rpk = mul_generator(&JubjubScalar::rand(&mut rng));
        assert_eq!(
            check_disclosure(&other_rpk, &k.r_point, &k.c, &s, b"tx", &proof, &k.m),
            Err(DisclosureError::BadProof)
        );
        assert_eq!(
            verify(&k.rsk.public_key(), &k.r_point, &s, b"another tx", &proof),
            Err(DisclosureError::BadProof)
        );
        let mut tampered = proof;
        tampered.response += JubjubScalar::from(1u64);
        assert_eq!(
            verify(&k.rsk.public_key(), &k.r_point, &s, b"tx", &tampered),
            Err(DisclosureError::BadProof)
        );
    }
}
