//! zkreg-ledger: the RocksDB state machine (issue #5).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
pub use zkreg_circuits as circuits;
