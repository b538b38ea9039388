//! The state machine: admission, block verification, commit.

use crate::{
    codec::{audit_ct, be, fr, read_be, read_fr, read_schedule, schedule},
    error::{LedgerError, Rejection, Rule},
    genesis::{ChainConfig, KeySchedule},
    rows::{
        AuditRow, BlockRow, CmRow, GcmRow, GrantLeafRow, NoteRow, NullifierRow, Place, TagRow,
        TxRow,
    },
    store::*,
};
use ark_bls12_381::{Bls12_381, Fr};
use ark_serialize::CanonicalSerialize;
use blake2::{digest::consts::U32, Blake2b, Digest};
use rocksdb::{IteratorMode, WriteBatch, WriteOptions, DB};
use std::{
    collections::{HashSet, VecDeque},
    path::Path,
    sync::Arc,
};
use zkreg_circuits::{
    ecc::JubjubAffine,
    merkle::{MerkleTree, TreeKind, TreeUpdate, EMPTY_LEAF},
};
use zkreg_verifier::{
    params::{blake2b_256_hex, load_verifying_keys},
    AccessTx, CheckedTxs, DecodeError, GrantTx, PaymentTx, RevokeTx, RotateTx, Transaction, TxId,
    TxKind, VerifyingKeys,
};

/// Counters kept in state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Transactions applied.
    pub txs: u64,
    /// Nullifiers published.
    pub nullifiers: u64,
    /// Grants made.
    pub grants: u64,
    /// Grants revoked.
    pub revocations: u64,
    /// Accesses made.
    pub accesses: u64,
}

impl Counts {
    fn to_bytes(self) -> Vec<u8> {
        [
            self.txs,
            self.nullifiers,
            self.grants,
            self.revocations,
            self.accesses,
        ]
        .iter()
        .flat_map(|x| x.to_be_bytes())
        .collect()
    }

    fn from_bytes(b: &[u8]) -> Result<Self, LedgerError> {
        let x = |i: usize| read_be(b.get(8 * i..).unwrap_or(&[]));
        Ok(Counts {
            txs: x(0)?,
            nullifiers: x(1)?,
            grants: x(2)?,
            revocations: x(3)?,
            accesses: x(4)?,
        })
    }
}

/// Everything derived from the database that validation needs in memory.
pub(crate) struct Cache {
    pub(crate) tip: Tip,
    pub(crate) note_tree: MerkleTree,
    pub(crate) grant_tree: MerkleTree,
}

/// The small part of the cache a block replaces wholesale (the trees change by [`TreeUpdate`]s,
/// so verifying a block never copies a tree).
#[derive(Clone)]
pub(crate) struct Tip {
    pub(crate) height: u64,
    pub(crate) time: u64,
    pub(crate) state_root: [u8; 32],
    /// Last `K` note roots, oldest first, as `(height, root)`.
    pub(crate) note_roots: VecDeque<(u64, Fr)>,
    /// Last `K` grant roots.
    pub(crate) grant_roots: VecDeque<(u64, Fr)>,
    /// Height of the latest block with a revocation (0: none).
    pub(crate) last_revocation: u64,
    pub(crate) counts: Counts,
    /// The regulator-key schedule: genesis entries, then applied rotations.
    pub(crate) schedule: KeySchedule,
}

/// What a block did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockSummary {
    /// Height.
    pub height: u64,
    /// Block time.
    pub time: u64,
    /// Transactions applied.
    pub txs: usize,
    /// State root after the block.
    pub state_root: [u8; 32],
}

/// A block that passed every check against the current state, ready to [`Ledger::commit`].
pub struct VerifiedBlock {
    batch: WriteBatch,
    tx_ids: Vec<TxId>,
    tip: Tip,
    notes: TreeUpdate,
    grants: TreeUpdate,
    summary: BlockSummary,
}

impl VerifiedBlock {
    /// What the block will do.
    pub fn summary(&self) -> &BlockSummary {
        &self.summary
    }

    /// The ids of its transactions, in block order.
    pub fn tx_ids(&self) -> &[TxId] {
        &self.tx_ids
    }
}

/// The stateless half of a block's verification, done by [`PreparedBlock::prepare`] without the
/// ledger: decoding, ids, duplicate ids within the block, issuer signatures and proofs (one
/// batch check for the whole block). It is `Send` and owns its transactions, so block `h + 1`
/// can be prepared on another thread while the ledger commits block `h`; then
/// [`Ledger::verify_prepared`] does the stateful half. It holds verdicts, not a decision: which
/// failure is *the* verdict depends on state (a replayed id is reported before a bad proof), so
/// the order of docs/PROTOCOL.md "Ledger" is applied by `verify_prepared`, identically to
/// [`Ledger::verify_block`].
#[derive(Debug)]
pub struct PreparedBlock {
    txs: Vec<Vec<u8>>,
    /// The chain the keys were for (a block prepared for another chain is refused).
    chain: [u8; 32],
    outcome: Result<Prepared, (usize, DecodeError)>,
}

#[derive(Debug)]
struct Prepared {
    checked: CheckedTxs,
    /// The first index whose id appeared earlier in the block.
    duplicate: Option<usize>,
}

/// The first index whose id is already among the earlier ones.
fn first_duplicate(ids: &[TxId]) -> Option<usize> {
    let mut seen = HashSet::with_capacity(ids.len());
    ids.iter().position(|id| !seen.insert(*id))
}

impl PreparedBlock {
    /// Decodes and verifies `txs` with `keys` (from [`Ledger::keys`]): everything about a block
    /// that needs no ledger state. Never fails: a bad block carries its verdicts to
    /// [`Ledger::verify_prepared`], which reports them in the protocol's order. A block with a
    /// duplicate id is refused whatever its proofs say, so its proofs are not checked.
    pub fn prepare(keys: &VerifyingKeys, txs: Vec<Vec<u8>>) -> PreparedBlock {
        Self::prepare_unless(keys, txs, |_| false)
    }

