//! A wallet: its accounts' keys, the note tree's frontier, and the notes that are ours with their
//! witnesses, all kept up to date incrementally.
//!
//! Scanning feeds the ledger's outputs in order (position, commitment, delivery ciphertext). Every
//! output is trial-decrypted with every account's `ivk` on every core
//! ([`crate::delivery::trial_decrypt`]); then, in order, each commitment is appended to the
//! [`Frontier`], and for each note that is ours a [`Witness`] starts and follows the tree. Feeding
//! nullifiers marks spent notes and drops their witnesses. The wallet never asks anyone for a
//! Merkle path, and keeps `O(depth)` nodes per unspent note rather than the whole tree.
//!
//! A wallet persists in a [`crate::store::WalletStore`]; [`crate::sync`] drives it chunk by chunk.

use crate::{delivery::trial_decrypt, keys::WalletKeys};
use ark_bls12_381::Fr;
use std::collections::HashMap;
use zkreg_circuits::{
    merkle::{
        frontier::{Frontier, Witness},
        MerklePath, TreeError, TreeKind,
    },
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

/// What the chain added up to a height: the unit of incremental sync.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScanChunk {
    /// The chunk ends with this block (the wallet's cursor afterwards).
    pub to_height: u64,
    /// Outputs of the blocks after the wallet's cursor up to `to_height`, in tree order.
    pub outputs: Vec<LedgerOutput>,
    /// Nullifiers published in those blocks.
    pub nullifiers: Vec<Fr>,
}

/// A note the wallet owns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedNote {
    /// The account that received it.
    pub account: u32,
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
    /// Its authentication path as the tree grows (`None` once spent: it is never needed again).
    pub witness: Option<Witness>,
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
    /// A chunk must not end before the wallet's cursor.
    #[error("a chunk up to height {got} arrived, but the wallet is synced to {synced}")]
    Behind {
        /// The wallet's cursor.
        synced: u64,
        /// The chunk's last height.
        got: u64,
    },
    /// The note tree is full.
    #[error("note tree: {0}")]
    Tree(#[from] TreeError),
    /// No such account.
    #[error("the wallet has {accounts} account(s); there is no account {asked}")]
    NoAccount {
        /// Accounts in the wallet.
        accounts: usize,
        /// The account asked for.
        asked: u32,
    },
}

/// A wallet.
#[derive(Clone, Debug)]
pub struct Wallet {
    /// Keys of the active account (the one payments spend from; account 0 unless chosen).
    pub keys: WalletKeys,
    active: u32,
    accounts: Vec<WalletKeys>,
    frontier: Frontier,
    synced_height: u64,
    notes: Vec<OwnedNote>,
    by_nullifier: HashMap<[u8; 32], usize>,
    /// Indices into `notes` of the witnesses still followed (unspent notes).
    tracked: Vec<usize>,
}

fn key_of(f: &Fr) -> [u8; 32] {
    use ark_serialize::CanonicalSerialize;
    let mut b = [0u8; 32];
    let _ = f.serialize_compressed(&mut b[..]);
    b
}

impl Wallet {
    /// An empty wallet of one account (scan from the first output).
    pub fn new(keys: WalletKeys) -> Self {
        Self::with_accounts(keys, 1)
    }

    /// An empty wallet of `accounts` accounts derived from `keys` ([`WalletKeys::account`]).
    pub fn with_accounts(keys: WalletKeys, accounts: u32) -> Self {
        let accounts: Vec<WalletKeys> = (0..accounts.max(1)).map(|i| keys.account(i)).collect();
        Wallet {
            keys: accounts[0].clone(),
            active: 0,
            accounts,
            frontier: Frontier::new(TreeKind::NOTES),
            synced_height: 0,
            notes: Vec::new(),
            by_nullifier: HashMap::new(),
            tracked: Vec::new(),
        }
    }

    /// A wallet from stored parts ([`crate::store`]); the notes' nullifier index is rebuilt.
    pub(crate) fn from_parts(
        keys: WalletKeys,
        accounts: u32,
        frontier: Frontier,
        synced_height: u64,
        notes: Vec<OwnedNote>,
    ) -> Self {
        let mut w = Self::with_accounts(keys, accounts);
        w.frontier = frontier;
        w.synced_height = synced_height;
        for (i, n) in notes.iter().enumerate() {
            w.by_nullifier.insert(key_of(&n.nullifier), i);
            if n.witness.is_some() {
                w.tracked.push(i);
            }
        }
        w.notes = notes;
        w
    }

    /// The frontier (for the store).
    pub(crate) fn frontier(&self) -> &Frontier {
        &self.frontier
    }

    /// Number of accounts.
    pub fn accounts(&self) -> u32 {
        self.accounts.len() as u32
    }

    /// Keys of account `k`.
    pub fn account_keys(&self, k: u32) -> Result<&WalletKeys, ScanError> {
        self.accounts.get(k as usize).ok_or(ScanError::NoAccount {
            accounts: self.accounts.len(),
            asked: k,
        })
    }

    /// Makes account `k` the active one: [`Self::keys`], [`Self::spendable`], [`Self::balance`]
    /// and [`Self::balances`] then speak of it.
    pub fn use_account(&mut self, k: u32) -> Result<(), ScanError> {
        self.keys = self.account_keys(k)?.clone();
        self.active = k;
        Ok(())
    }

    /// The active account.
    pub fn active_account(&self) -> u32 {
        self.active
    }

