//! Read-only queries: wallets scan outputs and nullifiers, regulators read audit records,
//! data owners read accesses, anyone reads status.

use crate::{
    codec::{be, read_audit_ct, read_be, read_fr},
    ledger::{BlockSummary, Counts, Ledger},
    rows::{AuditRow, BlockRow, CmRow, GcmRow, GrantLeafRow, NoteRow, NullifierRow, TagRow, TxRow},
    store::*,
    LedgerError,
};
use ark_bls12_381::Fr;
use rocksdb::{Direction, IteratorMode};
use zkreg_circuits::{
    access::AccessCiphertext, grant::GrantCiphertext, merkle::MerkleTree,
    payment::PaymentCiphertext,
};
use zkreg_verifier::{Transaction, TxId, TxKind};

pub use crate::codec::read_audit_ct as decode_audit_ciphertext;

/// One note-tree output, for wallet scanning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    /// Leaf position.
    pub pos: u64,
    /// Height of the block that created it.
    pub height: u64,
    /// Note commitment.
    pub cm: Fr,
    /// Delivery ciphertext.
    pub delivery: Vec<u8>,
}

/// Outputs and nullifiers of consecutive blocks, for wallet sync ([`Ledger::scan_chunk`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// The last block covered.
    pub to_height: u64,
    /// Outputs of the covered blocks, in tree order.
    pub outputs: Vec<Output>,
    /// Nullifiers published in the covered blocks.
    pub nullifiers: Vec<Fr>,
}

/// The audited content of a transaction, still encrypted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditPayload {
    /// A payment's ciphertext.
    Payment(PaymentCiphertext),
    /// A grant's ciphertext and its position in the grant tree.
    Grant(GrantCiphertext, u64),
    /// An access's ciphertext.
    Access(AccessCiphertext),
    /// A revocation (public: position and grant commitment).
    Revoke {
        /// Leaf position.
        pos: u64,
        /// Grant commitment.
        gcm: Fr,
    },
}

/// One audit record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    /// Block height.
    pub height: u64,
    /// Index in the block.
    pub index: u32,
    /// Transaction id.
    pub tx_id: TxId,
    /// The record.
    pub payload: AuditPayload,
}

/// Where a note commitment came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin {
    /// Leaf position.
    pub pos: u64,
    /// Block height.
    pub height: u64,
    /// Index in the block.
    pub index: u32,
    /// Creating transaction.
    pub tx_id: TxId,
}

/// An on-ledger access, as a data owner scans them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessRecord {
    /// Block height.
    pub height: u64,
    /// Index in the block.
    pub index: u32,
    /// Transaction id.
    pub tx_id: TxId,
    /// Access tag.
    pub tag: Fr,
    /// The access's binding (the owner recomputes `H(ACCESS, gsecret, binding)`).
    pub binding: Fr,
    /// Claimed access time.
    pub now: u64,
}

/// Ledger status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// Height of the last block.
    pub height: u64,
    /// Its time.
    pub time: u64,
    /// State root.
    pub state_root: [u8; 32],
    /// Note tree root.
    pub note_root: Fr,
    /// Note tree size.
    pub notes: u64,
    /// Grant tree root.
    pub grant_root: Fr,
    /// Grant tree size.
    pub grant_leaves: u64,
    /// Counters.
    pub counts: Counts,
}

fn u32be(b: &[u8]) -> Result<u32, LedgerError> {
    b.get(..4)
        .and_then(|s| s.try_into().ok())
        .map(u32::from_be_bytes)
        .ok_or_else(|| LedgerError::Corrupt("short index".into()))
}

/// Reads one audit row (key `height ‖ index`, value `kind ‖ tx id ‖ payload`).
pub fn audit_record(k: &[u8], v: &[u8]) -> Result<AuditRecord, LedgerError> {
    let h = read_be(k)?;
    let row = AuditRow::decode(v)?;
    let body = row.payload;
    let payload = match TxKind::try_from(row.kind)
        .map_err(|_| LedgerError::Corrupt("audit kind".into()))?
    {
        TxKind::Payment => AuditPayload::Payment(read_audit_ct(body)?),
        TxKind::Grant => {
            let n = 32 * 7;
            AuditPayload::Grant(
                read_audit_ct(body.get(..n).unwrap_or(&[]))?,
                read_be(body.get(n..).unwrap_or(&[]))?,
            )
        }
        TxKind::Access => AuditPayload::Access(read_audit_ct(body)?),
        TxKind::Revoke => AuditPayload::Revoke {
            pos: read_be(body)?,
            gcm: read_fr(body.get(8..).unwrap_or(&[]))?,
        },
        // Rotations are public and have no audit record.
        TxKind::Rotate => return Err(LedgerError::Corrupt("audit record of a rotation".into())),
    };
    Ok(AuditRecord {
        height: h,
        index: u32be(k.get(8..).unwrap_or(&[]))?,
        tx_id: row.tx_id,
        payload,
    })
}

