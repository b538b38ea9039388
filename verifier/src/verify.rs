//! Prepared verifying keys, stateless checks, single and batched Groth16 verification.
//!
//! Every function here takes transactions as [`Transaction::decode`] returns them: the proof
//! points are then known to lie in their prime-order subgroups, which the batch check relies on.
//!
//! # Batch verification
//!
//! A Groth16 proof `(A, B, C)` for inputs `x` holds when
//! `e(A, B) = e(α, β) · e(IC(x), γ) · e(C, δ)` with `IC(x) = Γ₀ + Σⱼ xⱼ Γⱼ` (`Γ = gamma_abc_g1`).
//! For proofs `i = 1..N` of the circuits `k` (each with its own key `αₖ, βₖ, γₖ, δₖ, Γₖ`) and
//! secret random 128-bit `zᵢ`, the batch check is
//!
//! ```text
//! Πᵢ e(zᵢ Aᵢ, Bᵢ) · Πₖ [ e(Σ_{i∈k} zᵢ IC(xᵢ), −γₖ) · e(Σ_{i∈k} zᵢ Cᵢ, −δₖ) · e(−(Σ_{i∈k} zᵢ) αₖ, βₖ) ] = 1
//! ```
//!
//! with `Σᵢ zᵢ IC(xᵢ) = (Σᵢ zᵢ) Γ₀ + Σⱼ (Σᵢ zᵢ xᵢⱼ) Γⱼ` as one fixed-base MSM per circuit: **one
//! Miller loop over `N + 3·(circuits present)` pairs and one final exponentiation for a whole
//! block, across the four circuits**, instead of `N` of each (or one per circuit). Moving
//! `e(αₖ, βₖ)^{Σzᵢ}` to the left as the pair `(−(Σzᵢ)αₖ, βₖ)` turns the GT exponentiation per
//! circuit into one more Miller-loop pair; `(Σzᵢ)αₖ` comes from a fixed-base table of `αₖ`.
//! If some proof is invalid the check fails except with probability about `2^-128` (for the
//! first invalid proof `j`, given every other `zᵢ`, at most one value of `zⱼ` satisfies it); the
//! `zᵢ` are derived from a merlin transcript over every proof and input **and** 32 bytes of OS
//! randomness, so a prover that knows the batch still cannot predict them. Mixing circuits
//! changes nothing in that argument: each circuit's terms are bilinear in its own `zᵢ`.
//!
//! The group operations run on the configured [`Backend`] (`blst` by default, arkworks as the
//! reference); both give the same verdicts.
//! A failing batch is bisected (halves re-checked with fresh `z`, singles verified alone), so
//! verdicts are exactly those of [`VerifyingKeys::verify`].

