//! Exports: every record of a height range, decrypted on all cores and streamed in ledger order,
//! in memory bounded by the chunk size whatever the chain's length; written as CSV or JSON lines.
//!
//! ```text
//! heights from..=to ──chunks of ~CHUNK_RECORDS records (LedgerView::audit_rows)──▶ raw rows
//!   ──pieces of PIECE_RECORDS on every core: decode, WrongKey check (the ledger's key
//!     schedule), S for the piece at once (Opener), keystream, links, rows formatted──▶ bytes
//!   ──written in ledger order──▶ the writer
//! ```
//!
//! Both formats hold the same cells: a JSON line is [`Record::to_row`] (plus the directory's
//! name columns); a CSV row has a cell per [`columns`] entry, [`cell`] of the row's value (empty
//! where the record has none), under a header of [`columns`].

use crate::{
    directory::{Directory, NAME_COLUMNS},
    labels::Labels,
    record::{ciphertext, AuditError, Decoder, Record, Row, COLUMNS},
};
use rayon::prelude::*;
use serde_json::Value;
use std::{collections::HashMap, io};
use zkreg_circuits::{
    audit::{PreparedKey, RegulatorSecretKey},
    ecc::JubjubAffine,
};
use zkreg_ledger::{query::audit_record, LedgerError, LedgerView};
use zkreg_prover::keys::point_to_hex;
use zkreg_verifier::TxId;

/// How an export gets the shared point `S = rsk·R` of a record: from the key itself, or from
/// a committee's combined decryption shares (`crate::committee::combine_range`).
pub enum Opener<'a> {
    /// A single regulator key: `S = rsk·R` (the scalar recoded once per export,
    /// [`PreparedKey`], each piece of records normalised with one inversion).
    Key(&'a RegulatorSecretKey),
    /// A committee: `S` per transaction, already combined from `t` checked shares, for the
    /// committee key `rpk`.
    Points {
        /// The committee's RPK.
        rpk: JubjubAffine,
        /// `S` per tx id.
        points: &'a HashMap<TxId, JubjubAffine>,
    },
}

/// An [`Opener`] ready for one export (a single key's recoding computed once).
enum Prepared<'a> {
    Key(PreparedKey),
    Points(&'a HashMap<TxId, JubjubAffine>),
}

impl<'a> Opener<'a> {
    fn rpk(&self) -> JubjubAffine {
        match self {
            Opener::Key(rsk) => rsk.public_key(),
            Opener::Points { rpk, .. } => *rpk,
        }
    }

    fn prepare(&self) -> Prepared<'a> {
        match self {
            Opener::Key(rsk) => Prepared::Key(PreparedKey::new(rsk)),
            Opener::Points { points, .. } => Prepared::Points(points),
        }
    }
}

impl Prepared<'_> {
    /// The shared point of each `(tx id, R)`, in order.
    fn shared_points(
        &self,
        sealed: &[(TxId, JubjubAffine)],
    ) -> Result<Vec<JubjubAffine>, AuditError> {
        match self {
            Prepared::Key(k) => {
                let r: Vec<JubjubAffine> = sealed.iter().map(|(_, r)| *r).collect();
                Ok(k.shared_points(&r))
            }
            Prepared::Points(points) => sealed
                .iter()
                .map(|(tx_id, _)| {
                    points
                        .get(tx_id)
                        .copied()
                        .ok_or(AuditError::NoSharedPoint { tx_id: *tx_id })
                })
                .collect(),
        }
    }
}

/// Records an export aims to hold in memory at once (one chunk of heights).
pub const CHUNK_RECORDS: u64 = 4096;
/// Records one core decrypts as a unit (their shared points normalised together).
pub const PIECE_RECORDS: usize = 64;
/// Most heights one chunk spans (a node answers at most this many per request).
pub const MAX_CHUNK_HEIGHTS: u64 = 10_000;

/// How far an export has come, after each chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Heights done (`from..=` the chunk's last height).
    pub heights: u64,
    /// Records done.
    pub records: u64,
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A record could not be read.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// The output could not be written.
    #[error("cannot write the export: {0}")]
    Io(#[from] io::Error),
}

/// Output format of [`write_export`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// CSV under a header of [`columns`].
    Csv,
    /// One JSON object per line, keys sorted.
    JsonLines,
}

