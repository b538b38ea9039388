//! A validator's state: its ledger and its mempool, and the three things consensus asks of
//! them — build a block, verify a block, commit a finalized block — each in one function here,
//! over the ledger's own `verify_block` (so every ledger rule exists once, in `zkreg-ledger`).

use crate::{
    block::Block,
    mempool::{Limits, Mempool, MempoolError},
};
use commonware_cryptography::{sha256::Digest, Digestible};
use commonware_utils::sync::Mutex;
use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc,
};
use zkreg_ledger::{BlockSummary, Ledger, LedgerError, Rule, VerifiedBlock};
use zkreg_verifier::{TxId, MAX_TX_BYTES};

/// Why a submitted transaction was not admitted.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// Larger than a transaction may be.
    #[error("transaction is {0} bytes; the limit is {MAX_TX_BYTES}")]
    TooLarge(usize),
    /// The ledger refuses it now, naming the rule.
    #[error("rejected: {0}")]
    Rejected(Rule),
    /// The mempool is full or this client is at its limit.
    #[error(transparent)]
    Mempool(#[from] MempoolError),
    /// The node cannot read its ledger (not the transaction's fault).
    #[error("node storage error: {0}")]
    Storage(String),
    /// The node stopped applying blocks after an internal inconsistency.
    #[error("node halted: {0}")]
    Halted(String),
}

/// Why a finalized block could not be committed: the node halts rather than diverge.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// The ledger refused a block a quorum finalized (a bug or a corrupted database).
    #[error("finalized block {height} fails the ledger: {error}")]
    Invalid {
        /// Height.
        height: u64,
        /// The ledger's refusal.
        error: LedgerError,
    },
    /// The finalized block names another state root than applying it gives.
    #[error("finalized block {height} claims state root {claimed} but applying it gives {actual}")]
    RootMismatch {
        /// Height.
        height: u64,
        /// Claimed root (hex).
        claimed: String,
        /// Computed root (hex).
        actual: String,
    },
    /// Blocks arrived out of order.
    #[error("finalized block {got} arrived while the ledger is at {tip}")]
    Gap {
        /// Ledger height.
        tip: u64,
        /// Block height.
        got: u64,
    },
}

/// Where a verified block's parent stands against the committed ledger.
#[derive(Debug, PartialEq, Eq)]
pub enum ParentStatus {
    /// The ledger's tip is the parent: verify against it now.
    Tip,
    /// The ledger has not reached the parent yet: wait.
    Behind,
    /// The ledger is past the parent; `Some(root)` is the state root it committed at the
    /// child's height (if it got that far).
    Past(Option<[u8; 32]>),
    /// The ledger committed a different block at the parent's height: the parent is on a dead
    /// fork.
    Conflicts,
}

/// A validator's ledger and mempool.
pub struct NodeState {
    ledger: Mutex<Ledger>,
    mempool: Mutex<Mempool>,
    halted: Mutex<Option<String>>,
    finalized_tip: AtomicU64,
    gossip: Mutex<Option<Box<dyn crate::engine::Gossip>>>,
    verified: Mutex<Vec<(Digest, VerifiedBlock)>>,
    admission: Mutex<Option<std::sync::mpsc::Sender<AdmissionRequest>>>,
    /// Held through one admission (check and insert), so the mempool's order is the order in
    /// which transactions were checked.
    admitting: Mutex<()>,
}

/// A submission waiting for the admission thread.
struct AdmissionRequest {
    tx: Vec<u8>,
    client: String,
    now: u64,
    reply: futures::channel::oneshot::Sender<Result<(TxId, bool), SubmitError>>,
}

/// Most submissions admitted together (one batch check of their proofs).
const ADMISSION_BATCH: usize = 64;

/// How many blocks verified against the current tip are kept for their commit (proposals of
/// one height from several views).
const VERIFIED_CACHE: usize = 8;

/// Most bytes of transactions one block carries.
pub const MAX_BLOCK_TX_BYTES: usize = 1 << 20;

