//! # zkreg-verifier
//!
//! What a validator links: the transaction wire format with strict, bounded, canonical decoding;
//! prepared verifying keys; single and batched Groth16 verification. Builds without any
//! constraint-generation code (`zkreg-circuits` without its `r1cs` feature).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod tx;

pub use tx::*;
pub use zkreg_circuits as circuits;
