//! The mempool: transactions that passed admission (`Ledger::admit`, the verdict of
//! `Ledger::check_tx`) and wait for a block. Each entry keeps its [`AdmittedTx`], so a block
//! carrying the same bytes is verified without decoding or checking their proofs again.
//!
//! Bounded three ways — total bytes, total count, and count per client (an HTTP peer address or
//! a gossiping validator) — so one client cannot fill it. Entries leave when a block commits
//! them, when a proposal finds them invalid against newer state (with the rule, which the
//! status endpoint reports), and when their anchor has certainly left the window: an entry
//! admitted at height `h` was checked against roots no older than `h − K`, so after `h + K`
//! blocks its anchor is outside the window and it is dropped without re-verification.

use commonware_cryptography::{Hasher, Sha256};
use std::collections::{BTreeMap, HashMap, VecDeque};
use zkreg_ledger::AdmittedTx;
use zkreg_verifier::TxId;

/// Mempool bounds.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Most transactions held.
    pub max_txs: usize,
    /// Most bytes held.
    pub max_bytes: usize,
    /// Most transactions held per client.
    pub max_per_client: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_txs: 10_000,
            max_bytes: 32 << 20,
            max_per_client: 2_000,
        }
    }
}

/// Why the mempool refused a transaction that passed the ledger's checks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MempoolError {
    /// The mempool holds `max_txs` transactions or `max_bytes` bytes.
    #[error("the mempool is full ({0} transactions); retry later")]
    Full(usize),
    /// This client already has `max_per_client` transactions waiting.
    #[error("this client already has {0} transactions waiting; retry after some are included")]
    ClientLimit(usize),
}

struct Entry {
    id: TxId,
    bytes: Vec<u8>,
    client: String,
    admitted_at: u64,
    /// The ledger's stateless verdicts, reused when a block carries these bytes.
    admitted: Option<AdmittedTx>,
}

/// SHA-256 of a transaction's bytes: finds an entry by content (the id does not cover the
/// proof).
fn content_key(bytes: &[u8]) -> [u8; 32] {
    let d = <Sha256 as Hasher>::hash(&[bytes]);
    let mut k = [0u8; 32];
    k.copy_from_slice(d.as_ref());
    k
}

/// Most refusal reasons remembered for the status endpoint.
const REMEMBERED_REFUSALS: usize = 4_096;

/// Pending transactions in arrival order.
#[derive(Default)]
pub struct Mempool {
    limits: Limits,
    next: u64,
    entries: BTreeMap<u64, Entry>,
    by_id: HashMap<TxId, u64>,
    by_content: HashMap<[u8; 32], u64>,
    per_client: HashMap<String, usize>,
    bytes: usize,
    refused: HashMap<TxId, String>,
    refused_order: VecDeque<TxId>,
}

impl Mempool {
    /// An empty mempool with these bounds.
    pub fn new(limits: Limits) -> Self {
        Mempool {
            limits,
            ..Default::default()
        }
    }

    /// Adds a transaction the ledger admitted, keeping its verdicts for the block that
    /// carries it; `Ok(false)` if it was already waiting.
    pub fn insert_admitted(
        &mut self,
        tx: AdmittedTx,
        client: &str,
        height: u64,
    ) -> Result<bool, MempoolError> {
        let (id, bytes) = (tx.id(), tx.bytes().to_vec());
        self.insert_entry(id, bytes, client, height, Some(tx))
    }

    fn insert_entry(
        &mut self,
        id: TxId,
        bytes: Vec<u8>,
        client: &str,
        height: u64,
        admitted: Option<AdmittedTx>,
    ) -> Result<bool, MempoolError> {
        if self.by_id.contains_key(&id) {
            return Ok(false);
        }
        if self.entries.len() >= self.limits.max_txs
            || self.bytes + bytes.len() > self.limits.max_bytes
        {
            return Err(MempoolError::Full(self.entries.len()));
        }
        let mine = self.per_client.get(client).copied().unwrap_or(0);
        if mine >= self.limits.max_per_client {
            return Err(MempoolError::ClientLimit(mine));
        }
        self.refused.remove(&id);
        self.bytes += bytes.len();
        *self.per_client.entry(client.to_string()).or_default() += 1;
        let seq = self.next;
        self.next += 1;
        self.by_id.insert(id, seq);
        self.by_content.insert(content_key(&bytes), seq);
        self.entries.insert(
            seq,
            Entry {
                id,
                bytes,
                client: client.to_string(),
                admitted_at: height,
                admitted,
            },
        );
        Ok(true)
    }