impl NodeState {
    /// Wraps an opened ledger.
    pub fn new(ledger: Ledger, limits: Limits) -> Self {
        NodeState {
            ledger: Mutex::new(ledger),
            mempool: Mutex::new(Mempool::new(limits)),
            halted: Mutex::new(None),
            finalized_tip: AtomicU64::new(0),
            gossip: Mutex::new(None),
            verified: Mutex::new(Vec::new()),
            admission: Mutex::new(None),
            admitting: Mutex::new(()),
        }
    }

    /// Runs `f` on the ledger (queries for the API).
    pub fn with_ledger<T>(&self, f: impl FnOnce(&Ledger) -> T) -> T {
        f(&self.ledger.lock())
    }

    /// Runs `f` on the mempool.
    pub fn with_mempool<T>(&self, f: impl FnOnce(&Mempool) -> T) -> T {
        f(&self.mempool.lock())
    }

    /// Why the node halted, if it did.
    pub fn halted(&self) -> Option<String> {
        self.halted.lock().clone()
    }

    /// The highest finalized height consensus reported (it may be ahead of the ledger while
    /// blocks are fetched).
    pub fn finalized_tip(&self) -> u64 {
        self.finalized_tip.load(Ordering::Relaxed)
    }

    /// Records consensus's finalized tip.
    pub fn set_finalized_tip(&self, height: u64) {
        self.finalized_tip.fetch_max(height, Ordering::Relaxed);
    }

    /// Sets where admitted transactions are gossiped.
    pub fn set_gossip(&self, gossip: Box<dyn crate::engine::Gossip>) {
        *self.gossip.lock() = Some(gossip);
    }

    /// A client's submission: [`Self::submit_local`], then, if it was new here, gossip to the
    /// other validators so whoever proposes next can include it.
    pub fn submit(&self, tx: &[u8], client: &str, now: u64) -> Result<(TxId, bool), SubmitError> {
        let (id, new) = self.submit_local(tx, client, now)?;
        if new {
            self.gossip(tx);
        }
        Ok((id, new))
    }

    /// [`Self::submit`] through the admission thread, which admits whatever submissions are
    /// waiting together (one batch check of their proofs, [`Self::admit_batch`]): under load
    /// a proof costs a share of a batch instead of a single verification. Same verdicts.
    pub fn submit_queued(
        self: &Arc<Self>,
        tx: Vec<u8>,
        client: String,
        now: u64,
    ) -> futures::channel::oneshot::Receiver<Result<(TxId, bool), SubmitError>> {
        let (reply, answer) = futures::channel::oneshot::channel();
        let mut queue = self.admission.lock();
        let sender = queue.get_or_insert_with(|| spawn_admission(Arc::downgrade(self)));
        if let Err(std::sync::mpsc::SendError(req)) = sender.send(AdmissionRequest {
            tx,
            client,
            now,
            reply,
        }) {
            *queue = None;
            let _ = req.reply.send(Err(SubmitError::Storage(
                "the admission thread stopped".into(),
            )));
        }
        answer
    }

    fn gossip(&self, tx: &[u8]) {
        if let Some(g) = self.gossip.lock().as_ref() {
            g.send(tx);
        }
    }

    /// Admission of one transaction (see [`Self::admit_batch`]).
    pub fn submit_local(
        &self,
        tx: &[u8],
        client: &str,
        now: u64,
    ) -> Result<(TxId, bool), SubmitError> {
        self.admit_batch(vec![tx.to_vec()], client, now)
            .pop()
            .unwrap_or_else(|| Err(SubmitError::Storage("admission returned nothing".into())))
    }

