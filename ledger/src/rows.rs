//! Typed rows of every column family: the one place where a stored value's bytes are laid out.
//! Writers (`BlockContext`) encode through these types and readers (`query`, the cache loader)
//! decode through them, so a layout exists once. Keys: heights and positions big-endian (RocksDB
//! orders them numerically), field elements 32 bytes compressed, tx ids 32 bytes.

use crate::{
    codec::{be, fr, read_be, read_fr},
    LedgerError,
};
use ark_bls12_381::Fr;
use zkreg_verifier::TxId;

/// A reader over a stored value that names the row on error.
struct Cursor<'a> {
    row: &'static str,
    bytes: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], LedgerError> {
        if self.bytes.len() < n {
            return Err(LedgerError::Corrupt(format!(
                "{} row is too short",
                self.row
            )));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }
    fn u64(&mut self) -> Result<u64, LedgerError> {
        read_be(self.take(8)?)
    }
    fn u32(&mut self) -> Result<u32, LedgerError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn fr(&mut self) -> Result<Fr, LedgerError> {
        read_fr(self.take(32)?)
    }
    fn id(&mut self) -> Result<TxId, LedgerError> {
        let mut id = [0u8; 32];
        id.copy_from_slice(self.take(32)?);
        Ok(id)
    }
    fn rest(self) -> &'a [u8] {
        self.bytes
    }
    fn end(self) -> Result<(), LedgerError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(LedgerError::Corrupt(format!(
                "{} row is too long",
                self.row
            )))
        }
    }
}

/// Where a transaction sits: block height and index in the block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Place {
    pub(crate) height: u64,
    pub(crate) index: u32,
}

impl Place {
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&be(self.height));
        out.extend_from_slice(&self.index.to_be_bytes());
    }
    fn read(c: &mut Cursor) -> Result<Self, LedgerError> {
        Ok(Place {
            height: c.u64()?,
            index: c.u32()?,
        })
    }
    /// The audit-record key `height ‖ index`.
    pub(crate) fn key(&self) -> Vec<u8> {
        let mut k = Vec::with_capacity(12);
        self.write(&mut k);
        k
    }
}

/// `note_leaves`: pos → place ‖ cm ‖ delivery.
pub(crate) struct NoteRow {
    pub(crate) place: Place,
    pub(crate) cm: Fr,
    pub(crate) delivery: Vec<u8>,
}

impl NoteRow {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(44 + self.delivery.len());
        self.place.write(&mut v);
        v.extend_from_slice(&fr(&self.cm));
        v.extend_from_slice(&self.delivery);
        v
    }
    pub(crate) fn decode(b: &[u8]) -> Result<Self, LedgerError> {
        let mut c = Cursor {
            row: "note",
            bytes: b,
        };
        Ok(NoteRow {
            place: Place::read(&mut c)?,
            cm: c.fr()?,
            delivery: c.rest().to_vec(),
        })
    }
}

/// `cm_index`: cm → pos ‖ place ‖ creating tx id.
pub(crate) struct CmRow {
    pub(crate) pos: u64,
    pub(crate) place: Place,
    pub(crate) tx_id: TxId,
}

impl CmRow {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut v = be(self.pos).to_vec();
        self.place.write(&mut v);
        v.extend_from_slice(&self.tx_id);
        v
    }
    pub(crate) fn decode(b: &[u8]) -> Result<Self, LedgerError> {
        let mut c = Cursor {
            row: "commitment index",
            bytes: b,
        };
        let row = CmRow {
            pos: c.u64()?,
            place: Place::read(&mut c)?,
            tx_id: c.id()?,
        };
        c.end()?;
        Ok(row)
    }
}

/// `nullifiers`: nf → height ‖ spending tx id.
pub(crate) struct NullifierRow {
    pub(crate) height: u64,
    pub(crate) tx_id: TxId,
}

impl NullifierRow {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut v = be(self.height).to_vec();
        v.extend_from_slice(&self.tx_id);
        v
    }
    pub(crate) fn decode(b: &[u8]) -> Result<Self, LedgerError> {
        let mut c = Cursor {
            row: "nullifier",
            bytes: b,
        };
        let row = NullifierRow {
            height: c.u64()?,
            tx_id: c.id()?,
        };
        c.end()?;
        Ok(row)
    }
}

/// `grant_leaves`: pos → leaf (the gcm, or zero once revoked) ‖ height of the last write.
pub(crate) struct GrantLeafRow {
    pub(crate) leaf: Fr,
    pub(crate) height: u64,
}

impl GrantLeafRow {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut v = fr(&self.leaf).to_vec();
        v.extend_from_slice(&be(self.height));
        v
    }
    pub(crate) fn decode(b: &[u8]) -> Result<Self, LedgerError> {
        let mut c = Cursor {
            row: "grant leaf",
            bytes: b,
        };
        let row = GrantLeafRow {
            leaf: c.fr()?,
            height: c.u64()?,
        };
        c.end()?;
        Ok(row)
    }
}

/// `gcm_index`: gcm → pos ‖ height ‖ grant tx id (never deleted).
pub(crate) struct GcmRow {
    pub(crate) pos: u64,
    pub(crate) height: u64,
    pub(crate) tx_id: TxId,
}

impl GcmRow {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut v = be(self.pos).to_vec();
        v.extend_from_slice(&be(self.height));
        v.extend_from_slice(&self.tx_id);
        v
    }
    pub(crate) fn decode(b: &[u8]) -> Result<Self, LedgerError> {
        let mut c = Cursor {
            row: "grant index",
            bytes: b,
        };
        let row = GcmRow {
            pos: c.u64()?,
            height: c.u64()?,
            tx_id: c.id()?,
        };
        c.end()?;
        Ok(row)
    }
}

