//! `zkreg ledger init|submit|status`.

use crate::{
    home::{Home, Session},
    util,
};
use anyhow::{anyhow, bail, Context, Result};
use serde_json::json;
use std::{collections::BTreeMap, path::Path};
use zkreg_ledger::{
    genesis::{IssuerEntry, RegulatorKeyEntry},
    BlockSummary, ChainConfig, Genesis, Ledger,
};
use zkreg_prover::keys::point_to_hex;
use zkreg_verifier::Transaction;

/// Options of `ledger init`.
pub struct InitOptions {
    /// Regulator key name.
    pub regulator: Option<String>,
    /// `ASSET=ISSUER_KEY_NAME` pairs.
    pub issuers: Vec<String>,
    /// Accept insecure dev parameters.
    pub allow_insecure_keys: bool,
    /// Use this genesis file instead of building one.
    pub genesis: Option<std::path::PathBuf>,
    /// Join this node's chain: its genesis (`GET /v1/genesis`) instead of building one.
    pub node: Option<String>,
    /// Chain name.
    pub chain_id: String,
    /// Anchor window K.
    pub anchor_window: u64,
    /// Access time tolerance (seconds).
    pub time_tolerance: u64,
}

/// Builds (or reads) the genesis, opens the ledger and writes `genesis.json`.
pub fn init(home: &Home, o: &InitOptions) -> Result<ChainConfig> {
    home.require()?;
    if home.genesis().exists() || home.ledger().exists() {
        bail!(
            "a ledger is already initialised in {} (genesis.json / ledger/ exist); use another --home",
            home.root.display()
        );
    }
    let manifest = home.manifest()?;
    if (o.genesis.is_some() || o.node.is_some()) && (o.regulator.is_some() || !o.issuers.is_empty())
    {
        bail!(
            "--genesis FILE and --node URL replace --regulator and --issuer: give one or the other"
        );
    }
    let text = match (&o.genesis, &o.node) {
        (Some(_), Some(_)) => bail!("give --genesis FILE or --node URL, not both"),
        (Some(path), None) => util::read_text(path)?,
        (None, Some(url)) => {
            let c = crate::node_cmd::connect(url)?;
            serde_json::to_string_pretty(&c.chain().genesis)?
        }
        (None, None) => {
            let Some(reg) = &o.regulator else {
                bail!("--regulator NAME is required (or --genesis FILE)");
            };
            let rpk = home.regulator(reg)?.public_key();
            let mut issuers: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for spec in &o.issuers {
                let Some((asset, name)) = spec.split_once('=') else {
                    bail!("--issuer takes ASSET=KEYNAME (e.g. USD=bank), got {spec:?}");
                };
                if asset.is_empty() {
                    bail!("--issuer {spec:?}: empty asset name");
                }
                let key = home.issuer(name)?;
                issuers
                    .entry(asset.to_string())
                    .or_default()
                    .push(hex::encode(key.verifying_key().to_bytes()));
            }
            if manifest.insecure && !o.allow_insecure_keys {
                bail!(
                    "the parameters in {} are INSECURE dev keys (made with --dev-seed); pass --allow-insecure-keys to start a test chain with them",
                    home.params().display()
                );
            }
            let mut genesis = Genesis::new(
                o.chain_id.clone(),
                vec![RegulatorKeyEntry {
                    from_height: 0,
                    rpk: point_to_hex(&rpk),
                }],
                issuers
                    .into_iter()
                    .map(|(asset, keys)| IssuerEntry { asset, keys })
                    .collect(),
                manifest
                    .verifying_key_hashes()
                    .into_iter()
                    .map(|(c, h)| (c.name().to_string(), h))
                    .collect(),
            );
            genesis.anchor_window = o.anchor_window;
            genesis.time_tolerance = o.time_tolerance;
            genesis.allow_insecure_keys = o.allow_insecure_keys;
            serde_json::to_string_pretty(&genesis)?
        }
    };
    let config = ChainConfig::from_json(&text).map_err(|e| anyhow!("{e}"))?;
    let ledger = Ledger::open(&home.ledger(), config.clone(), &home.params())
        .map_err(|e| anyhow!("cannot open the ledger: {e}"));
    let ledger = match ledger {
        Ok(l) => l,
        Err(e) => {
            let _ = std::fs::remove_dir_all(home.ledger());
            return Err(e);
        }
    };
    drop(ledger);
    util::write(&home.genesis(), text.as_bytes())?;
    Ok(config)
}