/// Parses a `CF_TAGS` entry.
fn access_record(k: &[u8], v: &[u8]) -> Result<AccessRecord, LedgerError> {
    let row = TagRow::decode(v)?;
    Ok(AccessRecord {
        tag: read_fr(k)?,
        height: row.place.height,
        index: row.place.index,
        tx_id: row.tx_id,
        binding: row.binding,
        now: row.now,
    })
}

/// A stored row as it is on disk: (key, value).
pub type RawRow = (Vec<u8>, Vec<u8>);
impl Ledger {
    /// What block `height` did, if it is committed (height 0 is the genesis state).
    pub fn block_at(&self, height: u64) -> Result<Option<BlockSummary>, LedgerError> {
        if height == 0 {
            return Ok(Some(BlockSummary {
                height: 0,
                time: 0,
                txs: 0,
                state_root: self.config().hash,
            }));
        }
        let Some(v) = self.db().get_cf(cf(self.db(), CF_BLOCKS)?, be(height))? else {
            return Ok(None);
        };
        let row = BlockRow::decode(&v)?;
        Ok(Some(BlockSummary {
            height,
            time: row.time,
            txs: row.txs as usize,
            state_root: row.state_root,
        }))
    }

    /// Status.
    pub fn status(&self) -> Status {
        let c = self.cache();
        Status {
            height: c.tip.height,
            time: c.tip.time,
            state_root: c.tip.state_root,
            note_root: c.note_tree.root(),
            notes: c.note_tree.len(),
            grant_root: c.grant_tree.root(),
            grant_leaves: c.grant_tree.len(),
            counts: c.tip.counts,
        }
    }

    /// Outputs from position `from_pos` on, in order.
    pub fn outputs_from(&self, from_pos: u64) -> Result<Vec<Output>, LedgerError> {
        let mut out = Vec::new();
        let key = from_pos.to_be_bytes();
        for item in self.db().iterator_cf(
            cf(self.db(), CF_NOTES)?,
            IteratorMode::From(&key, Direction::Forward),
        ) {
            let (k, v) = item?;
            let row = NoteRow::decode(&v)?;
            out.push(Output {
                pos: read_be(&k)?,
                height: row.place.height,
                cm: row.cm,
                delivery: row.delivery,
            });
        }
        Ok(out)
    }

    /// The chunk of whole blocks after `after_height` for wallet sync: outputs from position
    /// `next_pos` on, about `max_outputs` of them (all outputs of the last block included), and
    /// the nullifiers published in the same blocks. `to_height` is the last block covered (the
    /// tip once every output is taken).
    ///
    /// Nullifiers are keyed by value, so this reads the whole nullifier set once per chunk
    /// (`O(nullifiers)`); a height index would make it `O(chunk)`.
    pub fn scan_chunk(
        &self,
        after_height: u64,
        next_pos: u64,
        max_outputs: usize,
    ) -> Result<Chunk, LedgerError> {
        let tip = self.cache().tip.height;
        let mut outputs: Vec<Output> = Vec::new();
        let mut to_height = tip;
        let key = next_pos.to_be_bytes();
        for item in self.db().iterator_cf(
            cf(self.db(), CF_NOTES)?,
            IteratorMode::From(&key, Direction::Forward),
        ) {
            let (k, v) = item?;
            let row = NoteRow::decode(&v)?;
            if row.place.height <= after_height {
                return Err(LedgerError::Corrupt(format!(
                    "output {} of height {} follows the cursor at height {after_height}",
                    read_be(&k)?,
                    row.place.height
                )));
            }
            if let Some(last) = outputs.last() {
                if outputs.len() >= max_outputs && row.place.height != last.height {
                    to_height = last.height;
                    break;
                }
            }
            outputs.push(Output {
                pos: read_be(&k)?,
                height: row.place.height,
                cm: row.cm,
                delivery: row.delivery,
            });
        }
        let mut nullifiers = Vec::new();
        for item in self
            .db()
            .iterator_cf(cf(self.db(), CF_NULLIFIERS)?, IteratorMode::Start)
        {
            let (k, v) = item?;
            let h = NullifierRow::decode(&v)?.height;
            if h > after_height && h <= to_height {
                nullifiers.push(read_fr(&k)?);
            }
        }
        Ok(Chunk {
            to_height,
            outputs,
            nullifiers,
        })
    }

