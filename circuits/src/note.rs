//! Notes, note commitments and nullifiers.
//!
//! * note = `(asset, value: u64, owner, rho, rcm)`
//! * `cm = H(NOTE_CM, asset, value, owner, rho, rcm)`
//! * `nf = H(NF, nk, cm, pos)`, with `pos` the leaf index, so identical notes at two positions
//!   have different nullifiers.

#[cfg(feature = "r1cs")]
pub mod constraints;

use crate::poseidon::{hash, Domain};
use ark_bls12_381::Fr;
use ark_std::UniformRand;
use rand::{CryptoRng, RngCore};

/// A note: `value` units of `asset` owned by `owner`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Note {
    /// Asset id (a field element; e.g. a hash of the asset's name).
    pub asset: Fr,
    /// Amount, in `[0, 2^64)`.
    pub value: u64,
    /// Owner id `H(OWNER, sk)` of the recipient.
    pub owner: Fr,
    /// Uniqueness randomness.
    pub rho: Fr,
    /// Commitment randomness (hiding).
    pub rcm: Fr,
}

impl Note {
    /// A note with fresh `rho` and `rcm`.
    pub fn new<R: RngCore + CryptoRng>(asset: Fr, value: u64, owner: Fr, rng: &mut R) -> Self {
        Note {
            asset,
            value,
            owner,
            rho: Fr::rand(rng),
            rcm: Fr::rand(rng),
        }
    }

    /// `cm = H(NOTE_CM, asset, value, owner, rho, rcm)`.
    pub fn commitment(&self) -> Fr {
        hash(
            Domain::NoteCommitment,
            &[
                self.asset,
                Fr::from(self.value),
                self.owner,
                self.rho,
                self.rcm,
            ],
        )
    }
}

/// `nf = H(NF, nk, cm, pos)`.
pub fn nullifier(nk: Fr, cm: Fr, pos: u64) -> Fr {
    hash(Domain::Nullifier, &[nk, cm, Fr::from(pos)])
}