    /// Admission: checks `txs` against the ledger for the next block at time `now` (the
    /// node's clock: admission is not consensus, every proposal re-verifies) with one batch
    /// check of their proofs ([`Ledger::admit`]), and queues those that pass. Returns, per
    /// transaction, its id and whether it was new to this mempool.
    pub fn admit_batch(
        &self,
        txs: Vec<Vec<u8>>,
        client: &str,
        now: u64,
    ) -> Vec<Result<(TxId, bool), SubmitError>> {
        if let Some(why) = self.halted() {
            return txs
                .iter()
                .map(|_| Err(SubmitError::Halted(why.clone())))
                .collect();
        }
        let _turn = self.admitting.lock();
        let sizes: Vec<usize> = txs.iter().map(Vec::len).collect();
        let (checked, height) = {
            let ledger = self.ledger.lock();
            let status = ledger.status();
            let fit: Vec<Vec<u8>> = txs
                .into_iter()
                .filter(|t| t.len() <= MAX_TX_BYTES)
                .collect();
            (ledger.admit(fit, now.max(status.time)), status.height)
        };
        let mut checked = checked.into_iter();
        let mut pool = self.mempool.lock();
        sizes
            .into_iter()
            .map(|size| {
                if size > MAX_TX_BYTES {
                    return Err(SubmitError::TooLarge(size));
                }
                let admitted = checked
                    .next()
                    .ok_or_else(|| SubmitError::Storage("admission lost a transaction".into()))?
                    .map_err(|e| match e {
                        LedgerError::Rejected(r) => SubmitError::Rejected(r.rule),
                        other => SubmitError::Storage(other.to_string()),
                    })?;
                let id = admitted.id();
                let new = pool.insert_admitted(admitted, client, height)?;
                Ok((id, new))
            })
            .collect()
    }

    /// Where `parent` (height, claimed post-state root) stands against the committed ledger.
    pub fn parent_status(&self, height: u64, state_root: &[u8; 32]) -> ParentStatus {
        let ledger = self.ledger.lock();
        let tip = ledger.status();
        if tip.height < height {
            return ParentStatus::Behind;
        }
        let committed = if tip.height == height {
            Some(tip.state_root)
        } else {
            ledger.block_at(height).ok().flatten().map(|b| b.state_root)
        };
        match committed {
            Some(root) if &root == state_root && tip.height == height => ParentStatus::Tip,
            Some(root) if &root == state_root => ParentStatus::Past(
                ledger
                    .block_at(height + 1)
                    .ok()
                    .flatten()
                    .map(|b| b.state_root),
            ),
            _ => ParentStatus::Conflicts,
        }
    }

    /// Builds the next block on `parent` at `time` from the mempool: the oldest transactions
    /// that pass `verify_block` together. A transaction the ledger refuses is dropped from the
    /// mempool with its rule and the rest are re-verified. `None` if the ledger is not at
    /// `height − 1`.
    pub fn build(&self, parent: Digest, height: u64, time: u64, max_txs: usize) -> Option<Block> {
        let ledger = self.ledger.lock();
        if ledger.status().height + 1 != height {
            return None;
        }
        let mut picked = self.mempool.lock().candidates(max_txs, MAX_BLOCK_TX_BYTES);
        loop {
            let txs: Vec<Vec<u8>> = picked.iter().map(|(_, b)| b.clone()).collect();
            let verdict = {
                let pool = self.mempool.lock();
                ledger.verify_block_reusing(height, time, &txs, |b| pool.admitted(b))
            };
            match verdict {
                Ok(v) => {
                    let block = Block::new(parent, height, time, v.summary().state_root, txs);
                    self.remember(block.digest(), v);
                    return Some(block);
                }
                Err(LedgerError::Rejected(r)) => {
                    let i = r.index.filter(|i| *i < picked.len())?;
                    let (id, _) = picked.remove(i);
                    self.mempool
                        .lock()
                        .refuse(id, format!("rejected: {}", r.rule));
                }
                Err(_) => return None,
            }
        }
    }

    /// Verifies a proposed block on top of the committed tip: every ledger rule, and that its
    /// claimed state root is the one applying it gives. The verified block is kept for the
    /// commit, so a finalized block's proofs are checked once per validator.
    pub fn verify(&self, block: &Block) -> Result<(), String> {
        let ledger = self.ledger.lock();
        let v = {
            let pool = self.mempool.lock();
            ledger.verify_block_reusing(block.height, block.time, &block.txs, |b| pool.admitted(b))
        }
        .map_err(|e| e.to_string())?;
        if v.summary().state_root != block.state_root {
            return Err("the claimed state root is not the one the block gives".into());
        }
        self.remember(block.digest(), v);
        Ok(())
    }