/// Decrypts every record of heights `from..=to`, chunk by chunk, and hands `sink` the result of
/// `map` over each piece of the chunk, in ledger order, with the progress after the chunk.
///
/// At most about [`CHUNK_RECORDS`] records (one chunk) are held at once. Within a chunk, pieces
/// of [`PIECE_RECORDS`] records run on every core: each decodes its rows, checks each record's
/// key against the key in force at its height (the ledger's key schedule, read once: the
/// genesis and every rotation; a record encrypted to another key than the opener's fails with
/// [`AuditError::WrongKey`]), gets the piece's shared points at once, decodes and links every
/// record ([`Decoder`]) and applies `map` (formatting, say).
pub fn for_each_chunk<T: Send>(
    ledger: &dyn LedgerView,
    opener: &Opener<'_>,
    from: u64,
    to: u64,
    labels: &Labels,
    map: &(dyn Fn(Vec<Record>) -> T + Sync),
    sink: &mut dyn FnMut(Progress, Vec<T>) -> Result<(), ExportError>,
) -> Result<Progress, ExportError> {
    let height = ledger.height().map_err(AuditError::from)?;
    if from > to || to > height {
        return Err(AuditError::from(LedgerError::NotFound(format!(
            "height range {from}..={to} is not within the ledger's 0..={height}"
        )))
        .into());
    }
    let decoder = Decoder::new(ledger, labels);
    let key = opener.rpk();
    let prepared = opener.prepare();
    // Which key is in force at a height: the genesis schedule and every rotation, read once.
    let schedule = ledger.key_schedule().map_err(AuditError::from)?;
    let mut done = Progress {
        heights: 0,
        records: 0,
    };
    let mut start = from;
    let mut span = 64u64;
    loop {
        let end = to.min(start.saturating_add(span - 1));
        let rows = ledger.audit_rows(start, end).map_err(AuditError::from)?;
        let n = rows.len() as u64;
        let out =
            rows.par_chunks(PIECE_RECORDS)
                .map(|piece| -> Result<T, AuditError> {
                    let recs = piece
                        .iter()
                        .map(|(k, v)| audit_record(k, v))
                        .collect::<Result<Vec<_>, _>>()?;
                    let mut sealed = Vec::with_capacity(recs.len());
                    for rec in &recs {
                        if let Some((r_point, _)) = ciphertext(&rec.payload) {
                            let k = schedule.rpk_at(rec.height);
                            if k != Some(key) {
                                return Err(AuditError::WrongKey {
                                    tx_id: rec.tx_id,
                                    height: rec.height,
                                    in_force: k.as_ref().map(point_to_hex),
                                    key: point_to_hex(&key),
                                });
                            }
                            sealed.push((rec.tx_id, r_point));
                        }
                    }
                    let mut shared = prepared.shared_points(&sealed)?.into_iter();
                    let records =
                        recs.iter()
                            .map(|rec| {
                                let s =
                                    match ciphertext(&rec.payload) {
                                        Some(_) => Some(shared.next().ok_or(
                                            AuditError::NoSharedPoint { tx_id: rec.tx_id },
                                        )?),
                                        None => None,
                                    };
                                decoder.record(rec, s.as_ref())
                            })
                            .collect::<Result<Vec<_>, _>>()?;
                    Ok(map(records))
                })
                .collect::<Result<Vec<T>, AuditError>>()?;
        done.heights = end - from + 1;
        done.records += n;
        sink(done, out)?;
        if end >= to {
            return Ok(done);
        }
        start = end + 1;
        // Aim the next chunk at CHUNK_RECORDS records, given this one's density.
        span = match n {
            0 => span.saturating_mul(2),
            n => span.saturating_mul(CHUNK_RECORDS) / n,
        }
        .clamp(1, MAX_CHUNK_HEIGHTS);
    }
}

/// Decrypts every record of heights `from..=to` with the regulator key, in ledger order.
pub fn decrypt_range(
    ledger: &dyn LedgerView,
    rsk: &RegulatorSecretKey,
    from: u64,
    to: u64,
    labels: &Labels,
) -> Result<Vec<Record>, AuditError> {
    decrypt_range_with(ledger, &Opener::Key(rsk), from, to, labels)
}