use crate::backend::{self, Backend, PairingTerms};
use crate::fixed_base::FixedBaseTable;
use crate::transcript::TranscriptProtocol;
use crate::tx::{ChainId, IssuerSignature, Transaction, TxKind};
use crate::wire::{issuer_message, jubjub_bytes, DecodeError, PointPolicy};
use crate::TxId;
use ark_bls12_381::{Bls12_381, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::{
    pairing::{Pairing, PairingOutput},
    AffineRepr, CurveGroup, VariableBaseMSM,
};
use ark_ff::{PrimeField, Zero};
use ark_groth16::{PreparedVerifyingKey, Proof, VerifyingKey};
use ark_std::cfg_iter;
use merlin::Transcript;
use rand::{rngs::OsRng, CryptoRng, RngCore};
#[cfg(feature = "parallel")]
use rayon::prelude::*;
use zkreg_circuits::ecc::{checked_public_key, JubjubAffine, PointError};

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
    /// A point given to [`VerifyingKeys::with_pinned_points`] is not a valid key.
    #[error("pinned point is not a valid Jubjub key: {0}")]
    PinnedPoint(PointError),
    /// A rotation's signatures do not authorise it ([`crate::rotation`]).
    #[error("rotation not authorised: {0}")]
    Rotation(#[from] crate::rotation::RotationError),
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
    backend: Backend,
    /// How the block path decodes points (pinned regulator keys, audit `R` left to the proof).
    policy: PointPolicy,
    payment: Key,
    grant: Key,
    access: Key,
    revoke: Key,
}

/// One circuit's prepared key, the fixed-base tables of its input bases and of `α`, and the key
/// in `blst` form.
#[derive(Clone, Debug)]
struct Key {
    kind: TxKind,
    pvk: PreparedVerifyingKey<Bls12_381>,
    inputs: FixedBaseTable,
    /// `α` alone: `(Σ zᵢ)·α` of a batch.
    alpha: FixedBaseTable,
    blst: BlstKey,
}

/// The key's G2 points and `e(α, β)` for `blst`.
#[derive(Clone)]
struct BlstKey {
    beta: blst::blst_p2_affine,
    neg_gamma: blst::blst_p2_affine,
    neg_delta: blst::blst_p2_affine,
    alpha_beta: blst::blst_fp12,
}

impl std::fmt::Debug for BlstKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlstKey")
    }
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
            backend: Backend::default(),
            policy: PointPolicy {
                backend: Backend::default(),
                pinned: Vec::new(),
                audit_r_proven: true,
            },
            payment: prepare(TxKind::Payment, payment)?,
            grant: prepare(TxKind::Grant, grant)?,
            access: prepare(TxKind::Access, access)?,
            revoke: prepare(TxKind::Revoke, revoke)?,
        })
    }

    /// The same keys with another curve backend (verdicts are identical; see [`Backend`]).
    pub fn with_backend(mut self, backend: Backend) -> Self {
        self.backend = backend;
        self.policy.backend = backend;
        self
    }

    /// Pins Jubjub points the chain fixes (its regulator keys, every entry of the genesis
    /// schedule): each is fully checked here, once, and [`Self::decode_and_verify`] then decodes
    /// these points by comparing bytes (see `wire`, "What the verifier needs of each point").
    /// Whether a transaction's key is the one in force at its height stays the ledger's rule.
    pub fn with_pinned_points(mut self, points: &[JubjubAffine]) -> Result<Self, VerifyError> {
        for p in points {
            let p = checked_public_key(p.x, p.y).map_err(VerifyError::PinnedPoint)?;
            self.policy.pinned.push((jubjub_bytes(&p), p));
        }
        Ok(self)
    }

    /// The curve backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The chain these keys verify for.
    pub fn chain(&self) -> &ChainId {
        &self.chain
    }

    /// The prepared key of one circuit (`None` for a rotation, which has no statement).
    pub fn prepared(&self, kind: TxKind) -> Option<&PreparedVerifyingKey<Bls12_381>> {
        self.key(kind).map(|k| &k.pvk)
    }

    fn key(&self, kind: TxKind) -> Option<&Key> {
        match kind {
            TxKind::Payment => Some(&self.payment),
            TxKind::Grant => Some(&self.grant),
            TxKind::Access => Some(&self.access),
            TxKind::Revoke => Some(&self.revoke),
            TxKind::Rotate => None,
        }
    }

    /// Checks that need neither keys nor state, cheap, so they run before any pairing. For a
    /// payment: an issuer signature over this chain and the tx id is present and valid iff it
    /// deposits or withdraws (whether that issuer is authorised for the asset is the ledger's
    /// call), and a destination only comes with a withdrawal.
    ///
    /// For a rotation: every check of [`crate::rotation::check`] (its signatures and their keys
    /// combining to the key it replaces), on this chain.
    pub fn check_stateless(&self, tx: &Transaction) -> Result<(), VerifyError> {
        let p = match tx {
            Transaction::Payment(p) => p,
            Transaction::Rotate(r) => {
                return Ok(crate::rotation::check(&self.chain, &r.terms, &r.signers)?);
            }
            _ => return Ok(()),
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

    /// Stateless checks, then one Groth16 verification (none for a rotation).
    pub fn verify(&self, tx: &Transaction) -> Result<(), VerifyError> {
        self.check_stateless(tx)?;
        let (Some(key), Some(proof)) = (self.key(tx.kind()), tx.proof()) else {
            return Ok(());
        };
        verify_proof(self.backend, key, proof, &tx.public_inputs(&self.chain))
    }

    /// The validator's block path: decodes every transaction and verifies the ones that decode,
    /// all proofs in one batch check. Equal, verdict for verdict and error for error, to
    /// [`Transaction::decode`] on each, then [`Self::verify_batch`] (the cheaper point handling
    /// of `wire`, "What the verifier needs of each point", changes no outcome):
    ///
    /// * `Err((i, e))`: `i` is the first index at which [`Transaction::decode`] fails, with its
    ///   error;
    /// * otherwise the transactions, their ids, and — if `proofs_needed(ids)` — the verdicts
    ///   (`None` when the caller already knows the block is refused for another reason, e.g. a
    ///   duplicate id, and no pairing is worth computing).
    pub fn decode_and_verify(
        &self,
        txs: &[Vec<u8>],
        proofs_needed: impl FnOnce(&[TxId]) -> bool,
    ) -> Result<CheckedTxs, (usize, DecodeError)> {
        self.decode_and_verify_with_rng(txs, proofs_needed, &mut OsRng)
    }

    /// [`Self::decode_and_verify`] with the caller's randomness for the batch weights.
    pub fn decode_and_verify_with_rng<R: RngCore + CryptoRng>(
        &self,
        txs: &[Vec<u8>],
        proofs_needed: impl FnOnce(&[TxId]) -> bool,
        rng: &mut R,
    ) -> Result<CheckedTxs, (usize, DecodeError)> {
        let full = self.policy.full_with_pins();
        // The full decoder's first error among `indices` (audit `R` subgroup checks and the
        // like: only ever run on a refused block or a failed proof).
        let first_full_error = |indices: Vec<usize>| {
            indices.into_iter().find_map(|i| {
                let bytes = txs.get(i)?;
                Transaction::decode_with(bytes, &full).err().map(|e| (i, e))
            })
        };
        let decoded: Vec<Result<Transaction, DecodeError>> = cfg_iter!(txs)
            .map(|b| Transaction::decode_with(b, &self.policy))
            .collect();
        if let Some(k) = decoded.iter().position(Result::is_err) {
            // Transaction k fails even the lighter decode, so the full one fails at k or earlier.
            return Err(first_full_error((0..=k).collect()).unwrap_or_else(|| {
                let e = decoded.get(k).and_then(|r| r.clone().err());
                (k, e.unwrap_or(DecodeError::NonCanonical))
            }));
        }
        let decoded: Vec<Transaction> = decoded.into_iter().flatten().collect();
        let ids: Vec<TxId> = cfg_iter!(decoded).map(Transaction::id).collect();
        if !proofs_needed(&ids) {
            // Without proofs, every audit `R` must be checked the full way.
            if let Some(e) = first_full_error((0..txs.len()).collect()) {
                return Err(e);
            }
            return Ok(CheckedTxs {
                txs: decoded,
                ids,
                verdicts: None,
            });
        }
        let verdicts = self.verify_batch_with_rng(&decoded, rng);
        // A verified proof shows its `R = r·G`; any other transaction gets the full decode.
        let refused = verdicts
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_err())
            .map(|(i, _)| i)
            .collect();
        if let Some(e) = first_full_error(refused) {
            return Err(e);
        }
        Ok(CheckedTxs {
            txs: decoded,
            ids,
            verdicts: Some(verdicts),
        })
    }

    /// Verifies many transactions of any kinds with one batch check (see the module doc). The
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
        // Stateless checks and per-transaction statements, independent per tx.
        let checked: Vec<(Result<(), VerifyError>, Option<Entry>)> = cfg_iter!(txs)
            .enumerate()
            .map(|(index, tx)| match (self.check_stateless(tx), tx.proof()) {
                (Err(e), _) => (Err(e), None),
                // A rotation: its signatures were its whole check.
                (Ok(()), None) => (Ok(()), None),
                (Ok(()), Some(proof)) => (
                    Ok(()),
                    Some(Entry {
                        index,
                        kind: tx.kind(),
                        proof,
                        inputs: tx.public_inputs(&self.chain),
                    }),
                ),
            })
            .collect();
        let mut verdicts = Vec::with_capacity(txs.len());
        let mut entries = Vec::with_capacity(txs.len());
        for (verdict, entry) in checked {
            verdicts.push(verdict);
            entries.extend(entry);
        }
        let mut batch = Batch {
            keys: self,
            z: batch_transcript(&entries, rng),
        };
        batch.settle(&entries, false, &mut verdicts);
        verdicts
    }
}

