//! Proving: turns an unproven transaction into a ledger-ready one.

use crate::params::{AnyCircuit, ProvingKeys};
use ark_bls12_381::{Bls12_381, Fr};
use ark_groth16::{r1cs_to_qap::LibsnarkReduction, Groth16, ProvingKey};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, Matrix, OptimizationGoal, SynthesisError,
    SynthesisMode, R1CS_PREDICATE_LABEL,
};
use ark_std::UniformRand;
use rand::{CryptoRng, RngCore};
use std::sync::OnceLock;
use std::time::Instant;
use zkreg_verifier::{wire::issuer_message, ChainId, Transaction, TxId, TxKind};

/// A transaction whose statement and witness are fixed, awaiting its proof. It cannot be
/// submitted: only [`Prover::prove`] turns it into a [`Transaction`].
#[derive(Clone, Debug)]
pub struct UnprovenTx {
    /// The transaction with a placeholder proof.
    pub(crate) tx: Transaction,
    /// The chain its binding names (issuer signatures name it too).
    pub(crate) chain: ChainId,
    pub(crate) circuit: AnyCircuit,
}

impl UnprovenTx {
    /// Which circuit proves it.
    pub fn circuit(&self) -> TxKind {
        self.circuit.circuit()
    }

    /// The transaction id (does not depend on the proof, so issuers can sign before proving).
    pub fn id(&self) -> TxId {
        self.tx.id()
    }

    /// Attaches an issuer's signature over the chain and tx id (deposits and withdrawals).
    pub fn sign_as_issuer(&mut self, key: &ed25519_dalek::SigningKey) {
        use ed25519_dalek::Signer;
        let message = issuer_message(&self.chain, &self.tx.id());
        if let Transaction::Payment(p) = &mut self.tx {
            let sig = key.sign(&message);
            p.issuer_signature = Some(zkreg_verifier::IssuerSignature {
                issuer: key.verifying_key().to_bytes(),
                signature: sig.to_bytes(),
            });
        }
    }

    /// The transaction as it will be, without a valid proof (for inspection).
    pub fn preview(&self) -> &Transaction {
        &self.tx
    }
}

/// Proving progress.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ProveEvent {
    /// Proof `index` of `total` started.
    Started {
        /// Index in the batch.
        index: usize,
        /// Batch size.
        total: usize,
        /// Statement (circuit).
        circuit: TxKind,
    },
    /// Proof `index` finished after `millis`.
    Finished {
        /// Index in the batch.
        index: usize,
        /// Batch size.
        total: usize,
        /// Wall time of this proof.
        millis: f64,
    },
}

/// Why proving failed.
#[derive(Debug, thiserror::Error)]
pub enum ProveError {
    /// The Groth16 prover failed (an unsatisfied witness is caught by the builders before).
    #[error("proving the {0:?} statement failed: {1}")]
    Groth16(TxKind, String),
    /// The prover was made without the key of this circuit.
    #[error("no proving key of the {0:?} statement is loaded")]
    NoKey(TxKind),
}

/// Holds proving keys and proves.
pub struct Prover {
    /// Per circuit (in [`TxKind::STATEMENTS`] order), its key if loaded: a wallet that only pays loads
    /// only the payment key (a quarter of the load time of all four).
    keys: [Option<ProvingKey<Bls12_381>>; 4],
}

/// The slot of a statement kind (`None` for a rotation: no circuit, no key, nothing to prove).
fn slot(c: TxKind) -> Option<usize> {
    TxKind::STATEMENTS.iter().position(|k| *k == c)
}

fn set_proof(tx: &mut Transaction, proof: zkreg_verifier::Groth16Proof) {
    match tx {
        Transaction::Payment(t) => t.proof = proof,
        Transaction::Grant(t) => t.proof = proof,
        Transaction::Access(t) => t.proof = proof,
        Transaction::Revoke(t) => t.proof = proof,
        Transaction::Rotate(_) => {}
    }
}

/// A circuit's constraint matrices `[A, B, C]`, as the Groth16 generator built them.
struct Shape {
    matrices: Vec<Matrix<Fr>>,
    num_instance: usize,
    num_witness: usize,
    num_constraints: usize,
}

/// Per circuit, its shape, built (or read from the params cache) once per process.
static SHAPES: [OnceLock<Result<Shape, String>>; 4] = [
    OnceLock::new(),
    OnceLock::new(),
    OnceLock::new(),
    OnceLock::new(),
];

fn build_shape(c: TxKind) -> Result<Shape, String> {
    // Exactly the generator's synthesis (ark-groth16 `generator.rs`).
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Setup);
    AnyCircuit::blank(c)
        .ok_or_else(|| format!("{} has no circuit", c.name()))?
        .generate_constraints(cs.clone())
        .map_err(|e| e.to_string())?;
    cs.finalize();
    let mut all = cs.to_matrices().map_err(|e| e.to_string())?;
    let matrices = all
        .remove(R1CS_PREDICATE_LABEL)
        .ok_or_else(|| "no R1CS matrices".to_string())?;
    if !all.is_empty() {
        return Err("the circuit has constraints other than R1CS".into());
    }
    Ok(Shape {
        matrices,
        num_instance: cs.num_instance_variables(),
        num_witness: cs.num_witness_variables(),
        num_constraints: cs.num_constraints(),
    })
}

