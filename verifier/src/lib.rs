//! zkreg-verifier: transaction wire format, prepared keys, single and batch verification (issue #4).
//! Builds without constraint-generation code: `zkreg-circuits` is used without its `r1cs` feature.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
pub use zkreg_circuits as circuits;
