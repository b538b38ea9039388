//! # zkreg-prover
//!
//! What a wallet links: keys and addresses, note delivery encryption and scanning, transaction
//! builders for the four statements, Groth16 parameter setup and proving.
//!
//! ## Nomenclature
//!
//! | name | meaning |
//! |---|---|
//! | seed | 32 random bytes a key file holds; every key derives from it |
//! | `sk` | spending key (`Fr`); `owner = H(OWNER, sk)` is the public id |
//! | `ivk`, `pk_d` | delivery key pair (X25519): outputs are encrypted to `pk_d` |
//! | account | keys derived from the seed and an index; one wallet scans for all its accounts |
//! | frontier, witness | the note tree's right edge, and a note's path kept current incrementally |
//! | chunk | the outputs and nullifiers of consecutive blocks: the unit of sync and of saving |
//! | address | `(owner, pk_d)`, bech32m text `zkreg1…` |
//! | unproven tx | a transaction whose statement and witness are fixed, awaiting its proof |
//! | ledger-ready tx | [`zkreg_verifier::Transaction`]: body + proof |
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod builder;
pub mod delivery;
pub mod keys;
pub mod params;
pub mod prove;
pub mod store;
pub mod sync;
pub mod wallet;

pub use zkreg_circuits as circuits;
pub use zkreg_verifier as verifier;
