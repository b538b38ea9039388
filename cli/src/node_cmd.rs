//! `zkreg node init|run|status` and the `--node URL` paths of the ledger, wallet and audit
//! commands: thin shells over `zkreg_node` (the network, its API client).

use crate::{home::Session, util};
use anyhow::{anyhow, bail, Result};
use std::{path::Path, time::Duration};
use zkreg_node::{api_types::TxState, client::NodeClient, network};
use zkreg_verifier::Transaction;

/// Connects to a node.
pub fn connect(url: &str) -> Result<NodeClient> {
    NodeClient::connect(url).map_err(|e| anyhow!("{e}"))
}

/// `zkreg node init`.
pub fn cmd_init(
    session: &mut Session,
    validators: usize,
    out: &Path,
    base_port: u16,
    seed: Option<u64>,
) -> Result<()> {
    let chain = session.home.chain()?;
    let configs = network::init(
        out,
        &chain.genesis,
        &session.home.params(),
        validators,
        base_port,
        seed,
    )
    .map_err(|e| anyhow!("{e}"))?;
    println!(
        "wrote a network of {validators} validator(s) in {} (chain {})",
        out.display(),
        chain.genesis.chain_id
    );
    for c in &configs {
        println!(
            "  node {}: p2p {}  api http://{}  zkreg node run --config {}",
            c.index,
            c.p2p,
            c.api,
            out.join(format!("node-{}", c.index))
                .join("config.json")
                .display()
        );
    }
    Ok(())
}

/// `zkreg node run`.
pub fn cmd_run(config: &Path) -> Result<()> {
    let cfg = network::read_config(config).map_err(|e| anyhow!("{e}"))?;
    println!(
        "validator {}: p2p {}, API http://{}",
        cfg.index, cfg.p2p, cfg.api
    );
    network::run(cfg).map_err(|e| anyhow!("{e}"))
}

/// `zkreg ledger status --node`.
pub fn cmd_status(url: &str, as_json: bool) -> Result<()> {
    let c = connect(url)?;
    let s = c.status().map_err(|e| anyhow!("{e}"))?;
    if as_json {
        println!("{}", serde_json::to_string_pretty(&s)?);
        return Ok(());
    }
    println!("chain       {} (genesis {})", s.chain_id, s.chain_hash);
    println!(
        "height      {} (time {}; finalized {})",
        s.height, s.time, s.finalized_height
    );
    println!("state root  {}", s.state_root);
    println!("notes       {}", s.notes);
    println!("grants      {} leaves", s.grant_leaves);
    println!("txs         {}", s.txs);
    println!(
        "mempool     {} txs, {} bytes",
        s.mempool_txs, s.mempool_bytes
    );
    if let Some(h) = s.halted {
        println!("HALTED      {h}");
    }
    Ok(())
}

/// `zkreg ledger submit --node`: sends each file to the node's mempool, then (with `wait`)
/// waits until each is in a block or refused.
pub fn cmd_submit(url: &str, files: &[std::path::PathBuf], wait: bool) -> Result<()> {
    let c = connect(url)?;
    let mut ids = Vec::new();
    for f in files {
        let (bytes, tx): (Vec<u8>, Transaction) = util::read_tx(f)?;
        let r = c
            .submit(&bytes)
            .map_err(|e| anyhow!("{}: {e}", f.display()))?;
        println!(
            "  {:8} {}  ({}) {}",
            tx.kind().name(),
            r.id,
            f.display(),
            if r.new { "accepted" } else { "already pending" }
        );
        ids.push((f.display().to_string(), tx.id()));
    }
    if !wait {
        return Ok(());
    }
    for (name, id) in ids {
        let mut tries = 0;
        loop {
            let s = c.tx(&id).map_err(|e| anyhow!("{e}"))?;
            match s.status {
                TxState::Committed => {
                    println!("  {name}: in block {}", s.height.unwrap_or_default());
                    break;
                }
                TxState::Refused => bail!("{name}: refused: {}", s.reason.unwrap_or_default()),
                TxState::Unknown => bail!("{name}: the node no longer knows it"),
                TxState::Pending => {}
            }
            tries += 1;
            if tries > 1200 {
                bail!("{name}: not in a block after 60 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    Ok(())
}

/// `zkreg ledger sync --node`: replays the node's blocks into the local ledger, each through
/// `apply_block` (every rule, every proof), and refuses a block whose resulting state root is
/// not the node's.
pub fn cmd_sync(session: &mut Session, url: &str) -> Result<()> {
    let c = connect(url)?;
    let ledger = session.ledger()?;
    if ledger.config().hash != c.chain().hash {
        bail!(
            "the node runs chain {} but this home's ledger is chain {}; join it with `zkreg ledger init --genesis FILE`",
            hex::encode(c.chain().hash),
            hex::encode(ledger.config().hash)
        );
    }
    let tip = c.status().map_err(|e| anyhow!("{e}"))?.height;
    let start = ledger.status().height;
    for h in start + 1..=tip {
        let b = c.block(h).map_err(|e| anyhow!("{e}"))?;
        let txs = b
            .txs
            .iter()
            .map(|t| hex::decode(&t.tx).map_err(|_| anyhow!("block {h}: a transaction is not hex")))
            .collect::<Result<Vec<_>>>()?;
        let s = ledger
            .apply_block(h, b.time, &txs)
            .map_err(|e| anyhow!("block {h} from the node does not apply: {e}"))?;
        if hex::encode(s.state_root) != b.state_root {
            bail!("block {h}: the node's state root differs from the one applying it gives");
        }
    }
    let s = ledger.status();
    println!(
        "synced {} block(s) from {url}: height {}, state root {}",
        tip.saturating_sub(start),
        s.height,
        hex::encode(s.state_root)
    );
    Ok(())
}
