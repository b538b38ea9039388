//! The consent directory (`HOME/consent/` for the CLI):
//!
//! * `requests/<id>.json`: every request this directory made or received;
//! * `owner-<name>.json`: a data owner's [`OwnerStore`], its decisions and its grants
//!   **including each grant's secret** (it recognises accesses with it), so the file is written
//!   readable by its user only.
//!
//! Every file is read bounded and validated: a corrupt or oversized file is a [`FileError`]
//! naming it. Files are replaced atomically (a temporary file, then a rename).

use crate::{ConsentRequest, FileError};
use ark_bls12_381::Fr;
use serde::{Deserialize, Serialize};
use std::{
    fs,
    io::{Read, Write},
    path::{Path, PathBuf},
};
use zkreg_circuits::{grant::Grant, labels::label_to_field};
use zkreg_verifier::TxId;

/// Bound of an owner's store file, in bytes (tens of thousands of grants).
pub const MAX_STORE_BYTES: u64 = 16 << 20;

/// A consent directory.
#[derive(Clone, Debug)]
pub struct ConsentDir {
    root: PathBuf,
}

impl ConsentDir {
    /// The consent directory at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        ConsentDir { root: root.into() }
    }

    /// Its path.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn inbox(&self) -> PathBuf {
        self.root.join("requests")
    }

    /// Keeps a copy of a validated request (its id, a hash, names the file).
    pub(crate) fn save_request(&self, r: &ConsentRequest) -> Result<(), FileError> {
        let text = serde_json::to_string_pretty(r).map_err(|e| FileError::Write {
            path: self.inbox(),
            error: e.into(),
        })?;
        write_file(
            &self.inbox().join(format!("{}.json", r.id)),
            text.as_bytes(),
            false,
        )
    }

    /// Every valid request in the inbox, by height and id. Invalid files are passed over: an
    /// inbox holds what others handed in.
    pub fn requests(&self) -> Vec<ConsentRequest> {
        let mut out: Vec<ConsentRequest> = fs::read_dir(self.inbox())
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| ConsentRequest::read(&e.path()).ok())
            .collect();
        out.sort_by(|a, b| (a.requested_height, &a.id).cmp(&(b.requested_height, &b.id)));
        out
    }

    /// The path of `owner`'s store.
    pub fn owner_store_path(&self, owner: &str) -> Result<PathBuf, FileError> {
        let ok = (1..=64).contains(&owner.len())
            && !owner.starts_with('.')
            && owner
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !ok {
            return Err(FileError::InvalidName(owner.into()));
        }
        Ok(self.root.join(format!("owner-{owner}.json")))
    }

    /// `owner`'s store (empty if the owner has none yet).
    pub fn owner_store(&self, owner: &str) -> Result<OwnerStore, FileError> {
        OwnerStore::load(&self.owner_store_path(owner)?)
    }
}

/// What the owner decided on a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "lowercase")]
pub enum Decision {
    /// Approved: a grant was made (it is on the ledger once its transaction is submitted).
    Approved {
        /// The grant transaction.
        #[serde(rename = "tx_id", with = "hex_id")]
        grant_tx: TxId,
    },
    /// Denied: nothing goes on the ledger.
    Denied {
        /// Why, if the owner said.
        #[serde(rename = "note", default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Consent withdrawn: a revocation was made (effective once submitted).
    Revoked {
        /// The revocation transaction.
        #[serde(rename = "tx_id", with = "hex_id")]
        revoke_tx: TxId,
    },
}

/// A decision, with the request it answers and the ledger's height and time when made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRecord {
    /// Request id.
    pub request_id: String,
    /// Ledger height at the decision.
    pub height: u64,
    /// Ledger time at the decision.
    pub time: u64,
    /// The decision.
    #[serde(flatten)]
    pub decision: Decision,
}

/// A grant the owner made, with its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredGrant {
    /// Request id.
    pub request_id: String,
    /// Grant transaction.
    #[serde(with = "hex_id")]
    pub grant_tx: TxId,
    /// Institution name.
    pub institution_name: String,
    /// Institution address.
    pub institution: String,
    /// Dataset name.
    pub dataset: String,
    /// Purpose name.
    pub purpose: String,
    /// Expiry (ledger time).
    pub expiry: u64,
    /// `owner_id`.
    #[serde(with = "hex_fr")]
    pub owner_id: Fr,
    /// `inst_id`.
    #[serde(with = "hex_fr")]
    pub inst_id: Fr,
    /// `gsecret` (secret).
    #[serde(with = "hex_fr")]
    pub gsecret: Fr,
    /// `gcm`, the grant's commitment.
    #[serde(with = "hex_fr")]
    pub gcm: Fr,
}

impl StoredGrant {
    /// The record of `grant`, made for `request` by transaction `grant_tx`.
    pub fn new(request: &ConsentRequest, grant_tx: TxId, grant: &Grant) -> Self {
        StoredGrant {
            request_id: request.id.clone(),
            grant_tx,
            institution_name: request.institution_name.clone(),
            institution: request.institution.clone(),
            dataset: request.dataset.clone(),
            purpose: request.purpose.clone(),
            expiry: grant.expiry,
            owner_id: grant.owner_id,
            inst_id: grant.inst_id,
            gsecret: grant.gsecret,
            gcm: grant.commitment(),
        }
    }

