//! The RocksDB layout: one column family per kind of state.

use crate::LedgerError;
use rocksdb::{ColumnFamilyDescriptor, IteratorMode, Options, DB};
use std::path::Path;

/// Column families.
pub(crate) const CF_META: &str = "meta";
/// pos (BE) → height ‖ tx index (u32 BE) ‖ cm ‖ delivery.
pub(crate) const CF_NOTES: &str = "note_leaves";
/// cm → pos ‖ height ‖ tx index ‖ tx id (links a spent commitment to its creating tx).
pub(crate) const CF_CM_INDEX: &str = "cm_index";
/// height (BE) → note root.
pub(crate) const CF_NOTE_ROOTS: &str = "note_roots";
/// nf → height ‖ tx id.
pub(crate) const CF_NULLIFIERS: &str = "nullifiers";
/// pos (BE) → gcm (zero once revoked) ‖ height.
pub(crate) const CF_GRANTS: &str = "grant_leaves";
/// gcm → pos (BE) ‖ height ‖ tx id: every grant commitment ever appended. Revocation never
/// deletes from it, so a commitment is single-use for the life of the chain.
pub(crate) const CF_GCM_INDEX: &str = "gcm_index";
/// height (BE) → grant root.
pub(crate) const CF_GRANT_ROOTS: &str = "grant_roots";
/// tag → height ‖ tx index ‖ tx id ‖ binding ‖ now.
pub(crate) const CF_TAGS: &str = "access_tags";
/// height ‖ tx index (BE) → kind ‖ tx id ‖ record.
pub(crate) const CF_AUDIT: &str = "audit";
/// tx id → height ‖ tx index ‖ encoded tx.
pub(crate) const CF_TXS: &str = "txs";
/// height (BE) → time ‖ tx count ‖ state root.
pub(crate) const CF_BLOCKS: &str = "blocks";

pub(crate) const ALL_CFS: [&str; 12] = [
    CF_META,
    CF_NOTES,
    CF_CM_INDEX,
    CF_NOTE_ROOTS,
    CF_NULLIFIERS,
    CF_GRANTS,
    CF_GCM_INDEX,
    CF_GRANT_ROOTS,
    CF_TAGS,
    CF_AUDIT,
    CF_TXS,
    CF_BLOCKS,
];

/// Meta keys.
pub(crate) const META_GENESIS: &[u8] = b"genesis";
pub(crate) const META_HEIGHT: &[u8] = b"height";
pub(crate) const META_TIME: &[u8] = b"time";
pub(crate) const META_STATE_ROOT: &[u8] = b"state_root";
pub(crate) const META_LAST_REVOCATION: &[u8] = b"last_revocation";
pub(crate) const META_COUNTS: &[u8] = b"counts";
/// The regulator-key schedule (genesis entries and applied rotations); absent until the first
/// rotation, when the genesis schedule is the whole schedule.
pub(crate) const META_KEY_SCHEDULE: &[u8] = b"key_schedule";

pub(crate) fn open(path: &Path) -> Result<DB, LedgerError> {
    let mut opts = Options::default();
    opts.create_if_missing(true);
    opts.create_missing_column_families(true);
    let cfs = ALL_CFS
        .iter()
        .map(|n| ColumnFamilyDescriptor::new(*n, Options::default()));
    Ok(DB::open_cf_descriptors(&opts, path, cfs)?)
}

pub(crate) fn cf<'a>(db: &'a DB, name: &str) -> Result<&'a rocksdb::ColumnFamily, LedgerError> {
    db.cf_handle(name)
        .ok_or_else(|| LedgerError::Corrupt(format!("column family {name} missing")))
}

/// One stored entry: column family, key, value.
pub type DumpEntry = (String, Vec<u8>, Vec<u8>);

/// Every key and value of every column family, in order (tests compare dumps byte for byte).
pub(crate) fn dump(db: &DB) -> Result<Vec<DumpEntry>, LedgerError> {
    let mut out = Vec::new();
    for name in ALL_CFS {
        for item in db.iterator_cf(cf(db, name)?, IteratorMode::Start) {
            let (k, v) = item?;
            out.push((name.to_string(), k.to_vec(), v.to_vec()));
        }
    }
    Ok(out)
}