    /// [`Self::prepare`], skipping the proofs also when `refused(ids)` says the block is refused
    /// anyway (the ledger's own callers pass "an id is already in state": a resubmitted
    /// transaction then costs a lookup, not a pairing). Only for a state that cannot change
    /// before [`Ledger::verify_prepared`] runs.
    fn prepare_unless(
        keys: &VerifyingKeys,
        txs: Vec<Vec<u8>>,
        refused: impl FnOnce(&[TxId]) -> bool,
    ) -> PreparedBlock {
        let mut duplicate = None;
        let outcome = keys
            .decode_and_verify(&txs, |ids| {
                duplicate = first_duplicate(ids);
                duplicate.is_none() && !refused(ids)
            })
            .map(|checked| Prepared { checked, duplicate });
        PreparedBlock {
            txs,
            chain: *keys.chain(),
            outcome,
        }
    }

    /// Number of transactions.
    pub fn len(&self) -> usize {
        self.txs.len()
    }

    /// True for an empty block.
    pub fn is_empty(&self) -> bool {
        self.txs.is_empty()
    }

    /// The transactions' bytes, in block order.
    pub fn txs(&self) -> &[Vec<u8>] {
        &self.txs
    }
}

/// A transaction the ledger admitted ([`Ledger::admit`]): decoded from exactly these bytes
/// (every point and bound checked) and its signatures and proof verified with this chain's
/// keys. Those verdicts are stateless, so a block carrying the same bytes reuses them
/// ([`PreparedBlock::prepare_reusing`]); every state rule is checked again in the block.
///
/// Only [`Ledger::admit`] makes one, so holding an `AdmittedTx` is the proof that the checks
/// ran. A block transaction is matched by comparing its *bytes* (the id does not cover the
/// proof, and a Groth16 proof can be re-randomised, so the same id may come with another
/// proof).
#[derive(Clone, Debug)]
pub struct AdmittedTx {
    bytes: Vec<u8>,
    tx: Transaction,
    id: TxId,
    chain: [u8; 32],
}

impl AdmittedTx {
    /// The encoded transaction.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Its id.
    pub fn id(&self) -> TxId {
        self.id
    }

    /// The decoded transaction.
    pub fn tx(&self) -> &Transaction {
        &self.tx
    }
}

impl PreparedBlock {
    /// [`Self::prepare`], reusing the decoding and proof verdicts of admitted transactions:
    /// `admitted(bytes)` may return an [`AdmittedTx`] of this chain whose bytes equal the
    /// block's; only the other transactions are decoded and verified (one batch check). The
    /// verdicts, and so [`Ledger::verify_prepared`]'s decision, are those of [`Self::prepare`].
    pub fn prepare_reusing<'a>(
        keys: &VerifyingKeys,
        txs: Vec<Vec<u8>>,
        admitted: impl Fn(&[u8]) -> Option<&'a AdmittedTx>,
    ) -> PreparedBlock {
        let chain = *keys.chain();
        let reused: Vec<Option<&AdmittedTx>> = txs
            .iter()
            .map(|b| admitted(b).filter(|a| a.chain == chain && a.bytes == *b))
            .collect();
        if reused.iter().all(Option::is_none) {
            return Self::prepare(keys, txs);
        }
        let fresh_at: Vec<usize> = (0..txs.len()).filter(|i| reused[*i].is_none()).collect();
        let fresh: Vec<Vec<u8>> = fresh_at.iter().map(|i| txs[*i].clone()).collect();
        // Admitted transactions decode, so the first decoding failure of the block is the
        // first of the fresh ones.
        let outcome = keys
            .decode_and_verify(&fresh, |_| true)
            .map_err(|(k, e)| (fresh_at.get(k).copied().unwrap_or(k), e))
            .map(|checked| {
                let mut fresh = checked
                    .txs
                    .into_iter()
                    .zip(checked.ids)
                    .zip(checked.verdicts.unwrap_or_default());
                let mut all = Vec::with_capacity(txs.len());
                let mut ids = Vec::with_capacity(txs.len());
                let mut verdicts = Vec::with_capacity(txs.len());
                for r in &reused {
                    match r {
                        Some(a) => {
                            all.push(a.tx.clone());
                            ids.push(a.id);
                            verdicts.push(Ok(()));
                        }
                        None => {
                            if let Some(((tx, id), verdict)) = fresh.next() {
                                all.push(tx);
                                ids.push(id);
                                verdicts.push(verdict);
                            }
                        }
                    }
                }
                let duplicate = first_duplicate(&ids);
                Prepared {
                    checked: CheckedTxs {
                        txs: all,
                        ids,
                        verdicts: Some(verdicts),
                    },
                    duplicate,
                }
            });
        PreparedBlock {
            txs,
            chain,
            outcome,
        }
    }
}

/// The ledger: a RocksDB database and the chain configuration.
pub struct Ledger {
    db: DB,
    config: ChainConfig,
    keys: Arc<VerifyingKeys>,
    cache: Cache,
}

fn reject(index: usize, id: Option<TxId>, rule: Rule) -> Rejection {
    Rejection {
        index: Some(index),
        tx_id: id,
        rule,
    }
}

fn vk_hash(vk: &ark_groth16::VerifyingKey<Bls12_381>) -> String {
    let mut b = Vec::new();
    let _ = vk.serialize_compressed(&mut b);
    blake2b_256_hex(&b)
}

impl Ledger {
    /// Opens (or initialises) the ledger at `path`, loading verifying keys from `params_dir`
    /// checked against its manifest and against the genesis's accepted hashes.
    pub fn open(path: &Path, config: ChainConfig, params_dir: &Path) -> Result<Self, LedgerError> {
        let (_, vks) = load_verifying_keys(params_dir, config.genesis.allow_insecure_keys)
            .map_err(|e| LedgerError::Keys(e.to_string()))?;
        Self::open_with_keys(path, config, vks)
    }