    /// The admitted transaction waiting with exactly these bytes, if any.
    pub fn admitted(&self, bytes: &[u8]) -> Option<&AdmittedTx> {
        let seq = self.by_content.get(&content_key(bytes))?;
        self.entries
            .get(seq)?
            .admitted
            .as_ref()
            .filter(|a| a.bytes() == bytes)
    }

    /// Whether `id` is waiting.
    pub fn contains(&self, id: &TxId) -> bool {
        self.by_id.contains_key(id)
    }

    /// Why `id` was dropped, if it was refused after admission.
    pub fn refusal(&self, id: &TxId) -> Option<&str> {
        self.refused.get(id).map(String::as_str)
    }

    /// Transactions waiting.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Bytes waiting.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The oldest transactions, up to `max` of them and `max_bytes` in all, for a proposal.
    pub fn candidates(&self, max: usize, max_bytes: usize) -> Vec<(TxId, Vec<u8>)> {
        let mut out = Vec::new();
        let mut size = 0;
        for e in self.entries.values() {
            if out.len() >= max || size + e.bytes.len() > max_bytes {
                break;
            }
            size += e.bytes.len();
            out.push((e.id, e.bytes.clone()));
        }
        out
    }

    fn remove(&mut self, id: &TxId) {
        let Some(seq) = self.by_id.remove(id) else {
            return;
        };
        if let Some(e) = self.entries.remove(&seq) {
            self.by_content.remove(&content_key(&e.bytes));
            self.bytes -= e.bytes.len();
            if let Some(n) = self.per_client.get_mut(&e.client) {
                *n -= 1;
                if *n == 0 {
                    self.per_client.remove(&e.client);
                }
            }
        }
    }

    /// Drops transactions a committed block included.
    pub fn committed(&mut self, ids: &[TxId]) {
        for id in ids {
            self.remove(id);
        }
    }

    /// Drops a transaction found invalid against newer state, remembering why.
    pub fn refuse(&mut self, id: TxId, reason: String) {
        self.remove(&id);
        if self.refused.insert(id, reason).is_none() {
            self.refused_order.push_back(id);
        }
        while self.refused_order.len() > REMEMBERED_REFUSALS {
            if let Some(old) = self.refused_order.pop_front() {
                self.refused.remove(&old);
            }
        }
    }

    /// After the block at `height`: drops entries admitted more than `window` blocks ago, whose
    /// anchor can no longer be in the window.
    pub fn expire(&mut self, height: u64, window: u64) {
        let stale: Vec<TxId> = self
            .entries
            .values()
            .filter(|e| e.admitted_at + window < height)
            .map(|e| e.id)
            .collect();
        for id in stale {
            self.refuse(
                id,
                format!("expired: its anchor left the {window}-block window"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_eviction() {
        let mut m = Mempool::new(Limits {
            max_txs: 3,
            max_bytes: 100,
            max_per_client: 2,
        });
        assert_eq!(m.insert_entry([1; 32], vec![0; 10], "a", 1, None), Ok(true));
        assert_eq!(
            m.insert_entry([1; 32], vec![0; 10], "a", 1, None),
            Ok(false)
        );
        assert_eq!(m.insert_entry([2; 32], vec![0; 10], "a", 1, None), Ok(true));
        assert_eq!(
            m.insert_entry([3; 32], vec![0; 10], "a", 1, None),
            Err(MempoolError::ClientLimit(2))
        );
        assert_eq!(
            m.insert_entry([3; 32], vec![0; 81], "b", 1, None),
            Err(MempoolError::Full(2))
        );
        assert_eq!(m.insert_entry([3; 32], vec![0; 10], "b", 1, None), Ok(true));
        assert_eq!(
            m.insert_entry([4; 32], vec![0; 10], "c", 1, None),
            Err(MempoolError::Full(3))
        );
        assert_eq!(m.candidates(2, 1000).len(), 2);
        assert_eq!(m.candidates(10, 15).len(), 1);
        m.committed(&[[1; 32]]);
        assert!(!m.contains(&[1; 32]));
        assert_eq!((m.len(), m.bytes()), (2, 20));
        assert_eq!(m.insert_entry([5; 32], vec![0; 10], "a", 5, None), Ok(true));
        m.expire(66, 64);
        assert!(!m.contains(&[2; 32]) && !m.contains(&[3; 32]));
        assert!(m.contains(&[5; 32]));
        assert!(m.refusal(&[2; 32]).is_some_and(|r| r.contains("expired")));
        m.refuse([5; 32], "double spend".into());
        assert!(m.is_empty());
        assert_eq!(m.bytes(), 0);
        assert_eq!(m.refusal(&[5; 32]), Some("double spend"));
    }
}
