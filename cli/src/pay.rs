//! Payments: `zkreg mint|pay|withdraw` and `zkreg wallet sync|balance|history`.
//!
//! A wallet is re-derived on every command by scanning the local ledger's outputs with the
//! wallet's delivery key, then marking the notes whose nullifiers the ledger has published.

use crate::{home::Session, ledger_cmd::known_asset, progress, util};
use anyhow::{anyhow, bail, Context, Result};
use rand::rngs::OsRng;
use serde_json::json;
use zkreg_ledger::Ledger;
use zkreg_prover::{
    builder::{build_payment, PaymentRequest},
    keys::{Address, WalletKeys},
    wallet::{LedgerOutput, Wallet},
};
use zkreg_regulator::Labels;
use zkreg_verifier::Transaction;

/// Scans the whole ledger for `keys`' notes (with a progress bar).
pub fn scan(ledger: &Ledger, keys: WalletKeys, show: bool) -> Result<Wallet> {
    let outputs: Vec<LedgerOutput> = ledger
        .outputs_from(0)
        .map_err(|e| anyhow!("{e}"))?
        .into_iter()
        .map(|o| LedgerOutput {
            pos: o.pos,
            cm: o.cm,
            delivery: o.delivery,
        })
        .collect();
    let nullifiers = ledger.nullifiers().map_err(|e| anyhow!("{e}"))?;
    scan_outputs(keys, &outputs, &nullifiers, show)
}

/// Scans a node's compact blocks for `keys`' notes: the same outputs and nullifiers as a local
/// ledger holds, in the same order. Returns the wallet and the node's height.
pub fn scan_node(
    client: &zkreg_node::client::NodeClient,
    keys: WalletKeys,
    show: bool,
) -> Result<(Wallet, u64)> {
    let (tip, blocks) = client.compact_all().map_err(|e| anyhow!("{e}"))?;
    let bad = |what: &str, v: &str| anyhow!("the node sent a malformed {what}: {v:?}");
    let fr =
        |v: &str, what: &str| zkreg_verifier::fieldhex::fr_from_hex(v).ok_or_else(|| bad(what, v));
    let mut outputs = Vec::new();
    let mut nullifiers = Vec::new();
    for b in blocks {
        for o in b.outputs {
            outputs.push(LedgerOutput {
                pos: o.pos,
                cm: fr(&o.cm, "commitment")?,
                delivery: hex::decode(&o.delivery).map_err(|_| bad("delivery", &o.delivery))?,
            });
        }
        for n in b.nullifiers {
            nullifiers.push(fr(&n, "nullifier")?);
        }
    }
    Ok((scan_outputs(keys, &outputs, &nullifiers, show)?, tip))
}

fn scan_outputs(
    keys: WalletKeys,
    outputs: &[LedgerOutput],
    nullifiers: &[ark_bls12_381::Fr],
    show: bool,
) -> Result<Wallet> {
    let pb = if show {
        progress::bar(outputs.len() as u64, "scanning the ledger")
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut w = Wallet::new(keys);
    w.scan(outputs, &mut |n| pb.set_position(n as u64))
        .map_err(|e| anyhow!("scanning failed: {e}"))?;
    w.mark_spent(nullifiers);
    pb.finish_and_clear();
    Ok(w)
}

/// A proven transaction and what it did.
pub struct Built {
    /// The transaction.
    pub tx: Transaction,
    /// Proving time in seconds.
    pub prove_secs: f64,
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

/// Builds, signs (if an issuer is given) and proves a payment from `keys`' wallet.
pub fn build(session: &mut Session, keys: WalletKeys, a: &PayArgs, show: bool) -> Result<Built> {
    let rpk = session.next_rpk()?;
    let (ledger, prover) = session.ledger_and_prover()?;
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
    let wallet = scan(ledger, keys, show)?;
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

/// `zkreg wallet sync|balance`.
pub fn cmd_balance(
    session: &mut Session,
    node: Option<&str>,
    name: &str,
    as_json: bool,
    sync_only: bool,
) -> Result<()> {
    let keys = session.home.wallet(name)?;
    let (w, labels, height) = match node {
        Some(url) => {
            let client = crate::node_cmd::connect(url)?;
            let (w, height) = scan_node(&client, keys, !as_json)?;
            (w, Labels::of_chain(client.chain()), height)
        }
        None => {
            let ledger = session.ledger()?;
            let w = scan(ledger, keys, !as_json)?;
            (w, asset_labels(ledger), ledger.status().height)
        }
    };
    let b = w.balances();
    if as_json {
        let assets: Vec<_> = b
            .iter()
            .map(|x| json!({"asset": labels.resolve(x.asset).to_string(), "balance": x.unspent, "unspent_notes": x.unspent_notes, "spent_notes": x.spent_notes}))
            .collect();
        let out = json!({
            "wallet": name,
            "address": w.keys.address().encode(),
            "height": height,
            "outputs_scanned": w.scanned(),
            "notes": w.notes().iter().filter(|n| n.note.value > 0).count(),
            "balances": assets,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    if sync_only {
        println!(
            "{name}: scanned {} outputs up to height {height}; {} note(s) are ours, {} unspent",
            w.scanned(),
            w.notes().iter().filter(|n| n.note.value > 0).count(),
            w.notes()
                .iter()
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

/// `zkreg wallet history`.
pub fn cmd_history(session: &mut Session, name: &str, as_json: bool) -> Result<()> {
    let keys = session.home.wallet(name)?;
    let ledger = session.ledger()?;
    let w = scan(ledger, keys, !as_json)?;
    let labels = asset_labels(ledger);
    let mut events = Vec::new();
    for n in w.notes().iter().filter(|n| n.note.value > 0) {
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
            serde_json::to_string_pretty(&json!({"wallet": name, "history": rows}))?
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
