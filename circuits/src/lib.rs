//! # zkreg-circuits
//!
//! The statements of zkreg, a regulated privacy ledger, and the primitives they are built from.
//! Each primitive has its native code in `foo.rs` and its R1CS gadget beside it in
//! `foo/constraints.rs` (feature `r1cs`), so a validator can build the native side alone.
//!
//! ## Nomenclature
//!
//! | name | meaning |
//! |---|---|
//! | `Fr` | the BLS12-381 scalar field; circuits are over it, Jubjub's base field is it |
//! | `H(TAG, ..)` | Poseidon with a domain tag in the capacity lane ([`poseidon`]) |
//! | `sk` | spending key; `owner = H(OWNER, sk)`, `nk = H(NK, sk)` ([`keys`]) |
//! | note | `(asset, value, owner, rho, rcm)`; `cm = H(NOTE_CM, ..)` ([`note`]) |
//! | `nf` | nullifier `H(NF, nk, cm, pos)` ([`note`]) |
//! | anchor | a root of the 4-ary note commitment tree ([`merkle`]) |
//! | `rsk`, `RPK` | regulator secret key and public key `RPK = rsk·G` on Jubjub ([`audit`]) |
//! | audit ct | `(R, c)`: hashed ElGamal of the audited fields to `RPK` ([`audit`]) |
//! | binding | hash of a transaction's non-proof fields, a public input of every statement |
//! | grant, `gcm` | a consent record and its commitment in the grant tree |
//!
//! ## Statements
//!
//! * [`payment`] — statement 1: 2-in / 2-out payment with in-circuit audit encryption.
//! * [`grant`] — statement 2: a data owner approves an institution's access request.
//! * [`access`] — statement 3: an institution uses a grant without revealing which.
//! * [`revoke`] — statement 4: the owner withdraws consent.
//!
//! Every statement defines its public-input layout once (`layout` module, `to_field_elements`),
//! for the prover, verifier and ledger to share.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod access;
pub mod audit;
pub mod ecc;
#[cfg(feature = "r1cs")]
pub mod gadgets;
pub mod grant;
pub mod keys;
pub mod labels;
pub mod merkle;
pub mod note;
pub mod payment;
pub mod poseidon;
pub mod revoke;
#[cfg(any(test, feature = "test-utils"))]
pub mod testing;

pub use ark_bls12_381::Fr;
