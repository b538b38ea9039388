//! Groth16 parameter setup and proving-key loading.
//!
//! The manifest format and verifying-key loading live in [`zkreg_verifier::params`], so a
//! validator reads the same manifest without linking constraint code.

use ark_bls12_381::{Bls12_381, Fr};
use ark_groth16::{Groth16, ProvingKey, VerifyingKey};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef, Matrix, SynthesisError,
    SynthesisMode,
};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use ark_snark::SNARK;
use blake2::{digest::consts::U32, Blake2b, Digest};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::path::Path;
use zkreg_circuits::{
    access::constraints::AccessCircuit, grant::constraints::GrantCircuit,
    payment::constraints::PaymentCircuit, revoke::constraints::RevokeCircuit,
};
use zkreg_verifier::{
    params::{
        blake2b_256_hex, KeyEntry, KeyRole, Manifest, ParamsError, MANIFEST_FILE, MANIFEST_FORMAT,
    },
    TxKind,
};

/// Any of the four circuits (so setup and proving can treat them alike).
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // built once per proof and moved into the prover
pub enum AnyCircuit {
    /// Statement 1.
    Payment(PaymentCircuit),
    /// Statement 2.
    Grant(GrantCircuit),
    /// Statement 3.
    Access(AccessCircuit),
    /// Statement 4.
    Revoke(RevokeCircuit),
}

impl AnyCircuit {
    /// The blank circuit of `c` (shape only); `None` for a rotation, which has no statement.
    pub fn blank(c: TxKind) -> Option<Self> {
        Some(match c {
            TxKind::Payment => AnyCircuit::Payment(PaymentCircuit::blank()),
            TxKind::Grant => AnyCircuit::Grant(GrantCircuit::blank()),
            TxKind::Access => AnyCircuit::Access(AccessCircuit::blank()),
            TxKind::Revoke => AnyCircuit::Revoke(RevokeCircuit::blank()),
            TxKind::Rotate => return None,
        })
    }

    /// Which circuit.
    pub fn circuit(&self) -> TxKind {
        match self {
            AnyCircuit::Payment(_) => TxKind::Payment,
            AnyCircuit::Grant(_) => TxKind::Grant,
            AnyCircuit::Access(_) => TxKind::Access,
            AnyCircuit::Revoke(_) => TxKind::Revoke,
        }
    }
}

impl ConstraintSynthesizer<Fr> for AnyCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        match self {
            AnyCircuit::Payment(c) => c.generate_constraints(cs),
            AnyCircuit::Grant(c) => c.generate_constraints(cs),
            AnyCircuit::Access(c) => c.generate_constraints(cs),
            AnyCircuit::Revoke(c) => c.generate_constraints(cs),
        }
    }
}

/// Whether the keys in a manifest were made for the circuits of this build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CircuitCheck {
    /// Digest and constraint count match.
    Matches {
        /// Constraints of the circuit.
        constraints: usize,
    },
    /// The manifest describes another version of the circuit: its keys cannot prove or verify
    /// this build's statement.
    Differs {
        /// The manifest's digest.
        manifest: String,
        /// This build's digest.
        build: String,
    },
    /// The manifest has no proving-key entry for the circuit.
    NoEntry,
}

/// Checks every circuit of this build against the manifest's digest and constraint count.
pub fn check_circuits(manifest: &Manifest) -> Result<Vec<(TxKind, CircuitCheck)>, SynthesisError> {
    let mut out = Vec::with_capacity(TxKind::STATEMENTS.len());
    for c in TxKind::STATEMENTS {
        let check = match manifest.entry(c, KeyRole::Proving) {
            Err(_) => CircuitCheck::NoEntry,
            Ok(entry) => {
                let (constraints, digest) = circuit_shape(c)?;
                if digest == entry.circuit_digest && constraints as u64 == entry.constraints {
                    CircuitCheck::Matches { constraints }
                } else {
                    CircuitCheck::Differs {
                        manifest: entry.circuit_digest.clone(),
                        build: digest,
                    }
                }
            }
        };
        out.push((c, check));
    }
    Ok(out)
}