    /// Every published nullifier.
    pub fn nullifiers(&self) -> Result<Vec<Fr>, LedgerError> {
        let mut out = Vec::new();
        for item in self
            .db()
            .iterator_cf(cf(self.db(), CF_NULLIFIERS)?, IteratorMode::Start)
        {
            let (k, _) = item?;
            out.push(read_fr(&k)?);
        }
        Ok(out)
    }

    /// The regulator key in force for the next block: what a new transaction must encrypt its
    /// audit record to.
    pub fn next_rpk(&self) -> Option<zkreg_circuits::ecc::JubjubAffine> {
        self.cache()
            .tip
            .schedule
            .rpk_at(self.cache().tip.height.saturating_add(1))
    }

    /// Note roots an anchor may currently be taken from.
    pub fn accepted_anchors(&self) -> Vec<Fr> {
        self.cache()
            .tip
            .note_roots
            .iter()
            .map(|(_, r)| *r)
            .collect()
    }

    /// The current grant tree (institutions build access proofs against it).
    pub fn grant_tree(&self) -> MerkleTree {
        self.cache().grant_tree.clone()
    }

    /// Grant roots by height.
    pub fn grant_root_history(&self) -> Result<Vec<(u64, Fr)>, LedgerError> {
        let mut out = Vec::new();
        for item in self
            .db()
            .iterator_cf(cf(self.db(), CF_GRANT_ROOTS)?, IteratorMode::Start)
        {
            let (k, v) = item?;
            out.push((read_be(&k)?, read_fr(&v)?));
        }
        Ok(out)
    }

    /// Audit records of heights `from..=to`. Refuses a range beyond the current height.
    pub fn audit_records(&self, from: u64, to: u64) -> Result<Vec<AuditRecord>, LedgerError> {
        self.audit_rows(from, to)?
            .iter()
            .map(|(k, v)| audit_record(k, v))
            .collect()
    }

    /// The raw audit rows (key `height ‖ index`, value `kind ‖ tx id ‖ payload`) of heights
    /// `from..=to`, as a node serves them; [`audit_record`] reads one.
    pub fn audit_rows(&self, from: u64, to: u64) -> Result<Vec<RawRow>, LedgerError> {
        let height = self.cache().tip.height;
        if from > to || to > height {
            return Err(LedgerError::NotFound(format!(
                "height range {from}..={to} is not within the ledger's 0..={height}"
            )));
        }
        let mut out = Vec::new();
        let start = from.to_be_bytes();
        for item in self.db().iterator_cf(
            cf(self.db(), CF_AUDIT)?,
            IteratorMode::From(&start, Direction::Forward),
        ) {
            let (k, v) = item?;
            if read_be(&k)? > to {
                break;
            }
            out.push((k.to_vec(), v.to_vec()));
        }
        Ok(out)
    }

    /// The transaction that created a note commitment.
    pub fn commitment_origin(&self, cm: &Fr) -> Result<Option<Origin>, LedgerError> {
        let Some(v) = self
            .db()
            .get_cf(cf(self.db(), CF_CM_INDEX)?, crate::codec::fr(cm))?
        else {
            return Ok(None);
        };
        let row = CmRow::decode(&v)?;
        Ok(Some(Origin {
            pos: row.pos,
            height: row.place.height,
            index: row.place.index,
            tx_id: row.tx_id,
        }))
    }

    /// Every access on the ledger (data owners test each tag against their grants).
    pub fn accesses(&self) -> Result<Vec<AccessRecord>, LedgerError> {
        let mut out = Vec::new();
        for item in self
            .db()
            .iterator_cf(cf(self.db(), CF_TAGS)?, IteratorMode::Start)
        {
            let (k, v) = item?;
            out.push(access_record(&k, &v)?);
        }
        out.sort_by_key(|a| (a.height, a.index));
        Ok(out)
    }

    /// The access with this tag, if any (one point lookup).
    pub fn access_by_tag(&self, tag: &Fr) -> Result<Option<AccessRecord>, LedgerError> {
        let key = crate::codec::fr(tag);
        match self.db().get_cf(cf(self.db(), CF_TAGS)?, key)? {
            Some(v) => Ok(Some(access_record(&key, &v)?)),
            None => Ok(None),
        }
    }

