//! Prepared verifying keys, stateless checks, single and batched Groth16 verification.
//!
//! Every function here takes transactions as [`Transaction::decode`] returns them: the proof
//! points are then known to lie in their prime-order subgroups, which the batch check relies on.
//!
//! # Batch verification
//!
//! A Groth16 proof `(A, B, C)` for inputs `x` holds when
//! `e(A, B) = e(α, β) · e(IC(x), γ) · e(C, δ)` with `IC(x) = Γ₀ + Σⱼ xⱼ Γⱼ` (`Γ = gamma_abc_g1`).
//! For proofs `i = 1..N` of one circuit and secret random 128-bit `zᵢ`, the batch check is
//!
//! ```text
//! Πᵢ e(zᵢ Aᵢ, Bᵢ) · e(Σᵢ zᵢ IC(xᵢ), −γ) · e(Σᵢ zᵢ Cᵢ, −δ) = e(α, β)^(Σᵢ zᵢ)
//! ```
//!
//! with `Σᵢ zᵢ IC(xᵢ) = (Σᵢ zᵢ) Γ₀ + Σⱼ (Σᵢ zᵢ xᵢⱼ) Γⱼ` as one MSM: one Miller loop over `N + 2`
//! pairs and one final exponentiation instead of `N` of each. The `−γ, −δ` are the prepared
//! key's `gamma_g2_neg_pc, delta_g2_neg_pc`, so the right-hand side's G1 points need no negation
//! of their own. If some proof is invalid the check fails except with probability about
//! `2^-128`; the `zᵢ` are derived from a merlin transcript over every proof and input **and**
//! 32 bytes of OS randomness, so a prover that knows the batch still cannot predict them.
//! A failing batch is bisected (halves re-checked with fresh `z`, singles verified alone), so
//! verdicts are exactly those of [`VerifyingKeys::verify`].

use crate::fixed_base::FixedBaseTable;
use crate::transcript::TranscriptProtocol;
use crate::tx::{ChainId, IssuerSignature, Transaction, TxKind};
use crate::wire::{issuer_message, DecodeError};
use ark_bls12_381::{Bls12_381, Fr, G1Affine, G1Projective};
use ark_ec::{
    pairing::{Pairing, PairingOutput},
    CurveGroup, VariableBaseMSM,
};
use ark_ff::Zero;
use ark_groth16::{PreparedVerifyingKey, Proof, VerifyingKey};
use ark_std::cfg_iter;
use merlin::Transcript;
use rand::{rngs::OsRng, CryptoRng, RngCore};
#[cfg(feature = "parallel")]
use rayon::prelude::*;
use std::collections::BTreeMap;

type G2Prepared = <Bls12_381 as Pairing>::G2Prepared;

/// Why a transaction is not valid without looking at ledger state.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The transaction bytes do not decode (for callers that verify straight from bytes).
    #[error("transaction does not decode: {0}")]
    Decode(#[from] DecodeError),
    /// A verifying key has `found` public-input bases where its statement needs `expected`
    /// (`layout::LEN + 1`): a key for another circuit, or another version of it.
    #[error("{kind:?} verifying key has {found} input bases, the statement needs {expected}")]
    KeyShape {
        /// Kind of the key.
        kind: TxKind,
        /// `layout::LEN + 1`.
        expected: usize,
        /// `gamma_abc_g1.len()`.
        found: usize,
    },
    /// The statement has a different number of public inputs than the key takes.
    #[error("{kind:?} statement has {found} public inputs, the key takes {expected}")]
    InputCount {
        /// Statement (circuit).
        kind: TxKind,
        /// Inputs the key takes.
        expected: usize,
        /// Inputs the statement has.
        found: usize,
    },
    /// A deposit or withdrawal (`v_in_pub > 0` or `v_out_pub > 0`) has no issuer signature.
    #[error("deposit or withdrawal without an issuer signature")]
    MissingSignature,
    /// A payment with no public amount carries an issuer signature: there is nothing for an
    /// issuer to authorise, and a signature would only link the transfer to the issuer.
    #[error("issuer signature on a payment without deposit or withdrawal")]
    UnexpectedSignature,
    /// The issuer key is not a valid Ed25519 public key.
    #[error("issuer key is not a valid Ed25519 key")]
    BadIssuerKey,
    /// The issuer signature does not verify (strictly) over [`issuer_message`] (chain and tx id).
    #[error("issuer signature does not verify over this chain and transaction id")]
    BadSignature,
    /// A payment names a withdrawal destination but withdraws nothing.
    #[error("withdrawal destination on a payment with v_out_pub = 0")]
    DestinationWithoutWithdrawal,
    /// The Groth16 proof does not verify against the transaction's statement.
    #[error("{kind:?} proof does not verify")]
    ProofRejected {
        /// Statement (circuit).
        kind: TxKind,
    },
}

