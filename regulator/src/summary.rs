//! A summary of payments: volume per asset and per party per period.
//!
//! A period is a bucket of `period_blocks` heights: period `k` holds heights
//! `k·period_blocks ..= (k+1)·period_blocks − 1` (heights, not block times, so a summary of a
//! range is the same on every replica and needs no clock). Per (period, asset) it counts
//! payments and sums the value paid to recipients (`volume`: outputs to another owner than the
//! payer; change is not volume), deposits, withdrawals and fees. Per (period, asset, party) it
//! sums what the party sent to others and received from others, with payment counts. Only
//! payments move value; grants, accesses and revocations are not summarised.
//!
//! A summary is fed record by record ([`Summary::add`], e.g. from a streaming export), so its
//! memory grows with the number of (period, asset, party) groups, not with the records.

use crate::{
    directory::Directory,
    export::cell,
    record::{fr_hex, Record, RecordBody},
};
use serde::Serialize;
use std::{collections::BTreeMap, io};

/// Columns of the summary CSV.
pub const COLUMNS: &[&str] = &[
    "scope",
    "period_start",
    "period_end",
    "asset",
    "party",
    "party_name",
    "payments",
    "volume",
    "deposits",
    "withdrawals",
    "fees",
    "sent",
    "received",
    "payments_sent",
    "payments_received",
];

/// Totals of one asset in one period.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AssetTotals {
    /// Payments.
    pub payments: u64,
    /// Value paid to another owner than the payer.
    pub volume: u128,
    /// Public deposits.
    pub deposits: u128,
    /// Public withdrawals.
    pub withdrawals: u128,
    /// Fees.
    pub fees: u128,
}

/// Totals of one party, one asset, one period.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PartyTotals {
    /// Value the party paid to other owners.
    pub sent: u128,
    /// Value other owners paid to the party.
    pub received: u128,
    /// Payments in which the party paid another owner.
    pub payments_sent: u64,
    /// Payments in which another owner paid the party.
    pub payments_received: u64,
}

/// Volume per asset and per party per period.
#[derive(Clone, Debug)]
pub struct Summary {
    period_blocks: u64,
    /// By (period, asset label as shown).
    assets: BTreeMap<(u64, String), AssetTotals>,
    /// By (period, asset, owner id hex).
    parties: BTreeMap<(u64, String, String), PartyTotals>,
}

/// Why a summary cannot be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SummaryError {
    /// A period of zero blocks.
    #[error("a period must span at least one block")]
    ZeroPeriod,
}

impl Summary {
    /// An empty summary with periods of `period_blocks` heights.
    pub fn new(period_blocks: u64) -> Result<Self, SummaryError> {
        if period_blocks == 0 {
            return Err(SummaryError::ZeroPeriod);
        }
        Ok(Summary {
            period_blocks,
            assets: BTreeMap::new(),
            parties: BTreeMap::new(),
        })
    }

    /// Adds one record (anything but a payment is ignored).
    pub fn add(&mut self, record: &Record) {
        let RecordBody::Payment(p) = &record.body else {
            return;
        };
        let period = record.height / self.period_blocks;
        let asset = p.asset.to_string();
        let payer = fr_hex(&p.owner_in);
        let mut sent = 0u128;
        let mut received: Vec<(String, u128)> = Vec::new();
        for out in &p.outputs {
            if out.owner != p.owner_in && out.value > 0 {
                sent += u128::from(out.value);
                let to = fr_hex(&out.owner);
                match received.iter_mut().find(|(o, _)| *o == to) {
                    Some((_, v)) => *v += u128::from(out.value),
                    None => received.push((to, u128::from(out.value))),
                }
            }
        }
        let a = self.assets.entry((period, asset.clone())).or_default();
        a.payments += 1;
        a.volume += sent;
        a.deposits += u128::from(p.deposit);
        a.withdrawals += u128::from(p.withdrawal);
        a.fees += u128::from(p.fee);
        if sent > 0 {
            let s = self
                .parties
                .entry((period, asset.clone(), payer))
                .or_default();
            s.sent += sent;
            s.payments_sent += 1;
        }
        for (to, v) in received {
            let r = self.parties.entry((period, asset.clone(), to)).or_default();
            r.received += v;
            r.payments_received += 1;
        }
    }

    /// The first and last height of period `k`.
    pub fn period_range(&self, k: u64) -> (u64, u64) {
        let start = k.saturating_mul(self.period_blocks);
        (start, start.saturating_add(self.period_blocks - 1))
    }

    /// Totals per (period index, asset), in order.
    pub fn assets(&self) -> impl Iterator<Item = (&(u64, String), &AssetTotals)> {
        self.assets.iter()
    }

    /// Totals per (period index, asset, owner id hex), in order.
    pub fn parties(&self) -> impl Iterator<Item = (&(u64, String, String), &PartyTotals)> {
        self.parties.iter()
    }

    /// Every row: the asset rows (`scope` "asset"), then the party rows (`scope` "party"), each
    /// by period, asset and party; a party's name from `directory` when it knows the id.
    pub fn rows(
        &self,
        directory: Option<&Directory>,
    ) -> Vec<serde_json::Map<String, serde_json::Value>> {
        use serde_json::{json, Map};
        let mut out = Vec::new();
        for ((k, asset), t) in &self.assets {
            let (s, e) = self.period_range(*k);
            let mut m = Map::new();
            m.insert("scope".into(), json!("asset"));
            m.insert("period_start".into(), json!(s));
            m.insert("period_end".into(), json!(e));
            m.insert("asset".into(), json!(asset));
            m.insert("payments".into(), json!(t.payments));
            m.insert("volume".into(), json!(t.volume));
            m.insert("deposits".into(), json!(t.deposits));
            m.insert("withdrawals".into(), json!(t.withdrawals));
            m.insert("fees".into(), json!(t.fees));
            out.push(m);
        }
        for ((k, asset, party), t) in &self.parties {
            let (s, e) = self.period_range(*k);
            let mut m = Map::new();
            m.insert("scope".into(), json!("party"));
            m.insert("period_start".into(), json!(s));
            m.insert("period_end".into(), json!(e));
            m.insert("asset".into(), json!(asset));
            m.insert("party".into(), json!(party));
            if let Some(n) = directory.and_then(|d| d.name(party)) {
                m.insert("party_name".into(), json!(n));
            }
            m.insert("sent".into(), json!(t.sent));
            m.insert("received".into(), json!(t.received));
            m.insert("payments_sent".into(), json!(t.payments_sent));
            m.insert("payments_received".into(), json!(t.payments_received));
            out.push(m);
        }
        out
    }

    /// Writes [`Summary::rows`] as CSV under [`COLUMNS`].
    pub fn write_csv<W: io::Write>(&self, directory: Option<&Directory>, out: W) -> io::Result<()> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(COLUMNS)?;
        for row in self.rows(directory) {
            w.write_record(COLUMNS.iter().map(|c| cell(row.get(*c))))?;
        }
        w.flush()
    }

    /// Writes [`Summary::rows`] as JSON lines.
    pub fn write_json_lines<W: io::Write>(
        &self,
        directory: Option<&Directory>,
        mut out: W,
    ) -> io::Result<()> {
        for row in self.rows(directory) {
            serde_json::to_writer(&mut out, &row)?;
            out.write_all(b"\n")?;
        }
        out.flush()
    }
}
