//! The zkreg home directory and a session over it.
//!
//! ```text
//! HOME/
//!   params/          Groth16 keys and manifest.json          (zkreg setup)
//!   genesis.json     the chain configuration                  (zkreg ledger init)
//!   ledger/          the RocksDB state                        (zkreg ledger init / submit)
//!   keys/NAME.json   key files {"kind": .., "seed": hex}      (zkreg keys new)
//!   consent/         consent requests, decisions and grants   (zkreg consent ...)
//! ```
//!
//! Wallet state is not stored: every command re-derives it by scanning the local ledger.

use crate::{progress, util};
use anyhow::{anyhow, bail, Context, Result};
use std::path::{Path, PathBuf};
use zkreg_circuits::{audit::RegulatorSecretKey, ecc::JubjubAffine};
use zkreg_ledger::{ChainConfig, Ledger};
use zkreg_prover::{
    keys::{KeyFile, KeyKind, WalletKeys},
    params::{load_manifest, load_proving_key},
    prove::Prover,
};
use zkreg_verifier::{params::Manifest, TxKind};

/// Paths inside a home directory.
#[derive(Clone, Debug)]
pub struct Home {
    /// The home directory.
    pub root: PathBuf,
}

/// Human name of a key kind.
pub fn kind_word(k: KeyKind) -> &'static str {
    match k {
        KeyKind::Wallet => "wallet",
        KeyKind::Regulator => "regulator",
        KeyKind::Issuer => "issuer",
        KeyKind::Member => "committee member",
    }
}

