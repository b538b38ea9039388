//! Regulator-key rotation: the one transaction without a Groth16 proof, authorised by the
//! regulator key it replaces (docs/PROTOCOL.md, "Regulator committee and key rotation").
//!
//! A regulator key may be held by one party (`rsk`) or shared t-of-n by a committee (member `i`
//! holds `x_i = f(i)` of a degree-`t−1` polynomial with `f(0) = rsk`, and `V_i = x_i·G` is
//! public). A rotation `(old RPK, new RPK, from_height, sequence)` carries signers
//! `(i, V_i, σ_i)`, each `σ_i` a Schnorr signature by `x_i` under `V_i`, and is valid when
//!
//! ```text
//!   every σ_i verifies under V_i over the terms (chain, old, new, from_height, sequence, i, V_i)
//!   the indices are distinct and non-zero
//!   Σ λ_i·V_i = old RPK,   λ_i = Π_{j≠i} j / (j − i)     (Lagrange at 0, Jubjub scalar field)
//! ```
//!
//! **Why this shows the old key's holders agreed.** Each Schnorr signature is a proof of
//! knowledge of `x_i = log_G V_i` (special soundness; Fiat–Shamir in the random-oracle model).
//! From the signers one extracts `Σ λ_i·x_i`, and `(Σ λ_i·x_i)·G = Σ λ_i·V_i = RPK`, so the
//! signers together know `rsk`. Fewer than `t` shares of the committee reveal nothing about
//! `rsk`, so no set of fewer than `t` members can make an accepted rotation, whatever keys
//! `V_i` they claim: a forged `V_j` whose combination hits RPK has an unknown logarithm and
//! cannot sign. A single-key regulator is the case `t = n = 1` (`V_1 = RPK`, `λ_1 = 1`). The
//! ledger needs no member list: it only knows RPK, as it does for every other transaction.
//!
//! Replay: the signed terms name the chain, the key being replaced and the rotation's
//! `sequence` (the number of rotations the ledger applied before it), and the ledger accepts a
//! rotation only from the key in force, with the next sequence number and a `from_height` in
//! the future (`Rule::RotationSequence`, `Rule::RotationKey`, `Rule::RotationHeight`).

use crate::{transcript::TranscriptProtocol, ChainId};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{Field, One, Zero};
use ark_serialize::CanonicalSerialize;
use ark_std::UniformRand;
use merlin::Transcript;
use rand::{CryptoRng, RngCore};
use zkreg_circuits::ecc::{generator, mul_generator, JubjubAffine, JubjubPoint, JubjubScalar};

/// Domain separator of a rotation signature's transcript.
pub const DOMAIN: &[u8] = b"zkreg/v1/rotation";
/// Most signers one rotation may carry (committees are small; this bounds the bytes).
pub const MAX_ROTATION_SIGNERS: usize = 16;

/// What a rotation changes, and what every signer signs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RotationTerms {
    /// The regulator key in force, being replaced.
    pub old_rpk: JubjubAffine,
    /// The new regulator key.
    pub new_rpk: JubjubAffine,
    /// First height at which `new_rpk` is the key in force.
    pub from_height: u64,
    /// How many rotations the ledger applied before this one.
    pub sequence: u64,
}

/// A Schnorr signature `(e, z)` over Jubjub: `A = k·G`, `e = H(transcript, A)`, `z = k + e·x`;
/// it verifies under `V = x·G` iff `e = H(transcript, z·G − e·V)`. The transcript names what is
/// signed (here: the rotation terms, the signer's index and key; the DKG's deals in
/// `zkreg-regulator`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchnorrSignature {
    /// Challenge `e`.
    pub challenge: JubjubScalar,
    /// Response `z`.
    pub response: JubjubScalar,
}

