//! Statement 1 — payment, as an R1CS circuit.

use super::{layout, PaymentPublic, PaymentWitness, AUDIT_FIELDS};
use crate::{
    audit::constraints::AuditInputsVar,
    gadgets::{alloc_inputs, enforce_u64},
    keys::constraints::{nullifier_key_var, owner_var},
    merkle::{constraints::MerklePathVar, TreeKind},
    note::constraints::{nullifier_var, NoteVar},
};
use ark_bls12_381::Fr;
use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget, fields::fp::FpVar, fields::FieldVar};
use ark_relations::{
    gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError},
    ns,
};

/// The payment circuit. Built blank for parameter generation, or with a statement and witness.
#[derive(Clone, Debug)]
pub struct PaymentCircuit {
    /// The public inputs in [`layout`] order. Field elements, not a [`PaymentPublic`], so that
    /// tests can assign values no `u64` can hold and watch the in-circuit range checks catch them.
    pub(crate) inputs: Option<Vec<Fr>>,
    witness: Option<PaymentWitness>,
    /// Values assigned to `[in0, in1, out0, out1]`: `Fr::from(note.value)` unless a test
    /// assigns an out-of-range value to exercise rule 6.
    pub(crate) values: Option<[Fr; 4]>,
}

impl PaymentCircuit {
    /// The circuit shape only, for Groth16 setup.
    pub fn blank() -> Self {
        PaymentCircuit {
            inputs: None,
            witness: None,
            values: None,
        }
    }

    /// A circuit to prove `public` with `witness`.
    pub fn new(public: PaymentPublic, witness: PaymentWitness) -> Self {
        let values = Some([
            Fr::from(witness.inputs[0].note.value),
            Fr::from(witness.inputs[1].note.value),
            Fr::from(witness.outputs[0].value),
            Fr::from(witness.outputs[1].value),
        ]);
        PaymentCircuit {
            inputs: Some(public.to_field_elements()),
            witness: Some(witness),
            values,
        }
    }
}

fn missing() -> SynthesisError {
    SynthesisError::AssignmentMissing
}

impl ConstraintSynthesizer<Fr> for PaymentCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        // Public inputs, in the shared layout order.
        let input = alloc_inputs(cs.clone(), self.inputs, layout::LEN)?;
        let w = self.witness.as_ref();
        let vals = self.values;

        // Rule 1 and the nullifier key: both come from `sk`.
        let sk = FpVar::new_witness(cs.clone(), || w.map(|w| w.sk).ok_or_else(missing))?;
        let owner = owner_var(&sk)?;
        let nk = nullifier_key_var(&sk)?;

        // Rule 5: one asset variable for all four notes.
        let asset = FpVar::new_witness(cs.clone(), || {
            w.map(|w| w.inputs[0].note.asset).ok_or_else(missing)
        })?;

        let anchor = &input[layout::ANCHOR];
        let mut cm_in = Vec::with_capacity(2);
        let mut value_in = Vec::with_capacity(2);
        for i in 0..2 {
            let spent = w.map(|w| &w.inputs[i]);
            // Rules 1 and 6: owner is H(OWNER, sk); value is range-checked.
            let note = NoteVar::new_witness(
                cs.clone(),
                spent.map(|s| &s.note),
                vals.map(|v| v[i]),
                &asset,
                Some(&owner),
            )?;
            let cm = note.commitment()?;
            // Rule 2: membership unless the value is zero: (root − anchor)·value = 0.
            let path =
                MerklePathVar::new_witness(cs.clone(), TreeKind::NOTES, spent.map(|s| &s.path))?;
            let root = path.root(&cm)?;
            (root - anchor).mul_equals(&note.value, &FpVar::zero())?;
            // Rule 3.
            let nf = nullifier_var(&nk, &cm, &path.position()?)?;
            nf.enforce_equal(&input[layout::NULLIFIERS + i])?;
            cm_in.push(cm);
            value_in.push(note.value);
        }

        let mut owner_out = Vec::with_capacity(2);
        let mut value_out = Vec::with_capacity(2);
        for j in 0..2 {
            // Rules 4 and 6.
            let note = NoteVar::new_witness(
                cs.clone(),
                w.map(|w| &w.outputs[j]),
                vals.map(|v| v[2 + j]),
                &asset,
                None,
            )?;
            note.commitment()?
                .enforce_equal(&input[layout::OUTPUT_COMMITMENTS + j])?;
            owner_out.push(note.owner);
            value_out.push(note.value);
        }

        // Rule 5: (a − asset_pub)·(v_in_pub + v_out_pub + fee) = 0.
        let v_in_pub = &input[layout::V_IN_PUB];
        let v_out_pub = &input[layout::V_OUT_PUB];
        let fee = &input[layout::FEE];
        let public_total = v_in_pub + v_out_pub + fee;
        (&asset - &input[layout::ASSET_PUB]).mul_equals(&public_total, &FpVar::zero())?;

        // Rule 7: balance (no wrap-around: every term is < 2^64).
        (&value_in[0] + &value_in[1] + v_in_pub)
            .enforce_equal(&(&value_out[0] + &value_out[1] + v_out_pub + fee))?;

        // Rule 8: the audit ciphertext.
        let two64 = Fr::from(1u128 << 64);
        let m: [FpVar<Fr>; AUDIT_FIELDS] = [
            asset.clone(),
            owner.clone(),
            &value_in[0] + &value_in[1] * two64,
            cm_in[0].clone(),
            cm_in[1].clone(),
            owner_out[0].clone(),
            owner_out[1].clone(),
            &value_out[0] + &value_out[1] * two64,
        ];
        AuditInputsVar {
            rpk: &input[layout::RPK..layout::RPK + 2],
            r_point: &input[layout::AUDIT_R..layout::AUDIT_R + 2],
            c: &input[layout::AUDIT_C..layout::AUDIT_C + AUDIT_FIELDS],
        }
        .enforce_encryption(cs.clone(), w.map(|w| &w.audit_r), &m)?;
        // Rule 6 for the public amounts: each in [0, 2^64) in-circuit (65 constraints each), so
        // the statement is sound for any verifier that fills inputs from field elements, not
        // only for one that reads them as `u64`. Without it `v_in_pub = −1` would be a hidden
        // withdrawal the balance equation accepts. Synthesised last, so that a test whose first
        // unsatisfied constraint is one of these knows every other rule held.
        {
            let _ns = ns!(cs, "v_in_pub range");
            enforce_u64(v_in_pub)?;
        }
        {
            let _ns = ns!(cs, "v_out_pub range");
            enforce_u64(v_out_pub)?;
        }
        {
            let _ns = ns!(cs, "fee range");
            enforce_u64(fee)?;
        }
        // Rule 9: `binding` is input[layout::BINDING]; Groth16 binds every public input
        // (ark-groth16 adds one QAP row per input), so nothing else is needed here.
        Ok(())
    }
}

#[cfg(test)]
mod tests;
