//! # zkreg-ledger
//!
//! The validator's state machine: it admits transactions ([`Ledger::check_tx`]), applies blocks
//! all-or-nothing ([`Ledger::apply_block`], split into [`Ledger::verify_block`] and
//! [`Ledger::commit`] so a replication engine can propose, verify and apply separately), and
//! answers queries for wallets, regulators and data owners. State lives in an embedded RocksDB;
//! a block is one synced `WriteBatch`, so a crash leaves the old or the new block, never a mix.
//!
//! Nothing on the apply path reads the clock or draws randomness that reaches state: block time
//! is an input, and batch-verification randomness only decides *how* proofs are checked, not
//! the verdict of a valid proof.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod codec;
pub mod error;
pub mod genesis;
mod ledger;
pub mod query;
mod rows;
mod store;
pub mod view;

pub use error::{LedgerError, Rejection, Rule};
pub use genesis::{ChainConfig, Genesis, KeySchedule};
pub use ledger::{AdmittedTx, BlockSummary, Counts, Ledger, PreparedBlock, VerifiedBlock};
pub use store::DumpEntry;
pub use view::LedgerView;
pub use zkreg_verifier as verifier;
