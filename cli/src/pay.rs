//! Payments: `zkreg mint|pay|withdraw` and `zkreg wallet sync|balance|history|notes`.
//!
//! A wallet lives in its own store (`HOME/wallets/NAME-CHAIN/`, [`zkreg_prover::store`]): every
//! command syncs it incrementally from where it stopped ([`zkreg_prover::sync`]), from the local
//! ledger or from a node's compact blocks, then answers from it.

use crate::{home::Session, ledger_cmd::known_asset, progress, util};
use anyhow::{anyhow, bail, Context, Result};
use rand::rngs::OsRng;
use serde_json::json;
use std::path::{Path, PathBuf};
use zkreg_ledger::Ledger;
use zkreg_prover::{
    builder::{build_payment, PaymentRequest},
    keys::{Address, WalletKeys},
    store::WalletStore,
    sync::{sync, ChunkSource, DEFAULT_CHUNK_OUTPUTS},
    wallet::{LedgerOutput, ScanChunk, Wallet},
};
use zkreg_regulator::Labels;
use zkreg_verifier::Transaction;

/// The local ledger as a chunk source.
pub struct LocalChunks<'a>(pub &'a Ledger);

impl ChunkSource for LocalChunks<'_> {
    fn tip(&mut self) -> Result<(u64, u64), String> {
        let s = self.0.status();
        Ok((s.height, s.notes))
    }

    fn chunk(&mut self, after: u64, next_pos: u64, max: usize) -> Result<ScanChunk, String> {
        let c = self
            .0
            .scan_chunk(after, next_pos, max)
            .map_err(|e| e.to_string())?;
        Ok(ScanChunk {
            to_height: c.to_height,
            outputs: c
                .outputs
                .into_iter()
                .map(|o| LedgerOutput {
                    pos: o.pos,
                    cm: o.cm,
                    delivery: o.delivery,
                })
                .collect(),
            nullifiers: c.nullifiers,
        })
    }
}

/// A node's compact-block stream as a chunk source: the same outputs and nullifiers as a local
/// ledger holds, in the same order. The node learns which heights a wallet reads, never which
/// notes are its own or which it spends.
pub struct NodeChunks<'a>(pub &'a zkreg_node::client::NodeClient);

impl ChunkSource for NodeChunks<'_> {
    fn tip(&mut self) -> Result<(u64, u64), String> {
        let s = self.0.status().map_err(|e| e.to_string())?;
        Ok((s.height, s.notes))
    }

    fn chunk(&mut self, after: u64, _next_pos: u64, max: usize) -> Result<ScanChunk, String> {
        let bad = |what: &str, v: &str| format!("the node sent a malformed {what}: {v:?}");
        let fr = |v: &str, what: &str| {
            zkreg_verifier::fieldhex::fr_from_hex(v).ok_or_else(|| bad(what, v))
        };
        let mut chunk = ScanChunk {
            to_height: after,
            ..ScanChunk::default()
        };
        loop {
            let r = self
                .0
                .compact(chunk.to_height + 1, zkreg_node::api::MAX_COMPACT_BLOCKS, 0)
                .map_err(|e| e.to_string())?;
            if r.blocks.is_empty() {
                return Ok(chunk);
            }
            for b in r.blocks {
                if b.height != chunk.to_height + 1 {
                    return Err(format!(
                        "the node sent block {} after block {}",
                        b.height, chunk.to_height
                    ));
                }
                for o in b.outputs {
                    chunk.outputs.push(LedgerOutput {
                        pos: o.pos,
                        cm: fr(&o.cm, "commitment")?,
                        delivery: hex::decode(&o.delivery)
                            .map_err(|_| bad("delivery", &o.delivery))?,
                    });
                }
                for n in b.nullifiers {
                    chunk.nullifiers.push(fr(&n, "nullifier")?);
                }
                chunk.to_height = b.height;
                if chunk.outputs.len() >= max {
                    return Ok(chunk);
                }
            }
            if chunk.to_height >= r.tip {
                return Ok(chunk);
            }
        }
    }
}

