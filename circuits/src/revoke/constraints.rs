//! Statement 4 — revoke, as an R1CS circuit.

use super::{layout, RevokePublic, RevokeWitness};
use crate::{
    gadgets::{alloc_inputs, enforce_u64},
    grant::constraints::GrantVar,
    keys::constraints::owner_var,
};
use ark_bls12_381::Fr;
use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget, fields::fp::FpVar};
use ark_relations::{
    gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError},
    ns,
};

/// The revoke circuit.
#[derive(Clone, Debug)]
pub struct RevokeCircuit {
    /// The public inputs in [`layout`] order (field elements, so that tests can assign values
    /// no `u64` can hold).
    pub(crate) inputs: Option<Vec<Fr>>,
    witness: Option<RevokeWitness>,
}

impl RevokeCircuit {
    /// The circuit shape only, for Groth16 setup.
    pub fn blank() -> Self {
        RevokeCircuit {
            inputs: None,
            witness: None,
        }
    }

    /// A circuit to prove `public` with `witness`.
    pub fn new(public: RevokePublic, witness: RevokeWitness) -> Self {
        RevokeCircuit {
            inputs: Some(public.to_field_elements()),
            witness: Some(witness),
        }
    }
}

impl ConstraintSynthesizer<Fr> for RevokeCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let input = alloc_inputs(cs.clone(), self.inputs, layout::LEN)?;
        let w = self.witness.as_ref();
        // R1: the owner id is derived from the key.
        let sk = FpVar::new_witness(cs.clone(), || {
            w.map(|w| w.sk_owner)
                .ok_or(SynthesisError::AssignmentMissing)
        })?;
        let owner_id = owner_var(&sk)?;
        // The expiry only enters the commitment here: no range check needed.
        let g = GrantVar::new_witness(
            cs.clone(),
            w.map(|w| &w.grant),
            w.map(|w| Fr::from(w.grant.expiry)),
            Some(&owner_id),
            None,
        )?;
        // R2.
        g.commitment()?.enforce_equal(&input[layout::GCM])?;
        // R3: pos ∈ [0, 2^64), so the leaf the ledger empties is the one the statement names
        // for any verifier that fills inputs from field elements. Synthesised last, so that a
        // test whose first unsatisfied constraint is this one knows R1 and R2 held.
        {
            let _ns = ns!(cs, "pos range");
            enforce_u64(&input[layout::POS])?;
        }
        // `binding` is bound as a public input; the ledger checks leaf `pos` holds `gcm`.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        revoke::{check, RevokeRule},
        testing::consent_case,
    };
    use ark_relations::gr1cs::{ConstraintSystem, SynthesisMode};
    use rand::SeedableRng;

    fn satisfied(c: RevokeCircuit) -> bool {
        let cs = ConstraintSystem::<Fr>::new_ref();
        c.generate_constraints(cs.clone()).expect("synthesis");
        cs.is_satisfied().expect("assigned")
    }

    fn honest() -> (RevokePublic, RevokeWitness, Fr) {
        let case = consent_case(&mut rand_chacha::ChaCha20Rng::seed_from_u64(0x5e));
        let (p, w) = case.revoke(Fr::from(3u64));
        (p, w, case.inst_sk.0)
    }

    #[test]
    fn honest_revoke_is_satisfied() {
        let (p, w, _) = honest();
        assert_eq!(check(&p, &w), Ok(()));
        assert!(satisfied(RevokeCircuit::new(p, w)));
    }

    #[test]
    fn r1_non_owner_cannot_revoke() {
        let (p, mut w, inst) = honest();
        w.sk_owner = inst; // the institution tries to revoke
        assert_eq!(check(&p, &w), Err(RevokeRule::Owner));
        assert!(!satisfied(RevokeCircuit::new(p, w)));
    }

    #[test]
    fn r2_gcm_does_not_open() {
        let (mut p, w, _) = honest();
        p.gcm += Fr::from(1u64);
        assert_eq!(check(&p, &w), Err(RevokeRule::Commitment));
        assert!(!satisfied(RevokeCircuit::new(p, w)));
    }

    #[test]
    fn constraint_count_is_pinned() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_mode(SynthesisMode::Setup);
        RevokeCircuit::blank()
            .generate_constraints(cs.clone())
            .expect("synthesis");
        assert_eq!(
            (cs.num_constraints(), cs.num_instance_variables()),
            (636, layout::LEN + 1)
        );
    }

    /// `pos = p − 1` with an honest owner and grant: only the `pos` range check refuses it.
    #[test]
    fn r3_pos_is_range_checked_in_circuit() {
        let (p, w, _) = honest();
        let mut c = RevokeCircuit::new(p, w);
        c.inputs.as_mut().expect("assigned")[layout::POS] = -Fr::from(1u64);
        assert_eq!(
            crate::gadgets::first_unsatisfied(c).as_deref(),
            Some("pos range")
        );
    }
}