/// One signer of a rotation: a committee member (or the single key holder, index 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RotationSigner {
    /// The member's index `i ≥ 1` (its share is `f(i)`).
    pub index: u16,
    /// The member's verification key `V_i = x_i·G`.
    pub key: JubjubAffine,
    /// Its signature over the terms.
    pub signature: SchnorrSignature,
}

/// Why a rotation's signatures do not authorise it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RotationError {
    /// A rotation must carry at least one signer.
    #[error("a rotation needs at least one signer")]
    NoSigners,
    /// Signer indices are shares' evaluation points: zero is the secret itself, never a share.
    #[error("signer index 0 is not a member index")]
    ZeroIndex,
    /// Two signers give the same index.
    #[error("signer index {index} appears twice")]
    DuplicateIndex {
        /// The repeated index.
        index: u16,
    },
    /// A signature does not verify under its signer's key.
    #[error("the signature of member {index} does not verify over these rotation terms")]
    BadSignature {
        /// The member.
        index: u16,
    },
    /// The signers' keys, combined by Lagrange interpolation, are not the key being replaced:
    /// they are not (enough of) its holders.
    #[error("the signers' keys do not combine to the regulator key being replaced (too few members, or not its committee)")]
    KeysDoNotCombine,
    /// The new key equals the old one.
    #[error("a rotation must name a new key")]
    SameKey,
}

fn transcript(
    chain: &ChainId,
    terms: &RotationTerms,
    index: u16,
    key: &JubjubAffine,
) -> Transcript {
    let mut t = Transcript::new(DOMAIN);
    t.append_message(b"chain", chain);
    t.append_jubjub(b"G", &generator());
    t.append_jubjub(b"old", &terms.old_rpk);
    t.append_jubjub(b"new", &terms.new_rpk);
    t.append_u64(b"from_height", terms.from_height);
    t.append_u64(b"sequence", terms.sequence);
    t.append_u64(b"index", u64::from(index));
    t.append_jubjub(b"V", key);
    t
}

fn challenge(mut t: Transcript, a: &JubjubAffine) -> JubjubScalar {
    t.append_jubjub(b"A", a);
    t.challenge_jubjub_scalar(b"e")
}

/// Signs the transcript `t` (which already names the message and the signer's key) with `x`.
/// The nonce comes from the transcript, the secret and fresh randomness (merlin's
/// `TranscriptRng`), so a weak RNG alone cannot leak `x`.
pub fn schnorr_sign<R: RngCore + CryptoRng>(
    t: Transcript,
    x: &JubjubScalar,
    rng: &mut R,
) -> SchnorrSignature {
    let mut secret = Vec::with_capacity(32);
    let _ = x.serialize_compressed(&mut secret);
    let mut nonce_rng = t
        .build_rng()
        .rekey_with_witness_bytes(b"x", &secret)
        .finalize(rng);
    let k = JubjubScalar::rand(&mut nonce_rng);
    let e = challenge(t, &mul_generator(&k));
    SchnorrSignature {
        challenge: e,
        response: k + e * x,
    }
}

/// Whether `sig` verifies under `key` for the transcript `t`: `A = z·G − e·V`, accept iff
/// `e = H(t, A)`.
pub fn schnorr_verify(t: Transcript, key: &JubjubAffine, sig: &SchnorrSignature) -> bool {
    let SchnorrSignature {
        challenge: e,
        response: z,
    } = *sig;
    let a = (generator().into_group() * z - key.into_group() * e).into_affine();
    challenge(t, &a) == e
}

/// Member `index` signs `terms` with its share `x` (its key is `x·G`).
pub fn sign<R: RngCore + CryptoRng>(
    chain: &ChainId,
    terms: &RotationTerms,
    index: u16,
    x: &JubjubScalar,
    rng: &mut R,
) -> RotationSigner {
    let key = mul_generator(x);
    RotationSigner {
        index,
        key,
        signature: schnorr_sign(transcript(chain, terms, index, &key), x, rng),
    }
}