/// Constraint count and digest (BLAKE2b-256 over the constraint matrices) of a circuit.
pub fn circuit_shape(c: TxKind) -> Result<(usize, String), SynthesisError> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_mode(SynthesisMode::Setup);
    AnyCircuit::blank(c)
        .ok_or(SynthesisError::Unsatisfiable)?
        .generate_constraints(cs.clone())?;
    cs.finalize();
    let matrices = cs.to_matrices()?;
    let labelled: Vec<(&str, &Vec<Matrix<Fr>>)> =
        matrices.iter().map(|(l, m)| (l.as_str(), m)).collect();
    Ok((
        cs.num_constraints(),
        matrices_digest(
            cs.num_instance_variables(),
            cs.num_witness_variables(),
            &labelled,
        ),
    ))
}

/// The circuit digest: BLAKE2b-256 over `"zkreg/v1/circuit"`, the variable counts and every
/// predicate's matrices (label, rows, entries). The manifest pins it per circuit.
pub fn matrices_digest(
    num_instance: usize,
    num_witness: usize,
    matrices: &[(&str, &Vec<Matrix<Fr>>)],
) -> String {
    let mut h = Blake2b::<U32>::new();
    h.update(b"zkreg/v1/circuit");
    h.update((num_instance as u64).to_le_bytes());
    h.update((num_witness as u64).to_le_bytes());
    let mut b = Vec::with_capacity(32);
    for (label, ms) in matrices {
        h.update(label.as_bytes());
        for m in ms.iter() {
            h.update((m.len() as u64).to_le_bytes());
            for row in m {
                h.update((row.len() as u64).to_le_bytes());
                for (coeff, var) in row {
                    b.clear();
                    let _ = coeff.serialize_compressed(&mut b);
                    h.update(&b);
                    h.update((*var as u64).to_le_bytes());
                }
            }
        }
    }
    hex::encode(h.finalize())
}

/// Where setup randomness comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetupMode {
    /// Fresh OS randomness (the toxic waste is dropped with the process memory).
    Secure,
    /// Deterministic keys from a public seed: **insecure**, for tests and demos only.
    DevSeed(u64),
}

/// Progress of [`setup`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetupEvent {
    /// Setup of a circuit began.
    Started(TxKind),
    /// Setup of a circuit finished.
    Finished(TxKind),
}

/// Why setup failed.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// Synthesis or the Groth16 generator failed.
    #[error("setup of the {0:?} circuit failed: {1}")]
    Groth16(TxKind, String),
    /// Writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
}

/// A circuit's key pair.
pub struct KeyPair {
    /// Proving key.
    pub pk: ProvingKey<Bls12_381>,
    /// Verifying key.
    pub vk: VerifyingKey<Bls12_381>,
}

