//! The regulator's commands: `zkreg audit export|disclose|verify-disclosure`.
//!
//! Argument handling and printing only: decryption, typed records, the export formats and
//! disclosures live in the `zkreg-regulator` library. This module resolves key names and the
//! home's labels, and prints.

use crate::{home::Session, util};
use anyhow::{anyhow, Context, Result};
use rand::rngs::OsRng;
use std::path::Path;
use zkreg_regulator::{
    disclosure::{self, DisclosureFile},
    export,
    record::COLUMNS,
    Labels, Record,
};
pub use zkreg_regulator::{export::cell, record::Row};

/// Labels this home knows: genesis assets, datasets and purposes of local consent requests, and
/// any given on the command line.
pub fn home_labels(session: &mut Session, extra: &[String]) -> Result<Labels> {
    let config = session.ledger()?.config().clone();
    Ok(labels_for(session, &config, extra))
}

/// [`home_labels`] for the chain `config` (a node's, with `--node`).
pub fn labels_for(
    session: &Session,
    config: &zkreg_ledger::ChainConfig,
    extra: &[String],
) -> Labels {
    let mut l = Labels::of_chain(config);
    for r in crate::consent::all_requests(&session.home) {
        l.add(&r.dataset);
        l.add(&r.purpose);
    }
    for x in extra {
        l.add(x);
    }
    l
}

/// `zkreg audit export`.
#[allow(clippy::too_many_arguments)]
pub fn cmd_export(
    session: &mut Session,
    node: Option<&str>,
    regulator: &str,
    from: u64,
    to: u64,
    csv_format: bool,
    out: Option<&Path>,
    extra_labels: &[String],
) -> Result<()> {
    let rsk = session.home.regulator(regulator)?;
    let records = match node {
        Some(url) => {
            let client = crate::node_cmd::connect(url)?;
            let labels = labels_for(session, client.chain(), extra_labels);
            export::decrypt_range(&client, &rsk, from, to, &labels)?
        }
        None => {
            let labels = home_labels(session, extra_labels)?;
            export::decrypt_range(session.ledger()?, &rsk, from, to, &labels)?
        }
    };
    let mut bytes = Vec::new();
    if csv_format {
        export::write_csv(&records, &mut bytes).context("cannot write CSV")?;
    } else {
        export::write_json_lines(&records, &mut bytes).context("cannot write JSON")?;
    }
    match out {
        Some(path) => {
            util::write(path, &bytes)?;
            println!(
                "exported {} record(s) of heights {from}..={to} as {} to {}",
                records.len(),
                if csv_format { "CSV" } else { "JSON lines" },
                path.display()
            );
        }
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(&bytes)
                .context("cannot write to stdout")?;
        }
    }
    Ok(())
}

/// `zkreg audit disclose`.
pub fn cmd_disclose(session: &mut Session, regulator: &str, tx: &str, out: &Path) -> Result<()> {
    let rsk = session.home.regulator(regulator)?;
    let id = util::id_from_hex(tx)?;
    let labels = home_labels(session, &[])?;
    let d = disclosure::disclose(session.ledger()?, &rsk, &id, &labels, &mut OsRng)?;
    util::write(out, serde_json::to_string_pretty(&d)?.as_bytes())?;
    println!(
        "disclosure of {} tx {} (height {}) written to {}",
        d.kind,
        d.tx_id,
        d.height,
        out.display()
    );
    println!(
        "anyone with this ledger can check it: zkreg audit verify-disclosure {}",
        out.display()
    );
    Ok(())
}

/// Checks a disclosure against this home's ledger (no regulator key), naming labels the home
/// knows. What a caller shows must come from the returned record.
pub fn verify_disclosure(session: &mut Session, d: &DisclosureFile) -> Result<Record> {
    let labels = home_labels(session, &[])?;
    Ok(disclosure::verify(session.ledger()?, &labels, d)?)
}

/// `zkreg audit verify-disclosure`.
pub fn cmd_verify_disclosure(session: &mut Session, file: &Path) -> Result<()> {
    let text = util::read_text(file)?;
    let d = DisclosureFile::from_json(&text).map_err(|e| anyhow!("{}: {e}", file.display()))?;
    let row = verify_disclosure(session, &d)?.to_row();
    // Everything shown comes from the verified record (the ledger and the decryption), not the
    // file.
    println!(
        "disclosure valid: {} tx {} at height {}",
        cell(row.get("kind")),
        cell(row.get("tx_id")),
        cell(row.get("height"))
    );
    println!("  the shared point is proven to come from the genesis regulator key (Chaum–Pedersen), and every disclosed field equals the ledger ciphertext's decryption:");
    for col in COLUMNS {
        if let Some(v) = row.get(*col) {
            println!("  {col:12} {}", cell(Some(v)));
        }
    }
    Ok(())
}
