//! Key derivation: `owner = H(OWNER, sk)`, `nk = H(NK, sk)`.
//!
//! Wallets, data owners and institutions use the same key kind: their `owner` is their public id.

#[cfg(feature = "r1cs")]
pub mod constraints;

use crate::poseidon::{hash, Domain};
use ark_bls12_381::Fr;
use ark_std::UniformRand;
use rand::{CryptoRng, RngCore};

/// A spending key `sk ∈ Fr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpendingKey(pub Fr);

impl SpendingKey {
    /// A fresh random spending key.
    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        SpendingKey(Fr::rand(rng))
    }

    /// The public owner id `H(OWNER, sk)`.
    pub fn owner(&self) -> Fr {
        owner_of(self.0)
    }

    /// The nullifier key `H(NK, sk)`.
    pub fn nullifier_key(&self) -> Fr {
        nullifier_key_of(self.0)
    }
}

/// `owner = H(OWNER, sk)`.
pub fn owner_of(sk: Fr) -> Fr {
    hash(Domain::Owner, &[sk])
}

/// `nk = H(NK, sk)`.
pub fn nullifier_key_of(sk: Fr) -> Fr {
    hash(Domain::NullifierKey, &[sk])
}