/// `access_tags`: tag → place ‖ tx id ‖ binding ‖ now.
pub(crate) struct TagRow {
    pub(crate) place: Place,
    pub(crate) tx_id: TxId,
    pub(crate) binding: Fr,
    pub(crate) now: u64,
}

impl TagRow {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(84);
        self.place.write(&mut v);
        v.extend_from_slice(&self.tx_id);
        v.extend_from_slice(&fr(&self.binding));
        v.extend_from_slice(&be(self.now));
        v
    }
    pub(crate) fn decode(b: &[u8]) -> Result<Self, LedgerError> {
        let mut c = Cursor {
            row: "access tag",
            bytes: b,
        };
        let row = TagRow {
            place: Place::read(&mut c)?,
            tx_id: c.id()?,
            binding: c.fr()?,
            now: c.u64()?,
        };
        c.end()?;
        Ok(row)
    }
}

/// `txs`: tx id → place ‖ encoded transaction.
pub(crate) struct TxRow<'a> {
    pub(crate) place: Place,
    pub(crate) bytes: &'a [u8],
}

impl<'a> TxRow<'a> {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(12 + self.bytes.len());
        self.place.write(&mut v);
        v.extend_from_slice(self.bytes);
        v
    }
    pub(crate) fn decode(b: &'a [u8]) -> Result<Self, LedgerError> {
        let mut c = Cursor {
            row: "transaction",
            bytes: b,
        };
        Ok(TxRow {
            place: Place::read(&mut c)?,
            bytes: c.rest(),
        })
    }
}

/// `audit`: place → kind ‖ tx id ‖ payload (ciphertext, plus the position for grants; position
/// and gcm for revocations).
pub(crate) struct AuditRow<'a> {
    pub(crate) kind: u8,
    pub(crate) tx_id: TxId,
    pub(crate) payload: &'a [u8],
}

impl<'a> AuditRow<'a> {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(33 + self.payload.len());
        v.push(self.kind);
        v.extend_from_slice(&self.tx_id);
        v.extend_from_slice(self.payload);
        v
    }
    pub(crate) fn decode(b: &'a [u8]) -> Result<Self, LedgerError> {
        let mut c = Cursor {
            row: "audit",
            bytes: b,
        };
        let kind = c.take(1)?[0];
        Ok(AuditRow {
            kind,
            tx_id: c.id()?,
            payload: c.rest(),
        })
    }
}

/// `blocks`: height → time ‖ tx count ‖ state root.
pub(crate) struct BlockRow {
    pub(crate) time: u64,
    pub(crate) txs: u32,
    pub(crate) state_root: [u8; 32],
}

impl BlockRow {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut v = be(self.time).to_vec();
        v.extend_from_slice(&self.txs.to_be_bytes());
        v.extend_from_slice(&self.state_root);
        v
    }
    pub(crate) fn decode(b: &[u8]) -> Result<Self, LedgerError> {
        let mut c = Cursor {
            row: "block",
            bytes: b,
        };
        let time = c.u64()?;
        let txs = c.u32()?;
        let mut state_root = [0u8; 32];
        state_root.copy_from_slice(c.take(32)?);
        c.end()?;
        Ok(BlockRow {
            time,
            txs,
            state_root,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every row decodes to what was encoded, and truncated or extended values are refused.
    #[test]
    fn rows_round_trip_and_refuse_bad_lengths() {
        let place = Place {
            height: 7,
            index: 3,
        };
        let id = [9u8; 32];
        let cm = CmRow {
            pos: 5,
            place,
            tx_id: id,
        };
        let b = cm.encode();
        let d = CmRow::decode(&b).expect("decodes");
        assert_eq!((d.pos, d.place, d.tx_id), (5, place, id));
        assert!(CmRow::decode(&b[..b.len() - 1]).is_err());
        assert!(CmRow::decode(&[b.as_slice(), &[0]].concat()).is_err());
        let tag = TagRow {
            place,
            tx_id: id,
            binding: Fr::from(11u64),
            now: 99,
        };
        let d = TagRow::decode(&tag.encode()).expect("decodes");
        assert_eq!((d.binding, d.now), (Fr::from(11u64), 99));
        let g = GcmRow {
            pos: 1,
            height: 2,
            tx_id: id,
        };
        let d = GcmRow::decode(&g.encode()).expect("decodes");
        assert_eq!((d.pos, d.height), (1, 2));
        let leaf = GrantLeafRow {
            leaf: Fr::from(4u64),
            height: 8,
        };
        let d = GrantLeafRow::decode(&leaf.encode()).expect("decodes");
        assert_eq!((d.leaf, d.height), (Fr::from(4u64), 8));
        let note = NoteRow {
            place,
            cm: Fr::from(6u64),
            delivery: vec![1, 2, 3],
        };
        let d = NoteRow::decode(&note.encode()).expect("decodes");
        assert_eq!((d.cm, d.delivery), (Fr::from(6u64), vec![1, 2, 3]));
        let audit = AuditRow {
            kind: 2,
            tx_id: id,
            payload: &[5; 10],
        };
        let enc = audit.encode();
        let d = AuditRow::decode(&enc).expect("decodes");
        assert_eq!((d.kind, d.payload.len()), (2, 10));
        assert!(AuditRow::decode(&[1]).is_err());
    }
}