fn shape(c: TxKind) -> Result<&'static Shape, SynthesisError> {
    slot(c)
        .and_then(|i| SHAPES.get(i))
        .ok_or(SynthesisError::Unsatisfiable)?
        .get_or_init(|| build_shape(c))
        .as_ref()
        .map_err(|_| SynthesisError::Unsatisfiable)
}

fn shape_digest(s: &Shape) -> String {
    crate::params::matrices_digest(
        s.num_instance,
        s.num_witness,
        &[(R1CS_PREDICATE_LABEL, &s.matrices)],
    )
}

fn encode_shape(s: &Shape) -> Vec<u8> {
    use ark_serialize::CanonicalSerialize;
    let mut out = Vec::new();
    for n in [
        s.num_instance,
        s.num_witness,
        s.num_constraints,
        s.matrices.len(),
    ] {
        out.extend_from_slice(&(n as u64).to_le_bytes());
    }
    for m in &s.matrices {
        out.extend_from_slice(&(m.len() as u64).to_le_bytes());
        for row in m {
            out.extend_from_slice(&(row.len() as u64).to_le_bytes());
            for (coeff, var) in row {
                let _ = coeff.serialize_compressed(&mut out);
                out.extend_from_slice(&(*var as u64).to_le_bytes());
            }
        }
    }
    out
}

fn take<'a>(rest: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if rest.len() < n {
        return None;
    }
    let (a, b) = rest.split_at(n);
    *rest = b;
    Some(a)
}

fn take_usize(rest: &mut &[u8]) -> Option<usize> {
    let b: [u8; 8] = take(rest, 8)?.try_into().ok()?;
    usize::try_from(u64::from_le_bytes(b)).ok()
}

fn decode_shape(bytes: &[u8]) -> Option<Shape> {
    use ark_serialize::CanonicalDeserialize;
    let rest = &mut &bytes[..];
    let (num_instance, num_witness, num_constraints, count) = (
        take_usize(rest)?,
        take_usize(rest)?,
        take_usize(rest)?,
        take_usize(rest)?,
    );
    let vars = num_instance.checked_add(num_witness)?;
    if count != 3 {
        return None;
    }
    let mut matrices = Vec::with_capacity(3);
    for _ in 0..count {
        let rows = take_usize(rest)?;
        if rows != num_constraints {
            return None;
        }
        let mut m = Vec::with_capacity(rows.min(1 << 20));
        for _ in 0..rows {
            let len = take_usize(rest)?;
            if len > vars {
                return None;
            }
            let mut row = Vec::with_capacity(len.min(1 << 16));
            for _ in 0..len {
                let coeff = Fr::deserialize_compressed(take(rest, 32)?).ok()?;
                let var = take_usize(rest)?;
                if var >= vars {
                    return None;
                }
                row.push((coeff, var));
            }
            m.push(row);
        }
        matrices.push(m);
    }
    rest.is_empty().then_some(Shape {
        matrices,
        num_instance,
        num_witness,
        num_constraints,
    })
}

/// Prepares the proving of circuit `c` from the parameter directory `dir`: its constraint
/// matrices are read from `NAME.matrices` if they hash to `circuit_digest` (the manifest's pin of
/// this circuit, the same BLAKE2b-256 `zkreg params verify` checks), else built and, if they hash
/// to it, cached there. A CLI process proves once, so without the cache every `zkreg pay` would
/// rebuild the matrices (measured in BENCHMARKS.md, issue #15). Returns whether the cache served.
pub fn prepare_shape(dir: &std::path::Path, c: TxKind, circuit_digest: &str) -> bool {
    let path = dir.join(format!("{}.matrices", c.name()));
    let mut from_cache = false;
    let Some(cell) = slot(c).and_then(|i| SHAPES.get(i)) else {
        return false;
    };
    let _ = cell.get_or_init(|| {
        if let Some(s) = std::fs::read(&path).ok().and_then(|b| decode_shape(&b)) {
            if shape_digest(&s) == circuit_digest {
                from_cache = true;
                return Ok(s);
            }
        }
        let s = build_shape(c)?;
        if shape_digest(&s) == circuit_digest {
            let tmp = path.with_extension("matrices.tmp");
            if std::fs::write(&tmp, encode_shape(&s)).is_ok() {
                let _ = std::fs::rename(&tmp, &path);
            }
        }
        Ok(s)
    });
    from_cache
}