/// Whether `signer`'s signature verifies over `terms` on `chain`.
pub fn verify_signer(chain: &ChainId, terms: &RotationTerms, signer: &RotationSigner) -> bool {
    schnorr_verify(
        transcript(chain, terms, signer.index, &signer.key),
        &signer.key,
        &signer.signature,
    )
}

/// Lagrange coefficients at 0 for the evaluation points `indices`:
/// `λ_i = Π_{j≠i} j / (j − i)`, so that `f(0) = Σ λ_i·f(i)` for any polynomial of degree
/// `< indices.len()`. Refuses index 0 and repeated indices (the only cases with no answer).
pub fn lagrange_at_zero(indices: &[u16]) -> Result<Vec<JubjubScalar>, RotationError> {
    for (k, &i) in indices.iter().enumerate() {
        if i == 0 {
            return Err(RotationError::ZeroIndex);
        }
        if indices[..k].contains(&i) {
            return Err(RotationError::DuplicateIndex { index: i });
        }
    }
    let x = |i: u16| JubjubScalar::from(u64::from(i));
    indices
        .iter()
        .map(|&i| {
            let (mut num, mut den) = (JubjubScalar::one(), JubjubScalar::one());
            for &j in indices.iter().filter(|&&j| j != i) {
                num *= x(j);
                den *= x(j) - x(i);
            }
            // Distinct non-zero indices below the group order make every `j − i` invertible.
            den.inverse()
                .map(|d| num * d)
                .ok_or(RotationError::DuplicateIndex { index: i })
        })
        .collect()
}

/// `Σ λ_i·P_i` over `(index, P_i)`: interpolation in the exponent at 0.
pub fn combine_points(
    points: impl IntoIterator<Item = (u16, JubjubAffine)>,
) -> Result<JubjubAffine, RotationError> {
    let (indices, points): (Vec<u16>, Vec<JubjubAffine>) = points.into_iter().unzip();
    let lambdas = lagrange_at_zero(&indices)?;
    let sum = points
        .iter()
        .zip(&lambdas)
        .fold(JubjubPoint::zero(), |acc, (p, l)| acc + p.into_group() * l);
    Ok(sum.into_affine())
}