/// One prepared verifying key per circuit, for one chain: the verification context every
/// check (single, batch, admission, block) goes through, so each rule exists once.
#[derive(Clone, Debug)]
pub struct VerifyingKeys {
    /// The chain whose bindings and issuer messages the proofs and signatures must cover.
    chain: ChainId,
    payment: Key,
    grant: Key,
    access: Key,
    revoke: Key,
}

/// One circuit's prepared key and the fixed-base tables of its input bases.
#[derive(Clone, Debug)]
struct Key {
    kind: TxKind,
    pvk: PreparedVerifyingKey<Bls12_381>,
    inputs: FixedBaseTable,
}

impl Key {
    /// `c₀ Γ₀ + Σⱼ cⱼ₊₁ Γⱼ₊₁`: `c = (1, x)` prepares one statement's inputs, `c = (Σ zᵢ, Σ zᵢ xᵢ)`
    /// a batch's.
    fn combine_inputs(&self, coefficients: &[Fr]) -> Result<G1Projective, VerifyError> {
        self.inputs
            .msm(coefficients)
            .ok_or_else(|| VerifyError::InputCount {
                kind: self.kind,
                expected: self.inputs.len().saturating_sub(1),
                found: coefficients.len().saturating_sub(1),
            })
    }
}

impl VerifyingKeys {
    /// Prepares the four keys for `chain` (its genesis hash), refusing any whose shape does not
    /// match its statement (a key passed in the wrong slot would otherwise reject every proof,
    /// or worse, ignore inputs).
    pub fn new(
        chain: ChainId,
        payment: &VerifyingKey<Bls12_381>,
        grant: &VerifyingKey<Bls12_381>,
        access: &VerifyingKey<Bls12_381>,
        revoke: &VerifyingKey<Bls12_381>,
    ) -> Result<Self, VerifyError> {
        Ok(VerifyingKeys {
            chain,
            payment: prepare(TxKind::Payment, payment)?,
            grant: prepare(TxKind::Grant, grant)?,
            access: prepare(TxKind::Access, access)?,
            revoke: prepare(TxKind::Revoke, revoke)?,
        })
    }

    /// The chain these keys verify for.
    pub fn chain(&self) -> &ChainId {
        &self.chain
    }

    /// The prepared key of one circuit.
    pub fn prepared(&self, kind: TxKind) -> &PreparedVerifyingKey<Bls12_381> {
        &self.key(kind).pvk
    }

    fn key(&self, kind: TxKind) -> &Key {
        match kind {
            TxKind::Payment => &self.payment,
            TxKind::Grant => &self.grant,
            TxKind::Access => &self.access,
            TxKind::Revoke => &self.revoke,
        }
    }

