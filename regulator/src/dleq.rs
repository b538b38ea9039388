//! Chaum–Pedersen proof that a shared point is honest, checkable without the regulator's key.
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
//! The verifier then recomputes `k` from `S`, decrypts `m_i = c_i − k_i` itself
//! ([`crate::record::decrypt_with_shared`]) and compares with the disclosed fields. The
//! transcript ([`zkreg_verifier::transcript::TranscriptProtocol`], the one encoding of points
//! and challenges) uses the domain separator `zkreg/v1/disclosure` and static labels;
//! `context` binds the proof to the transaction (see [`crate::disclosure`]), and the prover's
//! nonce is derived from the transcript, the secret key and fresh randomness (merlin's
//! `TranscriptRng`), so a weak system RNG cannot leak `rsk`.

use ark_ec::{AffineRepr, CurveGroup};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_std::UniformRand;
use merlin::Transcript;
use rand::{CryptoRng, RngCore};
use zkreg_circuits::{
    audit::{shared_point, RegulatorSecretKey},
    ecc::{generator, mul_generator, JubjubAffine, JubjubScalar},
};
use zkreg_verifier::transcript::TranscriptProtocol;

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

/// Why a proof does not check out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DleqError {
    /// The proof does not show `S = rsk·R` for the `rsk` behind `RPK`.
    #[error("the Chaum–Pedersen proof does not verify: the shared point is not the one the regulator key yields")]
    BadProof,
    /// A scalar is not 32 bytes of hex encoding a canonical Jubjub scalar.
    #[error("malformed proof encoding ({part})")]
    Encoding {
        /// `"challenge"` or `"response"`.
        part: &'static str,
    },
}

fn transcript(
    rpk: &JubjubAffine,
    r: &JubjubAffine,
    s: &JubjubAffine,
    context: &[u8],
) -> Transcript {
    let mut t = Transcript::new(DOMAIN);
    t.append_jubjub(b"G", &generator());
    t.append_jubjub(b"RPK", rpk);
    t.append_jubjub(b"R", r);
    t.append_jubjub(b"S", s);
    t.append_message(b"context", context);
    t
}

fn challenge(mut t: Transcript, a1: &JubjubAffine, a2: &JubjubAffine) -> JubjubScalar {
    t.append_jubjub(b"A1", a1);
    t.append_jubjub(b"A2", a2);
    t.challenge_jubjub_scalar(b"e")
}

/// Computes `S = rsk·R` and proves it honest for `context`.
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

/// Checks that `s = rsk·r_point` for the `rsk` behind `rpk`, for `context`.
pub fn verify(
    rpk: &JubjubAffine,
    r_point: &JubjubAffine,
    s: &JubjubAffine,
    context: &[u8],
    proof: &DleqProof,
) -> Result<(), DleqError> {
    let e = proof.challenge;
    let z = proof.response;
    let a1 = (generator().into_group() * z - rpk.into_group() * e).into_affine();
    let a2 = (r_point.into_group() * z - s.into_group() * e).into_affine();
    if challenge(transcript(rpk, r_point, s, context), &a1, &a2) == e {
        Ok(())
    } else {
        Err(DleqError::BadProof)
    }
}

impl DleqProof {
    /// `(e, z)` as 64 lower-case hex characters each: the one canonical text of a proof.
    pub fn to_hex(self) -> (String, String) {
        let enc = |x: &JubjubScalar| {
            let mut b = Vec::with_capacity(32);
            let _ = x.serialize_compressed(&mut b);
            hex::encode(b)
        };
        (enc(&self.challenge), enc(&self.response))
    }