    /// Scans outputs (in position order, continuing where the last scan stopped); returns how
    /// many new notes are ours. `progress` gets the number of outputs processed so far.
    pub fn scan(
        &mut self,
        outputs: &[LedgerOutput],
        progress: &mut dyn FnMut(usize),
    ) -> Result<usize, ScanError> {
        let mut expected = self.frontier.len();
        for out in outputs {
            if out.pos != expected {
                return Err(ScanError::OutOfOrder {
                    expected,
                    got: out.pos,
                });
            }
            expected += 1;
        }
        if expected > TreeKind::NOTES.capacity() {
            return Err(ScanError::Tree(TreeError::Full));
        }
        let ivks: Vec<_> = self.accounts.iter().map(|k| k.ivk.clone()).collect();
        let owners: Vec<Fr> = self.accounts.iter().map(|k| k.owner()).collect();
        let mut found = 0;
        // Trial decryption in slices, so progress moves while the cores work.
        const SLICE: usize = 4096;
        let mut done = 0;
        for slice in outputs.chunks(SLICE) {
            let opened = trial_decrypt(&ivks, &owners, slice);
            for (out, mine) in slice.iter().zip(opened) {
                if let Some((k, note)) = mine {
                    let nk = self.accounts[k].nullifier_key();
                    let nf = nullifier(nk, out.cm, out.pos);
                    self.by_nullifier.insert(key_of(&nf), self.notes.len());
                    self.tracked.push(self.notes.len());
                    self.notes.push(OwnedNote {
                        account: k as u32,
                        note,
                        pos: out.pos,
                        cm: out.cm,
                        nullifier: nf,
                        spent: false,
                        witness: Some(self.frontier.witness_next(out.cm)),
                    });
                    found += 1;
                }
                let (notes, tracked) = (&mut self.notes, &self.tracked);
                self.frontier.append(out.cm, &mut |level, index, node| {
                    for &i in tracked {
                        if let Some(w) = notes[i].witness.as_mut() {
                            w.observe(level, index, node);
                        }
                    }
                })?;
            }
            done += slice.len();
            progress(done);
        }
        Ok(found)
    }

    /// Scans one chunk of the chain: its outputs, then its nullifiers; the cursor moves to the
    /// chunk's last height. Returns how many new notes are ours.
    pub fn scan_chunk(
        &mut self,
        chunk: &ScanChunk,
        progress: &mut dyn FnMut(usize),
    ) -> Result<usize, ScanError> {
        if chunk.to_height < self.synced_height {
            return Err(ScanError::Behind {
                synced: self.synced_height,
                got: chunk.to_height,
            });
        }
        let found = self.scan(&chunk.outputs, progress)?;
        self.mark_spent(&chunk.nullifiers);
        self.synced_height = chunk.to_height;
        Ok(found)
    }

    /// The last height scanned (0 before the first chunk).
    pub fn synced_height(&self) -> u64 {
        self.synced_height
    }

    /// Marks our notes whose nullifiers appear in `nullifiers` as spent (dropping their
    /// witnesses); returns how many.
    pub fn mark_spent(&mut self, nullifiers: &[Fr]) -> usize {
        let mut n = 0;
        for nf in nullifiers {
            if let Some(&i) = self.by_nullifier.get(&key_of(nf)) {
                if !self.notes[i].spent {
                    self.notes[i].spent = true;
                    self.notes[i].witness = None;
                    n += 1;
                }
            }
        }
        if n > 0 {
            let notes = &self.notes;
            self.tracked.retain(|&i| notes[i].witness.is_some());
        }
        n
    }

    /// All notes ever received, by every account.
    pub fn notes(&self) -> &[OwnedNote] {
        &self.notes
    }

    /// Notes of account `k`.
    pub fn notes_of(&self, k: u32) -> impl Iterator<Item = &OwnedNote> {
        self.notes.iter().filter(move |n| n.account == k)
    }

    /// Unspent non-zero notes of `asset` in the active account, largest first.
    pub fn spendable(&self, asset: Fr) -> Vec<&OwnedNote> {
        let mut v: Vec<&OwnedNote> = self
            .notes_of(self.active)
            .filter(|n| !n.spent && n.note.asset == asset && n.note.value > 0)
            .collect();
        v.sort_by(|a, b| b.note.value.cmp(&a.note.value).then(a.pos.cmp(&b.pos)));
        v
    }

    /// Unspent balance of `asset` in the active account, exact: each note holds a `u64`, so the
    /// sum is taken in `u128` (two notes of `u64::MAX` hold more than a `u64`; no realistic
    /// wallet holds 2^64 notes).
    pub fn balance(&self, asset: Fr) -> u128 {
        self.spendable(asset)
            .iter()
            .map(|n| u128::from(n.note.value))
            .sum()
    }

    /// Holdings per asset of the active account (assets with a non-zero note), in order of
    /// their first note.
    pub fn balances(&self) -> Vec<AssetBalance> {
        self.balances_of(self.active)
    }

    /// Holdings per asset of account `k`.
    pub fn balances_of(&self, k: u32) -> Vec<AssetBalance> {
        let mut out: Vec<AssetBalance> = Vec::new();
        for n in self.notes_of(k).filter(|n| n.note.value > 0) {
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
        self.frontier.root()
    }

    /// Number of outputs scanned.
    pub fn scanned(&self) -> u64 {
        self.frontier.len()
    }

    /// Path of one of our unspent notes in the scanned tree.
    pub fn path(&self, pos: u64) -> Result<MerklePath, TreeError> {
        let w = self
            .notes
            .iter()
            .find(|n| n.pos == pos)
            .and_then(|n| n.witness.as_ref())
            .ok_or(TreeError::UnknownPosition(pos))?;
        self.frontier
            .paths(&[w])?
            .pop()
            .ok_or(TreeError::UnknownPosition(pos))
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
