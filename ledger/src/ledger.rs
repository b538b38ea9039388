//! The state machine: admission, block verification, commit.

use crate::{
    codec::{audit_ct, be, fr, read_be, read_fr},
    error::{LedgerError, Rejection, Rule},
    genesis::ChainConfig,
    store::*,
};
use ark_bls12_381::{Bls12_381, Fr};
use ark_serialize::CanonicalSerialize;
use blake2::{digest::consts::U32, Blake2b, Digest};
use rayon::prelude::*;
use rocksdb::{IteratorMode, WriteBatch, WriteOptions, DB};
use std::{
    collections::{HashSet, VecDeque},
    path::Path,
};
use zkreg_circuits::merkle::{MerkleTree, TreeKind, TreeUpdate, EMPTY_LEAF};
use zkreg_verifier::{
    params::{blake2b_256_hex, load_verifying_keys, Circuit},
    Transaction, TxId, TxKind, VerifyingKeys,
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

/// The ledger: a RocksDB database and the chain configuration.
pub struct Ledger {
    db: DB,
    config: ChainConfig,
    keys: VerifyingKeys,
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
        for (c, vk) in Circuit::ALL.iter().zip(vks.iter()) {
            if config.vk_hash(*c) != Some(vk_hash(vk).as_str()) {
                return Err(LedgerError::Keys(format!(
                    "the {} verifying key is not the one the genesis accepts",
                    c.name()
                )));
            }
        }
        let [p, g, a, r] = &vks;
        let keys = VerifyingKeys::new(p, g, a, r).map_err(|e| LedgerError::Keys(e.to_string()))?;
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
        let cache = Self::load_cache(&db, config.genesis.anchor_window)?;
        Ok(Ledger {
            db,
            config,
            keys,
            cache,
        })
    }

    fn load_cache(db: &DB, window: u64) -> Result<Cache, LedgerError> {
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
        let mut cms = Vec::new();
        for item in db.iterator_cf(cf(db, CF_NOTES)?, IteratorMode::Start) {
            let (_, v) = item?;
            cms.push(read_fr(v.get(12..44).unwrap_or(&[]))?);
        }
        let mut note_tree = MerkleTree::new(TreeKind::NOTES);
        note_tree
            .append_many(&cms)
            .map_err(|e| LedgerError::Corrupt(e.to_string()))?;
        let mut gcms = Vec::new();
        for item in db.iterator_cf(cf(db, CF_GRANTS)?, IteratorMode::Start) {
            let (_, v) = item?;
            gcms.push(read_fr(v.get(..32).unwrap_or(&[]))?);
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
            },
            note_tree,
            grant_tree,
        })
    }

    /// The chain configuration.
    pub fn config(&self) -> &ChainConfig {
        &self.config
    }

    pub(crate) fn db(&self) -> &DB {
        &self.db
    }

    pub(crate) fn cache(&self) -> &Cache {
        &self.cache
    }

    /// Admission: would `tx` be accepted in the next block at `block_time`? Writes nothing.
    pub fn check_tx(&self, tx: &[u8], block_time: u64) -> Result<TxId, Rejection> {
        let block = self.verify_block(
            self.cache.tip.height + 1,
            block_time.max(self.cache.tip.time),
            &[tx.to_vec()],
        )?;
        block
            .tx_ids
            .first()
            .copied()
            .ok_or_else(|| reject(0, None, Rule::Decode("empty block".into())))
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
        c.tip = block.tip;
        Ok(block.summary)
    }

    /// Decodes, verifies (batched per circuit, in parallel with decoding of the next stage) and
    /// checks a block against the current state. Writes nothing.
    pub fn verify_block(
        &self,
        height: u64,
        time: u64,
        txs: &[Vec<u8>],
    ) -> Result<VerifiedBlock, Rejection> {
        let c = &self.cache.tip;
        if height != c.height + 1 {
            return Err(Rejection::block(Rule::WrongHeight {
                expected: c.height + 1,
                got: height,
            }));
        }
        if c.height > 0 && time < c.time {
            return Err(Rejection::block(Rule::TimeWentBackwards {
                previous: c.time,
                got: time,
            }));
        }
        // 1. Decode (in parallel).
        let decoded: Vec<Transaction> = txs
            .par_iter()
            .enumerate()
            .map(|(i, b)| {
                Transaction::decode(b).map_err(|e| reject(i, None, Rule::Decode(e.to_string())))
            })
            .collect::<Result<_, _>>()?;
        let ids: Vec<TxId> = decoded.par_iter().map(Transaction::id).collect();
        let mut seen = HashSet::new();
        for (i, id) in ids.iter().enumerate() {
            if !seen.insert(*id) {
                return Err(reject(i, Some(*id), Rule::DuplicateTx));
            }
        }
        // 2. Stateless checks and proofs, batched per circuit.
        for (i, verdict) in self.keys.verify_batch(&decoded).into_iter().enumerate() {
            verdict.map_err(|e| reject(i, Some(ids[i]), Rule::Verify(e.to_string())))?;
        }
        // 3. Stateful checks, in block order, against state plus the block so far.
        let cfg = &self.config;
        let rpk = cfg.rpk_at(height);
        let window = cfg.genesis.anchor_window;
        let mut tip = c.clone();
        let (note_tree, grant_tree) = (&self.cache.note_tree, &self.cache.grant_tree);
        let mut batch = WriteBatch::default();
        let cfh =
            |n: &str| cf(&self.db, n).map_err(|e| Rejection::block(Rule::Decode(e.to_string())));
        let (cf_notes, cf_cm, cf_nf, cf_grants, cf_tags, cf_audit, cf_txs) = (
            cfh(CF_NOTES)?,
            cfh(CF_CM_INDEX)?,
            cfh(CF_NULLIFIERS)?,
            cfh(CF_GRANTS)?,
            cfh(CF_TAGS)?,
            cfh(CF_AUDIT)?,
            cfh(CF_TXS)?,
        );
        let db_has = |cfn: &rocksdb::ColumnFamily, k: &[u8]| -> Result<bool, Rejection> {
            self.db
                .get_pinned_cf(cfn, k)
                .map(|v| v.is_some())
                .map_err(|e| Rejection::block(Rule::Decode(format!("database: {e}"))))
        };
        let mut block_nfs: HashSet<[u8; 32]> = HashSet::new();
        let mut block_tags: HashSet<[u8; 32]> = HashSet::new();
        let mut new_cms: Vec<Fr> = Vec::new();
        let mut new_gcms: Vec<Fr> = Vec::new();
        // Grant leaves this block has written so far (appended or emptied), in order.
        let mut grant_writes: Vec<(u64, Fr)> = Vec::new();
        let mut revocations: Vec<(u64, Fr)> = Vec::new();
        for (i, tx) in decoded.iter().enumerate() {
            let id = ids[i];
            let fail = |rule| reject(i, Some(id), rule);
            let idx = (i as u32).to_be_bytes();
            let mut audit_key = be(height).to_vec();
            audit_key.extend_from_slice(&idx);
            match tx {
                Transaction::Payment(p) => {
                    if !c.note_roots.iter().any(|(_, r)| *r == p.anchor) {
                        return Err(fail(Rule::UnknownAnchor { window }));
                    }
                    if Some(p.rpk) != rpk {
                        return Err(fail(Rule::WrongRegulatorKey));
                    }
                    if p.v_in_pub > 0 || p.v_out_pub > 0 {
                        let ok = p
                            .issuer_signature
                            .as_ref()
                            .is_some_and(|s| cfg.is_issuer(&p.asset_pub, &s.issuer));
                        if !ok {
                            return Err(fail(Rule::UnauthorisedIssuer));
                        }
                    }
                    for nf in &p.nullifiers {
                        let k = fr(nf);
                        if db_has(cf_nf, &k)? {
                            return Err(fail(Rule::NullifierSpent));
                        }
                        if !block_nfs.insert(k) {
                            return Err(fail(Rule::DuplicateNullifier));
                        }
                        let mut v = be(height).to_vec();
                        v.extend_from_slice(&id);
                        batch.put_cf(cf_nf, k, v);
                    }
                    tip.counts.nullifiers += 2;
                    for (j, cm) in p.output_commitments.iter().enumerate() {
                        let pos = note_tree.len() + new_cms.len() as u64;
                        new_cms.push(*cm);
                        let mut v = be(height).to_vec();
                        v.extend_from_slice(&idx);
                        v.extend_from_slice(&fr(cm));
                        v.extend_from_slice(&p.deliveries[j]);
                        batch.put_cf(cf_notes, be(pos), v);
                        let mut o = be(pos).to_vec();
                        o.extend_from_slice(&be(height));
                        o.extend_from_slice(&idx);
                        o.extend_from_slice(&id);
                        batch.put_cf(cf_cm, fr(cm), o);
                    }
                    let mut rec = vec![TxKind::Payment as u8];
                    rec.extend_from_slice(&id);
                    rec.extend_from_slice(&audit_ct(&p.audit));
                    batch.put_cf(cf_audit, &audit_key, rec);
                }
                Transaction::Grant(g) => {
                    if Some(g.rpk) != rpk {
                        return Err(fail(Rule::WrongRegulatorKey));
                    }
                    let pos = grant_tree.len() + new_gcms.len() as u64;
                    if pos >= grant_tree.kind().capacity() {
                        return Err(fail(Rule::TreeFull));
                    }
                    new_gcms.push(g.gcm);
                    grant_writes.push((pos, g.gcm));
                    let mut v = fr(&g.gcm).to_vec();
                    v.extend_from_slice(&be(height));
                    batch.put_cf(cf_grants, be(pos), v);
                    tip.counts.grants += 1;
                    let mut rec = vec![TxKind::Grant as u8];
                    rec.extend_from_slice(&id);
                    rec.extend_from_slice(&audit_ct(&g.audit));
                    rec.extend_from_slice(&be(pos));
                    batch.put_cf(cf_audit, &audit_key, rec);
                }
                Transaction::Access(a) => {
                    if Some(a.rpk) != rpk {
                        return Err(fail(Rule::WrongRegulatorKey));
                    }
                    let fresh = c
                        .grant_roots
                        .iter()
                        .any(|(h, r)| *r == a.grant_root && *h >= c.last_revocation);
                    if !fresh || !revocations.is_empty() {
                        return Err(fail(Rule::StaleGrantRoot));
                    }
                    let tol = cfg.genesis.time_tolerance;
                    if a.now.abs_diff(time) > tol {
                        return Err(fail(Rule::TimeOutOfTolerance {
                            now: a.now,
                            block_time: time,
                            tolerance: tol,
                        }));
                    }
                    let k = fr(&a.tag);
                    if db_has(cf_tags, &k)? || !block_tags.insert(k) {
                        return Err(fail(Rule::TagReplayed));
                    }
                    let mut v = be(height).to_vec();
                    v.extend_from_slice(&idx);
                    v.extend_from_slice(&id);
                    v.extend_from_slice(&fr(&tx.binding()));
                    v.extend_from_slice(&be(a.now));
                    batch.put_cf(cf_tags, k, v);
                    tip.counts.accesses += 1;
                    let mut rec = vec![TxKind::Access as u8];
                    rec.extend_from_slice(&id);
                    rec.extend_from_slice(&audit_ct(&a.audit));
                    batch.put_cf(cf_audit, &audit_key, rec);
                }
                Transaction::Revoke(r) => {
                    let leaf = grant_writes
                        .iter()
                        .rev()
                        .find(|(pos, _)| *pos == r.pos)
                        .map(|(_, leaf)| *leaf)
                        .or_else(|| grant_tree.leaf(r.pos));
                    if !leaf.is_some_and(|l| l == r.gcm && l != EMPTY_LEAF) {
                        return Err(fail(Rule::NoSuchGrant(r.pos)));
                    }
                    grant_writes.push((r.pos, EMPTY_LEAF));
                    revocations.push((r.pos, EMPTY_LEAF));
                    let mut v = fr(&EMPTY_LEAF).to_vec();
                    v.extend_from_slice(&be(height));
                    batch.put_cf(cf_grants, be(r.pos), v);
                    tip.counts.revocations += 1;
                    let mut rec = vec![TxKind::Revoke as u8];
                    rec.extend_from_slice(&id);
                    rec.extend_from_slice(&be(r.pos));
                    rec.extend_from_slice(&fr(&r.gcm));
                    batch.put_cf(cf_audit, &audit_key, rec);
                }
            }
            let mut v = be(height).to_vec();
            v.extend_from_slice(&idx);
            v.extend_from_slice(&txs[i]);
            batch.put_cf(cf_txs, id, v);
        }
        // 4. Trees, roots, state root, meta.
        let full = |_| Rejection::block(Rule::TreeFull);
        let notes = note_tree.prepare(&new_cms, &[]).map_err(full)?;
        let grants = grant_tree.prepare(&new_gcms, &revocations).map_err(full)?;
        let (note_root, grant_root) = (notes.root(), grants.root());
        let push = |q: &mut VecDeque<(u64, Fr)>, root: Fr| {
            q.push_back((height, root));
            while q.len() as u64 > window {
                q.pop_front();
            }
        };
        push(&mut tip.note_roots, note_root);
        push(&mut tip.grant_roots, grant_root);
        if !revocations.is_empty() {
            tip.last_revocation = height;
        }
        tip.counts.txs += decoded.len() as u64;
        tip.height = height;
        tip.time = time;
        let mut h = Blake2b::<U32>::new();
        h.update(b"zkreg/v1/state");
        h.update(c.state_root);
        h.update(be(height));
        h.update(be(time));
        h.update(fr(&note_root));
        h.update(fr(&grant_root));
        h.update(tip.counts.to_bytes());
        for id in &ids {
            h.update(id);
        }
        tip.state_root = h.finalize().into();
        let meta = cfh(CF_META)?;
        batch.put_cf(cfh(CF_NOTE_ROOTS)?, be(height), fr(&note_root));
        batch.put_cf(cfh(CF_GRANT_ROOTS)?, be(height), fr(&grant_root));
        let mut blk = be(time).to_vec();
        blk.extend_from_slice(&(decoded.len() as u32).to_be_bytes());
        blk.extend_from_slice(&tip.state_root);
        batch.put_cf(cfh(CF_BLOCKS)?, be(height), blk);
        batch.put_cf(meta, META_HEIGHT, be(height));
        batch.put_cf(meta, META_TIME, be(time));
        batch.put_cf(meta, META_STATE_ROOT, tip.state_root);
        batch.put_cf(meta, META_LAST_REVOCATION, be(tip.last_revocation));
        batch.put_cf(meta, META_COUNTS, tip.counts.to_bytes());
        let summary = BlockSummary {
            height,
            time,
            txs: decoded.len(),
            state_root: tip.state_root,
        };
        Ok(VerifiedBlock {
            batch,
            tx_ids: ids,
            tip,
            notes,
            grants,
            summary,
        })
    }

    /// Every key and value in the database, in order (for tests and audits of the store).
    pub fn dump(&self) -> Result<Vec<DumpEntry>, LedgerError> {
        dump(&self.db)
    }
}