    /// Parses [`Self::to_hex`] (canonical scalars only; surrounding white space is ignored here,
    /// so a caller that wants one text per proof compares with [`Self::to_hex`]).
    pub fn from_hex(e: &str, z: &str) -> Result<Self, DleqError> {
        let dec = |s: &str, part: &'static str| -> Result<JubjubScalar, DleqError> {
            let bad = DleqError::Encoding { part };
            let b = hex::decode(s.trim()).map_err(|_| bad)?;
            if b.len() != 32 {
                return Err(bad);
            }
            JubjubScalar::deserialize_compressed(&b[..]).map_err(|_| bad)
        };
        Ok(DleqProof {
            challenge: dec(e, "challenge")?,
            response: dec(z, "response")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::decrypt_with_shared;
    use ark_bls12_381::Fr;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;
    use zkreg_circuits::audit::encrypt;

    struct Case {
        rsk: RegulatorSecretKey,
        r_point: JubjubAffine,
        c: Vec<Fr>,
        m: Vec<Fr>,
        rng: ChaCha20Rng,
    }

    fn case(seed: u64) -> Case {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let rsk = RegulatorSecretKey(JubjubScalar::rand(&mut rng));
        let m: [Fr; 6] = std::array::from_fn(|i| Fr::from(1000 + i as u64));
        let ct = encrypt(&rsk.public_key(), &m, &JubjubScalar::rand(&mut rng));
        Case {
            rsk,
            r_point: ct.r_point,
            c: ct.c.to_vec(),
            m: m.to_vec(),
            rng,
        }
    }

    #[test]
    fn completeness_and_the_shared_point_decrypts() {
        let mut k = case(1);
        let (s, proof) = prove(&k.rsk, &k.r_point, b"tx", &mut k.rng);
        assert_eq!(s, shared_point(&k.rsk, &k.r_point));
        assert_eq!(
            verify(&k.rsk.public_key(), &k.r_point, &s, b"tx", &proof),
            Ok(())
        );
        assert_eq!(decrypt_with_shared(&s, &k.c), k.m);
        // The encoding round-trips and is the only text of the proof.
        let (e, z) = proof.to_hex();
        assert_eq!(DleqProof::from_hex(&e, &z), Ok(proof));
        assert_eq!((e.len(), z.len()), (64, 64));
    }

    #[test]
    fn wrong_shared_point_fails() {
        let mut k = case(2);
        let (s, proof) = prove(&k.rsk, &k.r_point, b"tx", &mut k.rng);
        let wrong = (s.into_group() + generator().into_group()).into_affine();
        assert_eq!(
            verify(&k.rsk.public_key(), &k.r_point, &wrong, b"tx", &proof),
            Err(DleqError::BadProof)
        );
        // The shared point of another R (another ciphertext) does not pass for this R.
        let other_r = mul_generator(&JubjubScalar::rand(&mut k.rng));
        assert_eq!(
            verify(&k.rsk.public_key(), &other_r, &s, b"tx", &proof),
            Err(DleqError::BadProof)
        );
    }

    #[test]
    fn wrong_key_fails() {
        let mut k = case(3);
        // A proof made with another key for the same R does not pass for this RPK ...
        let other = RegulatorSecretKey(JubjubScalar::rand(&mut k.rng));
        let (s2, p2) = prove(&other, &k.r_point, b"tx", &mut k.rng);
        assert_eq!(
            verify(&k.rsk.public_key(), &k.r_point, &s2, b"tx", &p2),
            Err(DleqError::BadProof)
        );
        // ... nor does an honest proof for another RPK.
        let (s, proof) = prove(&k.rsk, &k.r_point, b"tx", &mut k.rng);
        assert_eq!(
            verify(&other.public_key(), &k.r_point, &s, b"tx", &proof),
            Err(DleqError::BadProof)
        );
    }

    #[test]
    fn tampered_challenge_response_or_context_fails() {
        let mut k = case(4);
        let rpk = k.rsk.public_key();
        let (s, proof) = prove(&k.rsk, &k.r_point, b"tx", &mut k.rng);
        let mut e = proof;
        e.challenge += JubjubScalar::from(1u64);
        assert_eq!(
            verify(&rpk, &k.r_point, &s, b"tx", &e),
            Err(DleqError::BadProof)
        );
        let mut z = proof;
        z.response += JubjubScalar::from(1u64);
        assert_eq!(
            verify(&rpk, &k.r_point, &s, b"tx", &z),
            Err(DleqError::BadProof)
        );
        assert_eq!(
            verify(&rpk, &k.r_point, &s, b"another tx", &proof),
            Err(DleqError::BadProof)
        );
    }

    #[test]
    fn malformed_encodings_are_refused() {
        let mut k = case(5);
        let (_, proof) = prove(&k.rsk, &k.r_point, b"tx", &mut k.rng);
        let (e, z) = proof.to_hex();
        let not_canonical = "ff".repeat(32); // above the scalar field's modulus
        for (e2, z2, part) in [
            ("zz", z.as_str(), "challenge"),
            (e.as_str(), "00", "response"),
            (not_canonical.as_str(), z.as_str(), "challenge"),
            (e.as_str(), not_canonical.as_str(), "response"),
        ] {
            assert_eq!(
                DleqProof::from_hex(e2, z2),
                Err(DleqError::Encoding { part })
            );
        }
    }
}