    /// Opens with verifying keys already in memory (they must hash to the genesis's values).
    pub fn open_with_keys(
        path: &Path,
        config: ChainConfig,
        vks: [ark_groth16::VerifyingKey<Bls12_381>; 4],
    ) -> Result<Self, LedgerError> {
        for (c, vk) in TxKind::STATEMENTS.iter().zip(vks.iter()) {
            if config.vk_hash(*c) != Some(vk_hash(vk).as_str()) {
                return Err(LedgerError::Keys(format!(
                    "the {} verifying key is not the one the genesis accepts",
                    c.name()
                )));
            }
        }
        let [p, g, a, r] = &vks;
        let keys = VerifyingKeys::new(config.hash, p, g, a, r)
            .map_err(|e| LedgerError::Keys(e.to_string()))?;
        let db = open(path)?;
        let meta = cf(&db, CF_META)?;
        match db.get_cf(meta, META_GENESIS)? {
            Some(h) if h.as_slice() != config.hash => return Err(LedgerError::GenesisMismatch),
            Some(_) => {}
            None => {
                let mut b = WriteBatch::default();
                b.put_cf(meta, META_GENESIS, config.hash);
                b.put_cf(meta, META_STATE_ROOT, config.hash);
                b.put_cf(meta, META_HEIGHT, be(0));
                b.put_cf(meta, META_TIME, be(0));
                b.put_cf(meta, META_LAST_REVOCATION, be(0));
                b.put_cf(meta, META_COUNTS, Counts::default().to_bytes());
                let empty_notes = MerkleTree::new(TreeKind::NOTES).root();
                let empty_grants = MerkleTree::new(TreeKind::GRANTS).root();
                b.put_cf(cf(&db, CF_NOTE_ROOTS)?, be(0), fr(&empty_notes));
                b.put_cf(cf(&db, CF_GRANT_ROOTS)?, be(0), fr(&empty_grants));
                let mut w = WriteOptions::default();
                w.set_sync(true);
                db.write_opt(b, &w)?;
            }
        }
        let cache = Self::load_cache(&db, &config)?;
        // Every key of the schedule (genesis and rotations) is pinned: checked once here.
        let pinned: Vec<JubjubAffine> = cache.tip.schedule.entries().iter().map(|e| e.1).collect();
        let keys = keys
            .with_pinned_points(&pinned)
            .map_err(|e| LedgerError::Keys(e.to_string()))?;
        Ok(Ledger {
            db,
            config,
            keys: Arc::new(keys),
            cache,
        })
    }

    fn load_cache(db: &DB, config: &ChainConfig) -> Result<Cache, LedgerError> {
        let window = config.genesis.anchor_window;
        let meta = cf(db, CF_META)?;
        let get = |k: &[u8]| -> Result<Vec<u8>, LedgerError> {
            db.get_cf(meta, k)?.ok_or_else(|| {
                LedgerError::Corrupt(format!("meta key {:?} missing", String::from_utf8_lossy(k)))
            })
        };
        let height = read_be(&get(META_HEIGHT)?)?;
        let time = read_be(&get(META_TIME)?)?;
        let state_root: [u8; 32] = get(META_STATE_ROOT)?
            .try_into()
            .map_err(|_| LedgerError::Corrupt("state root".into()))?;
        let last_revocation = read_be(&get(META_LAST_REVOCATION)?)?;
        let counts = Counts::from_bytes(&get(META_COUNTS)?)?;
        let schedule = match db.get_cf(meta, META_KEY_SCHEDULE)? {
            Some(b) => read_schedule(&b)?,
            None => config.genesis_schedule(),
        };
        let mut cms = Vec::new();
        for item in db.iterator_cf(cf(db, CF_NOTES)?, IteratorMode::Start) {
            let (_, v) = item?;
            cms.push(NoteRow::decode(&v)?.cm);
        }
        let mut note_tree = MerkleTree::new(TreeKind::NOTES);
        note_tree
            .append_many(&cms)
            .map_err(|e| LedgerError::Corrupt(e.to_string()))?;
        let mut gcms = Vec::new();
        for item in db.iterator_cf(cf(db, CF_GRANTS)?, IteratorMode::Start) {
            let (_, v) = item?;
            gcms.push(GrantLeafRow::decode(&v)?.leaf);
        }
        let mut grant_tree = MerkleTree::new(TreeKind::GRANTS);
        grant_tree
            .append_many(&gcms)
            .map_err(|e| LedgerError::Corrupt(e.to_string()))?;
        let roots = |name: &str| -> Result<VecDeque<(u64, Fr)>, LedgerError> {
            let mut out = VecDeque::new();
            for item in db
                .iterator_cf(cf(db, name)?, IteratorMode::End)
                .take(window as usize)
            {
                let (k, v) = item?;
                out.push_front((read_be(&k)?, read_fr(&v)?));
            }
            Ok(out)
        };
        Ok(Cache {
            tip: Tip {
                height,
                time,
                state_root,
                note_roots: roots(CF_NOTE_ROOTS)?,
                grant_roots: roots(CF_GRANT_ROOTS)?,
                last_revocation,
                counts,
                schedule,
            },
            note_tree,
            grant_tree,
        })
    }

    /// The chain configuration.
    pub fn config(&self) -> &ChainConfig {
        &self.config
    }

    /// The regulator-key schedule in force after the committed tip: the genesis entries and
    /// every rotation applied.
    pub fn key_schedule(&self) -> &KeySchedule {
        &self.cache.tip.schedule
    }

    /// The prepared verifying keys (with the chain's regulator keys pinned), shared: a cheap
    /// handle for another thread to run [`PreparedBlock::prepare`] while this ledger commits.
    pub fn keys(&self) -> Arc<VerifyingKeys> {
        Arc::clone(&self.keys)
    }