    /// Checks that need neither keys nor state, cheap, so they run before any pairing. For a
    /// payment: an issuer signature over this chain and the tx id is present and valid iff it
    /// deposits or withdraws (whether that issuer is authorised for the asset is the ledger's
    /// call), and a destination only comes with a withdrawal.
    pub fn check_stateless(&self, tx: &Transaction) -> Result<(), VerifyError> {
        let Transaction::Payment(p) = tx else {
            return Ok(());
        };
        if !p.destination.is_empty() && p.v_out_pub == 0 {
            return Err(VerifyError::DestinationWithoutWithdrawal);
        }
        let public_amount = p.v_in_pub > 0 || p.v_out_pub > 0;
        match (&p.issuer_signature, public_amount) {
            (None, false) => Ok(()),
            (None, true) => Err(VerifyError::MissingSignature),
            (Some(_), false) => Err(VerifyError::UnexpectedSignature),
            (Some(sig), true) => {
                check_issuer_signature(sig, &issuer_message(&self.chain, &tx.id()))
            }
        }
    }

    /// Stateless checks, then one Groth16 verification.
    pub fn verify(&self, tx: &Transaction) -> Result<(), VerifyError> {
        self.check_stateless(tx)?;
        let kind = tx.kind();
        verify_proof(self.key(kind), tx.proof(), &tx.public_inputs(&self.chain))
    }

    /// Verifies many transactions, one batch check per circuit (see the module doc). The
    /// verdicts, in input order, equal [`VerifyingKeys::verify`]'s.
    pub fn verify_batch(&self, txs: &[Transaction]) -> Vec<Result<(), VerifyError>> {
        self.verify_batch_with_rng(txs, &mut OsRng)
    }

    /// [`VerifyingKeys::verify_batch`] with the caller's randomness source, which must be
    /// unpredictable to whoever made the proofs.
    pub fn verify_batch_with_rng<R: RngCore + CryptoRng>(
        &self,
        txs: &[Transaction],
        rng: &mut R,
    ) -> Vec<Result<(), VerifyError>> {
        // Stateless checks and per-transaction preparation, independent per tx.
        let checked: Vec<(Result<(), VerifyError>, Option<Entry>)> = cfg_iter!(txs)
            .enumerate()
            .map(|(index, tx)| match self.check_stateless(tx) {
                Err(e) => (Err(e), None),
                Ok(()) => (
                    Ok(()),
                    Some(Entry {
                        index,
                        kind: tx.kind(),
                        proof: tx.proof(),
                        inputs: tx.public_inputs(&self.chain),
                        b: G2Prepared::from(tx.proof().b),
                    }),
                ),
            })
            .collect();
        let mut verdicts = Vec::with_capacity(txs.len());
        let mut groups: BTreeMap<TxKind, Vec<Entry>> = BTreeMap::new();
        for (verdict, entry) in checked {
            verdicts.push(verdict);
            if let Some(e) = entry {
                groups.entry(e.kind).or_default().push(e);
            }
        }
        for (kind, entries) in groups {
            let mut batch = Batch {
                key: self.key(kind),
                z: batch_transcript(kind, &entries, rng),
            };
            batch.settle(&entries, false, &mut verdicts);
        }
        verdicts
    }
}

fn prepare(kind: TxKind, vk: &VerifyingKey<Bls12_381>) -> Result<Key, VerifyError> {
    let expected = kind.public_inputs() + 1;
    let found = vk.gamma_abc_g1.len();
    if found != expected {
        return Err(VerifyError::KeyShape {
            kind,
            expected,
            found,
        });
    }
    Ok(Key {
        kind,
        pvk: ark_groth16::prepare_verifying_key(vk),
        inputs: FixedBaseTable::new(&vk.gamma_abc_g1),
    })
}

/// `verify_strict`: refuses small-order keys and non-canonical signatures, so every validator
/// reaches the same verdict on the same bytes.
fn check_issuer_signature(sig: &IssuerSignature, message: &[u8]) -> Result<(), VerifyError> {
    let key = ed25519_dalek::VerifyingKey::from_bytes(&sig.issuer)
        .map_err(|_| VerifyError::BadIssuerKey)?;
    let signature = ed25519_dalek::Signature::from_bytes(&sig.signature);
    key.verify_strict(message, &signature)
        .map_err(|_| VerifyError::BadSignature)
}

