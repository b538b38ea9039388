//! # zkreg-verifier
//!
//! What a validator links: the transaction wire format with strict, bounded, canonical decoding;
//! prepared verifying keys; single and batched Groth16 verification. Builds without any
//! constraint-generation code (`zkreg-circuits` without its `r1cs` feature).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod params;
#[cfg(feature = "test-utils")]
pub mod testing;
pub mod tx;
pub mod verify;
pub mod wire;

pub use tx::*;
pub use verify::{VerifyError, VerifyingKeys};
pub use wire::DecodeError;
pub use zkreg_circuits as circuits;