    pub(crate) fn db(&self) -> &DB {
        &self.db
    }

    pub(crate) fn cache(&self) -> &Cache {
        &self.cache
    }

    /// Admission: would `tx` be accepted in the next block at `block_time`? Writes nothing.
    /// A refusal is [`LedgerError::Rejected`] naming the rule; a storage failure is
    /// [`LedgerError::Db`], never a bad transaction.
    pub fn check_tx(&self, tx: &[u8], block_time: u64) -> Result<TxId, LedgerError> {
        let block = self.verify_block(
            self.cache.tip.height + 1,
            block_time.max(self.cache.tip.time),
            &[tx.to_vec()],
        )?;
        block
            .tx_ids
            .first()
            .copied()
            .ok_or_else(|| LedgerError::Corrupt("a one-transaction block verified empty".into()))
    }

    /// Admission of several transactions at once (a mempool's): each is decoded alone, the
    /// proofs of all are checked in one batch, then each is checked alone against state for
    /// the next block at `block_time`, exactly as [`Ledger::check_tx`] would (same verdict,
    /// same rule). One result per transaction, in order.
    pub fn admit(
        &self,
        txs: Vec<Vec<u8>>,
        block_time: u64,
    ) -> Vec<Result<AdmittedTx, LedgerError>> {
        let height = self.cache.tip.height + 1;
        let time = block_time.max(self.cache.tip.time);
        let chain = *self.keys.chain();
        // Decode each alone (the full decoder: no proof is assumed yet).
        let decoded: Vec<Result<(Transaction, TxId), LedgerError>> = txs
            .iter()
            .map(|b| {
                self.keys
                    .decode_and_verify(std::slice::from_ref(b), |_| false)
                    .map_err(|(_, e)| {
                        Rejection {
                            index: Some(0),
                            tx_id: None,
                            rule: Rule::Decode(e),
                        }
                        .into()
                    })
                    .and_then(|c| {
                        let tx = c.txs.into_iter().next();
                        let id = c.ids.into_iter().next();
                        tx.zip(id).ok_or_else(|| {
                            LedgerError::Corrupt("a decoded transaction vanished".into())
                        })
                    })
            })
            .collect();
        // A transaction already in state is refused as a replay before any proof verdict is
        // read (`check_prepared`, step 3, as in `check_tx`), so its proof is not checked: a
        // flood of replays costs lookups, not pairings.
        let replayed: Vec<bool> = decoded
            .iter()
            .map(|d| d.as_ref().is_ok_and(|(_, id)| self.any_in_state(&[*id])))
            .collect();
        let ok: Vec<Transaction> = decoded
            .iter()
            .zip(&replayed)
            .filter(|(_, r)| !**r)
            .filter_map(|(d, _)| d.as_ref().ok().map(|(t, _)| t.clone()))
            .collect();
        let mut verdicts = self.keys.verify_batch(&ok).into_iter();
        let mut out = Vec::with_capacity(txs.len());
        for ((bytes, d), replay) in txs.into_iter().zip(decoded).zip(replayed) {
            let (tx, id) = match d {
                Ok(x) => x,
                Err(e) => {
                    out.push(Err(e));
                    continue;
                }
            };
            // Never read for a replay; a missing verdict refuses the proof.
            let rejected = || Err(zkreg_verifier::VerifyError::ProofRejected { kind: tx.kind() });
            let verdict = if replay {
                rejected()
            } else {
                verdicts.next().unwrap_or_else(rejected)
            };
            let block = PreparedBlock {
                txs: vec![bytes.clone()],
                chain,
                outcome: Ok(Prepared {
                    checked: CheckedTxs {
                        txs: vec![tx.clone()],
                        ids: vec![id],
                        verdicts: Some(vec![verdict]),
                    },
                    duplicate: None,
                }),
            };
            // Every rule of the one-transaction block, but not its tree roots and state root
            // (Poseidon over the trees' paths: two thirds of admission's time, measured in the
            // cluster benchmark); whether its leaves fit is the one thing `finish` decides.
            out.push(
                self.check_prepared(height, time, block)
                    .and_then(|(ctx, _)| ctx.fits())
                    .map(|()| AdmittedTx {
                        bytes,
                        tx,
                        id,
                        chain,
                    }),
            );
        }
        out
    }

