//! # zkreg-benches
//!
//! The workloads and measurements behind zkreg's performance figures, shared by the criterion
//! benches in `benches/` and by `zkreg bench` so both measure the same thing the same way.
//!
//! - [`workload`]: dev keys, the benchmark chain, and a cached ledger workload of real proofs
//!   (a funding block of deposits, then a block of private payments spending them).
//! - [`report`]: the one-shot run behind `zkreg bench`, medians over several samples.
//!
//! Figures and commands: `BENCHMARKS.md` at the repository root.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod cluster;
pub mod report;
pub mod wallet;
pub mod workload;

use std::path::PathBuf;

/// Why a benchmark run could not complete.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The dev setup or the benchmark genesis failed.
    #[error("setup: {0}")]
    Setup(String),
    /// Building, proving or checking the workload failed.
    #[error("workload: {0}")]
    Workload(String),
    /// A builder refused a benchmark transaction.
    #[error("building a transaction: {0}")]
    Build(#[from] zkreg_prover::builder::BuildError),
    /// The ledger refused the workload (a stale cache is rebuilt; this is a bug).
    #[error("ledger: {0}")]
    Ledger(#[from] zkreg_ledger::LedgerError),
    /// A file or directory could not be used.
    #[error("{0}: {1}")]
    Io(PathBuf, String),
}