/// Groth16 keys for one circuit.
pub fn generate(c: TxKind, mode: SetupMode) -> Result<KeyPair, SetupError> {
    let mut rng = match mode {
        SetupMode::Secure => ChaCha20Rng::from_entropy(),
        SetupMode::DevSeed(seed) => {
            ChaCha20Rng::seed_from_u64(seed ^ (c as u64 + 1).wrapping_mul(0x9e37_79b9))
        }
    };
    let circuit = AnyCircuit::blank(c)
        .ok_or_else(|| SetupError::Groth16(c, "no circuit for this kind".into()))?;
    let (pk, vk) = Groth16::<Bls12_381>::circuit_specific_setup(circuit, &mut rng)
        .map_err(|e| SetupError::Groth16(c, e.to_string()))?;
    Ok(KeyPair { pk, vk })
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), SetupError> {
    let io = |e| SetupError::Io {
        path: path.display().to_string(),
        source: e,
    };
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// Runs the setup of all four circuits into `dir`, writing keys and `manifest.json` (last, so a
/// crash never leaves a manifest describing missing keys).
pub fn setup(
    dir: &Path,
    mode: SetupMode,
    progress: &mut dyn FnMut(SetupEvent),
) -> Result<Manifest, SetupError> {
    std::fs::create_dir_all(dir).map_err(|e| SetupError::Io {
        path: dir.display().to_string(),
        source: e,
    })?;
    let mut keys = Vec::new();
    for c in TxKind::STATEMENTS {
        progress(SetupEvent::Started(c));
        let pair = generate(c, mode)?;
        let (constraints, digest) =
            circuit_shape(c).map_err(|e| SetupError::Groth16(c, e.to_string()))?;
        for (role, ext) in [(KeyRole::Proving, "pk"), (KeyRole::Verifying, "vk")] {
            let mut bytes = Vec::new();
            let res = match role {
                KeyRole::Proving => pair.pk.serialize_compressed(&mut bytes),
                KeyRole::Verifying => pair.vk.serialize_compressed(&mut bytes),
            };
            res.map_err(|e| SetupError::Groth16(c, e.to_string()))?;
            let file = format!("{}.{ext}", c.name());
            write(&dir.join(&file), &bytes)?;
            keys.push(KeyEntry {
                circuit: c,
                role,
                file,
                blake2b_256: blake2b_256_hex(&bytes),
                bytes: bytes.len() as u64,
                constraints: constraints as u64,
                public_inputs: c.public_inputs() as u64,
                circuit_digest: digest.clone(),
            });
        }
        progress(SetupEvent::Finished(c));
    }
    let manifest = Manifest {
        format: MANIFEST_FORMAT,
        insecure: matches!(mode, SetupMode::DevSeed(_)),
        dev_seed: match mode {
            SetupMode::DevSeed(s) => Some(s),
            SetupMode::Secure => None,
        },
        keys,
    };
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| SetupError::Io {
        path: MANIFEST_FILE.into(),
        source: std::io::Error::other(e),
    })?;
    write(&dir.join(MANIFEST_FILE), &json)?;
    Ok(manifest)
}

/// The four proving keys.
pub struct ProvingKeys {
    /// Statement 1.
    pub payment: ProvingKey<Bls12_381>,
    /// Statement 2.
    pub grant: ProvingKey<Bls12_381>,
    /// Statement 3.
    pub access: ProvingKey<Bls12_381>,
    /// Statement 4.
    pub revoke: ProvingKey<Bls12_381>,
}

impl ProvingKeys {
    /// Generates all four in memory (tests, benches, the demo).
    pub fn generate(mode: SetupMode) -> Result<(Self, [VerifyingKey<Bls12_381>; 4]), SetupError> {
        let [p, g, a, r] = TxKind::STATEMENTS.map(|c| generate(c, mode));
        let (p, g, a, r) = (p?, g?, a?, r?);
        Ok((
            ProvingKeys {
                payment: p.pk,
                grant: g.pk,
                access: a.pk,
                revoke: r.pk,
            },
            [p.vk, g.vk, a.vk, r.vk],
        ))
    }
}

/// Loads the proving key of circuit `c` from `dir`, exactly the key the manifest pins.
///
/// The fast path reads `NAME.pk.uncompressed` (written beside the key on its first load): no
/// square roots, only a cheap on-curve check of every point, then the key is re-serialised
/// compressed and must hash to the manifest's BLAKE2b-256 of `NAME.pk`. A point's compressed
/// form is its `x` and the sign of `y`, and on the curve there is one `y` per sign, so a key
/// that passes is the pinned key, point for point. Subgroup checks are skipped on both paths:
/// the pinned bytes are those setup wrote (docs/PROTOCOL.md, "Proving keys").
///
/// Otherwise (no cache, or a cache that fails any check) the pinned compressed file is read,
/// checked against the manifest, decompressed, and the cache is (re)written, best effort.
/// Measured for the payment key in BENCHMARKS.md (issue #15).
pub fn load_proving_key(
    dir: &Path,
    manifest: &Manifest,
    c: TxKind,
) -> Result<ProvingKey<Bls12_381>, ParamsError> {
    let entry = manifest.entry(c, KeyRole::Proving)?;
    let cache = dir.join(format!("{}.pk.uncompressed", c.name()));
    let pk = match read_uncompressed(&cache, entry) {
        Some(pk) => pk,
        None => {
            let pk = load_compressed(dir, manifest, c)?;
            let mut raw = Vec::new();
            if pk.serialize_uncompressed(&mut raw).is_ok() {
                // A failed cache write only costs the next load its speed.
                let _ = write(&cache, &raw);
            }
            pk
        }
    };
    let actual = pk.vk.gamma_abc_g1.len().saturating_sub(1);
    if actual != c.public_inputs() {
        return Err(ParamsError::Shape {
            path: dir.join(&entry.file),
            circuit: c,
            expected: c.public_inputs(),
            actual,
        });
    }
    Ok(pk)
}

