//! In-circuit key derivation.

use crate::poseidon::{constraints::hash_var, Domain};
use ark_bls12_381::Fr;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::SynthesisError;

/// `owner = H(OWNER, sk)` in-circuit.
pub fn owner_var(sk: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    hash_var(Domain::Owner, std::slice::from_ref(sk))
}

/// `nk = H(NK, sk)` in-circuit.
pub fn nullifier_key_var(sk: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    hash_var(Domain::NullifierKey, std::slice::from_ref(sk))
}
