//! The block simplex orders and marshal disseminates (docs/PROTOCOL.md, "Node").
//!
//! ```text
//! block = parent:32 height:u64 time:u64 state_root:32 n:u32 (len:u32 tx:len){n}   (big-endian)
//! digest = SHA-256("zkreg/v1/block" ‖ block)
//! ```
//!
//! `state_root` is the ledger's state root *after* the block: a hash chain over every block's
//! height, time, tree roots, counters and transaction ids (`zkreg_ledger`), so two blocks that
//! leave the same root leave the same state. Verifiers recompute it; a block whose claimed root
//! differs is refused. Every integer has one width, lengths are bounded before anything is
//! allocated, and trailing bytes are refused, so the encoding is canonical.

use bytes::Buf as _;
use bytes::BufMut;
use commonware_codec::{Buf, EncodeSize, Error as CodecError, Read, Write};
use commonware_consensus::{types::Height, BoundedBlock, Heightable};
use commonware_cryptography::{sha256::Digest, Digestible, Hasher, Sha256};
use zkreg_verifier::MAX_TX_BYTES;

/// Most transactions one block carries.
pub const MAX_BLOCK_TXS: usize = 512;

/// Domain separator of the block digest.
const BLOCK_PREFIX: &[u8] = b"zkreg/v1/block";

/// A block: its parent, height, proposer time, post-state root and transactions (wire bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// Digest of the parent block.
    pub parent: Digest,
    /// Height (genesis is 0).
    pub height: u64,
    /// Proposer's time, seconds since the Unix epoch; never below the parent's.
    pub time: u64,
    /// Ledger state root after this block.
    pub state_root: [u8; 32],
    /// Transactions, in order.
    pub txs: Vec<Vec<u8>>,
    digest: Digest,
}

impl Block {
    /// A block, with its digest computed once.
    pub fn new(
        parent: Digest,
        height: u64,
        time: u64,
        state_root: [u8; 32],
        txs: Vec<Vec<u8>>,
    ) -> Self {
        let mut b = Block {
            parent,
            height,
            time,
            state_root,
            txs,
            digest: Digest([0u8; 32]),
        };
        b.digest = b.compute_digest();
        b
    }

    /// The genesis block of a chain: height 0, time 0, the chain hash as its state root (the
    /// ledger's root before block 1), no transactions, and an all-zero parent.
    pub fn genesis(chain_hash: [u8; 32]) -> Self {
        Block::new(Digest([0u8; 32]), 0, 0, chain_hash, Vec::new())
    }

    fn compute_digest(&self) -> Digest {
        let mut body = Vec::with_capacity(self.encode_size());
        self.write(&mut body);
        Sha256::hash(&[BLOCK_PREFIX, &body])
    }

    /// The block's canonical bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encode_size());
        self.write(&mut out);
        out
    }

    /// Decodes canonical bytes, refusing anything longer.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CodecError> {
        let mut buf = bytes::Bytes::copy_from_slice(bytes);
        let b = Self::read_cfg(&mut buf, &())?;
        if buf.remaining() > 0 {
            return Err(CodecError::ExtraData(buf.remaining()));
        }
        Ok(b)
    }

    /// The digest as 32 bytes.
    pub fn id(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.digest.as_ref());
        out
    }
}

impl Write for Block {
    fn write(&self, w: &mut impl BufMut) {
        w.put_slice(self.parent.as_ref());
        w.put_u64(self.height);
        w.put_u64(self.time);
        w.put_slice(&self.state_root);
        w.put_u32(self.txs.len() as u32);
        for tx in &self.txs {
            w.put_u32(tx.len() as u32);
            w.put_slice(tx);
        }
    }
}

impl EncodeSize for Block {
    fn encode_size(&self) -> usize {
        32 + 8 + 8 + 32 + 4 + self.txs.iter().map(|t| 4 + t.len()).sum::<usize>()
    }
}

fn take<const N: usize>(r: &mut impl Buf) -> Result<[u8; N], CodecError> {
    if r.remaining() < N {
        return Err(CodecError::EndOfBuffer);
    }
    let mut out = [0u8; N];
    r.copy_to_slice(&mut out);
    Ok(out)
}

impl Read for Block {
    type Cfg = ();

    fn read_cfg(r: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        let parent = Digest(take::<32>(r)?);
        let height = u64::from_be_bytes(take::<8>(r)?);
        let time = u64::from_be_bytes(take::<8>(r)?);
        let state_root = take::<32>(r)?;
        let n = u32::from_be_bytes(take::<4>(r)?) as usize;
        if n > MAX_BLOCK_TXS {
            return Err(CodecError::InvalidLength(n));
        }
        let mut txs = Vec::with_capacity(n);
        for _ in 0..n {
            let len = u32::from_be_bytes(take::<4>(r)?) as usize;
            if len > MAX_TX_BYTES || len > r.remaining() {
                return Err(CodecError::InvalidLength(len));
            }
            let mut tx = vec![0u8; len];
            r.copy_to_slice(&mut tx);
            txs.push(tx);
        }
        Ok(Block::new(parent, height, time, state_root, txs))
    }
}

impl Digestible for Block {
    type Digest = Digest;

    fn digest(&self) -> Digest {
        self.digest
    }
}

impl Heightable for Block {
    fn height(&self) -> Height {
        Height::new(self.height)
    }
}

impl commonware_consensus::Block for Block {
    fn parent(&self) -> Digest {
        self.parent
    }
}

impl BoundedBlock for Block {
    fn max_encode_size(_: &()) -> usize {
        max_block_bytes()
    }
}

/// The largest encoded block.
pub const fn max_block_bytes() -> usize {
    32 + 8 + 8 + 32 + 4 + MAX_BLOCK_TXS * (4 + MAX_TX_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_canonical() {
        let b = Block::new(
            Digest([7u8; 32]),
            3,
            99,
            [1u8; 32],
            vec![vec![1, 2, 3], vec![]],
        );
        let bytes = b.to_bytes();
        assert_eq!(bytes.len(), b.encode_size());
        let back = Block::from_bytes(&bytes).unwrap();
        assert_eq!(back, b);
        assert_eq!(back.digest(), b.digest());
        // Trailing bytes, truncation and oversized counts are refused.
        let mut long = bytes.clone();
        long.push(0);
        assert!(matches!(
            Block::from_bytes(&long),
            Err(CodecError::ExtraData(1))
        ));
        // (The last transaction is empty: cutting one byte cuts its length prefix.)
        assert!(matches!(
            Block::from_bytes(&bytes[..bytes.len() - 1]),
            Err(CodecError::EndOfBuffer)
        ));
        // Cutting into a transaction's bytes: its length is more than what is left.
        let first_tx_end = 32 + 8 + 8 + 32 + 4 + 4 + 3;
        assert!(matches!(
            Block::from_bytes(&bytes[..first_tx_end - 1]),
            Err(CodecError::InvalidLength(3))
        ));
        let mut many = bytes[..80].to_vec();
        many.extend_from_slice(&((MAX_BLOCK_TXS as u32) + 1).to_be_bytes());
        assert!(matches!(
            Block::from_bytes(&many),
            Err(CodecError::InvalidLength(n)) if n == MAX_BLOCK_TXS + 1
        ));
        // The digest commits to every field.
        let other = Block::new(Digest([7u8; 32]), 3, 100, [1u8; 32], b.txs.clone());
        assert_ne!(other.digest(), b.digest());
    }
}