    /// [`Ledger::verify_block`], reusing the stateless checks of admitted transactions (see
    /// [`PreparedBlock::prepare_reusing`]): the same decision, less work for a block built
    /// from a mempool.
    pub fn verify_block_reusing<'a>(
        &self,
        height: u64,
        time: u64,
        txs: &[Vec<u8>],
        admitted: impl Fn(&[u8]) -> Option<&'a AdmittedTx>,
    ) -> Result<VerifiedBlock, LedgerError> {
        self.block_rules(height, time)?;
        let block = PreparedBlock::prepare_reusing(&self.keys, txs.to_vec(), admitted);
        self.verify_prepared(height, time, block)
    }

    /// Verifies and applies a block atomically (one synced `WriteBatch`).
    pub fn apply_block(
        &mut self,
        height: u64,
        time: u64,
        txs: &[Vec<u8>],
    ) -> Result<BlockSummary, LedgerError> {
        let block = self.verify_block(height, time, txs)?;
        self.commit(block)
    }

    /// Writes a verified block. Fails without writing if the state moved since verification.
    pub fn commit(&mut self, block: VerifiedBlock) -> Result<BlockSummary, LedgerError> {
        let c = &mut self.cache;
        if block.summary.height != c.tip.height + 1 {
            return Err(Rejection::block(Rule::WrongHeight {
                expected: c.tip.height + 1,
                got: block.summary.height,
            })
            .into());
        }
        let mut w = WriteOptions::default();
        w.set_sync(true);
        self.db.write_opt(block.batch, &w)?;
        // The updates were prepared against this very state (same height), so they apply;
        // if they did not, the database is ahead of memory and reopening rebuilds the cache.
        let stale = |e: zkreg_circuits::merkle::TreeError| LedgerError::Corrupt(e.to_string());
        c.note_tree.apply(block.notes).map_err(stale)?;
        c.grant_tree.apply(block.grants).map_err(stale)?;
        let known = c.tip.schedule.entries().len();
        c.tip = block.tip;
        // A rotation's new key joins the pinned points (it was fully checked when decoded).
        let new: Vec<JubjubAffine> = c
            .tip
            .schedule
            .entries()
            .iter()
            .skip(known)
            .map(|e| e.1)
            .collect();
        if !new.is_empty() {
            let keys = (*self.keys)
                .clone()
                .with_pinned_points(&new)
                .map_err(|e| LedgerError::Corrupt(e.to_string()))?;
            self.keys = Arc::new(keys);
        }
        Ok(block.summary)
    }

    /// Decodes, verifies (one batch check, in parallel) and checks a block against the current
    /// state, one rule function per kind over a shared [`BlockContext`]. Writes nothing.
    /// Exactly [`PreparedBlock::prepare`] then [`Ledger::verify_prepared`].
    ///
    /// Order (docs/PROTOCOL.md, "Ledger"): block rules (height, time) → decode → ids new to the
    /// block and to state → stateless checks and proofs → per transaction, in block order, the
    /// kind's rules against state plus the block so far.
    pub fn verify_block(
        &self,
        height: u64,
        time: u64,
        txs: &[Vec<u8>],
    ) -> Result<VerifiedBlock, LedgerError> {
        self.block_rules(height, time)?;
        let block =
            PreparedBlock::prepare_unless(&self.keys, txs.to_vec(), |ids| self.any_in_state(ids));
        self.verify_prepared(height, time, block)
    }

    /// Whether some id is already in state (a storage error counts as no: the proofs are then
    /// checked, and `verify_prepared`'s own lookup reports the error).
    fn any_in_state(&self, ids: &[TxId]) -> bool {
        let Ok(txs_cf) = cf(&self.db, CF_TXS) else {
            return false;
        };
        ids.iter()
            .any(|id| matches!(self.db.get_pinned_cf(txs_cf, id), Ok(Some(_))))
    }

    /// Height is the next one; time does not go backwards.
    fn block_rules(&self, height: u64, time: u64) -> Result<(), LedgerError> {
        let c = &self.cache.tip;
        if height != c.height + 1 {
            return Err(Rejection::block(Rule::WrongHeight {
                expected: c.height + 1,
                got: height,
            })
            .into());
        }
        if c.height > 0 && time < c.time {
            return Err(Rejection::block(Rule::TimeWentBackwards {
                previous: c.time,
                got: time,
            })
            .into());
        }
        Ok(())
    }

    /// The stateful half of [`Ledger::verify_block`], for a block prepared by
    /// [`PreparedBlock::prepare`] (possibly on another thread, while the previous block
    /// committed). Reports the first failure in the order of docs/PROTOCOL.md "Ledger", so the
    /// verdict is the one `verify_block` gives on the same transactions. Writes nothing.
    pub fn verify_prepared(
        &self,
        height: u64,
        time: u64,
        block: PreparedBlock,
    ) -> Result<VerifiedBlock, LedgerError> {
        let (ctx, ids) = self.check_prepared(height, time, block)?;
        ctx.finish(&ids)
    }

    /// Every rule of [`Ledger::verify_prepared`] (block rules, decoding, ids, proofs, each
    /// transaction's stateful rules) without the block's last step, [`BlockContext::finish`]
    /// (tree roots and state root); returns the context and the ids for it.
    fn check_prepared(
        &self,
        height: u64,
        time: u64,
        block: PreparedBlock,
    ) -> Result<(BlockContext<'_>, Vec<TxId>), LedgerError> {
        // 1. Block rules.
        self.block_rules(height, time)?;
        if block.chain != self.config.hash {
            return Err(LedgerError::Keys(
                "the block was prepared with another chain's keys".into(),
            ));
        }
        let txs = block.txs;
        // 2. Decoding (done in `prepare`).
        let Prepared { checked, duplicate } = block
            .outcome
            .map_err(|(i, e)| reject(i, None, Rule::Decode(e)))?;
        let CheckedTxs {
            txs: decoded,
            ids,
            verdicts,
        } = checked;
        // 3. Ids: new to the block and to state. Every kind: an id already in state is a
        // replay, reported before any proof verdict.
        let txs_cf = cf(&self.db, CF_TXS)?;
        for (i, id) in ids.iter().enumerate() {
            if duplicate == Some(i) {
                return Err(reject(i, Some(*id), Rule::DuplicateTx).into());
            }
            if self.db.get_pinned_cf(txs_cf, id)?.is_some() {
                return Err(reject(i, Some(*id), Rule::TxReplayed).into());
            }
        }
        // 4. Stateless checks and proofs (verified in `prepare` unless the block is refused
        // above: a duplicate or a replay).
        let verdicts = verdicts.ok_or_else(|| {
            LedgerError::Corrupt(
                "a block was prepared without proofs yet has no repeated id".into(),
            )
        })?;
        for (i, verdict) in verdicts.into_iter().enumerate() {
            verdict.map_err(|e| reject(i, ids.get(i).copied(), Rule::Verify(e)))?;
        }
        // 5. Stateful checks, in block order, against state plus the block so far.
        let mut ctx = BlockContext::new(self, height, time)?;
        for (i, (tx, bytes)) in decoded.iter().zip(&txs).enumerate() {
            let at = TxAt {
                place: Place {
                    height,
                    index: i as u32,
                },
                id: ids[i],
                bytes,
            };
            let outcome = match tx {
                Transaction::Payment(p) => ctx.payment(&at, p),
                Transaction::Grant(g) => ctx.grant(&at, g),
                Transaction::Access(a) => ctx.access(&at, a, tx.binding(&self.config.hash)),
                Transaction::Revoke(r) => ctx.revoke(&at, r),
                Transaction::Rotate(r) => ctx.rotate(r),
            };
            match outcome.map(|()| ctx.record_tx(&at)) {
                Ok(()) => {}
                Err(Refusal::Rule(rule)) => return Err(reject(i, Some(ids[i]), rule).into()),
                Err(Refusal::Db(e)) => return Err(LedgerError::Db(e)),
            }
        }
        Ok((ctx, ids))
    }

    /// Every key and value in the database, in order (for tests and audits of the store).
    pub fn dump(&self) -> Result<Vec<DumpEntry>, LedgerError> {
        dump(&self.db)
    }
}