/// The pinned compressed key: hash checked against the manifest, then decompressed.
pub fn load_compressed(
    dir: &Path,
    manifest: &Manifest,
    c: TxKind,
) -> Result<ProvingKey<Bls12_381>, ParamsError> {
    let (path, bytes) = manifest.read_checked(dir, c, KeyRole::Proving)?;
    ProvingKey::<Bls12_381>::deserialize_with_mode(&bytes[..], Compress::Yes, Validate::No).map_err(
        |e| ParamsError::BadKey {
            path,
            reason: e.to_string(),
        },
    )
}

/// The uncompressed cache if it is exactly the pinned key (see [`load_proving_key`]).
fn read_uncompressed(path: &Path, entry: &KeyEntry) -> Option<ProvingKey<Bls12_381>> {
    use rayon::prelude::*;
    // Uncompressed points are twice their compressed size; anything larger is not the cache.
    let len = std::fs::metadata(path).ok()?.len();
    if len > entry.bytes.saturating_mul(2).saturating_add(4096) {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    let pk = ProvingKey::<Bls12_381>::deserialize_with_mode(&bytes[..], Compress::No, Validate::No)
        .ok()?;
    let g1 = [
        &pk.a_query,
        &pk.b_g1_query,
        &pk.h_query,
        &pk.l_query,
        &pk.vk.gamma_abc_g1,
    ];
    let on_curve = g1
        .iter()
        .all(|v| v.par_iter().with_min_len(1024).all(|p| p.is_on_curve()))
        && pk
            .b_g2_query
            .par_iter()
            .with_min_len(1024)
            .all(|p| p.is_on_curve())
        && [pk.beta_g1, pk.delta_g1, pk.vk.alpha_g1]
            .iter()
            .all(|p| p.is_on_curve())
        && [pk.vk.beta_g2, pk.vk.gamma_g2, pk.vk.delta_g2]
            .iter()
            .all(|p| p.is_on_curve());
    if !on_curve {
        return None;
    }
    let mut compressed = Vec::with_capacity(entry.bytes as usize);
    pk.serialize_compressed(&mut compressed).ok()?;
    (compressed.len() as u64 == entry.bytes && blake2b_256_hex(&compressed) == entry.blake2b_256)
        .then_some(pk)
}

/// The manifest of `dir`, refused if its keys are insecure (dev) and those are not allowed.
pub fn load_manifest(dir: &Path, allow_insecure: bool) -> Result<Manifest, ParamsError> {
    let manifest = Manifest::load(dir)?;
    if manifest.insecure && !allow_insecure {
        return Err(ParamsError::Insecure(dir.to_path_buf()));
    }
    Ok(manifest)
}

/// Loads the four proving keys from `dir` ([`load_proving_key`]).
pub fn load_proving_keys(dir: &Path, allow_insecure: bool) -> Result<ProvingKeys, ParamsError> {
    let manifest = load_manifest(dir, allow_insecure)?;
    let load = |c| load_proving_key(dir, &manifest, c);
    Ok(ProvingKeys {
        payment: load(TxKind::Payment)?,
        grant: load(TxKind::Grant)?,
        access: load(TxKind::Access)?,
        revoke: load(TxKind::Revoke)?,
    })
}
