//! In-circuit notes: the value is allocated as 64 bits (rule 6) and packed back for free.

use super::Note;
use crate::{
    gadgets::enforce_u64,
    poseidon::{constraints::hash_var, Domain},
};
use ark_bls12_381::Fr;
use ark_r1cs_std::{alloc::AllocVar, fields::fp::FpVar};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

/// A note whose fields are witnesses, except `asset`, which the statement passes in so that all
/// notes of one transaction share one asset variable.
#[derive(Clone)]
pub struct NoteVar {
    /// Asset id.
    pub asset: FpVar<Fr>,
    /// Value, range-checked to `[0, 2^64)`.
    pub value: FpVar<Fr>,
    /// Owner id.
    pub owner: FpVar<Fr>,
    /// Uniqueness randomness.
    pub rho: FpVar<Fr>,
    /// Commitment randomness.
    pub rcm: FpVar<Fr>,
}

impl NoteVar {
    /// Allocates `note`. `value` is the value to assign, normally `Fr::from(note.value)`; it is a
    /// field element so that tests can assign out-of-range values and watch rule 6 catch them.
    /// `owner` is passed in when the statement derives it from `sk` (rule 1).
    pub fn new_witness(
        cs: ConstraintSystemRef<Fr>,
        note: Option<&Note>,
        value: Option<Fr>,
        asset: &FpVar<Fr>,
        owner: Option<&FpVar<Fr>>,
    ) -> Result<Self, SynthesisError> {
        let value = FpVar::new_witness(cs.clone(), || {
            value.ok_or(SynthesisError::AssignmentMissing)
        })?;
        enforce_u64(&value)?;
        let owner = match owner {
            Some(o) => o.clone(),
            None => FpVar::new_witness(cs.clone(), || {
                note.map(|n| n.owner)
                    .ok_or(SynthesisError::AssignmentMissing)
            })?,
        };
        let rho = FpVar::new_witness(cs.clone(), || {
            note.map(|n| n.rho).ok_or(SynthesisError::AssignmentMissing)
        })?;
        let rcm = FpVar::new_witness(cs, || {
            note.map(|n| n.rcm).ok_or(SynthesisError::AssignmentMissing)
        })?;
        Ok(NoteVar {
            asset: asset.clone(),
            value,
            owner,
            rho,
            rcm,
        })
    }

    /// `cm = H(NOTE_CM, asset, value, owner, rho, rcm)` in-circuit.
    pub fn commitment(&self) -> Result<FpVar<Fr>, SynthesisError> {
        hash_var(
            Domain::NoteCommitment,
            &[
                self.asset.clone(),
                self.value.clone(),
                self.owner.clone(),
                self.rho.clone(),
                self.rcm.clone(),
            ],
        )
    }
}

/// `nf = H(NF, nk, cm, pos)` in-circuit.
pub fn nullifier_var(
    nk: &FpVar<Fr>,
    cm: &FpVar<Fr>,
    pos: &FpVar<Fr>,
) -> Result<FpVar<Fr>, SynthesisError> {
    hash_var(Domain::Nullifier, &[nk.clone(), cm.clone(), pos.clone()])
}