/// Prints what `init` made.
pub fn print_init(home: &Home, c: &ChainConfig) {
    let g = &c.genesis;
    println!(
        "ledger initialised in {}: chain {:?}, genesis {}",
        home.root.display(),
        g.chain_id,
        hex::encode(c.hash)
    );
    for r in &g.regulator_keys {
        println!("  regulator key from height {}: {}", r.from_height, r.rpk);
    }
    for i in &g.issuers {
        for k in &i.keys {
            println!("  issuer of {}: {k}", i.asset);
        }
    }
    if g.allow_insecure_keys {
        println!("  accepts INSECURE dev parameters (test chain)");
    }
}

/// Applies one block of transactions at the next height; `time` defaults to the previous block
/// time + 1 (never the wall clock).
pub fn submit(
    session: &mut Session,
    txs: &[(String, Vec<u8>, Transaction)],
    time: Option<u64>,
) -> Result<BlockSummary> {
    if txs.is_empty() {
        bail!("no transactions to submit");
    }
    let ledger = session.ledger()?;
    let st = ledger.status();
    let height = st.height + 1;
    let time = time.unwrap_or(st.time + 1);
    let bytes: Vec<Vec<u8>> = txs.iter().map(|(_, b, _)| b.clone()).collect();
    ledger.apply_block(height, time, &bytes).map_err(|e| {
        // Name the file of the rejected transaction.
        if let zkreg_ledger::LedgerError::Rejected(r) = &e {
            if let Some((name, _, _)) = r.index.and_then(|i| txs.get(i)) {
                return anyhow!("block refused, nothing applied: {name}: {}", r.rule);
            }
        }
        anyhow!("block refused, nothing applied: {e}")
    })
}

/// `zkreg ledger submit`.
pub fn cmd_submit(
    session: &mut Session,
    files: &[std::path::PathBuf],
    time: Option<u64>,
) -> Result<()> {
    let mut txs = Vec::new();
    for f in files {
        let (bytes, tx) = util::read_tx(f)?;
        txs.push((f.display().to_string(), bytes, tx));
    }
    let s = submit(session, &txs, time)?;
    println!(
        "block {} at time {}: {} transaction(s), state root {}",
        s.height,
        s.time,
        s.txs,
        hex::encode(s.state_root)
    );
    for (name, _, tx) in &txs {
        println!(
            "  {:8} {}  ({name})",
            tx.kind().name(),
            util::id_hex(&tx.id())
        );
    }
    Ok(())
}

/// `zkreg ledger status`.
pub fn cmd_status(session: &mut Session, as_json: bool) -> Result<()> {
    let ledger = session.ledger()?;
    let s = ledger.status();
    let g = &ledger.config().genesis;
    if as_json {
        let out = json!({
            "chain_id": g.chain_id,
            "genesis": hex::encode(ledger.config().hash),
            "height": s.height,
            "time": s.time,
            "state_root": hex::encode(s.state_root),
            "note_root": util::fr_hex(&s.note_root),
            "notes": s.notes,
            "grant_root": util::fr_hex(&s.grant_root),
            "grant_leaves": s.grant_leaves,
            "txs": s.counts.txs,
            "nullifiers": s.counts.nullifiers,
            "grants": s.counts.grants,
            "revocations": s.counts.revocations,
            "accesses": s.counts.accesses,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "chain       {} (genesis {})",
        g.chain_id,
        hex::encode(ledger.config().hash)
    );
    println!("height      {} (time {})", s.height, s.time);
    println!("state root  {}", hex::encode(s.state_root));
    println!(
        "notes       {} (root {})",
        s.notes,
        util::fr_hex(&s.note_root)
    );
    println!(
        "grants      {} leaves (root {})",
        s.grant_leaves,
        util::fr_hex(&s.grant_root)
    );
    println!(
        "counts      {} txs, {} nullifiers, {} grants, {} revocations, {} accesses",
        s.counts.txs, s.counts.nullifiers, s.counts.grants, s.counts.revocations, s.counts.accesses
    );
    Ok(())
}

/// Writes a proven transaction to `out`.
pub fn write_tx(out: &Path, tx: &Transaction) -> Result<Vec<u8>> {
    let bytes = tx.encode();
    util::write(out, &bytes).with_context(|| "cannot save the transaction".to_string())?;
    Ok(bytes)
}

/// The asset id of a name (the genesis must list an issuer for it).
pub fn known_asset(config: &ChainConfig, asset: &str) -> Result<ark_bls12_381::Fr> {
    config.asset(asset).map_err(|known| {
        anyhow!(
            "asset {asset:?} has no issuer in this chain's genesis (known assets: {})",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        )
    })
}
