//! A wallet's own store: an embedded RocksDB holding the scan cursor, the frontier, and every
//! note with its witness, written in one synced batch per scanned chunk.
//!
//! A kill at any moment leaves the state of the last saved chunk (RocksDB applies a write batch
//! whole or not at all), and the next sync resumes from its cursor. The key file stays the only
//! place of the seed; the store holds no key, only what scanning derived, and names its owner so
//! a store is never read with another wallet's keys.
//!
//! # Format (`state` key, version 1)
//!
//! ```text
//! "zkreg-wallet/1" ‖ owner of account 0 (32) ‖ accounts u32 ‖ synced_height u64
//! ‖ frontier: len u64 ‖ per level 0..=depth: count u8 ‖ count × node (32)
//! ‖ notes u64 ‖ per note: account u32 ‖ pos u64 ‖ cm ‖ asset ‖ value u64 ‖ owner ‖ rho ‖ rcm
//!   ‖ nullifier ‖ spent u8 ‖ has_witness u8 ‖ [per level: 3 × (present u8 ‖ node)]
//! ```
//! Integers are little-endian; field elements canonical 32-byte encodings (checked on load).

use crate::{
    keys::WalletKeys,
    wallet::{OwnedNote, Wallet},
};
use ark_bls12_381::Fr;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use std::path::{Path, PathBuf};
use zkreg_circuits::{
    merkle::{
        frontier::{Frontier, Witness},
        TreeKind, ARITY,
    },
    note::Note,
};

const MAGIC: &[u8] = b"zkreg-wallet/1";
const STATE: &[u8] = b"state";

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// RocksDB failed (open, read or write).
    #[error("wallet store {path}: {source}")]
    Db {
        /// The store directory.
        path: PathBuf,
        /// The error.
        source: rocksdb::Error,
    },
    /// The stored state does not decode.
    #[error("wallet store {path} is corrupt: {reason}")]
    Corrupt {
        /// The store directory.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The store belongs to another wallet.
    #[error("wallet store {0} belongs to another wallet (its owner id differs from these keys')")]
    OtherWallet(PathBuf),
}

/// A wallet's store.
pub struct WalletStore {
    db: rocksdb::DB,
    path: PathBuf,
}