    /// Keeps a block verified against the current tip for its commit.
    fn remember(&self, digest: Digest, v: VerifiedBlock) {
        let mut cache = self.verified.lock();
        cache.retain(|(d, _)| *d != digest);
        if cache.len() == VERIFIED_CACHE {
            cache.remove(0);
        }
        cache.push((digest, v));
    }

    /// Applies a finalized block with one synced write. A block at or below the tip was
    /// already applied (marshal redelivers after a restart) and is acknowledged as is.
    ///
    /// A block this validator built or verified against the current tip is committed without
    /// verifying it again: a [`VerifiedBlock`] holds for the state it was checked against, and
    /// the state at `height − 1` is the one finalized state of that height (only finalized
    /// blocks are committed); [`Ledger::commit`] refuses it if the height moved.
    pub fn commit(&self, block: &Block) -> Result<Option<BlockSummary>, CommitError> {
        let mut ledger = self.ledger.lock();
        let tip = ledger.status().height;
        if block.height <= tip {
            return Ok(None);
        }
        if block.height != tip + 1 {
            return Err(CommitError::Gap {
                tip,
                got: block.height,
            });
        }
        let invalid = |error| CommitError::Invalid {
            height: block.height,
            error,
        };
        let cached = {
            let mut cache = self.verified.lock();
            let hit = cache.iter().position(|(d, _)| *d == block.digest());
            let v = hit.map(|i| cache.swap_remove(i).1);
            cache.clear();
            v
        };
        let v = match cached {
            Some(v) if v.summary().height == block.height => v,
            _ => {
                let pool = self.mempool.lock();
                ledger.verify_block_reusing(block.height, block.time, &block.txs, |b| {
                    pool.admitted(b)
                })
            }
            .map_err(invalid)?,
        };
        if v.summary().state_root != block.state_root {
            return Err(CommitError::RootMismatch {
                height: block.height,
                claimed: hex::encode(block.state_root),
                actual: hex::encode(v.summary().state_root),
            });
        }
        let ids = v.tx_ids().to_vec();
        let summary = ledger.commit(v).map_err(invalid)?;
        let window = ledger.config().genesis.anchor_window;
        drop(ledger);
        let mut pool = self.mempool.lock();
        pool.committed(&ids);
        pool.expire(summary.height, window);
        Ok(Some(summary))
    }

    /// Stops admitting and applying: a finalized block did not apply.
    pub fn halt(&self, why: String) {
        let mut h = self.halted.lock();
        if h.is_none() {
            *h = Some(why);
        }
    }
}

/// The admission thread: takes every waiting submission (up to [`ADMISSION_BATCH`]), admits
/// each client's in one [`NodeState::admit_batch`], answers, and gossips the new ones. Stops
/// when the state is dropped.
fn spawn_admission(state: std::sync::Weak<NodeState>) -> std::sync::mpsc::Sender<AdmissionRequest> {
    let (sender, queue) = std::sync::mpsc::channel::<AdmissionRequest>();
    std::thread::spawn(move || {
        while let Ok(first) = queue.recv() {
            let mut batch = vec![first];
            while batch.len() < ADMISSION_BATCH {
                match queue.try_recv() {
                    Ok(r) => batch.push(r),
                    Err(_) => break,
                }
            }
            let Some(state) = state.upgrade() else {
                return;
            };
            // Per client, in arrival order (the per-client limit is counted per client).
            let mut groups: Vec<(String, Vec<AdmissionRequest>)> = Vec::new();
            for r in batch {
                match groups.iter_mut().find(|(c, _)| *c == r.client) {
                    Some((_, g)) => g.push(r),
                    None => groups.push((r.client.clone(), vec![r])),
                }
            }
            for (client, reqs) in groups {
                let now = reqs.iter().map(|r| r.now).max().unwrap_or(0);
                let txs = reqs.iter().map(|r| r.tx.clone()).collect();
                let results = state.admit_batch(txs, &client, now);
                for (req, result) in reqs.into_iter().zip(results) {
                    if let Ok((_, true)) = result {
                        state.gossip(&req.tx);
                    }
                    let _ = req.reply.send(result);
                }
            }
        }
    });
    sender
}
