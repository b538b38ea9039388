//! The regulator's commands: `zkreg audit export|summary|graph|disclose|verify-disclosure`.
//!
//! Argument handling and printing only: decryption, typed records, the export formats and
//! disclosures live in the `zkreg-regulator` library. This module resolves key names and the
//! home's labels, and prints.

use crate::{home::Session, progress, util};
use anyhow::{anyhow, Context, Result};
use rand::rngs::OsRng;
use std::{
    io::{BufWriter, Write},
    path::Path,
};
use zkreg_ledger::LedgerView;
use zkreg_regulator::{
    directory::NAMED_COLUMNS,
    disclosure::{self, DisclosureFile},
    export, graph,
    record::COLUMNS,
    summary::Summary,
    Directory, Labels, Record,
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

/// Who opens an export's records.
pub enum ExportKey {
    /// A regulator key of this home.
    Regulator(String),
    /// A committee's key file and its members' decryption-share files.
    Committee {
        /// Committee key file.
        key: std::path::PathBuf,
        /// Share files.
        shares: Vec<std::path::PathBuf>,
    },
}

/// The key material of an export, read before the ledger is opened.
enum Loaded {
    Key(zkreg_circuits::audit::RegulatorSecretKey),
    Committee(
        zkreg_regulator::committee::CommitteeKey,
        Vec<zkreg_regulator::committee::MemberShares>,
    ),
}

fn load(session: &Session, key: &ExportKey) -> Result<Loaded> {
    Ok(match key {
        ExportKey::Regulator(name) => Loaded::Key(session.home.regulator(name)?),
        ExportKey::Committee { key, shares } => {
            let (k, files) = crate::committee_cmd::read_shares(key, shares)?;
            Loaded::Committee(k, files)
        }
    })
}

/// Runs `f` with the opener of `key` over `view` (a committee's shares are combined for the
/// range first, and members whose shares fail their proofs are named on stderr).
fn with_opener<T>(
    view: &dyn LedgerView,
    key: &Loaded,
    from: u64,
    to: u64,
    f: impl FnOnce(&export::Opener<'_>) -> Result<T>,
) -> Result<T> {
    match key {
        Loaded::Key(rsk) => f(&export::Opener::Key(rsk)),
        Loaded::Committee(k, files) => {
            let (points, rejected) =
                zkreg_regulator::committee::combine_range(view, k, files, from, to)?;
            for (tx, members) in &rejected {
                let m: Vec<String> = members.iter().map(u16::to_string).collect();
                eprintln!(
                    "warning: tx {}: the share(s) of member(s) {} failed their Chaum–Pedersen proof and were excluded",
                    hex::encode(tx),
                    m.join(", ")
                );
            }
            f(&export::Opener::Points {
                rpk: k.rpk()?,
                points: &points,
            })
        }
    }
}

/// The regulator's directory at `path`, if one is given.
pub fn load_directory(path: Option<&Path>) -> Result<Option<Directory>> {
    path.map(|p| {
        let text = util::read_text(p)?;
        Directory::parse(&text).map_err(|e| anyhow!("directory {}: {e}", p.display()))
    })
    .transpose()
}

/// Runs `f` on a buffered writer to `out` (a temporary file beside it, renamed into place once
/// `f` succeeds), or to stdout.
fn with_output<T>(out: Option<&Path>, f: impl FnOnce(&mut dyn Write) -> Result<T>) -> Result<T> {
    match out {
        Some(path) => {
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => std::path::PathBuf::from("."),
            };
            let tmp = tempfile::NamedTempFile::new_in(&dir)
                .with_context(|| format!("cannot write into {}", dir.display()))?;
            let mut w = BufWriter::with_capacity(1 << 20, tmp);
            let t = f(&mut w)?;
            let tmp = w
                .into_inner()
                .map_err(|e| anyhow!("cannot write {}: {}", path.display(), e.error()))?;
            tmp.persist(path)
                .map_err(|e| anyhow!("cannot write {}: {}", path.display(), e.error))?;
            Ok(t)
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = BufWriter::with_capacity(1 << 20, stdout.lock());
            let t = f(&mut w)?;
            w.flush().context("cannot write to stdout")?;
            Ok(t)
        }
    }
}

/// The regulator's view of the chain: the local ledger, or a node with `--node`, and its labels.
fn with_view<T>(
    session: &mut Session,
    node: Option<&str>,
    extra_labels: &[String],
    f: impl FnOnce(&dyn LedgerView, &Labels) -> Result<T>,
) -> Result<T> {
    match node {
        Some(url) => {
            let client = crate::node_cmd::connect(url)?;
            let labels = labels_for(session, client.chain(), extra_labels);
            f(&client, &labels)
        }
        None => {
            let labels = home_labels(session, extra_labels)?;
            f(session.ledger()?, &labels)
        }
    }
}

/// A progress callback for a bar over heights `from..=to` showing records and records/s.
fn export_progress(pb: &indicatif::ProgressBar) -> impl FnMut(export::Progress) + '_ {
    let t = std::time::Instant::now();
    move |p: export::Progress| {
        pb.set_position(p.heights);
        let secs = t.elapsed().as_secs_f64().max(1e-9);
        pb.set_message(format!(
            "{} records, {:.0} records/s",
            p.records,
            p.records as f64 / secs
        ));
    }
}

/// What `zkreg audit export|summary|graph` read: who decrypts, which heights, which names.
pub struct AuditRange<'a> {
    /// `--node URL`.
    pub node: Option<&'a str>,
    /// Who decrypts.
    pub key: &'a ExportKey,
    /// First height.
    pub from: u64,
    /// Last height.
    pub to: u64,
    /// `--label` names.
    pub extra_labels: &'a [String],
    /// `--directory FILE`.
    pub directory: Option<&'a Path>,
}