impl Home {
    /// `--home`, else `$ZKREG_HOME`, else `$HOME/.zkreg`.
    pub fn resolve(flag: Option<PathBuf>) -> Result<Home> {
        if let Some(root) = flag {
            return Ok(Home { root });
        }
        if let Some(h) = std::env::var_os("ZKREG_HOME").filter(|h| !h.is_empty()) {
            return Ok(Home {
                root: PathBuf::from(h),
            });
        }
        match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            Some(h) => Ok(Home {
                root: PathBuf::from(h).join(".zkreg"),
            }),
            None => bail!("no home directory: pass --home DIR or set ZKREG_HOME"),
        }
    }

    /// `params/`.
    pub fn params(&self) -> PathBuf {
        self.root.join("params")
    }
    /// `ledger/`.
    pub fn ledger(&self) -> PathBuf {
        self.root.join("ledger")
    }
    /// `genesis.json`.
    pub fn genesis(&self) -> PathBuf {
        self.root.join("genesis.json")
    }
    /// `keys/`.
    pub fn keys(&self) -> PathBuf {
        self.root.join("keys")
    }
    /// `consent/`.
    pub fn consent(&self) -> PathBuf {
        self.root.join("consent")
    }

    /// Fails unless the home exists.
    pub fn require(&self) -> Result<()> {
        if !self.root.is_dir() {
            bail!(
                "no zkreg home at {} (run `zkreg setup` to create one, or pass --home DIR)",
                self.root.display()
            );
        }
        Ok(())
    }

    /// Creates the home (and its subdirectories) if needed.
    pub fn create(&self) -> Result<()> {
        for d in [self.root.clone(), self.keys(), self.consent()] {
            std::fs::create_dir_all(&d)
                .with_context(|| format!("cannot create {}", d.display()))?;
        }
        Ok(())
    }

    /// The parameter manifest.
    pub fn manifest(&self) -> Result<Manifest> {
        self.require()?;
        Manifest::load(&self.params()).map_err(|e| anyhow!("{e}"))
    }

    /// Path of a key file.
    pub fn key_path(&self, name: &str) -> Result<PathBuf> {
        util::check_name(name)?;
        Ok(self.keys().join(format!("{name}.json")))
    }

    /// Reads a key file of any kind.
    pub fn key_any(&self, name: &str) -> Result<KeyFile> {
        self.require()?;
        let path = self.key_path(name)?;
        if !path.exists() {
            bail!(
                "no key named {name:?} in {} (create it with `zkreg keys new --kind wallet {name}`)",
                self.keys().display()
            );
        }
        let text = util::read_text(&path)?;
        let f: KeyFile = serde_json::from_str(&text)
            .map_err(|e| anyhow!("{}: invalid key file: {e}", path.display()))?;
        KeyFile::parse(&text, f.kind).map_err(|e| anyhow!("{}: {e}", path.display()))
    }

    /// Reads a key file, checking its kind.
    pub fn key(&self, name: &str, kind: KeyKind) -> Result<KeyFile> {
        let f = self.key_any(name)?;
        if f.kind != kind {
            bail!(
                "key {name:?} is a {} key, but a {} key is needed here",
                kind_word(f.kind),
                kind_word(kind)
            );
        }
        Ok(f)
    }

    /// A wallet's keys (wallets, data owners and institutions).
    pub fn wallet(&self, name: &str) -> Result<WalletKeys> {
        self.key(name, KeyKind::Wallet)?
            .wallet()
            .map_err(|e| anyhow!("key {name:?}: {e}"))
    }

    /// A regulator key.
    pub fn regulator(&self, name: &str) -> Result<RegulatorSecretKey> {
        self.key(name, KeyKind::Regulator)?
            .regulator()
            .map_err(|e| anyhow!("key {name:?}: {e}"))
    }

    /// A committee member's long-term key.
    pub fn member(&self, name: &str) -> Result<zkreg_regulator::committee::MemberKey> {
        let seed = self
            .key(name, KeyKind::Member)?
            .seed_bytes()
            .map_err(|e| anyhow!("key {name:?}: {e}"))?;
        Ok(zkreg_regulator::committee::MemberKey::from_seed(seed))
    }

    /// Where a committee member keeps its share of the regulator key (written by
    /// `zkreg committee finish`).
    pub fn member_share_path(&self, name: &str) -> Result<PathBuf> {
        util::check_name(name)?;
        Ok(self
            .root
            .join("committee")
            .join(format!("{name}.share.json")))
    }

    /// An issuer signing key.
    pub fn issuer(&self, name: &str) -> Result<ed25519_dalek::SigningKey> {
        self.key(name, KeyKind::Issuer)?
            .issuer()
            .map_err(|e| anyhow!("key {name:?}: {e}"))
    }

    /// Every key file: `(name, key file or why it is unreadable)`, sorted by name. A corrupt
    /// file is reported, never silently left out.
    pub fn all_keys(&self) -> Vec<(String, Result<KeyFile>)> {
        let mut out = Vec::new();
        let Ok(rd) = std::fs::read_dir(self.keys()) else {
            return out;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().and_then(|x| x.to_str()) != Some("json") {
                continue;
            }
            let Some(name) = p.file_stem().and_then(|s| s.to_str()).map(str::to_string) else {
                continue;
            };
            let f = self.key_any(&name);
            out.push((name, f));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The chain configuration (`genesis.json`).
    pub fn chain(&self) -> Result<ChainConfig> {
        self.require()?;
        let path = self.genesis();
        if !path.exists() {
            bail!(
                "no ledger in {} (run `zkreg ledger init --regulator NAME --issuer ASSET=NAME` first)",
                self.root.display()
            );
        }
        let text = util::read_text(&path)?;
        ChainConfig::from_json(&text).map_err(|e| anyhow!("{}: {e}", path.display()))
    }
}

/// A home plus what is expensive to load (ledger, proving keys), loaded once and reused.
pub struct Session {
    /// The home.
    pub home: Home,
    ledger: Option<Ledger>,
    /// Proving keys are loaded per circuit, on first use: `zkreg pay` loads only the payment key.
    prover: Prover,
}

impl Session {
    /// A session over `home`.
    pub fn new(home: Home) -> Self {
        Session {
            home,
            ledger: None,
            prover: Prover::empty(),
        }
    }

    fn ensure_ledger(&mut self) -> Result<()> {
        if self.ledger.is_none() {
            let config = self.home.chain()?;
            let l =
                Ledger::open(&self.home.ledger(), config, &self.home.params()).map_err(|e| {
                    anyhow!(
                        "cannot open the ledger in {}: {e}",
                        self.home.ledger().display()
                    )
                })?;
            self.ledger = Some(l);
        }
        Ok(())
    }

    fn ensure_prover(&mut self, c: TxKind) -> Result<()> {
        if self.prover.key(c).is_none() {
            let dir = self.home.params();
            let manifest = self.home.manifest()?;
            let pb = progress::spinner(&format!("loading the {} proving key", c.name()));
            let manifest = load_manifest(&dir, manifest.insecure).map_err(|e| anyhow!("{e}"))?;
            let pk = load_proving_key(&dir, &manifest, c).map_err(|e| anyhow!("{e}"))?;
            if let Ok(entry) = manifest.entry(c, zkreg_verifier::params::KeyRole::Proving) {
                // The circuit's matrices, from the cache pinned by the manifest's digest.
                zkreg_prover::prove::prepare_shape(&dir, c, &entry.circuit_digest);
            }
            pb.finish_and_clear();
            self.prover.add_key(c, pk);
        }
        Ok(())
    }

    /// The ledger (opened on first use).
    pub fn ledger(&mut self) -> Result<&mut Ledger> {
        self.ensure_ledger()?;
        self.ledger
            .as_mut()
            .ok_or_else(|| anyhow!("internal: ledger not open"))
    }

    /// The prover, with the key of `c` loaded.
    pub fn prover(&mut self, c: TxKind) -> Result<&Prover> {
        self.ensure_prover(c)?;
        Ok(&self.prover)
    }

    /// The ledger and the prover with the key of `c` loaded.
    pub fn ledger_and_prover(&mut self, c: TxKind) -> Result<(&Ledger, &Prover)> {
        self.ensure_ledger()?;
        self.ensure_prover(c)?;
        match &self.ledger {
            Some(l) => Ok((l, &self.prover)),
            None => bail!("internal: ledger not loaded"),
        }
    }

    /// The chain's identity (genesis hash): every proof's binding and issuer signature names it.
    pub fn chain(&mut self) -> Result<zkreg_verifier::ChainId> {
        Ok(self.ledger()?.config().hash)
    }

    /// The regulator key in force for the next block.
    pub fn next_rpk(&mut self) -> Result<JubjubAffine> {
        let l = self.ledger()?;
        l.next_rpk().ok_or_else(|| {
            anyhow!(
                "the genesis names no regulator key for height {}",
                l.status().height + 1
            )
        })
    }
}

/// Whether a path exists and is a non-empty directory.
pub fn non_empty_dir(p: &Path) -> bool {
    std::fs::read_dir(p)
        .map(|mut d| d.next().is_some())
        .unwrap_or(false)
}