/// Transactions decoded and verified by [`VerifyingKeys::decode_and_verify`].
#[derive(Clone, Debug)]
pub struct CheckedTxs {
    /// The transactions, in input order.
    pub txs: Vec<Transaction>,
    /// Their ids.
    pub ids: Vec<TxId>,
    /// Per transaction, [`VerifyingKeys::verify`]'s verdict; `None` if the caller said no
    /// proofs were needed.
    pub verdicts: Option<Vec<Result<(), VerifyError>>>,
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
    let neg = |p: &G2Affine| backend::p2(&(-*p));
    Ok(Key {
        kind,
        pvk: ark_groth16::prepare_verifying_key(vk),
        inputs: FixedBaseTable::new(&vk.gamma_abc_g1),
        alpha: FixedBaseTable::new(&[vk.alpha_g1]),
        blst: BlstKey {
            beta: backend::p2(&vk.beta_g2),
            neg_gamma: neg(&vk.gamma_g2),
            neg_delta: neg(&vk.delta_g2),
            alpha_beta: backend::pairing(&vk.alpha_g1, &vk.beta_g2),
        },
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
fn verify_proof(
    backend: Backend,
    key: &Key,
    proof: &Proof<Bls12_381>,
    inputs: &[Fr],
) -> Result<(), VerifyError> {
    let pvk = &key.pvk;
    let mut coefficients = Vec::with_capacity(inputs.len() + 1);
    coefficients.push(Fr::from(1u64));
    coefficients.extend_from_slice(inputs);
    let ic = key.combine_inputs(&coefficients)?.into_affine();
    let holds = match backend {
        Backend::Arkworks => {
            let ml = Bls12_381::multi_miller_loop(
                [proof.a, ic, proof.c],
                [
                    G2Prepared::from(proof.b),
                    pvk.gamma_g2_neg_pc.clone(),
                    pvk.delta_g2_neg_pc.clone(),
                ],
            );
            Bls12_381::final_exponentiation(ml).is_some_and(|out| out.0 == pvk.alpha_g1_beta_g2)
        }
        Backend::Blst => {
            // A decoded proof has no identity point; `b` would only be one in a proof built by
            // hand, which then cannot verify (`e(A, O) = 1`), exactly as with arkworks.
            let mut t = PairingTerms::with_capacity(3);
            if !proof.b.is_zero() {
                t.push(&proof.a, &backend::p2(&proof.b));
            }
            t.push(&ic, &key.blst.neg_gamma);
            t.push(&proof.c, &key.blst.neg_delta);
            t.pairing() == key.blst.alpha_beta
        }
    };
    if holds {
        Ok(())
    } else {
        Err(VerifyError::ProofRejected { kind: key.kind })
    }
}

/// A transaction in a batch.
struct Entry<'a> {
    index: usize,
    kind: TxKind,
    proof: &'a Proof<Bls12_381>,
    inputs: Vec<Fr>,
}

/// The transcript of a batch: every kind, proof and input, then OS randomness. The `zᵢ` are its
/// challenges; bisection draws fresh ones from the same transcript.
fn batch_transcript<R: RngCore + CryptoRng>(entries: &[Entry], rng: &mut R) -> Transcript {
    let mut t = Transcript::new(b"zkreg/v1/batch");
    t.append_u64(b"n", entries.len() as u64);
    for e in entries {
        t.append_u64(b"kind", e.kind as u64);
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

/// A batch being settled.
struct Batch<'a> {
    keys: &'a VerifyingKeys,
    z: Transcript,
}

/// What one circuit contributes to a batch check.
struct KindSums {
    /// `(Σ zᵢ, Σ zᵢ xᵢ)`: the coefficients of the input bases.
    coefficients: Vec<Fr>,
    cs: Vec<G1Affine>,
    zs: Vec<u128>,
    zs_fr: Vec<Fr>,
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
        let verdict = match self.keys.key(e.kind) {
            Some(key) => verify_proof(self.keys.backend, key, e.proof, &e.inputs),
            None => Err(VerifyError::ProofRejected { kind: e.kind }),
        };
        let holds = verdict.is_ok();
        if let Some(v) = verdicts.get_mut(e.index) {
            *v = verdict;
        }
        holds
    }

    /// The random linear combination check of the module doc over `entries`.
    fn holds(&mut self, entries: &[Entry]) -> bool {
        let z: Vec<Fr> = entries.iter().map(|_| self.next_z()).collect();
        let z128: Vec<u128> = z
            .iter()
            .map(|zi| {
                let l = zi.into_bigint().0;
                u128::from(l[0]) | (u128::from(l[1]) << 64)
            })
            .collect();
        // Per circuit: Σ zᵢ, Σ zᵢ xᵢ, and the Cᵢ with their zᵢ.
        let mut sums: [Option<KindSums>; 4] = Default::default();
        for ((e, zi), zi128) in entries.iter().zip(&z).zip(&z128) {
            let slot = TxKind::STATEMENTS.iter().position(|k| *k == e.kind);
            let (Some(key), Some(slot)) =
                (self.keys.key(e.kind), slot.and_then(|i| sums.get_mut(i)))
            else {
                return false;
            };
            let s = slot.get_or_insert_with(|| KindSums {
                coefficients: vec![Fr::zero(); key.inputs.len()],
                cs: Vec::new(),
                zs: Vec::new(),
                zs_fr: Vec::new(),
            });
            if e.inputs.len() + 1 != s.coefficients.len() {
                return false;
            }
            let (constant, rest) = s.coefficients.split_at_mut(1);
            constant.iter_mut().for_each(|c| *c += zi);
            for (c, x) in rest.iter_mut().zip(&e.inputs) {
                *c += *zi * x;
            }
            s.cs.push(e.proof.c);
            s.zs.push(*zi128);
            s.zs_fr.push(*zi);
        }
        let a: Vec<G1Affine> = entries.iter().map(|e| e.proof.a).collect();
        match self.keys.backend {
            Backend::Arkworks => {
                let za: Vec<G1Projective> = cfg_iter!(a)
                    .zip(cfg_iter!(z))
                    .map(|(ai, zi)| *ai * zi)
                    .collect();
                let mut g1 = G1Projective::normalize_batch(&za);
                let mut g2: Vec<G2Prepared> = cfg_iter!(entries)
                    .map(|e| G2Prepared::from(e.proof.b))
                    .collect();
                let mut rhs = PairingOutput::<Bls12_381>::zero();
                for (kind, s) in TxKind::STATEMENTS.iter().zip(&sums) {
                    let (Some(s), Some(key)) = (s, self.keys.key(*kind)) else {
                        continue;
                    };
                    let Ok(ic) = key.combine_inputs(&s.coefficients) else {
                        return false;
                    };
                    let Ok(c_sum) = G1Projective::msm(&s.cs, &s.zs_fr) else {
                        return false;
                    };
                    g1.push(ic.into_affine());
                    g1.push(c_sum.into_affine());
                    g2.push(key.pvk.gamma_g2_neg_pc.clone());
                    g2.push(key.pvk.delta_g2_neg_pc.clone());
                    rhs += PairingOutput::<Bls12_381>(key.pvk.alpha_g1_beta_g2) * s.coefficients[0];
                }
                Bls12_381::final_exponentiation(Bls12_381::multi_miller_loop(g1, g2))
                    .is_some_and(|lhs| lhs == rhs)
            }
            Backend::Blst => {
                let za = G1Projective::normalize_batch(&backend::g1_muls_128(&a, &z128));
                let b: Vec<blst::blst_p2_affine> = cfg_iter!(entries)
                    .map(|e| backend::p2(&e.proof.b))
                    .collect();
                let mut t = PairingTerms::with_capacity(entries.len() + 12);
                for ((zai, bi), e) in za.iter().zip(&b).zip(entries) {
                    if e.proof.b.is_zero() {
                        continue; // e(zA, O) = 1, as the arkworks path computes it
                    }
                    t.push(zai, bi);
                }
                for (kind, s) in TxKind::STATEMENTS.iter().zip(&sums) {
                    let (Some(s), Some(key)) = (s, self.keys.key(*kind)) else {
                        continue;
                    };
                    let Ok(ic) = key.combine_inputs(&s.coefficients) else {
                        return false;
                    };
                    let Some(alpha_sum) = key.alpha.msm(&s.coefficients[..1]) else {
                        return false;
                    };
                    let c_sum = backend::g1_msm_128(&s.cs, &s.zs);
                    let [ic, c_sum, neg_alpha_sum] =
                        [ic, c_sum, -alpha_sum].map(|p| p.into_affine());
                    t.push(&ic, &key.blst.neg_gamma);
                    t.push(&c_sum, &key.blst.neg_delta);
                    t.push(&neg_alpha_sum, &key.blst.beta);
                }
                t.pairing() == blst::blst_fp12::default()
            }
        }
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
        }];
        let z = batch_transcript(&entries, &mut ChaCha20Rng::seed_from_u64(seed));
        let vk = |kind: TxKind| VerifyingKey::<Bls12_381> {
            gamma_abc_g1: vec![G1Affine::generator(); kind.public_inputs() + 1],
            alpha_g1: G1Affine::generator(),
            beta_g2: ark_bls12_381::G2Affine::generator(),
            gamma_g2: ark_bls12_381::G2Affine::generator(),
            delta_g2: ark_bls12_381::G2Affine::generator(),
        };
        let keys = VerifyingKeys::new(
            [0; 32],
            &vk(TxKind::Payment),
            &vk(TxKind::Grant),
            &vk(TxKind::Access),
            &vk(TxKind::Revoke),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        Batch { keys: &keys, z }.next_z()
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
