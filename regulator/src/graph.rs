//! The spent-note graph as a CSV edge list: who paid whom, through which transactions.
//!
//! One edge per payment output of non-zero value: from the payer (`owner_in`) to the recipient
//! (`owner_out_j`), with the asset, the value, the paying transaction and the transactions that
//! created the notes it spent (`cm_in_*_tx`: the edges into this payment's inputs). Change back
//! to the payer is an edge to itself (`change` is `true`), so the value of every payment is
//! accounted for. Edges are written in ledger order, output 0 before output 1.

use crate::{
    directory::Directory,
    record::{fr_hex, Record, RecordBody},
};
use std::io;

/// Columns of the edge list.
pub const COLUMNS: &[&str] = &[
    "height",
    "tx_id",
    "output",
    "asset",
    "payer",
    "payer_name",
    "payee",
    "payee_name",
    "value",
    "change",
    "cm_in_0_tx",
    "cm_in_1_tx",
];

/// One edge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    /// Height of the payment.
    pub height: u64,
    /// The paying transaction (hex).
    pub tx_id: String,
    /// Which output (0 or 1).
    pub output: usize,
    /// Asset as shown.
    pub asset: String,
    /// Payer owner id (hex).
    pub payer: String,
    /// Recipient owner id (hex).
    pub payee: String,
    /// Value.
    pub value: u64,
    /// The transactions that created the spent notes (hex; `None` for a dummy input).
    pub spent_from: [Option<String>; 2],
}

/// The edges of one record (none unless it is a payment).
pub fn edges(record: &Record) -> Vec<Edge> {
    let RecordBody::Payment(p) = &record.body else {
        return Vec::new();
    };
    let spent_from = p.inputs.map(|i| i.origin.map(hex::encode));
    p.outputs
        .iter()
        .enumerate()
        .filter(|(_, o)| o.value > 0)
        .map(|(j, o)| Edge {
            height: record.height,
            tx_id: hex::encode(record.tx_id),
            output: j,
            asset: p.asset.to_string(),
            payer: fr_hex(&p.owner_in),
            payee: fr_hex(&o.owner),
            value: o.value,
            spent_from: spent_from.clone(),
        })
        .collect()
}

/// Writes the CSV header of the edge list.
pub fn write_header<W: io::Write>(out: W) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(COLUMNS)?;
    w.flush()
}

/// Writes the edges of `records` as CSV rows (no header), names from `directory`.
pub fn write_edges<W: io::Write>(
    records: &[Record],
    directory: Option<&Directory>,
    out: W,
) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let name = |id: &str| {
        directory
            .and_then(|d| d.name(id))
            .unwrap_or_default()
            .to_string()
    };
    for e in records.iter().flat_map(edges) {
        w.write_record([
            e.height.to_string(),
            e.tx_id.clone(),
            e.output.to_string(),
            e.asset.clone(),
            e.payer.clone(),
            name(&e.payer),
            e.payee.clone(),
            name(&e.payee),
            e.value.to_string(),
            (e.payer == e.payee).to_string(),
            e.spent_from[0].clone().unwrap_or_default(),
            e.spent_from[1].clone().unwrap_or_default(),
        ])?;
    }
    w.flush()
}