/// Groth16 proving without rebuilding the constraint matrices for every proof.
///
/// `Groth16::prove` synthesises the circuit with its matrices, inlines every linear combination,
/// then builds the matrices again to evaluate `A·z, B·z, C·z`: per proof, work that depends only
/// on the circuit. Here the matrices are built once per circuit and process (as the generator
/// builds them); a proof synthesises only the assignment (no constraints kept, nothing inlined)
/// and runs ark-groth16's own `create_proof_with_reduction_and_matrices`. Measured in
/// BENCHMARKS.md (issue #15).
fn prove_with_shape<R: RngCore + CryptoRng>(
    pk: &ProvingKey<Bls12_381>,
    circuit: AnyCircuit,
    rng: &mut R,
) -> Result<zkreg_verifier::Groth16Proof, SynthesisError> {
    let shape = shape(circuit.circuit())?;
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Prove {
        construct_matrices: false,
        generate_lc_assignments: false,
    });
    circuit.generate_constraints(cs.clone())?;
    let mut full = cs.instance_assignment()?;
    full.extend(cs.witness_assignment()?);
    if full.len() != shape.num_instance + pk.l_query.len()
        || cs.num_instance_variables() != shape.num_instance
    {
        return Err(SynthesisError::Unsatisfiable);
    }
    let r = Fr::rand(rng);
    let s = Fr::rand(rng);
    Groth16::<Bls12_381, LibsnarkReduction>::create_proof_with_reduction_and_matrices(
        pk,
        r,
        s,
        &shape.matrices,
        shape.num_instance,
        shape.num_constraints,
        &full,
    )
}

impl Prover {
    /// A prover with the keys of all four circuits.
    pub fn new(keys: ProvingKeys) -> Self {
        Prover {
            keys: [
                Some(keys.payment),
                Some(keys.grant),
                Some(keys.access),
                Some(keys.revoke),
            ],
        }
    }

    /// A prover with no key yet ([`Self::add_key`]).
    pub fn empty() -> Self {
        Prover {
            keys: [None, None, None, None],
        }
    }

    /// Adds (or replaces) the key of circuit `c` (a rotation has none: ignored).
    pub fn add_key(&mut self, c: TxKind, pk: ProvingKey<Bls12_381>) {
        if let Some(k) = slot(c).and_then(|i| self.keys.get_mut(i)) {
            *k = Some(pk);
        }
    }

    /// The proving key of `c`, if loaded.
    pub fn key(&self, c: TxKind) -> Option<&ProvingKey<Bls12_381>> {
        slot(c)
            .and_then(|i| self.keys.get(i))
            .and_then(Option::as_ref)
    }

    /// Proves one transaction. The MSMs and FFTs inside use every core (`parallel`).
    pub fn prove<R: RngCore + CryptoRng>(
        &self,
        unproven: UnprovenTx,
        rng: &mut R,
    ) -> Result<Transaction, ProveError> {
        let circuit = unproven.circuit();
        self.prove_all(vec![unproven], rng, &mut |_| {})?
            .into_iter()
            .next()
            .ok_or_else(|| ProveError::Groth16(circuit, "no proof produced".into()))
    }

    /// Proves several transactions, reporting progress.
    pub fn prove_all<R: RngCore + CryptoRng>(
        &self,
        txs: Vec<UnprovenTx>,
        rng: &mut R,
        progress: &mut dyn FnMut(ProveEvent),
    ) -> Result<Vec<Transaction>, ProveError> {
        let total = txs.len();
        let mut out = Vec::with_capacity(total);
        for (index, u) in txs.into_iter().enumerate() {
            let circuit = u.circuit();
            progress(ProveEvent::Started {
                index,
                total,
                circuit,
            });
            let t0 = Instant::now();
            let pk = self.key(circuit).ok_or(ProveError::NoKey(circuit))?;
            let proof = prove_with_shape(pk, u.circuit, rng)
                .map_err(|e| ProveError::Groth16(circuit, e.to_string()))?;
            let mut tx = u.tx;
            set_proof(&mut tx, proof);
            progress(ProveEvent::Finished {
                index,
                total,
                millis: t0.elapsed().as_secs_f64() * 1e3,
            });
            out.push(tx);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The matrices cache holds exactly the generator's matrices: its digest is the manifest's
    /// circuit digest (`circuit_shape`), it round-trips, and a flipped byte anywhere is refused
    /// by decoding or by the digest.
    #[test]
    fn cached_matrices_are_the_circuits_own() {
        let s = build_shape(TxKind::Revoke).unwrap();
        let (constraints, digest) = crate::params::circuit_shape(TxKind::Revoke).unwrap();
        assert_eq!(
            (s.num_constraints, shape_digest(&s)),
            (constraints, digest.clone())
        );
        let bytes = encode_shape(&s);
        let back = decode_shape(&bytes).unwrap();
        assert_eq!(shape_digest(&back), digest);
        for at in [0, 40, bytes.len() / 2, bytes.len() - 1] {
            let mut bad = bytes.clone();
            bad[at] ^= 1;
            assert!(
                decode_shape(&bad).is_none_or(|b| shape_digest(&b) != digest),
                "a flipped byte at {at} went unnoticed"
            );
        }
        assert!(decode_shape(&bytes[..bytes.len() - 1]).is_none());
    }
}
