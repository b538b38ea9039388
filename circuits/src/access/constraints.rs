//! Statement 3 — access, as an R1CS circuit.

use super::{layout, AccessPublic, AccessWitness, AUDIT_FIELDS};
use crate::{
    audit::constraints::AuditInputsVar,
    gadgets::{alloc_inputs, enforce_u64},
    grant::constraints::GrantVar,
    keys::constraints::owner_var,
    merkle::{constraints::MerklePathVar, TreeKind},
    poseidon::{constraints::hash_var, Domain},
};
use ark_bls12_381::Fr;
use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget, fields::fp::FpVar};
use ark_relations::{
    gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError},
    ns,
};

/// The access circuit.
#[derive(Clone, Debug)]
pub struct AccessCircuit {
    /// The public inputs in [`layout`] order (field elements, so that tests can assign values
    /// no `u64` can hold).
    pub(crate) inputs: Option<Vec<Fr>>,
    witness: Option<AccessWitness>,
}

impl AccessCircuit {
    /// The circuit shape only, for Groth16 setup.
    pub fn blank() -> Self {
        AccessCircuit {
            inputs: None,
            witness: None,
        }
    }

    /// A circuit to prove `public` with `witness`.
    pub fn new(public: AccessPublic, witness: AccessWitness) -> Self {
        AccessCircuit {
            inputs: Some(public.to_field_elements()),
            witness: Some(witness),
        }
    }
}