    /// The grant (a loaded store has checked that it opens [`Self::gcm`]).
    pub fn grant(&self) -> Grant {
        Grant {
            owner_id: self.owner_id,
            inst_id: self.inst_id,
            dataset: label_to_field(&self.dataset),
            purpose: label_to_field(&self.purpose),
            expiry: self.expiry,
            gsecret: self.gsecret,
        }
    }
}

/// A data owner's local consent store: its decisions in order and the grants it made.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnerStore {
    #[serde(skip)]
    path: PathBuf,
    /// Decisions in the order made.
    #[serde(default)]
    pub decisions: Vec<DecisionRecord>,
    /// Grants made.
    #[serde(default)]
    pub grants: Vec<StoredGrant>,
}

impl OwnerStore {
    /// Reads the store at `path` (an empty store if there is no file), at most
    /// [`MAX_STORE_BYTES`], checking that every grant opens its commitment.
    pub fn load(path: &Path) -> Result<Self, FileError> {
        if !path.exists() {
            return Ok(OwnerStore {
                path: path.to_path_buf(),
                ..OwnerStore::default()
            });
        }
        let corrupt = |reason: String| FileError::Corrupt {
            path: path.to_path_buf(),
            what: "corrupt consent store",
            reason,
        };
        let text = read_bounded(path, MAX_STORE_BYTES, "consent store")?;
        let mut store: OwnerStore =
            serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
        if let Some(g) = store
            .grants
            .iter()
            .find(|g| g.grant().commitment() != g.gcm)
        {
            return Err(corrupt(format!(
                "the grant of request {} does not open its commitment",
                g.request_id
            )));
        }
        store.path = path.to_path_buf();
        Ok(store)
    }

    /// Writes the store back where it was loaded from, readable by its user only.
    pub fn save(&self) -> Result<(), FileError> {
        let text = serde_json::to_string_pretty(self).map_err(|e| FileError::Write {
            path: self.path.clone(),
            error: e.into(),
        })?;
        write_file(&self.path, text.as_bytes(), true)
    }

    /// Its file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The latest decision on a request.
    pub fn latest_decision(&self, request_id: &str) -> Option<&Decision> {
        self.decisions
            .iter()
            .rev()
            .find(|d| d.request_id == request_id)
            .map(|d| &d.decision)
    }
}

/// Reads a UTF-8 file of at most `max` bytes.
pub(crate) fn read_bounded(path: &Path, max: u64, what: &'static str) -> Result<String, FileError> {
    let read_err = |error| FileError::Read {
        path: path.to_path_buf(),
        error,
    };
    let mut text = String::new();
    fs::File::open(path)
        .and_then(|f| f.take(max.saturating_add(1)).read_to_string(&mut text))
        .map_err(read_err)?;
    if text.len() as u64 > max {
        return Err(FileError::TooLarge {
            path: path.to_path_buf(),
            what,
            max,
        });
    }
    Ok(text)
}

/// Replaces `path` with `bytes` through a fresh temporary file beside it (mode 0600 from its
/// creation when `private`), creating the directory if needed.
fn write_file(path: &Path, bytes: &[u8], private: bool) -> Result<(), FileError> {
    let write_err = |path: &Path, error| FileError::Write {
        path: path.to_path_buf(),
        error,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(|e| write_err(dir, e))?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let _ = fs::remove_file(&tmp);
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let written = opts
        .open(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .and_then(|()| fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(write_err(path, e));
    }
    Ok(())
}

/// Serde as hex: transaction ids.
pub(crate) mod hex_id {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};
    use zkreg_verifier::TxId;

    pub fn serialize<S: Serializer>(id: &TxId, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(id))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TxId, D::Error> {
        let text = String::deserialize(d)?;
        let mut id = [0u8; 32];
        hex::decode_to_slice(&text, &mut id)
            .map_err(|e| D::Error::custom(format!("transaction id {text:?}: {e}")))?;
        Ok(id)
    }
}

/// Serde as hex: field elements (32 bytes, canonical, little-endian).
pub(crate) mod hex_fr {
    use ark_bls12_381::Fr;
    use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(x: &Fr, s: S) -> Result<S::Ok, S::Error> {
        let mut b = [0u8; 32];
        x.serialize_compressed(&mut b[..])
            .map_err(serde::ser::Error::custom)?;
        s.serialize_str(&hex::encode(b))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Fr, D::Error> {
        let text = String::deserialize(d)?;
        let mut b = [0u8; 32];
        hex::decode_to_slice(&text, &mut b)
            .ok()
            .and_then(|()| Fr::deserialize_compressed(&b[..]).ok())
            .ok_or_else(|| D::Error::custom(format!("{text:?} is not a field element in hex")))
    }
}
