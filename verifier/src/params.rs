//! Parameter manifest and verifying-key loading.
//!
//! `zkreg setup` (in `zkreg-prover`) writes, per circuit, a proving key `<circuit>.pk` and a
//! verifying key `<circuit>.vk` (arkworks compressed encoding) and `manifest.json` describing
//! them. Loading checks the file's size and BLAKE2b-256 hash against the manifest **before**
//! deserialising, so a missing, truncated or swapped file is a clear error naming the file.

use ark_bls12_381::Bls12_381;
use ark_groth16::VerifyingKey;
use ark_serialize::{CanonicalDeserialize, Compress, Validate};
use blake2::{digest::consts::U32, Blake2b, Digest};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Manifest file name inside a parameter directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Current manifest format.
pub const MANIFEST_FORMAT: u32 = 1;
/// Largest manifest we read.
const MAX_MANIFEST_BYTES: u64 = 1 << 20;
/// Largest key file we read (a payment proving key is a few MB).
const MAX_KEY_BYTES: u64 = 256 << 20;

use crate::tx::TxKind;

/// Which half of a key pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyRole {
    /// Groth16 proving key (`.pk`).
    Proving,
    /// Groth16 verifying key (`.vk`).
    Verifying,
}

/// One key file as the manifest describes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyEntry {
    /// Circuit.
    pub circuit: TxKind,
    /// Proving or verifying key.
    pub role: KeyRole,
    /// File name inside the parameter directory.
    pub file: String,
    /// BLAKE2b-256 of the file, hex.
    pub blake2b_256: String,
    /// File size in bytes.
    pub bytes: u64,
    /// Constraints of the circuit.
    pub constraints: u64,
    /// Public inputs of the statement.
    pub public_inputs: u64,
    /// BLAKE2b-256 of the circuit's constraint matrices, hex (changes with any circuit change).
    pub circuit_digest: String,
}

/// `params/manifest.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format version ([`MANIFEST_FORMAT`]).
    pub format: u32,
    /// `true` when the keys come from a public `--dev-seed`: anyone can forge proofs.
    pub insecure: bool,
    /// The dev seed, when `insecure`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev_seed: Option<u64>,
    /// The key files.
    pub keys: Vec<KeyEntry>,
}

/// Why parameters could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ParamsError {
    /// A file is missing.
    #[error("{}: file not found (run `zkreg setup`)", .0.display())]
    Missing(PathBuf),
    /// A file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The manifest is malformed.
    #[error("{}: invalid manifest: {reason}", path.display())]
    BadManifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The manifest has no entry for a key.
    #[error("manifest has no {role:?} key for the {circuit:?} circuit")]
    NoEntry {
        /// Circuit.
        circuit: TxKind,
        /// Role.
        role: KeyRole,
    },
    /// The file's size differs from the manifest (truncated or replaced).
    #[error("{}: {actual} bytes, the manifest says {expected} (truncated or replaced file)", path.display())]
    SizeMismatch {
        /// The file.
        path: PathBuf,
        /// Size in the manifest.
        expected: u64,
        /// Size on disk.
        actual: u64,
    },
    /// The file's hash differs from the manifest (corrupted or swapped).
    #[error("{}: BLAKE2b-256 does not match the manifest (corrupted or swapped file)", path.display())]
    HashMismatch {
        /// The file.
        path: PathBuf,
    },
    /// The key does not deserialise (or has points off the curve / outside the subgroup).
    #[error("{}: not a valid key: {reason}", path.display())]
    BadKey {
        /// The file.
        path: PathBuf,
        /// The deserialisation error.
        reason: String,
    },
    /// The key's number of public inputs does not match the statement.
    #[error("{}: key has {actual} public inputs, the {circuit:?} statement has {expected}", path.display())]
    Shape {
        /// The file.
        path: PathBuf,
        /// Circuit.
        circuit: TxKind,
        /// Inputs the statement has.
        expected: usize,
        /// Inputs the key has.
        actual: usize,
    },
    /// The keys come from a public dev seed and the caller did not allow that.
    #[error("parameters in {} are insecure dev keys (made with --dev-seed); refusing them", .0.display())]
    Insecure(PathBuf),
}

/// BLAKE2b-256 of `bytes`, hex.
pub fn blake2b_256_hex(bytes: &[u8]) -> String {
    hex::encode(Blake2b::<U32>::digest(bytes))
}

fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, ParamsError> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ParamsError::Missing(path.to_path_buf()),
        _ => ParamsError::Io {
            path: path.to_path_buf(),
            source: e,
        },
    })?;
    if meta.len() > max {
        return Err(ParamsError::BadKey {
            path: path.to_path_buf(),
            reason: format!(
                "file is {} bytes, more than the {} allowed",
                meta.len(),
                max
            ),
        });
    }
    std::fs::read(path).map_err(|e| ParamsError::Io {
        path: path.to_path_buf(),
        source: e,
    })
}

impl Manifest {
    /// Reads and parses `dir/manifest.json`.
    pub fn load(dir: &Path) -> Result<Manifest, ParamsError> {
        let path = dir.join(MANIFEST_FILE);
        let bytes = read_bounded(&path, MAX_MANIFEST_BYTES)?;
        let m: Manifest = serde_json::from_slice(&bytes).map_err(|e| ParamsError::BadManifest {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        if m.format != MANIFEST_FORMAT {
            return Err(ParamsError::BadManifest {
                path,
                reason: format!(
                    "format {} is not supported (expected {MANIFEST_FORMAT})",
                    m.format
                ),
            });
        }
        Ok(m)
    }

    /// The entry of a key.
    pub fn entry(&self, circuit: TxKind, role: KeyRole) -> Result<&KeyEntry, ParamsError> {
        self.keys
            .iter()
            .find(|k| k.circuit == circuit && k.role == role)
            .ok_or(ParamsError::NoEntry { circuit, role })
    }

    /// Reads a key file and checks its size and hash against the manifest.
    pub fn read_checked(
        &self,
        dir: &Path,
        circuit: TxKind,
        role: KeyRole,
    ) -> Result<(PathBuf, Vec<u8>), ParamsError> {
        let entry = self.entry(circuit, role)?;
        if entry.file.contains('/') || entry.file.contains('\\') || entry.file.starts_with('.') {
            return Err(ParamsError::BadManifest {
                path: dir.join(MANIFEST_FILE),
                reason: format!("key file name {:?} must be a plain file name", entry.file),
            });
        }
        let path = dir.join(&entry.file);
        let bytes = read_bounded(&path, MAX_KEY_BYTES)?;
        if bytes.len() as u64 != entry.bytes {
            return Err(ParamsError::SizeMismatch {
                path,
                expected: entry.bytes,
                actual: bytes.len() as u64,
            });
        }
        if blake2b_256_hex(&bytes) != entry.blake2b_256 {
            return Err(ParamsError::HashMismatch { path });
        }
        Ok((path, bytes))
    }

    /// Hashes of the verifying keys, as a ledger genesis pins them.
    pub fn verifying_key_hashes(&self) -> Vec<(TxKind, String)> {
        TxKind::STATEMENTS
            .iter()
            .filter_map(|c| {
                self.entry(*c, KeyRole::Verifying)
                    .ok()
                    .map(|e| (*c, e.blake2b_256.clone()))
            })
            .collect()
    }
}

/// Loads the verifying key of `circuit` from `dir`, checked against the manifest.
pub fn load_verifying_key(
    dir: &Path,
    manifest: &Manifest,
    circuit: TxKind,
) -> Result<VerifyingKey<Bls12_381>, ParamsError> {
    let (path, bytes) = manifest.read_checked(dir, circuit, KeyRole::Verifying)?;
    let vk =
        VerifyingKey::<Bls12_381>::deserialize_with_mode(&bytes[..], Compress::Yes, Validate::Yes)
            .map_err(|e| ParamsError::BadKey {
                path: path.clone(),
                reason: e.to_string(),
            })?;
    let actual = vk.gamma_abc_g1.len().saturating_sub(1);
    if actual != circuit.public_inputs() {
        return Err(ParamsError::Shape {
            path,
            circuit,
            expected: circuit.public_inputs(),
            actual,
        });
    }
    Ok(vk)
}

/// Loads all four verifying keys. Refuses insecure dev keys unless `allow_insecure`.
pub fn load_verifying_keys(
    dir: &Path,
    allow_insecure: bool,
) -> Result<(Manifest, [VerifyingKey<Bls12_381>; 4]), ParamsError> {
    let manifest = Manifest::load(dir)?;
    if manifest.insecure && !allow_insecure {
        return Err(ParamsError::Insecure(dir.to_path_buf()));
    }
    let [p, g, a, r] = TxKind::STATEMENTS;
    let keys = [
        load_verifying_key(dir, &manifest, p)?,
        load_verifying_key(dir, &manifest, g)?,
        load_verifying_key(dir, &manifest, a)?,
        load_verifying_key(dir, &manifest, r)?,
    ];
    Ok((manifest, keys))
}