/// Why a transaction failed its stateful checks: a rule it broke, or a storage failure (which
/// says nothing about the transaction and is never reported as its fault).
enum Refusal {
    Rule(Rule),
    Db(rocksdb::Error),
}

impl From<Rule> for Refusal {
    fn from(rule: Rule) -> Self {
        Refusal::Rule(rule)
    }
}

impl From<rocksdb::Error> for Refusal {
    fn from(e: rocksdb::Error) -> Self {
        Refusal::Db(e)
    }
}

/// A transaction's place in its block.
struct TxAt<'b> {
    place: Place,
    id: TxId,
    bytes: &'b [u8],
}

/// The column families a block writes.
struct Cfs<'a> {
    notes: &'a rocksdb::ColumnFamily,
    cm_index: &'a rocksdb::ColumnFamily,
    nullifiers: &'a rocksdb::ColumnFamily,
    grants: &'a rocksdb::ColumnFamily,
    gcm_index: &'a rocksdb::ColumnFamily,
    tags: &'a rocksdb::ColumnFamily,
    audit: &'a rocksdb::ColumnFamily,
    txs: &'a rocksdb::ColumnFamily,
    note_roots: &'a rocksdb::ColumnFamily,
    grant_roots: &'a rocksdb::ColumnFamily,
    blocks: &'a rocksdb::ColumnFamily,
    meta: &'a rocksdb::ColumnFamily,
}

/// The verification context of one block: the state before it (through `ledger`) plus what the
/// block has done so far. Each ledger rule is checked in exactly one method here, for admission
/// (`check_tx`, a one-transaction block) and for blocks alike.
struct BlockContext<'a> {
    ledger: &'a Ledger,
    cfs: Cfs<'a>,
    height: u64,
    time: u64,
    /// The regulator key in force at `height`.
    rpk: Option<JubjubAffine>,
    /// The tip after the block so far.
    tip: Tip,
    batch: WriteBatch,
    nullifiers: HashSet<[u8; 32]>,
    tags: HashSet<[u8; 32]>,
    /// Grant commitments this block appends.
    gcms: HashSet<[u8; 32]>,
    new_cms: Vec<Fr>,
    new_gcms: Vec<Fr>,
    /// Grant leaves this block has written so far (appended or emptied), in order.
    grant_writes: Vec<(u64, Fr)>,
    revocations: Vec<(u64, Fr)>,
    /// Whether the block applied a rotation (the schedule is then written).
    rotated: bool,
}

impl<'a> BlockContext<'a> {
    fn new(ledger: &'a Ledger, height: u64, time: u64) -> Result<Self, LedgerError> {
        let db = &ledger.db;
        let cfs = Cfs {
            notes: cf(db, CF_NOTES)?,
            cm_index: cf(db, CF_CM_INDEX)?,
            nullifiers: cf(db, CF_NULLIFIERS)?,
            grants: cf(db, CF_GRANTS)?,
            gcm_index: cf(db, CF_GCM_INDEX)?,
            tags: cf(db, CF_TAGS)?,
            audit: cf(db, CF_AUDIT)?,
            txs: cf(db, CF_TXS)?,
            note_roots: cf(db, CF_NOTE_ROOTS)?,
            grant_roots: cf(db, CF_GRANT_ROOTS)?,
            blocks: cf(db, CF_BLOCKS)?,
            meta: cf(db, CF_META)?,
        };
        Ok(BlockContext {
            ledger,
            cfs,
            height,
            time,
            rpk: ledger.cache.tip.schedule.rpk_at(height),
            tip: ledger.cache.tip.clone(),
            batch: WriteBatch::default(),
            nullifiers: HashSet::new(),
            tags: HashSet::new(),
            gcms: HashSet::new(),
            new_cms: Vec::new(),
            new_gcms: Vec::new(),
            grant_writes: Vec::new(),
            revocations: Vec::new(),
            rotated: false,
        })
    }

    fn in_state(&self, cf: &rocksdb::ColumnFamily, key: &[u8]) -> Result<bool, rocksdb::Error> {
        Ok(self.ledger.db.get_pinned_cf(cf, key)?.is_some())
    }

    /// The audit record `kind ‖ tx id ‖ payload`.
    fn put_audit(&mut self, at: &TxAt, kind: TxKind, payload: &[u8]) {
        let row = AuditRow {
            kind: kind as u8,
            tx_id: at.id,
            payload,
        };
        self.batch
            .put_cf(self.cfs.audit, at.place.key(), row.encode());
    }

    /// The regulator key must be the one in force at this height.
    fn regulator_key(&self, rpk: &JubjubAffine) -> Result<(), Refusal> {
        if Some(*rpk) != self.rpk {
            return Err(Rule::WrongRegulatorKey.into());
        }
        Ok(())
    }

    /// Records an accepted transaction's body under its id.
    fn record_tx(&mut self, at: &TxAt) {
        let row = TxRow {
            place: at.place,
            bytes: at.bytes,
        };
        self.batch.put_cf(self.cfs.txs, at.id, row.encode());
        self.tip.counts.txs += 1;
    }