/// `e(A, B) · e(IC, −γ) · e(C, −δ) = e(α, β)`: one Groth16 verification with prepared inputs.
fn verify_proof(key: &Key, proof: &Proof<Bls12_381>, inputs: &[Fr]) -> Result<(), VerifyError> {
    let pvk = &key.pvk;
    let mut coefficients = Vec::with_capacity(inputs.len() + 1);
    coefficients.push(Fr::from(1u64));
    coefficients.extend_from_slice(inputs);
    let ic = key.combine_inputs(&coefficients)?;
    let ml = Bls12_381::multi_miller_loop(
        [proof.a, ic.into_affine(), proof.c],
        [
            G2Prepared::from(proof.b),
            pvk.gamma_g2_neg_pc.clone(),
            pvk.delta_g2_neg_pc.clone(),
        ],
    );
    match Bls12_381::final_exponentiation(ml) {
        Some(out) if out.0 == pvk.alpha_g1_beta_g2 => Ok(()),
        _ => Err(VerifyError::ProofRejected { kind: key.kind }),
    }
}

/// A transaction in a batch, with what bisection would otherwise recompute.
struct Entry<'a> {
    index: usize,
    kind: TxKind,
    proof: &'a Proof<Bls12_381>,
    inputs: Vec<Fr>,
    /// `B` prepared for the Miller loop once, however often bisection re-checks it.
    b: G2Prepared,
}

/// The transcript of one circuit's batch: every proof and input, then OS randomness. The `zᵢ`
/// are its challenges; bisection draws fresh ones from the same transcript.
fn batch_transcript<R: RngCore + CryptoRng>(
    kind: TxKind,
    entries: &[Entry],
    rng: &mut R,
) -> Transcript {
    let mut t = Transcript::new(b"zkreg/v1/batch");
    t.append_u64(b"kind", kind as u64);
    t.append_u64(b"n", entries.len() as u64);
    for e in entries {
        t.append_proof(b"proof", e.proof);
        for x in &e.inputs {
            t.append_fr(b"input", x);
        }
    }
    let mut seed = [0u8; 32];
    rng.fill_bytes(&mut seed);
    t.append_message(b"os-randomness", &seed);
    t
}

/// One circuit's batch being settled.
struct Batch<'a> {
    key: &'a Key,
    z: Transcript,
}