/// Decrypts every record of heights `from..=to` through `opener`, in ledger order, into memory
/// (the streaming path, [`for_each_chunk`], collected). A record encrypted to another
/// regulator key than the opener's ([`AuditError::WrongKey`]) fails the export.
pub fn decrypt_range_with(
    ledger: &dyn LedgerView,
    opener: &Opener<'_>,
    from: u64,
    to: u64,
    labels: &Labels,
) -> Result<Vec<Record>, AuditError> {
    let mut all = Vec::new();
    let r = for_each_chunk(
        ledger,
        opener,
        from,
        to,
        labels,
        &|records| records,
        &mut |_, pieces| {
            all.extend(pieces.into_iter().flatten());
            Ok(())
        },
    );
    match r {
        Ok(_) => Ok(all),
        Err(ExportError::Audit(e)) => Err(e),
        // The sink above never fails.
        Err(ExportError::Io(e)) => Err(AuditError::from(LedgerError::Corrupt(e.to_string()))),
    }
}

/// Streams the records of heights `from..=to` to `out` as `format`, in ledger order, with
/// names from `directory` (its name columns are added only when one is given), calling
/// `progress` after each chunk. Memory stays bounded by one chunk. Returns the records written.
#[allow(clippy::too_many_arguments)]
pub fn write_export<W: io::Write>(
    ledger: &dyn LedgerView,
    opener: &Opener<'_>,
    from: u64,
    to: u64,
    labels: &Labels,
    format: Format,
    directory: Option<&Directory>,
    mut out: W,
    progress: &mut dyn FnMut(Progress),
) -> Result<u64, ExportError> {
    if format == Format::Csv {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(columns(directory))
            .map_err(io::Error::from)?;
        w.flush()?;
    }
    let done = for_each_chunk(
        ledger,
        opener,
        from,
        to,
        labels,
        &|records| format_records(&records, format, directory),
        &mut |p, pieces| {
            for bytes in pieces {
                out.write_all(&bytes?)?;
            }
            progress(p);
            Ok(())
        },
    )?;
    out.flush()?;
    Ok(done.records)
}

/// The flat form of a record, with the directory's names.
pub fn row(record: &Record, directory: Option<&Directory>) -> Row {
    let mut row = record.to_row();
    if let Some(d) = directory {
        d.name_row(&mut row);
    }
    row
}

/// The CSV header: [`COLUMNS`], then [`NAME_COLUMNS`] when a directory names parties.
pub fn columns(directory: Option<&Directory>) -> Vec<&'static str> {
    let mut c = COLUMNS.to_vec();
    if directory.is_some() {
        c.extend_from_slice(NAME_COLUMNS);
    }
    c
}

/// `records` as CSV rows (no header) or JSON lines.
pub fn format_records(
    records: &[Record],
    format: Format,
    directory: Option<&Directory>,
) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(records.len() * 512);
    match format {
        Format::Csv => {
            let cols = columns(directory);
            let mut w = csv::Writer::from_writer(&mut out);
            for r in records {
                let row = row(r, directory);
                w.write_record(cols.iter().map(|c| cell(row.get(*c))))?;
            }
            w.flush()?;
        }
        Format::JsonLines => {
            for r in records {
                serde_json::to_writer(&mut out, &row(r, directory))?;
                out.push(b'\n');
            }
        }
    }
    Ok(out)
}

/// The flat forms of `records`.
pub fn rows(records: &[Record]) -> Vec<Row> {
    records.iter().map(Record::to_row).collect()
}

/// A row value as a CSV cell: strings bare, numbers as JSON writes them, nothing as empty.
pub fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Writes `records` as CSV: a header of [`COLUMNS`], then a row per record.
pub fn write_csv<W: io::Write>(records: &[Record], mut out: W) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(&mut out);
    w.write_record(COLUMNS)?;
    w.flush()?;
    drop(w);
    out.write_all(&format_records(records, Format::Csv, None)?)?;
    out.flush()
}

/// Writes `records` as JSON lines: one object per record, keys sorted.
pub fn write_json_lines<W: io::Write>(records: &[Record], mut out: W) -> io::Result<()> {
    out.write_all(&format_records(records, Format::JsonLines, None)?)?;
    out.flush()
}