/// Where `name`'s wallet store lives for a chain: one store per wallet and chain.
pub fn store_path(home: &Path, name: &str, chain: &[u8; 32]) -> PathBuf {
    home.join("wallets")
        .join(format!("{name}-{}", &hex::encode(chain)[..16]))
}

/// Opens `name`'s wallet store (with at least `account + 1` accounts) and syncs it from
/// `source` with a progress bar (outputs/s and ETA). Adding an account rescans from the start:
/// an account's old notes need witnesses only a full scan can build.
pub fn synced_wallet(
    home: &Path,
    name: &str,
    keys: WalletKeys,
    account: u32,
    chain: &[u8; 32],
    source: &mut dyn ChunkSource,
    show: bool,
) -> Result<Wallet> {
    let path = store_path(home, name, chain);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let store = WalletStore::open(&path).map_err(|e| anyhow!("{e}"))?;
    let mut w = store
        .load(keys.clone(), account + 1)
        .map_err(|e| anyhow!("{e}"))?;
    if account >= w.accounts() {
        if show {
            eprintln!("adding account {account} to {name}: rescanning from the first block");
        }
        w = Wallet::with_accounts(keys, account + 1);
    }
    let pb = if show {
        progress::rate_bar(0, "syncing the wallet")
    } else {
        indicatif::ProgressBar::hidden()
    };
    sync(
        &mut w,
        Some(&store),
        source,
        DEFAULT_CHUNK_OUTPUTS,
        &mut |p| {
            pb.set_length(p.outputs_total);
            pb.set_position(p.outputs_done);
        },
    )
    .map_err(|e| anyhow!("wallet sync failed: {e}"))?;
    pb.finish_and_clear();
    w.use_account(account).map_err(|e| anyhow!("{e}"))?;
    Ok(w)
}

/// `name`'s wallet synced with the local ledger; its anchor must be the ledger's note root (a
/// store that disagrees is refused rather than used to build a doomed proof).
pub fn scan(session: &mut Session, name: &str, account: u32, show: bool) -> Result<Wallet> {
    let keys = session.home.wallet(name)?;
    let home = session.home.root.clone();
    let ledger: &Ledger = session.ledger()?;
    let chain = ledger.config().hash;
    let w = synced_wallet(
        &home,
        name,
        keys,
        account,
        &chain,
        &mut LocalChunks(ledger),
        show,
    )?;
    let status = ledger.status();
    if w.synced_height() == status.height && w.anchor() != status.note_root {
        bail!(
            "the wallet store {} disagrees with the ledger's note tree; remove it to rescan",
            store_path(&home, name, &chain).display()
        );
    }
    Ok(w)
}

/// A proven transaction and what it did.
pub struct Built {
    /// The transaction.
    pub tx: Transaction,
    /// Proving time in seconds.
    pub prove_secs: f64,
}

/// Whose funds a payment spends.
pub enum From<'a> {
    /// A wallet of this home, and the account to spend from.
    Wallet {
        /// Wallet key name.
        name: &'a str,
        /// Account index.
        account: u32,
    },
    /// Keys with no store (a throwaway deposit wallet: it spends nothing).
    Keys(WalletKeys),
}

/// What a payment moves.
pub struct PayArgs<'a> {
    /// Asset name.
    pub asset: &'a str,
    /// Recipient.
    pub to: Option<Address>,
    /// Amount to the recipient.
    pub amount: u64,
    /// Deposit (mint) amount.
    pub deposit: u64,
    /// Withdrawal amount.
    pub withdraw: u64,
    /// Fee.
    pub fee: u64,
    /// Withdrawal destination.
    pub destination: Vec<u8>,
    /// Issuer signing key (deposits and withdrawals).
    pub issuer: Option<&'a ed25519_dalek::SigningKey>,
}