/// Every check of a rotation that needs no ledger state: a new key, at least one signer,
/// distinct non-zero indices, every signature, and the signers' keys combining to the old key.
/// (Whether the old key is the one in force, the sequence and the height are the ledger's.)
pub fn check(
    chain: &ChainId,
    terms: &RotationTerms,
    signers: &[RotationSigner],
) -> Result<(), RotationError> {
    if terms.new_rpk == terms.old_rpk {
        return Err(RotationError::SameKey);
    }
    if signers.is_empty() {
        return Err(RotationError::NoSigners);
    }
    let combined = combine_points(signers.iter().map(|s| (s.index, s.key)))?;
    if let Some(bad) = signers.iter().find(|s| !verify_signer(chain, terms, s)) {
        return Err(RotationError::BadSignature { index: bad.index });
    }
    if combined != terms.old_rpk {
        return Err(RotationError::KeysDoNotCombine);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    /// Shares `f(1..=n)` of a random degree-`t−1` polynomial with `f(0) = secret`.
    fn shares(secret: JubjubScalar, t: usize, n: u16, rng: &mut ChaCha20Rng) -> Vec<JubjubScalar> {
        let coeffs: Vec<JubjubScalar> = std::iter::once(secret)
            .chain((1..t).map(|_| JubjubScalar::rand(rng)))
            .collect();
        (1..=n)
            .map(|i| {
                let x = JubjubScalar::from(u64::from(i));
                coeffs
                    .iter()
                    .rev()
                    .fold(JubjubScalar::zero(), |acc, c| acc * x + c)
            })
            .collect()
    }

    fn setup(t: usize, n: u16) -> (ChaCha20Rng, RotationTerms, Vec<JubjubScalar>) {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let rsk = JubjubScalar::rand(&mut rng);
        let xs = shares(rsk, t, n, &mut rng);
        let terms = RotationTerms {
            old_rpk: mul_generator(&rsk),
            new_rpk: mul_generator(&JubjubScalar::rand(&mut rng)),
            from_height: 10,
            sequence: 0,
        };
        (rng, terms, xs)
    }

    #[test]
    fn t_members_authorise_and_t_minus_one_do_not() {
        let chain = [1u8; 32];
        let (mut rng, terms, xs) = setup(3, 5);
        let signer =
            |i: u16, rng: &mut ChaCha20Rng| sign(&chain, &terms, i, &xs[usize::from(i) - 1], rng);
        let three: Vec<_> = [1u16, 3, 5].iter().map(|&i| signer(i, &mut rng)).collect();
        assert_eq!(check(&chain, &terms, &three), Ok(()));
        let two = &three[..2];
        assert_eq!(
            check(&chain, &terms, two),
            Err(RotationError::KeysDoNotCombine)
        );
        // Another chain, or other terms, do not verify.
        assert_eq!(
            check(&[2u8; 32], &terms, &three),
            Err(RotationError::BadSignature { index: 1 })
        );
        let later = RotationTerms {
            sequence: 1,
            ..terms
        };
        assert_eq!(
            check(&chain, &later, &three),
            Err(RotationError::BadSignature { index: 1 })
        );
        // Repeated and zero indices.
        let dup = vec![three[0], three[0], three[1]];
        assert_eq!(
            check(&chain, &terms, &dup),
            Err(RotationError::DuplicateIndex { index: 1 })
        );
        let mut zero = three.clone();
        zero[0].index = 0;
        assert_eq!(check(&chain, &terms, &zero), Err(RotationError::ZeroIndex));
        assert_eq!(check(&chain, &terms, &[]), Err(RotationError::NoSigners));
        let same = RotationTerms {
            new_rpk: terms.old_rpk,
            ..terms
        };
        assert_eq!(check(&chain, &same, &three), Err(RotationError::SameKey));
    }

    #[test]
    fn a_forged_member_key_cannot_complete_a_quorum() {
        // Two honest members of a 3-of-5 committee and a third "member" whose key is chosen so
        // the three combine to RPK: its logarithm is unknown, so its signature fails.
        let chain = [1u8; 32];
        let (mut rng, terms, xs) = setup(3, 5);
        let a = sign(&chain, &terms, 1, &xs[0], &mut rng);
        let b = sign(&chain, &terms, 2, &xs[1], &mut rng);
        let l = lagrange_at_zero(&[1, 2, 4]).unwrap();
        let rest =
            terms.old_rpk.into_group() - a.key.into_group() * l[0] - b.key.into_group() * l[1];
        let forged_key = (rest * l[2].inverse().unwrap()).into_affine();
        let mut forged = sign(&chain, &terms, 4, &JubjubScalar::rand(&mut rng), &mut rng);
        forged.key = forged_key;
        assert_eq!(
            check(&chain, &terms, &[a, b, forged]),
            Err(RotationError::BadSignature { index: 4 })
        );
    }

    #[test]
    fn a_single_key_is_the_one_of_one_committee() {
        let chain = [3u8; 32];
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let rsk = JubjubScalar::rand(&mut rng);
        let terms = RotationTerms {
            old_rpk: mul_generator(&rsk),
            new_rpk: mul_generator(&JubjubScalar::rand(&mut rng)),
            from_height: 5,
            sequence: 2,
        };
        let s = sign(&chain, &terms, 1, &rsk, &mut rng);
        assert_eq!(check(&chain, &terms, &[s]), Ok(()));
        let mut tampered = s;
        tampered.signature.response += JubjubScalar::one();
        assert_eq!(
            check(&chain, &terms, &[tampered]),
            Err(RotationError::BadSignature { index: 1 })
        );
    }
}
