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

/// A wallet's holdings of one asset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssetBalance {
    /// Asset id.
    pub asset: Fr,
    /// Unspent value, exact.
    pub unspent: u128,
    /// Unspent notes of non-zero value.
    pub unspent_notes: usize,
    /// Spent notes.
    pub spent_notes: usize,
}

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

    /// Unspent balance of `asset`, exact: each note holds a `u64`, so the sum is taken in `u128`
    /// (two notes of `u64::MAX` hold more than a `u64`; no realistic wallet holds 2^64 notes).
    pub fn balance(&self, asset: Fr) -> u128 {
        self.spendable(asset)
            .iter()
            .map(|n| u128::from(n.note.value))
            .sum()
    }

    /// Holdings per asset (assets with a non-zero note), in order of their first note.
    pub fn balances(&self) -> Vec<AssetBalance> {
        let mut out: Vec<AssetBalance> = Vec::new();
        for n in self.notes.iter().filter(|n| n.note.value > 0) {
            let i = match out.iter().position(|b| b.asset == n.note.asset) {
                Some(i) => i,
                None => {
                    out.push(AssetBalance {
                        asset: n.note.asset,
                        unspent: 0,
                        unspent_notes: 0,
                        spent_notes: 0,
                    });
                    out.len() - 1
                }
            };
            let b = &mut out[i];
            if n.spent {
                b.spent_notes += 1;
            } else {
                b.unspent += u128::from(n.note.value);
                b.unspent_notes += 1;
            }
        }
        out
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::seal_note;
    use rand::SeedableRng;

    /// Two notes of `u64::MAX` are a balance of `2·(2^64 − 1)`, not a saturated `u64::MAX`.
    #[test]
    fn balances_are_exact_beyond_u64() {
        let mut r = rand_chacha::ChaCha20Rng::seed_from_u64(3);
        let keys = WalletKeys::from_seed([5; 32]);
        let (asset, other) = (Fr::from(7u64), Fr::from(8u64));
        let notes = [
            Note::new(asset, u64::MAX, keys.owner(), &mut r),
            Note::new(asset, u64::MAX, keys.owner(), &mut r),
            Note::new(other, 3, keys.owner(), &mut r),
        ];
        let outputs: Vec<LedgerOutput> = notes
            .iter()
            .enumerate()
            .map(|(i, n)| LedgerOutput {
                pos: i as u64,
                cm: n.commitment(),
                delivery: seal_note(&keys.address().pk_d, n, &mut r),
            })
            .collect();
        let mut w = Wallet::new(keys);
        assert_eq!(w.scan(&outputs, &mut |_| {}), Ok(3));
        assert_eq!(w.balance(asset), 2 * u128::from(u64::MAX));
        let b = w.balances();
        assert_eq!(b.len(), 2);
        assert_eq!(
            (
                b[0].asset,
                b[0].unspent,
                b[0].unspent_notes,
                b[0].spent_notes
            ),
            (asset, 2 * u128::from(u64::MAX), 2, 0)
        );
        assert_eq!((b[1].asset, b[1].unspent), (other, 3));
        // Spending one note moves it from unspent to spent.
        let nf = w.notes()[0].nullifier;
        w.mark_spent(&[nf]);
        let b = w.balances();
        assert_eq!(
            (b[0].unspent, b[0].unspent_notes, b[0].spent_notes),
            (u128::from(u64::MAX), 1, 1)
        );
    }
}
