//! Genesis configuration: who the regulator is (from which height), who may issue each asset,
//! which verifying keys are accepted, and the validation windows.

use crate::LedgerError;
use ark_bls12_381::Fr;
use ark_serialize::CanonicalDeserialize;
use blake2::{digest::consts::U32, Blake2b, Digest};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use zkreg_circuits::{
    ecc::{checked_public_key, JubjubAffine},
    labels::label_to_field,
};
use zkreg_verifier::TxKind;

/// A regulator key and the height from which it applies (keys can rotate).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegulatorKeyEntry {
    /// First height at which this key is the one in force.
    pub from_height: u64,
    /// Compressed Jubjub point, hex.
    pub rpk: String,
}

/// The issuers of one asset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuerEntry {
    /// Asset name (its id is `label_to_field(name)`).
    pub asset: String,
    /// Ed25519 public keys, hex, allowed to sign deposits and withdrawals of this asset.
    pub keys: Vec<String>,
}

fn default_window() -> u64 {
    64
}

fn default_tolerance() -> u64 {
    600
}

fn default_max_grants() -> u64 {
    64
}

/// The genesis file (JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Genesis {
    /// Chain name.
    pub chain_id: String,
    /// Regulator keys by activation height (the first must start at height ≤ 1).
    pub regulator_keys: Vec<RegulatorKeyEntry>,
    /// Issuers per asset.
    pub issuers: Vec<IssuerEntry>,
    /// BLAKE2b-256 (hex) of each accepted verifying key file, by circuit name.
    pub verifying_keys: BTreeMap<String, String>,
    /// How many recent roots an anchor or grant root may be from (K).
    #[serde(default = "default_window")]
    pub anchor_window: u64,
    /// How far (seconds) an access's `now` may be ahead of block time; it may never be behind,
    /// so an access lands only while block time ≤ the grant's expiry.
    #[serde(default = "default_tolerance")]
    pub time_tolerance: u64,
    /// Most grants one block may append. Grants cost nothing at the ledger, so this bounds how
    /// fast the grant tree (2^24 leaves) can fill, and, since every revocation empties a grant
    /// that landed earlier, the sustained rate of revocations. Revocations themselves are never
    /// capped or delayed: consent withdrawal comes first (docs/PROTOCOL.md, "Spam bounds").
    #[serde(default = "default_max_grants")]
    pub max_grants_per_block: u64,
    /// Whether keys made with a public `--dev-seed` are accepted (default: no).
    #[serde(default)]
    pub allow_insecure_keys: bool,
    /// The validators of a consortium network (hex ed25519 public keys), empty for a ledger run
    /// in one process. They are part of the chain hash, so a network's validator set is fixed by
    /// its genesis (docs/PROTOCOL.md, "Node").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validators: Vec<String>,
}

impl Genesis {
    /// A genesis with the default windows and bounds (anchor window 64, access tolerance 600 s,
    /// 64 grants per block) that refuses insecure dev keys: the one constructor the CLI, tests
    /// and benches share.
    pub fn new(
        chain_id: impl Into<String>,
        regulator_keys: Vec<RegulatorKeyEntry>,
        issuers: Vec<IssuerEntry>,
        verifying_keys: BTreeMap<String, String>,
    ) -> Self {
        Genesis {
            chain_id: chain_id.into(),
            regulator_keys,
            issuers,
            verifying_keys,
            anchor_window: default_window(),
            time_tolerance: default_tolerance(),
            max_grants_per_block: default_max_grants(),
            allow_insecure_keys: false,
            validators: Vec::new(),
        }
    }
}

/// Which regulator key is in force from which height: the genesis entries, then every rotation
/// the ledger applied (docs/PROTOCOL.md, "Regulator committee and key rotation"). Sorted by
/// height; a rotation is only accepted with a `from_height` after every entry, so appending keeps
/// it sorted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeySchedule {
    entries: Vec<(u64, JubjubAffine)>,
}

impl KeySchedule {
    /// The key in force at `height`: the entry with the greatest `from_height ≤ height`.
    pub fn rpk_at(&self, height: u64) -> Option<JubjubAffine> {
        self.entries
            .iter()
            .rev()
            .find(|(h, _)| *h <= height)
            .map(|(_, p)| *p)
    }

    /// Every `(from_height, key)`, oldest first.
    pub fn entries(&self) -> &[(u64, JubjubAffine)] {
        &self.entries
    }

    /// The greatest `from_height` scheduled (0 for an empty schedule).
    pub fn last_from_height(&self) -> u64 {
        self.entries.last().map_or(0, |(h, _)| *h)
    }

    /// Appends a rotation's key (the ledger checks `from_height` is after every entry).
    pub(crate) fn push(&mut self, from_height: u64, rpk: JubjubAffine) {
        self.entries.push((from_height, rpk));
    }

    /// A schedule from `(from_height, key)` pairs, sorted here (for clients that read one over
    /// the network; keys must already be checked points).
    pub fn from_entries(mut entries: Vec<(u64, JubjubAffine)>) -> Self {
        entries.sort_by_key(|(h, _)| *h);
        KeySchedule { entries }
    }
}