    /// Payment rules: anchor among the last K note roots, regulator key in force,
    /// deposits and withdrawals signed by an issuer of the asset, nullifiers unseen in state and
    /// in the block (the two of one payment included).
    fn payment(&mut self, at: &TxAt, p: &PaymentTx) -> Result<(), Refusal> {
        let window = self.ledger.config.genesis.anchor_window;
        if !self.tip.note_roots.iter().any(|(_, r)| *r == p.anchor) {
            return Err(Rule::UnknownAnchor { window }.into());
        }
        self.regulator_key(&p.rpk)?;
        if p.v_in_pub > 0 || p.v_out_pub > 0 {
            let cfg = &self.ledger.config;
            let ok = p
                .issuer_signature
                .as_ref()
                .is_some_and(|s| cfg.is_issuer(&p.asset_pub, &s.issuer));
            if !ok {
                return Err(Rule::UnauthorisedIssuer.into());
            }
        }
        for nf in &p.nullifiers {
            let k = fr(nf);
            if self.in_state(self.cfs.nullifiers, &k)? {
                return Err(Rule::NullifierSpent.into());
            }
            if !self.nullifiers.insert(k) {
                return Err(Rule::DuplicateNullifier.into());
            }
            let row = NullifierRow {
                height: self.height,
                tx_id: at.id,
            };
            self.batch.put_cf(self.cfs.nullifiers, k, row.encode());
        }
        self.tip.counts.nullifiers += 2;
        let note_tree = &self.ledger.cache.note_tree;
        for (j, cm) in p.output_commitments.iter().enumerate() {
            let pos = note_tree.len() + self.new_cms.len() as u64;
            self.new_cms.push(*cm);
            let note = NoteRow {
                place: at.place,
                cm: *cm,
                delivery: p.deliveries[j].clone(),
            };
            self.batch.put_cf(self.cfs.notes, be(pos), note.encode());
            let origin = CmRow {
                pos,
                place: at.place,
                tx_id: at.id,
            };
            self.batch
                .put_cf(self.cfs.cm_index, fr(cm), origin.encode());
        }
        self.put_audit(at, TxKind::Payment, &audit_ct(&p.audit));
        Ok(())
    }

    /// Grant rules: regulator key in force, at most `max_grants_per_block`, and the
    /// grant commitment new to state (its `gcm → pos` index is never deleted, not even by a
    /// revocation) and to the block, so one grant never sits at two positions.
    fn grant(&mut self, at: &TxAt, g: &GrantTx) -> Result<(), Refusal> {
        self.regulator_key(&g.rpk)?;
        let max = self.ledger.config.genesis.max_grants_per_block;
        if self.new_gcms.len() as u64 >= max {
            return Err(Rule::TooManyGrants { max }.into());
        }
        let k = fr(&g.gcm);
        if self.in_state(self.cfs.gcm_index, &k)? || !self.gcms.insert(k) {
            return Err(Rule::GrantExists.into());
        }
        let grant_tree = &self.ledger.cache.grant_tree;
        let pos = grant_tree.len() + self.new_gcms.len() as u64;
        if pos >= grant_tree.kind().capacity() {
            return Err(Rule::TreeFull.into());
        }
        self.new_gcms.push(g.gcm);
        self.grant_writes.push((pos, g.gcm));
        let leaf = GrantLeafRow {
            leaf: g.gcm,
            height: self.height,
        };
        self.batch.put_cf(self.cfs.grants, be(pos), leaf.encode());
        let index = GcmRow {
            pos,
            height: self.height,
            tx_id: at.id,
        };
        self.batch.put_cf(self.cfs.gcm_index, k, index.encode());
        self.tip.counts.grants += 1;
        let mut payload = audit_ct(&g.audit);
        payload.extend_from_slice(&be(pos));
        self.put_audit(at, TxKind::Grant, &payload);
        Ok(())
    }

    /// Access rules: regulator key in force, grant root among the last K and taken no
    /// earlier than the latest revocation (and no revocation earlier in this block), the time
    /// window, and the tag unseen in state and in the block.
    ///
    /// Time: the proof shows `now ≤ expiry` (rule A3, `now` range-checked in-circuit), and the
    /// ledger requires `block time ≤ now ≤ block time + time_tolerance`. Together: an access
    /// lands only while `block time ≤ expiry`, never late. The tolerance only lets a wallet
    /// prove a little ahead of the block that will include it.
    fn access(&mut self, at: &TxAt, a: &AccessTx, binding: Fr) -> Result<(), Refusal> {
        self.regulator_key(&a.rpk)?;
        let c = &self.ledger.cache.tip;
        let fresh = c
            .grant_roots
            .iter()
            .any(|(h, r)| *r == a.grant_root && *h >= c.last_revocation);
        if !fresh || !self.revocations.is_empty() {
            return Err(Rule::StaleGrantRoot.into());
        }
        let tolerance = self.ledger.config.genesis.time_tolerance;
        if a.now < self.time || a.now - self.time > tolerance {
            return Err(Rule::AccessTime {
                now: a.now,
                block_time: self.time,
                tolerance,
            }
            .into());
        }
        let k = fr(&a.tag);
        if self.in_state(self.cfs.tags, &k)? || !self.tags.insert(k) {
            return Err(Rule::TagReplayed.into());
        }
        let row = TagRow {
            place: at.place,
            tx_id: at.id,
            binding,
            now: a.now,
        };
        self.batch.put_cf(self.cfs.tags, k, row.encode());
        self.tip.counts.accesses += 1;
        self.put_audit(at, TxKind::Access, &audit_ct(&a.audit));
        Ok(())
    }