/// Streams the records of `range` through `sink` chunk by chunk, with a progress bar.
fn stream_records(
    session: &mut Session,
    range: &AuditRange<'_>,
    sink: &mut dyn FnMut(&[Record]) -> Result<(), export::ExportError>,
) -> Result<u64> {
    let key = load(session, range.key)?;
    let (from, to) = (range.from, range.to);
    with_view(session, range.node, range.extra_labels, |view, labels| {
        with_opener(view, &key, from, to, |opener| {
            let pb = progress::records_bar(to.saturating_sub(from) + 1, "decrypting");
            let mut report = export_progress(&pb);
            let done =
                export::for_each_chunk(view, opener, from, to, labels, &|r| r, &mut |p, pieces| {
                    for records in pieces {
                        sink(&records)?;
                    }
                    report(p);
                    Ok(())
                });
            pb.finish_and_clear();
            Ok(done?.records)
        })
    })
}

/// `zkreg audit export`: streamed, in memory bounded by one chunk.
pub fn cmd_export(
    session: &mut Session,
    range: &AuditRange<'_>,
    csv_format: bool,
    out: Option<&Path>,
) -> Result<()> {
    let key = load(session, range.key)?;
    let directory = load_directory(range.directory)?;
    let format = if csv_format {
        export::Format::Csv
    } else {
        export::Format::JsonLines
    };
    let (from, to) = (range.from, range.to);
    let n = with_view(session, range.node, range.extra_labels, |view, labels| {
        with_opener(view, &key, from, to, |opener| {
            with_output(out, |w| {
                let pb = progress::records_bar(to.saturating_sub(from) + 1, "exporting");
                let n = export::write_export(
                    view,
                    opener,
                    from,
                    to,
                    labels,
                    format,
                    directory.as_ref(),
                    w,
                    &mut export_progress(&pb),
                );
                pb.finish_and_clear();
                Ok(n?)
            })
        })
    })?;
    if let Some(path) = out {
        println!(
            "exported {n} record(s) of heights {from}..={to} as {} to {}",
            if csv_format { "CSV" } else { "JSON lines" },
            path.display()
        );
    }
    Ok(())
}

/// `zkreg audit summary`: payments per asset and per party per period of `period_blocks`
/// heights.
pub fn cmd_summary(
    session: &mut Session,
    range: &AuditRange<'_>,
    period_blocks: u64,
    csv_format: bool,
    out: Option<&Path>,
) -> Result<()> {
    let directory = load_directory(range.directory)?;
    let mut summary = Summary::new(period_blocks)?;
    let n = stream_records(session, range, &mut |records| {
        records.iter().for_each(|r| summary.add(r));
        Ok(())
    })?;
    with_output(out, |w| {
        if csv_format {
            summary.write_csv(directory.as_ref(), w)?;
        } else {
            summary.write_json_lines(directory.as_ref(), w)?;
        }
        Ok(())
    })?;
    if let Some(path) = out {
        println!(
            "summarised {n} record(s) of heights {}..={} by periods of {period_blocks} blocks to {}",
            range.from,
            range.to,
            path.display()
        );
    }
    Ok(())
}

/// `zkreg audit graph`: the spent-note graph as a CSV edge list, streamed.
pub fn cmd_graph(session: &mut Session, range: &AuditRange<'_>, out: Option<&Path>) -> Result<()> {
    let directory = load_directory(range.directory)?;
    let n = with_output(out, |w| {
        graph::write_header(&mut *w)?;
        let n = stream_records(session, range, &mut |records| {
            Ok(graph::write_edges(records, directory.as_ref(), &mut *w)?)
        })?;
        Ok(n)
    })?;
    if let Some(path) = out {
        println!(
            "wrote the payment edges of {n} record(s) of heights {}..={} to {}",
            range.from,
            range.to,
            path.display()
        );
    }
    Ok(())
}

/// `zkreg audit disclose`.
pub fn cmd_disclose(session: &mut Session, key: &ExportKey, tx: &str, out: &Path) -> Result<()> {
    let key = load(session, key)?;
    let id = util::id_from_hex(tx)?;
    let labels = home_labels(session, &[])?;
    let d = match &key {
        Loaded::Key(rsk) => disclosure::disclose(session.ledger()?, rsk, &id, &labels, &mut OsRng)?,
        Loaded::Committee(k, files) => {
            let shares: Vec<_> = files
                .iter()
                .flatten()
                .filter(|(t, _)| *t == id)
                .map(|(_, s)| *s)
                .collect();
            disclosure::disclose_by_committee(session.ledger()?, k, &shares, &id, &labels)?
        }
    };
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

/// `zkreg audit verify-disclosure`; parties named from `directory`.
pub fn cmd_verify_disclosure(
    session: &mut Session,
    file: &Path,
    directory: Option<&Path>,
) -> Result<()> {
    let directory = load_directory(directory)?;
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
    println!("  the shared point is proven to come from the regulator key in force at that height (Chaum–Pedersen; a committee's: every member share proven, the shares combining to it), and every disclosed field equals the ledger ciphertext's decryption:");
    for col in COLUMNS {
        if let Some(v) = row.get(*col) {
            let name = NAMED_COLUMNS
                .iter()
                .find(|(id, _)| id == col)
                .and_then(|_| directory.as_ref()?.name(&cell(Some(v))));
            match name {
                Some(n) => println!("  {col:12} {} ({n})", cell(Some(v))),
                None => println!("  {col:12} {}", cell(Some(v))),
            }
        }
    }
    Ok(())
}