/// Builds, signs (if an issuer is given) and proves a payment from the wallet `from`: a wallet
/// name and account (its store is synced first), or throwaway keys (an issuer's deposit).
pub fn build(session: &mut Session, from: From<'_>, a: &PayArgs, show: bool) -> Result<Built> {
    let rpk = session.next_rpk()?;
    let wallet = match from {
        From::Wallet { name, account } => scan(session, name, account, show)?,
        From::Keys(keys) => Wallet::new(keys),
    };
    let (ledger, prover) = session.ledger_and_prover(zkreg_verifier::TxKind::Payment)?;
    let asset = known_asset(ledger.config(), a.asset)?;
    if let Some(issuer) = a.issuer {
        let vk = issuer.verifying_key().to_bytes();
        if !ledger.config().is_issuer(&asset, &vk) {
            bail!(
                "this issuer key ({}) is not an issuer of {} in the genesis",
                hex::encode(vk),
                a.asset
            );
        }
    }
    let req = PaymentRequest {
        asset,
        to: a.to.map(|t| vec![(t, a.amount)]).unwrap_or_default(),
        deposit: a.deposit,
        withdraw: a.withdraw,
        fee: a.fee,
        destination: a.destination.clone(),
        memo: Vec::new(),
        rpk,
        chain: ledger.config().hash,
    };
    let mut u = build_payment(&wallet, &req, &ledger.accepted_anchors(), &mut OsRng)
        .map_err(|e| anyhow!("cannot build the payment: {e}"))?;
    if let Some(issuer) = a.issuer {
        u.sign_as_issuer(issuer);
    }
    let (tx, prove_secs) = progress::prove(prover, u, &mut OsRng)?;
    Ok(Built { tx, prove_secs })
}

/// Prints where a transaction went.
pub fn print_written(
    out: &std::path::Path,
    tx: &Transaction,
    bytes: usize,
    secs: f64,
    node: Option<&str>,
) {
    println!(
        "proved the {} statement in {secs:.2} s; wrote {bytes} bytes to {}",
        tx.kind().name(),
        out.display()
    );
    println!("tx id {}", util::id_hex(&tx.id()));
    match node {
        Some(url) => println!(
            "submit it with: zkreg --node {url} ledger submit {}",
            out.display()
        ),
        None => println!("submit it with: zkreg ledger submit {}", out.display()),
    }
}

/// Label names known to this home (genesis assets).
pub fn asset_labels(ledger: &Ledger) -> Labels {
    Labels::of_chain(ledger.config())
}

/// A wallet's name as printed: `alice`, or `alice#2` for account 2.
fn shown(name: &str, account: u32) -> String {
    if account == 0 {
        name.to_string()
    } else {
        format!("{name}#{account}")
    }
}