impl ConstraintSynthesizer<Fr> for AccessCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let input = alloc_inputs(cs.clone(), self.inputs, layout::LEN)?;
        let w = self.witness.as_ref();
        // A1: the institution id is derived from the key.
        let sk = FpVar::new_witness(cs.clone(), || {
            w.map(|w| w.sk_inst)
                .ok_or(SynthesisError::AssignmentMissing)
        })?;
        let inst_id = owner_var(&sk)?;
        let g = GrantVar::new_witness(
            cs.clone(),
            w.map(|w| &w.grant),
            w.map(|w| Fr::from(w.grant.expiry)),
            None,
            Some(&inst_id),
        )?;
        // A2.
        let gcm = g.commitment()?;
        let path = MerklePathVar::new_witness(cs.clone(), TreeKind::GRANTS, w.map(|w| &w.path))?;
        path.root(&gcm)?.enforce_equal(&input[layout::GRANT_ROOT])?;
        // A3: expiry − now ∈ [0, 2^64), and (at the end) now ∈ [0, 2^64).
        let now = &input[layout::NOW];
        {
            let _ns = ns!(cs, "expiry - now range");
            enforce_u64(&(&g.expiry - now))?;
        }
        // A4.
        hash_var(
            Domain::AccessTag,
            &[g.gsecret.clone(), input[layout::BINDING].clone()],
        )?
        .enforce_equal(&input[layout::TAG])?;
        // A5.
        let m = [
            g.owner_id.clone(),
            g.inst_id.clone(),
            g.dataset.clone(),
            g.purpose.clone(),
            gcm,
            now.clone(),
        ];
        AuditInputsVar {
            rpk: &input[layout::RPK..layout::RPK + 2],
            r_point: &input[layout::AUDIT_R..layout::AUDIT_R + 2],
            c: &input[layout::AUDIT_C..layout::AUDIT_C + AUDIT_FIELDS],
        }
        .enforce_encryption(cs.clone(), w.map(|w| &w.audit_r), &m)?;
        // A3, second half: now ∈ [0, 2^64). It makes A3 mean `now ≤ expiry` over the integers
        // for any field element a verifier may fill in: without it `now = p − 1` passes
        // (`expiry − now = expiry + 1`), and the ledger's time rule would compare a `now` the
        // statement never bounded. Synthesised last, so that a test whose first unsatisfied
        // constraint is this one knows every other rule held.
        {
            let _ns = ns!(cs, "now range");
            enforce_u64(&input[layout::NOW])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        access::{check, AccessRule, AuditedAccess},
        ecc::{mul_generator, JubjubScalar},
        merkle::EMPTY_LEAF,
        testing::{consent_case, ConsentCase},
    };
    use ark_relations::gr1cs::{ConstraintSystem, SynthesisMode};
    use rand::SeedableRng;

    fn rng() -> rand_chacha::ChaCha20Rng {
        rand_chacha::ChaCha20Rng::seed_from_u64(0xacc)
    }

    fn satisfied(c: AccessCircuit) -> bool {
        let cs = ConstraintSystem::<Fr>::new_ref();
        c.generate_constraints(cs.clone()).expect("synthesis");
        cs.is_satisfied().expect("assigned")
    }

    const BINDING: u64 = 0xb1d;

    fn honest() -> (ConsentCase, AccessPublic, AccessWitness) {
        let mut r = rng();
        let case = consent_case(&mut r);
        let w = case.access_witness(&mut r);
        let p = w.statement(
            case.tree.root(),
            case.now,
            case.rsk.public_key(),
            Fr::from(BINDING),
        );
        (case, p, w)
    }

    #[test]
    fn honest_access_is_satisfied_decrypts_and_owner_recognises_tag() {
        let (case, p, w) = honest();
        assert_eq!(check(&p, &w), Ok(()));
        assert!(satisfied(AccessCircuit::new(p, w.clone())));
        assert_eq!(
            AuditedAccess::decrypt(&case.rsk, &p.audit),
            Some(w.audited(case.now))
        );
        assert_eq!(case.grant.access_tag(p.binding), p.tag);
        // Access exactly at expiry is still allowed.
        let p2 = w.statement(
            case.tree.root(),
            case.grant.expiry,
            case.rsk.public_key(),
            Fr::from(BINDING),
        );
        assert!(satisfied(AccessCircuit::new(p2, w)));
    }

    #[test]
    fn a1_someone_elses_institution_key() {
        let (case, _, mut w) = honest();
        w.sk_inst = case.owner_sk.0;
        let p = w.statement(
            case.tree.root(),
            case.now,
            case.rsk.public_key(),
            Fr::from(BINDING),
        );
        assert_eq!(check(&p, &w), Err(AccessRule::Institution));
        assert!(!satisfied(AccessCircuit::new(p, w)));
    }

    #[test]
    fn a2_grant_not_in_tree() {
        let (case, _, mut w) = honest();
        w.grant.purpose += Fr::from(1u64); // a grant the owner never made
        w.grant.inst_id = case.inst_sk.owner();
        let p = w.statement(
            case.tree.root(),
            case.now,
            case.rsk.public_key(),
            Fr::from(BINDING),
        );
        assert_eq!(check(&p, &w), Err(AccessRule::Membership));
        assert!(!satisfied(AccessCircuit::new(p, w)));
    }

    #[test]
    fn a2_revoked_leaf() {
        let (mut case, _, w) = honest();
        case.tree.set(case.pos, EMPTY_LEAF).expect("revoke");
        let mut r = rng();
        let mut w2 = case.access_witness(&mut r);
        w2.audit_r = w.audit_r;
        let p = w2.statement(
            case.tree.root(),
            case.now,
            case.rsk.public_key(),
            Fr::from(BINDING),
        );
        assert_eq!(check(&p, &w2), Err(AccessRule::Membership));
        assert!(!satisfied(AccessCircuit::new(p, w2)));
    }

    #[test]
    fn a3_expired_grant() {
        let (case, _, w) = honest();
        let p = w.statement(
            case.tree.root(),
            case.grant.expiry + 1,
            case.rsk.public_key(),
            Fr::from(BINDING),
        );
        assert_eq!(check(&p, &w), Err(AccessRule::Expired));
        assert!(!satisfied(AccessCircuit::new(p, w)));
    }

    #[test]
    fn a4_wrong_tag() {
        let (case, mut p, w) = honest();
        p.tag = case.grant.access_tag(Fr::from(BINDING + 1));
        assert_eq!(check(&p, &w), Err(AccessRule::Tag));
        assert!(!satisfied(AccessCircuit::new(p, w)));
    }

    #[test]
    fn a5_tampered_ciphertext_wrong_r_and_other_rpk() {
        let (_, p, w) = honest();
        for i in 0..AUDIT_FIELDS {
            let mut q = p;
            q.audit.c[i] += Fr::from(1u64);
            assert_eq!(check(&q, &w), Err(AccessRule::AuditCiphertext));
            assert!(!satisfied(AccessCircuit::new(q, w.clone())));
        }
        let mut q = p;
        q.audit.r_point = mul_generator(&(w.audit_r + JubjubScalar::from(1u64)));
        assert!(!satisfied(AccessCircuit::new(q, w.clone())));
        let mut q = p;
        q.rpk = mul_generator(&JubjubScalar::from(777u64));
        assert_eq!(check(&q, &w), Err(AccessRule::AuditCiphertext));
        assert!(!satisfied(AccessCircuit::new(q, w)));
    }

    #[test]
    fn constraint_count_is_pinned() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_mode(SynthesisMode::Setup);
        AccessCircuit::blank()
            .generate_constraints(cs.clone())
            .expect("synthesis");
        assert_eq!(
            (cs.num_constraints(), cs.num_instance_variables()),
            (8_449, layout::LEN + 1)
        );
    }

    /// `now = p − 1` (no `u64` holds it) satisfies every other rule: `expiry − now = expiry + 1`
    /// is in range, and the audit ciphertext encrypts that very field element. Only the `now`
    /// range check refuses it.
    #[test]
    fn a3_now_is_range_checked_in_circuit() {
        use crate::audit::encrypt;
        let (_, p, w) = honest();
        let now = -Fr::from(1u64);
        let mut m = w.audited(0).to_plaintext();
        m[AUDIT_FIELDS - 1] = now;
        let audit = encrypt(&p.rpk, &m, &w.audit_r);
        let mut c = AccessCircuit::new(p, w);
        let inputs = c.inputs.as_mut().expect("assigned");
        inputs[layout::NOW] = now;
        inputs[layout::AUDIT_C..layout::AUDIT_C + AUDIT_FIELDS].copy_from_slice(&audit.c);
        assert_eq!(
            crate::gadgets::first_unsatisfied(c).as_deref(),
            Some("now range")
        );
    }
}