/// A parsed, validated genesis.
#[derive(Clone, Debug)]
pub struct ChainConfig {
    /// The genesis as read.
    pub genesis: Genesis,
    regulator: Vec<(u64, JubjubAffine)>,
    issuers: HashMap<[u8; 32], Vec<[u8; 32]>>,
    /// BLAKE2b-256 of the canonical genesis JSON: the state root before block 1.
    pub hash: [u8; 32],
}

fn asset_key(asset: &Fr) -> [u8; 32] {
    crate::codec::fr(asset)
}

impl ChainConfig {
    /// Validates a genesis: keys parse and are subgroup points, windows are positive.
    pub fn new(genesis: Genesis) -> Result<Self, LedgerError> {
        let bad = |m: String| LedgerError::Genesis(m);
        for (name, value) in [
            ("anchor_window", genesis.anchor_window),
            ("max_grants_per_block", genesis.max_grants_per_block),
        ] {
            if value == 0 {
                return Err(bad(format!("{name} must be at least 1")));
            }
        }
        let mut regulator = Vec::new();
        for e in &genesis.regulator_keys {
            let bytes = hex::decode(&e.rpk).map_err(|x| bad(format!("regulator key: {x}")))?;
            let p = JubjubAffine::deserialize_compressed(&bytes[..])
                .map_err(|x| bad(format!("regulator key: {x}")))?;
            let p = checked_public_key(p.x, p.y).map_err(|x| bad(format!("regulator key: {x}")))?;
            regulator.push((e.from_height, p));
        }
        regulator.sort_by_key(|(h, _)| *h);
        match regulator.first() {
            Some((h, _)) if *h <= 1 => {}
            _ => return Err(bad("a regulator key must apply from height 0 or 1".into())),
        }
        let mut issuers: HashMap<[u8; 32], Vec<[u8; 32]>> = HashMap::new();
        for e in &genesis.issuers {
            let keys = issuers
                .entry(asset_key(&label_to_field(&e.asset)))
                .or_default();
            for k in &e.keys {
                let b: [u8; 32] = hex::decode(k)
                    .ok()
                    .and_then(|v| v.try_into().ok())
                    .ok_or_else(|| {
                        bad(format!(
                            "issuer key {k:?} of {:?} is not 32 hex bytes",
                            e.asset
                        ))
                    })?;
                ed25519_dalek::VerifyingKey::from_bytes(&b)
                    .map_err(|x| bad(format!("issuer key of {:?}: {x}", e.asset)))?;
                keys.push(b);
            }
        }
        let mut validators = std::collections::HashSet::new();
        for v in &genesis.validators {
            let ok = hex::decode(v).map(|b| b.len() == 32).unwrap_or(false);
            if !ok {
                return Err(bad(format!("validator key {v:?} is not 32 hex bytes")));
            }
            if !validators.insert(v.to_ascii_lowercase()) {
                return Err(bad(format!("validator key {v:?} appears twice")));
            }
        }
        for c in TxKind::STATEMENTS {
            if !genesis.verifying_keys.contains_key(c.name()) {
                return Err(bad(format!(
                    "no verifying key hash for the {} circuit",
                    c.name()
                )));
            }
        }
        let canonical = serde_json::to_vec(&genesis).map_err(|x| bad(x.to_string()))?;
        let mut h = Blake2b::<U32>::new();
        h.update(b"zkreg/v1/genesis");
        h.update(&canonical);
        Ok(ChainConfig {
            genesis,
            regulator,
            issuers,
            hash: h.finalize().into(),
        })
    }

    /// Parses a genesis JSON text.
    pub fn from_json(text: &str) -> Result<Self, LedgerError> {
        let g: Genesis =
            serde_json::from_str(text).map_err(|e| LedgerError::Genesis(e.to_string()))?;
        Self::new(g)
    }

    /// The genesis part of the regulator-key schedule. The schedule in force also holds the
    /// rotations the ledger applied: ask the ledger ([`crate::LedgerView::key_schedule`]).
    pub fn genesis_schedule(&self) -> KeySchedule {
        KeySchedule {
            entries: self.regulator.clone(),
        }
    }

    /// The asset id of `name` if the genesis names an issuer for it (an asset nobody can mint
    /// has no notes to move), else the names it knows.
    pub fn asset(&self, name: &str) -> Result<Fr, Vec<String>> {
        if self.genesis.issuers.iter().any(|i| i.asset == name) {
            return Ok(label_to_field(name));
        }
        Err(self
            .genesis
            .issuers
            .iter()
            .map(|i| i.asset.clone())
            .collect())
    }

    /// Whether `key` may sign deposits and withdrawals of `asset`.
    pub fn is_issuer(&self, asset: &Fr, key: &[u8; 32]) -> bool {
        self.issuers
            .get(&asset_key(asset))
            .is_some_and(|ks| ks.contains(key))
    }

    /// The accepted verifying-key hash of `c`.
    pub fn vk_hash(&self, c: TxKind) -> Option<&str> {
        self.genesis
            .verifying_keys
            .get(c.name())
            .map(String::as_str)
    }
}
