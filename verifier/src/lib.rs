//! # zkreg-verifier
//!
//! What a validator links: the transaction wire format with strict, bounded, canonical decoding;
//! prepared verifying keys; single and batched Groth16 verification. Builds without any
//! constraint-generation code (`zkreg-circuits` without its `r1cs` feature).
//!
//! ```text
//! bytes ──Transaction::decode──▶ Transaction ──VerifyingKeys::verify_batch──▶ verdict per tx
//!          (wire: bounds, canonical            (verify: issuer signature rules, then one
//!           fields, subgroup points)            random-linear-combination check for all kinds)
//!
//! block ──VerifyingKeys::decode_and_verify──▶ transactions, ids, verdicts (the validator's
//!          path: same verdicts and errors as the two steps above, less point work)
//! ```
//!
//! | module | what |
//! |---|---|
//! | [`tx`] | the five transaction kinds as data, size bounds |
//! | [`rotation`] | regulator-key rotations: Schnorr signatures of the key's holders, Lagrange in the exponent |
//! | [`wire`] | canonical encoding, [`DecodeError`], tx id and binding |
//! | [`verify`] | [`VerifyingKeys`], stateless checks, single and batch verification |
//! | `backend` | [`Backend`]: `blst` (default) or arkworks for the validator's group operations |
//! | [`params`] | parameter manifest and verifying-key files |
//! | [`transcript`] | the one merlin transcript protocol (batch weights, disclosures, rotations) |
//! | `testing` | (feature `test-utils`) builders of proven transactions for tests and benches |
//!
//! Features: `parallel` (default) spreads a batch's per-transaction work over all cores.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod backend;
pub mod fieldhex;
mod fixed_base;
pub mod params;
pub mod rotation;
#[cfg(feature = "test-utils")]
pub mod testing;
pub mod transcript;
pub mod tx;
pub mod verify;
pub mod wire;

pub use backend::Backend;
pub use tx::*;
pub use verify::{CheckedTxs, VerifyError, VerifyingKeys};
pub use wire::{DecodeError, PublicFields};
pub use zkreg_circuits as circuits;