impl Batch<'_> {
    /// A fresh 128-bit batching scalar.
    fn next_z(&mut self) -> Fr {
        self.z.challenge_u128(b"z")
    }

    /// Writes the verdicts of `entries`. `known_bad`: a batch check already showed that some
    /// entry is invalid (a batch of valid proofs always passes), so skip re-checking the whole.
    fn settle(
        &mut self,
        entries: &[Entry],
        known_bad: bool,
        verdicts: &mut [Result<(), VerifyError>],
    ) {
        match entries {
            [] => {}
            [e] => {
                self.single(e, verdicts);
            }
            _ if !known_bad && self.holds(entries) => {}
            _ => {
                let (left, right) = entries.split_at(entries.len() / 2);
                let left_holds = match left {
                    [e] => self.single(e, verdicts),
                    _ => self.holds(left),
                };
                if left_holds {
                    // The whole failed and the left half holds: the culprit is on the right.
                    self.settle(right, true, verdicts);
                } else {
                    if left.len() > 1 {
                        self.settle(left, true, verdicts);
                    }
                    self.settle(right, false, verdicts);
                }
            }
        }
    }

    /// Verifies one entry alone and records its verdict; true if it holds.
    fn single(&self, e: &Entry, verdicts: &mut [Result<(), VerifyError>]) -> bool {
        let verdict = verify_proof(self.key, e.proof, &e.inputs);
        let holds = verdict.is_ok();
        if let Some(v) = verdicts.get_mut(e.index) {
            *v = verdict;
        }
        holds
    }

    /// The random linear combination check of the module doc over `entries`.
    fn holds(&mut self, entries: &[Entry]) -> bool {
        let z: Vec<Fr> = entries.iter().map(|_| self.next_z()).collect();
        let pvk = &self.key.pvk;
        let mut coefficients = vec![Fr::zero(); pvk.vk.gamma_abc_g1.len()];
        for (zi, e) in z.iter().zip(entries) {
            if e.inputs.len() + 1 != coefficients.len() {
                return false;
            }
            let (constant, rest) = coefficients.split_at_mut(1);
            constant.iter_mut().for_each(|c| *c += zi);
            for (c, x) in rest.iter_mut().zip(&e.inputs) {
                *c += *zi * x;
            }
        }
        let Ok(ic) = self.key.combine_inputs(&coefficients) else {
            return false;
        };
        let cs: Vec<G1Affine> = entries.iter().map(|e| e.proof.c).collect();
        let Ok(c_sum) = G1Projective::msm(&cs, &z) else {
            return false;
        };
        let za: Vec<G1Projective> = cfg_iter!(entries)
            .zip(cfg_iter!(z))
            .map(|(e, zi)| e.proof.a * zi)
            .collect();
        let mut g1 = G1Projective::normalize_batch(&za);
        g1.push(ic.into_affine());
        g1.push(c_sum.into_affine());
        let g2 = entries
            .iter()
            .map(|e| e.b.clone())
            .chain([pvk.gamma_g2_neg_pc.clone(), pvk.delta_g2_neg_pc.clone()]);
        let z_sum: Fr = z.iter().sum();
        let rhs = PairingOutput::<Bls12_381>(pvk.alpha_g1_beta_g2) * z_sum;
        Bls12_381::final_exponentiation(Bls12_381::multi_miller_loop(g1, g2))
            .is_some_and(|lhs| lhs == rhs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bls12_381::{G1Projective, G2Projective};
    use ark_ec::{AffineRepr, PrimeGroup};
    use ark_ff::{BigInteger, PrimeField};
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    fn first_z(proof: &Proof<Bls12_381>, input: Fr, seed: u64) -> Fr {
        let entries = [Entry {
            index: 0,
            kind: TxKind::Revoke,
            proof,
            inputs: vec![input; 3],
            b: G2Prepared::from(proof.b),
        }];
        let z = batch_transcript(
            TxKind::Revoke,
            &entries,
            &mut ChaCha20Rng::seed_from_u64(seed),
        );
        let vk = VerifyingKey::<Bls12_381> {
            gamma_abc_g1: vec![G1Affine::generator(); TxKind::Revoke.public_inputs() + 1],
            ..VerifyingKey::default()
        };
        let key = prepare(TxKind::Revoke, &vk).unwrap_or_else(|e| panic!("{e}"));
        Batch { key: &key, z }.next_z()
    }

    /// The batch scalars depend on the proofs, the inputs and the verifier's own randomness.
    #[test]
    fn batch_scalars_absorb_proofs_inputs_and_randomness() {
        let proof = Proof {
            a: G1Projective::generator().into_affine(),
            b: G2Projective::generator().into_affine(),
            c: G1Projective::generator().into_affine(),
        };
        let other = Proof {
            c: (G1Projective::generator() * Fr::from(2u64)).into_affine(),
            ..proof.clone()
        };
        let z = first_z(&proof, Fr::from(1u64), 1);
        assert_eq!(z, first_z(&proof, Fr::from(1u64), 1));
        assert_ne!(z, first_z(&proof, Fr::from(1u64), 2));
        assert_ne!(z, first_z(&other, Fr::from(1u64), 1));
        assert_ne!(z, first_z(&proof, Fr::from(2u64), 1));
        assert!(z.into_bigint().num_bits() <= 128);
    }
}