impl WalletStore {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut opts = rocksdb::Options::default();
        opts.create_if_missing(true);
        // A wallet store is small: one state value rewritten per chunk.
        opts.set_max_open_files(16);
        opts.set_keep_log_file_num(2);
        let db = rocksdb::DB::open(&opts, path).map_err(|source| StoreError::Db {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(WalletStore {
            db,
            path: path.to_path_buf(),
        })
    }

    /// The wallet of `keys` as last saved, or a new one with `accounts` accounts if the store is
    /// empty. A stored wallet keeps its own account count.
    pub fn load(&self, keys: WalletKeys, accounts: u32) -> Result<Wallet, StoreError> {
        let bytes = self.db.get(STATE).map_err(|source| StoreError::Db {
            path: self.path.clone(),
            source,
        })?;
        let Some(bytes) = bytes else {
            return Ok(Wallet::with_accounts(keys, accounts));
        };
        decode(&bytes, keys).map_err(|e| match e {
            Decode::Other => StoreError::OtherWallet(self.path.clone()),
            Decode::Bad(reason) => StoreError::Corrupt {
                path: self.path.clone(),
                reason,
            },
        })
    }

    /// Saves `wallet` in one synced write.
    pub fn save(&self, wallet: &Wallet) -> Result<(), StoreError> {
        let mut opts = rocksdb::WriteOptions::default();
        opts.set_sync(true);
        self.db
            .put_opt(STATE, encode(wallet), &opts)
            .map_err(|source| StoreError::Db {
                path: self.path.clone(),
                source,
            })
    }
}

fn put_fr(out: &mut Vec<u8>, x: &Fr) {
    let _ = x.serialize_compressed(&mut *out);
}

/// The stored form of `w` (format above).
pub fn encode(w: &Wallet) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + w.notes().len() * 1800);
    out.extend_from_slice(MAGIC);
    put_fr(
        &mut out,
        &w.account_keys(0).map(|k| k.owner()).unwrap_or_default(),
    );
    out.extend_from_slice(&w.accounts().to_le_bytes());
    out.extend_from_slice(&w.synced_height().to_le_bytes());
    let (len, groups) = w.frontier().parts();
    out.extend_from_slice(&len.to_le_bytes());
    for g in groups {
        out.push(g.len() as u8);
        for x in g {
            put_fr(&mut out, x);
        }
    }
    out.extend_from_slice(&(w.notes().len() as u64).to_le_bytes());
    for n in w.notes() {
        out.extend_from_slice(&n.account.to_le_bytes());
        out.extend_from_slice(&n.pos.to_le_bytes());
        put_fr(&mut out, &n.cm);
        put_fr(&mut out, &n.note.asset);
        out.extend_from_slice(&n.note.value.to_le_bytes());
        for x in [&n.note.owner, &n.note.rho, &n.note.rcm, &n.nullifier] {
            put_fr(&mut out, x);
        }
        out.push(u8::from(n.spent));
        match &n.witness {
            None => out.push(0),
            Some(wit) => {
                out.push(1);
                for level in &wit.siblings {
                    for s in level {
                        match s {
                            None => out.push(0),
                            Some(x) => {
                                out.push(1);
                                put_fr(&mut out, x);
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

enum Decode {
    Other,
    Bad(String),
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize, what: &str) -> Result<&[u8], Decode> {
        if self.0.len() < n {
            return Err(Decode::Bad(format!("truncated at {what}")));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn u8(&mut self, what: &str) -> Result<u8, Decode> {
        Ok(self.take(1, what)?[0])
    }
    fn u32(&mut self, what: &str) -> Result<u32, Decode> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self, what: &str) -> Result<u64, Decode> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8, what)?);
        Ok(u64::from_le_bytes(a))
    }
    fn fr(&mut self, what: &str) -> Result<Fr, Decode> {
        Fr::deserialize_compressed(self.take(32, what)?)
            .map_err(|_| Decode::Bad(format!("{what} is not a canonical field element")))
    }
    fn flag(&mut self, what: &str) -> Result<bool, Decode> {
        match self.u8(what)? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(Decode::Bad(format!("{what} flag is {b}"))),
        }
    }
}

fn decode(bytes: &[u8], keys: WalletKeys) -> Result<Wallet, Decode> {
    let mut r = Reader(bytes);
    if r.take(MAGIC.len(), "magic")? != MAGIC {
        return Err(Decode::Bad("not a zkreg wallet store of format 1".into()));
    }
    if r.fr("owner")? != keys.owner() {
        return Err(Decode::Other);
    }
    let accounts = r.u32("accounts")?;
    if accounts == 0 || accounts > 1 << 16 {
        return Err(Decode::Bad(format!("{accounts} accounts")));
    }
    let synced = r.u64("cursor")?;
    let len = r.u64("frontier length")?;
    let kind = TreeKind::NOTES;
    let mut groups = Vec::with_capacity(kind.depth + 1);
    for _ in 0..=kind.depth {
        let n = r.u8("frontier group")?;
        if usize::from(n) >= ARITY {
            return Err(Decode::Bad(format!("a frontier group of {n} nodes")));
        }
        groups.push(
            (0..n)
                .map(|_| r.fr("frontier node"))
                .collect::<Result<Vec<_>, _>>()?,
        );
    }
    let frontier = Frontier::from_parts(kind, len, groups)
        .ok_or_else(|| Decode::Bad("the frontier does not match its length".into()))?;
    let count = r.u64("note count")?;
    if count > len {
        return Err(Decode::Bad(format!("{count} notes in {len} outputs")));
    }
    let mut notes = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let account = r.u32("account")?;
        if account >= accounts {
            return Err(Decode::Bad(format!("a note of account {account}")));
        }
        let pos = r.u64("position")?;
        if pos >= len {
            return Err(Decode::Bad(format!("a note at {pos} beyond the frontier")));
        }
        let cm = r.fr("commitment")?;
        let asset = r.fr("asset")?;
        let value = r.u64("value")?;
        let (owner, rho, rcm, nullifier) = (
            r.fr("owner")?,
            r.fr("rho")?,
            r.fr("rcm")?,
            r.fr("nullifier")?,
        );
        let spent = r.flag("spent")?;
        let witness = if r.flag("witness")? {
            let mut siblings = Vec::with_capacity(kind.depth);
            for _ in 0..kind.depth {
                let mut s = [None; ARITY - 1];
                for slot in s.iter_mut() {
                    if r.flag("sibling")? {
                        *slot = Some(r.fr("sibling")?);
                    }
                }
                siblings.push(s);
            }
            Some(Witness {
                pos,
                leaf: cm,
                siblings,
            })
        } else {
            None
        };
        notes.push(OwnedNote {
            account,
            note: Note {
                asset,
                value,
                owner,
                rho,
                rcm,
            },
            pos,
            cm,
            nullifier,
            spent,
            witness,
        });
    }
    if !r.0.is_empty() {
        return Err(Decode::Bad(format!("{} trailing bytes", r.0.len())));
    }
    Ok(Wallet::from_parts(keys, accounts, frontier, synced, notes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{delivery::seal_note, wallet::LedgerOutput};
    use rand::SeedableRng;

    /// A saved wallet loads back exactly; a stored state that is truncated, extended, of another
    /// format, with no account, or with a frontier that does not match its length is refused
    /// as corrupt (with the reason), never loaded half-way.
    #[test]
    fn a_corrupt_store_is_refused_with_its_reason() {
        let dir = tempfile::tempdir().unwrap();
        let keys = WalletKeys::from_seed([7; 32]);
        let mut r = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let note = Note::new(Fr::from(1u64), 9, keys.owner(), &mut r);
        let mut w = Wallet::with_accounts(keys.clone(), 2);
        w.scan(
            &[LedgerOutput {
                pos: 0,
                cm: note.commitment(),
                delivery: seal_note(&keys.address().pk_d, &note, &mut r),
            }],
            &mut |_| {},
        )
        .unwrap();
        let store = WalletStore::open(&dir.path().join("w")).unwrap();
        store.save(&w).unwrap();
        let back = store.load(keys.clone(), 1).unwrap();
        assert_eq!((back.notes(), back.accounts()), (w.notes(), 2));
        let good = encode(&w);
        let owner_end = MAGIC.len() + 32;
        let mut cases: Vec<(&str, Vec<u8>)> = vec![
            ("truncated", good[..good.len() - 1].to_vec()),
            ("trailing", [good.clone(), vec![0]].concat()),
            (
                "format",
                [b"zkreg-wallet/9".to_vec(), good[MAGIC.len()..].to_vec()].concat(),
            ),
        ];
        let mut no_accounts = good.clone();
        no_accounts[owner_end..owner_end + 4].copy_from_slice(&0u32.to_le_bytes());
        cases.push(("accounts", no_accounts));
        let mut bad_len = good.clone();
        let len_at = owner_end + 4 + 8;
        bad_len[len_at..len_at + 8].copy_from_slice(&2u64.to_le_bytes());
        cases.push(("frontier", bad_len));
        for (what, bytes) in cases {
            store.db.put(STATE, &bytes).unwrap();
            match store.load(keys.clone(), 1) {
                Err(StoreError::Corrupt { reason, .. }) => {
                    assert!(!reason.is_empty(), "{what}")
                }
                other => panic!("{what}: {:?}", other.map(|w| w.scanned())),
            }
        }
    }
}