    /// Revocation rule: leaf `pos` holds `gcm` and is live. With grant commitments unique (see
    /// [`Self::grant`]), that leaf is the only position that ever held `gcm`, so emptying it
    /// ends every use of the grant. Revocations are deliberately neither capped nor spaced: any
    /// such bound lets a spammer who fills it delay an owner's withdrawal of consent. Their
    /// rate is bounded through grants (`max_grants_per_block`), each revocation consuming one.
    fn revoke(&mut self, at: &TxAt, r: &RevokeTx) -> Result<(), Refusal> {
        let leaf = self
            .grant_writes
            .iter()
            .rev()
            .find(|(pos, _)| *pos == r.pos)
            .map(|(_, leaf)| *leaf)
            .or_else(|| self.ledger.cache.grant_tree.leaf(r.pos));
        if !leaf.is_some_and(|l| l == r.gcm && l != EMPTY_LEAF) {
            return Err(Rule::NoSuchGrant(r.pos).into());
        }
        self.grant_writes.push((r.pos, EMPTY_LEAF));
        self.revocations.push((r.pos, EMPTY_LEAF));
        let leaf = GrantLeafRow {
            leaf: EMPTY_LEAF,
            height: self.height,
        };
        self.batch.put_cf(self.cfs.grants, be(r.pos), leaf.encode());
        self.tip.counts.revocations += 1;
        let mut payload = be(r.pos).to_vec();
        payload.extend_from_slice(&fr(&r.gcm));
        self.put_audit(at, TxKind::Revoke, &payload);
        Ok(())
    }

    /// Rotation rules (its signatures were checked with the proofs, `zkreg_verifier::rotation`):
    /// the next sequence number (so a rotation is single-use), replacing the key in force at
    /// this height, no other key still pending, and a first height after this block. The new
    /// key joins the schedule; transactions at heights `≥ from_height` must encrypt to it
    /// (`regulator_key`), older records stay with the old key.
    fn rotate(&mut self, r: &RotateTx) -> Result<(), Refusal> {
        let t = &r.terms;
        let genesis_entries = self.ledger.config.genesis_schedule().entries().len();
        let expected = self
            .tip
            .schedule
            .entries()
            .len()
            .saturating_sub(genesis_entries) as u64;
        if t.sequence != expected {
            return Err(Rule::RotationSequence {
                expected,
                got: t.sequence,
            }
            .into());
        }
        if Some(t.old_rpk) != self.rpk {
            return Err(Rule::RotationKey.into());
        }
        let pending = self.tip.schedule.last_from_height();
        if pending > self.height {
            return Err(Rule::RotationPending {
                from_height: pending,
            }
            .into());
        }
        if t.from_height <= self.height {
            return Err(Rule::RotationHeight {
                from_height: t.from_height,
                height: self.height,
            }
            .into());
        }
        self.tip.schedule.push(t.from_height, t.new_rpk);
        self.rotated = true;
        Ok(())
    }

    /// The rule `finish` checks besides hashing: the block's appends fit in both trees. (A
    /// revocation's position needs no check here: `revoke` refuses one without a grant.)
    fn fits(&self) -> Result<(), LedgerError> {
        let cache = &self.ledger.cache;
        if cache.note_tree.fits(self.new_cms.len()) && cache.grant_tree.fits(self.new_gcms.len()) {
            Ok(())
        } else {
            Err(LedgerError::Rejected(Rejection::block(Rule::TreeFull)))
        }
    }

    /// Trees, roots, state root and meta: the block's last writes.
    fn finish(mut self, ids: &[TxId]) -> Result<VerifiedBlock, LedgerError> {
        self.fits()?;
        let (height, time) = (self.height, self.time);
        let window = self.ledger.config.genesis.anchor_window;
        let cache = &self.ledger.cache;
        let full = |_| LedgerError::Rejected(Rejection::block(Rule::TreeFull));
        let notes = cache.note_tree.prepare(&self.new_cms, &[]).map_err(full)?;
        let grants = cache
            .grant_tree
            .prepare(&self.new_gcms, &self.revocations)
            .map_err(full)?;
        let (note_root, grant_root) = (notes.root(), grants.root());
        let push = |q: &mut VecDeque<(u64, Fr)>, root: Fr| {
            q.push_back((height, root));
            while q.len() as u64 > window {
                q.pop_front();
            }
        };
        let tip = &mut self.tip;
        push(&mut tip.note_roots, note_root);
        push(&mut tip.grant_roots, grant_root);
        if !self.revocations.is_empty() {
            tip.last_revocation = height;
        }
        tip.height = height;
        tip.time = time;
        let mut h = Blake2b::<U32>::new();
        h.update(b"zkreg/v1/state");
        h.update(cache.tip.state_root);
        h.update(be(height));
        h.update(be(time));
        h.update(fr(&note_root));
        h.update(fr(&grant_root));
        h.update(tip.counts.to_bytes());
        for id in ids {
            h.update(id);
        }
        tip.state_root = h.finalize().into();
        let (b, cfs) = (&mut self.batch, &self.cfs);
        b.put_cf(cfs.note_roots, be(height), fr(&note_root));
        b.put_cf(cfs.grant_roots, be(height), fr(&grant_root));
        let block = BlockRow {
            time,
            txs: ids.len() as u32,
            state_root: tip.state_root,
        };
        b.put_cf(cfs.blocks, be(height), block.encode());
        b.put_cf(cfs.meta, META_HEIGHT, be(height));
        b.put_cf(cfs.meta, META_TIME, be(time));
        b.put_cf(cfs.meta, META_STATE_ROOT, tip.state_root);
        b.put_cf(cfs.meta, META_LAST_REVOCATION, be(tip.last_revocation));
        b.put_cf(cfs.meta, META_COUNTS, tip.counts.to_bytes());
        if self.rotated {
            b.put_cf(cfs.meta, META_KEY_SCHEDULE, schedule(&tip.schedule));
        }
        let summary = BlockSummary {
            height,
            time,
            txs: ids.len(),
            state_root: tip.state_root,
        };
        Ok(VerifiedBlock {
            batch: self.batch,
            tx_ids: ids.to_vec(),
            tip: self.tip,
            notes,
            grants,
            summary,
        })
    }
}
