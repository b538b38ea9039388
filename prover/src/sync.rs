//! Incremental sync: chunk by chunk from any [`ChunkSource`] (a local ledger, a node's
//! compact-block stream, a synthetic chain), saving the wallet after every chunk.
//!
//! Every chunk is saved in one synced write ([`WalletStore::save`]), so a sync killed at any
//! point resumes from the last saved chunk and ends with exactly the notes and witnesses of a
//! wallet that scanned from scratch (tested in `prover/tests/sync.rs`).

use crate::{
    store::{StoreError, WalletStore},
    wallet::{ScanChunk, ScanError, Wallet},
};

/// Outputs per chunk unless asked otherwise: about half a second of scanning on two cores.
pub const DEFAULT_CHUNK_OUTPUTS: usize = 8192;

/// Where a wallet's chunks come from.
pub trait ChunkSource {
    /// The chain's height and its number of outputs now.
    fn tip(&mut self) -> Result<(u64, u64), String>;
    /// The chunk of blocks after `after_height`, whose outputs start at position `next_pos`,
    /// with about `max_outputs` outputs (whole blocks; at least one block if any is left).
    fn chunk(
        &mut self,
        after_height: u64,
        next_pos: u64,
        max_outputs: usize,
    ) -> Result<ScanChunk, String>;
}

/// Why a sync stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The source failed (ledger read, network, malformed data).
    #[error("reading the chain: {0}")]
    Source(String),
    /// A chunk did not continue the wallet's state.
    #[error("scanning: {0}")]
    Scan(#[from] ScanError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The source returned a chunk that does not move past the cursor.
    #[error("the chain source returned no blocks after height {0} although its tip is higher")]
    Stalled(u64),
}

/// Progress of a sync.
#[derive(Clone, Copy, Debug)]
pub struct SyncProgress {
    /// Outputs scanned so far in this sync.
    pub outputs_done: u64,
    /// Outputs this sync must scan in all.
    pub outputs_total: u64,
    /// The wallet's cursor.
    pub height: u64,
}

/// What a sync did.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SyncReport {
    /// Chunks scanned (and saved).
    pub chunks: u64,
    /// Outputs scanned.
    pub outputs: u64,
    /// New notes found.
    pub found: usize,
    /// The wallet's cursor at the end.
    pub height: u64,
}

/// Syncs `wallet` to the source's tip, saving it to `store` (if any) after every chunk.
pub fn sync(
    wallet: &mut Wallet,
    store: Option<&WalletStore>,
    source: &mut dyn ChunkSource,
    max_outputs: usize,
    progress: &mut dyn FnMut(SyncProgress),
) -> Result<SyncReport, SyncError> {
    let (tip, total) = source.tip().map_err(SyncError::Source)?;
    let start = wallet.scanned();
    let outputs_total = total.saturating_sub(start);
    let mut report = SyncReport {
        height: wallet.synced_height(),
        ..SyncReport::default()
    };
    while wallet.synced_height() < tip {
        let before = wallet.synced_height();
        let chunk = source
            .chunk(before, wallet.scanned(), max_outputs.max(1))
            .map_err(SyncError::Source)?;
        if chunk.to_height <= before {
            return Err(SyncError::Stalled(before));
        }
        let done_before = wallet.scanned() - start;
        report.found += wallet.scan_chunk(&chunk, &mut |n| {
            progress(SyncProgress {
                outputs_done: done_before + n as u64,
                outputs_total,
                height: before,
            })
        })?;
        if let Some(store) = store {
            store.save(wallet)?;
        }
        report.chunks += 1;
        report.outputs = wallet.scanned() - start;
        report.height = wallet.synced_height();
        progress(SyncProgress {
            outputs_done: report.outputs,
            outputs_total,
            height: report.height,
        });
    }
    Ok(report)
}
