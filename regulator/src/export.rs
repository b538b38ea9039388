//! Exports: every record of a height range, decrypted on all cores, written as CSV or JSON
//! lines.
//!
//! Both formats hold the same cells: a JSON line is [`Record::to_row`]; a CSV row has a cell per
//! [`COLUMNS`] entry, [`cell`] of the row's value (empty where the record has none), under a
//! header of [`COLUMNS`].

use crate::{
    labels::Labels,
    record::{ciphertext, AuditError, Decoder, Record, Row, COLUMNS},
};
use rayon::prelude::*;
use serde_json::Value;
use std::io;
use zkreg_circuits::audit::{shared_point, RegulatorSecretKey};
use zkreg_ledger::LedgerView;
use zkreg_prover::keys::point_to_hex;

/// Decrypts every record of heights `from..=to` with the regulator key, in ledger order.
///
/// Each record is opened through its own shared point `S = rsk·R`, computed once per record.
/// Opening (one Jubjub multiplication and a Poseidon keystream) and the ledger lookups that link
/// the record are independent per record, so they run on every core. A record encrypted to
/// another regulator key than `rsk`'s ([`AuditError::WrongKey`]) fails the export.
pub fn decrypt_range(
    ledger: &dyn LedgerView,
    rsk: &RegulatorSecretKey,
    from: u64,
    to: u64,
    labels: &Labels,
) -> Result<Vec<Record>, AuditError> {
    let records = ledger.audit_records(from, to)?;
    let decoder = Decoder::new(ledger, labels);
    let key = rsk.public_key();
    // Which key is in force at a height: the genesis schedule and every rotation, read once.
    let schedule = ledger.key_schedule()?;
    records
        .par_iter()
        .map(|rec| {
            let shared = match ciphertext(&rec.payload) {
                None => None,
                Some((r_point, _)) => {
                    let in_force = schedule.rpk_at(rec.height);
                    if in_force != Some(key) {
                        return Err(AuditError::WrongKey {
                            tx_id: rec.tx_id,
                            height: rec.height,
                            in_force: in_force.as_ref().map(point_to_hex),
                            key: point_to_hex(&key),
                        });
                    }
                    Some(shared_point(rsk, &r_point))
                }
            };
            decoder.record(rec, shared.as_ref())
        })
        .collect()
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
pub fn write_csv<W: io::Write>(records: &[Record], out: W) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(COLUMNS)?;
    for r in records {
        let row = r.to_row();
        w.write_record(COLUMNS.iter().map(|c| cell(row.get(*c))))?;
    }
    w.flush()
}

/// Writes `records` as JSON lines: one object per record, keys sorted.
pub fn write_json_lines<W: io::Write>(records: &[Record], mut out: W) -> io::Result<()> {
    for r in records {
        serde_json::to_writer(&mut out, &r.to_row())?;
        out.write_all(b"\n")?;
    }
    out.flush()
}