    /// A transaction's stored encoding by id: `(height, index, bytes)` (one point lookup, no
    /// decoding).
    pub fn tx_bytes(&self, id: &TxId) -> Result<Option<(u64, u32, Vec<u8>)>, LedgerError> {
        let Some(v) = self.db().get_cf(cf(self.db(), CF_TXS)?, id)? else {
            return Ok(None);
        };
        let row = TxRow::decode(&v)?;
        Ok(Some((
            row.place.height,
            row.place.index,
            row.bytes.to_vec(),
        )))
    }

    /// A transaction by id: `(height, index, tx)`.
    pub fn tx_by_id(&self, id: &TxId) -> Result<Option<(u64, u32, Transaction)>, LedgerError> {
        let Some(v) = self.db().get_cf(cf(self.db(), CF_TXS)?, id)? else {
            return Ok(None);
        };
        let row = TxRow::decode(&v)?;
        let tx = Transaction::decode(row.bytes)
            .map_err(|e| LedgerError::Corrupt(format!("stored tx: {e}")))?;
        Ok(Some((row.place.height, row.place.index, tx)))
    }

    /// The payment that spent nullifier `nf`: `(height, tx id)`, or `None` if it is unspent
    /// (one point lookup).
    pub fn spent_by(&self, nf: &Fr) -> Result<Option<(u64, TxId)>, LedgerError> {
        let key = crate::codec::fr(nf);
        let Some(v) = self.db().get_cf(cf(self.db(), CF_NULLIFIERS)?, key)? else {
            return Ok(None);
        };
        let row = NullifierRow::decode(&v)?;
        Ok(Some((row.height, row.tx_id)))
    }

    /// The transactions of heights `from..=to`, in order: `(height, index, tx)`. Reads the
    /// audit index (every transaction has one record, keyed by height and index), then one
    /// point lookup per transaction.
    pub fn txs_in_range(
        &self,
        from: u64,
        to: u64,
    ) -> Result<Vec<(u64, u32, Transaction)>, LedgerError> {
        let mut out = Vec::new();
        for rec in self.audit_records(from, to)? {
            let (height, index, tx) = self.tx_by_id(&rec.tx_id)?.ok_or_else(|| {
                LedgerError::Corrupt("an audit record names a missing transaction".into())
            })?;
            out.push((height, index, tx));
        }
        Ok(out)
    }
}

/// Where a grant commitment was appended (from the `gcm_index`, which a revocation never
/// deletes from).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GrantOrigin {
    /// Leaf position in the grant tree.
    pub pos: u64,
    /// Height of the block that appended it.
    pub height: u64,
    /// The grant transaction.
    pub tx_id: TxId,
}

impl Ledger {
    /// The grant with commitment `gcm`: its position, height and transaction (one point
    /// lookup). Still answers after the grant is revoked.
    pub fn grant_by_gcm(&self, gcm: &Fr) -> Result<Option<GrantOrigin>, LedgerError> {
        let key = crate::codec::fr(gcm);
        let Some(v) = self.db().get_cf(cf(self.db(), CF_GCM_INDEX)?, key)? else {
            return Ok(None);
        };
        let row = GcmRow::decode(&v)?;
        Ok(Some(GrantOrigin {
            pos: row.pos,
            height: row.height,
            tx_id: row.tx_id,
        }))
    }

    /// The revocation of the grant with commitment `gcm`: `(height, revoke tx id)`, or `None`
    /// while the grant is live or was never appended. A revoked leaf records the revocation's
    /// height, so only that block's audit records are read.
    pub fn revocation_of(&self, gcm: &Fr) -> Result<Option<(u64, TxId)>, LedgerError> {
        let Some(origin) = self.grant_by_gcm(gcm)? else {
            return Ok(None);
        };
        let Some(leaf) = self
            .db()
            .get_cf(cf(self.db(), CF_GRANTS)?, origin.pos.to_be_bytes())?
        else {
            return Ok(None);
        };
        let leaf = GrantLeafRow::decode(&leaf)?;
        if leaf.leaf == *gcm {
            return Ok(None);
        }
        let height = leaf.height;
        Ok(self
            .audit_records(height, height)?
            .into_iter()
            .find_map(|r| match r.payload {
                AuditPayload::Revoke { gcm: g, .. } if g == *gcm => Some((height, r.tx_id)),
                _ => None,
            }))
    }
}