/// `zkreg wallet sync|balance`.
pub fn cmd_balance(
    session: &mut Session,
    node: Option<&str>,
    wallet: &str,
    account: u32,
    as_json: bool,
    sync_only: bool,
) -> Result<()> {
    let keys = session.home.wallet(wallet)?;
    let (w, labels, height) = match node {
        Some(url) => {
            let client = crate::node_cmd::connect(url)?;
            let chain = client.chain().hash;
            let home = session.home.root.clone();
            let w = synced_wallet(
                &home,
                wallet,
                keys,
                account,
                &chain,
                &mut NodeChunks(&client),
                !as_json,
            )?;
            let height = w.synced_height();
            (w, Labels::of_chain(client.chain()), height)
        }
        None => {
            let w = scan(session, wallet, account, !as_json)?;
            let ledger = session.ledger()?;
            (w, asset_labels(ledger), ledger.status().height)
        }
    };
    let name = &shown(wallet, account);
    let b = w.balances();
    if as_json {
        let assets: Vec<_> = b
            .iter()
            .map(|x| json!({"asset": labels.resolve(x.asset).to_string(), "balance": x.unspent, "unspent_notes": x.unspent_notes, "spent_notes": x.spent_notes}))
            .collect();
        let out = json!({
            "wallet": wallet,
            "account": account,
            "address": w.keys.address().encode(),
            "height": height,
            "outputs_scanned": w.scanned(),
            "notes": w.notes_of(account).filter(|n| n.note.value > 0).count(),
            "balances": assets,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    if sync_only {
        println!(
            "{name}: scanned {} outputs up to height {height}; {} note(s) are ours, {} unspent",
            w.scanned(),
            w.notes_of(account).filter(|n| n.note.value > 0).count(),
            w.notes_of(account)
                .filter(|n| n.note.value > 0 && !n.spent)
                .count()
        );
        return Ok(());
    }
    if b.is_empty() {
        println!("{name}: no funds (height {height})");
    }
    for x in &b {
        println!(
            "{name}: {} {} in {} note(s) (height {height})",
            x.unspent,
            labels.resolve(x.asset).to_string(),
            x.unspent_notes
        );
    }
    Ok(())
}

/// `zkreg wallet notes`: every note of the account, spent or not.
pub fn cmd_notes(session: &mut Session, wallet: &str, account: u32, as_json: bool) -> Result<()> {
    let w = scan(session, wallet, account, !as_json)?;
    let labels = asset_labels(session.ledger()?);
    let notes: Vec<_> = w.notes_of(account).filter(|n| n.note.value > 0).collect();
    if as_json {
        let rows: Vec<_> = notes
            .iter()
            .map(|n| {
                json!({
                    "position": n.pos,
                    "asset": labels.resolve(n.note.asset).to_string(),
                    "value": n.note.value,
                    "commitment": zkreg_verifier::fieldhex::fr_hex(&n.cm),
                    "nullifier": zkreg_verifier::fieldhex::fr_hex(&n.nullifier),
                    "spent": n.spent,
                })
            })
            .collect();
        let out = json!({"wallet": wallet, "account": account, "height": w.synced_height(), "notes": rows});
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let name = shown(wallet, account);
    if notes.is_empty() {
        println!("{name}: no notes yet");
    }
    for n in notes {
        println!(
            "{name}: note #{:<6} {:>12} {:6} {}",
            n.pos,
            n.note.value,
            labels.resolve(n.note.asset).to_string(),
            if n.spent { "spent" } else { "unspent" }
        );
    }
    Ok(())
}

/// `zkreg wallet history`.
pub fn cmd_history(session: &mut Session, wallet: &str, account: u32, as_json: bool) -> Result<()> {
    let w = scan(session, wallet, account, !as_json)?;
    let name = &shown(wallet, account);
    let ledger = session.ledger()?;
    let labels = asset_labels(ledger);
    let mut events = Vec::new();
    for n in w.notes_of(account).filter(|n| n.note.value > 0) {
        let origin = ledger
            .commitment_origin(&n.cm)
            .map_err(|e| anyhow!("{e}"))?
            .context("a scanned note has no origin on the ledger")?;
        events.push((
            origin.height,
            "received",
            n.note.value,
            labels.resolve(n.note.asset).to_string(),
            util::id_hex(&origin.tx_id),
            n.pos,
        ));
        if let Some((h, id)) = ledger.spent_by(&n.nullifier).map_err(|e| anyhow!("{e}"))? {
            events.push((
                h,
                "spent",
                n.note.value,
                labels.resolve(n.note.asset).to_string(),
                util::id_hex(&id),
                n.pos,
            ));
        }
    }
    events.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(a.1)));
    if as_json {
        let rows: Vec<_> = events
            .iter()
            .map(|(h, what, v, a, id, pos)| {
                json!({"height": h, "event": what, "value": v, "asset": a, "tx_id": id, "note_position": pos})
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(
                &json!({"wallet": wallet, "account": account, "history": rows})
            )?
        );
        return Ok(());
    }
    if events.is_empty() {
        println!("{name}: no notes yet");
    }
    for (h, what, v, a, id, pos) in events {
        let sign = if what == "spent" { '-' } else { '+' };
        println!(
            "height {h:>4}  {sign}{v} {a:6} {what:8} note #{pos}  tx {}",
            util::short(&id)
        );
    }
    Ok(())
}
