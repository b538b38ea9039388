//! zkreg-prover: wallet keys, note scanning, transaction builders and proving (issue #4).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
pub use zkreg_circuits as circuits;
