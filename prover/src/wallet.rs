//! A wallet: its keys, the note tree as the ledger built it, and the notes that are ours.
//!
//! Scanning feeds the ledger's outputs in order (position, commitment, delivery ciphertext); the
//! wallet tries to open each delivery with its `ivk`, keeps the notes that open to their
//! commitment and belong to its owner id, and rebuilds the tree so it can prove membership.
//! Feeding nullifiers marks spent notes.

use crate::{delivery::open_note, keys::WalletKeys};
use ark_bls12_381::Fr;
use std::collections::HashMap;
use zkreg_circuits::{
    merkle::{MerklePath, MerkleTree, TreeError, TreeKind},
    note::{nullifier, Note},
};

/// One output as the ledger serves it for scanning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerOutput {
    /// Leaf position in the note tree.
    pub pos: u64,
    /// Note commitment.
    pub cm: Fr,
    /// Delivery ciphertext.
    pub delivery: Vec<u8>,
}

/// A note the wallet owns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedNote {
    /// The note.
    pub note: Note,
    /// Its leaf position.
    pub pos: u64,
    /// Its commitment.
    pub cm: Fr,
    /// Its nullifier (published when spent).
    pub nullifier: Fr,
    /// Whether its nullifier was seen on the ledger.
    pub spent: bool,
}

/// Why scanning refused a batch.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScanError {
    /// Outputs must arrive in tree order without gaps.
    #[error("output at position {got} arrived, expected position {expected}")]
    OutOfOrder {
        /// Next position the wallet expects.
        expected: u64,
        /// Position received.
        got: u64,
    },
    /// The note tree is full.
    #[error("note tree: {0}")]
    Tree(#[from] TreeError),
}

/// A wallet.
#[derive(Clone, Debug)]
pub struct Wallet {
    /// Keys.
    pub keys: WalletKeys,
    tree: MerkleTree,
    notes: Vec<OwnedNote>,
    by_nullifier: HashMap<Vec<u8>, usize>,
}

fn key_of(f: &Fr) -> Vec<u8> {
    use ark_serialize::CanonicalSerialize;
    let mut b = Vec::with_capacity(32);
    let _ = f.serialize_compressed(&mut b);
    b
}

impl Wallet {
    /// An empty wallet (scan from the first output).
    pub fn new(keys: WalletKeys) -> Self {
        Wallet {
            keys,
            tree: MerkleTree::new(TreeKind::NOTES),
            notes: Vec::new(),
            by_nullifier: HashMap::new(),
        }
    }

    /// Scans outputs (in position order, continuing where the last scan stopped); returns how
    /// many new notes are ours. `progress` gets the number of outputs processed so far.
    pub fn scan(
        &mut self,
        outputs: &[LedgerOutput],
        progress: &mut dyn FnMut(usize),
    ) -> Result<usize, ScanError> {
        let mut found = 0;
        let owner = self.keys.owner();
        let nk = self.keys.nullifier_key();
        for (i, out) in outputs.iter().enumerate() {
            if out.pos != self.tree.len() {
                return Err(ScanError::OutOfOrder {
                    expected: self.tree.len(),
                    got: out.pos,
                });
            }
            self.tree.append(out.cm)?;
            if let Some(note) = open_note(&self.keys.ivk, &out.cm, &out.delivery) {
                if note.owner == owner {
                    let nf = nullifier(nk, out.cm, out.pos);
                    self.by_nullifier.insert(key_of(&nf), self.notes.len());
                    self.notes.push(OwnedNote {
                        note,
                        pos: out.pos,
                        cm: out.cm,
                        nullifier: nf,
                        spent: false,
                    });
                    found += 1;
                }
            }
            if i % 256 == 255 {
                progress(i + 1);
            }
        }
        progress(outputs.len());
        Ok(found)
    }

    /// Marks our notes whose nullifiers appear in `nullifiers` as spent; returns how many.
    pub fn mark_spent(&mut self, nullifiers: &[Fr]) -> usize {
        let mut n = 0;
        for nf in nullifiers {
            if let Some(&i) = self.by_nullifier.get(&key_of(nf)) {
                if !self.notes[i].spent {
                    self.notes[i].spent = true;
                    n += 1;
                }
            }
        }
        n
    }

    /// All notes ever received.
    pub fn notes(&self) -> &[OwnedNote] {
        &self.notes
    }

    /// Unspent non-zero notes of `asset`, largest first.
    pub fn spendable(&self, asset: Fr) -> Vec<&OwnedNote> {
        let mut v: Vec<&OwnedNote> = self
            .notes
            .iter()
            .filter(|n| !n.spent && n.note.asset == asset && n.note.value > 0)
            .collect();
        v.sort_by(|a, b| b.note.value.cmp(&a.note.value).then(a.pos.cmp(&b.pos)));
        v
    }

    /// Unspent balance of `asset` (saturating: a balance never exceeds `u64` in practice).
    pub fn balance(&self, asset: Fr) -> u64 {
        self.spendable(asset)
            .iter()
            .fold(0u64, |a, n| a.saturating_add(n.note.value))
    }

    /// The root of the tree as scanned so far.
    pub fn anchor(&self) -> Fr {
        self.tree.root()
    }

    /// Number of outputs scanned.
    pub fn scanned(&self) -> u64 {
        self.tree.len()
    }

    /// Path of a position in the scanned tree.
    pub fn path(&self, pos: u64) -> Result<MerklePath, TreeError> {
        self.tree.path(pos)
    }
}
