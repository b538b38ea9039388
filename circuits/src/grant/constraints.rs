//! Statement 2 — grant, as an R1CS circuit.

use super::{layout, Grant, GrantPublic, GrantWitness, AUDIT_FIELDS};
use crate::{
    audit::constraints::AuditInputsVar,
    gadgets::{alloc_inputs, enforce_u64},
    keys::constraints::owner_var,
    poseidon::{constraints::hash_var, Domain},
};
use ark_bls12_381::Fr;
use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget, fields::fp::FpVar};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

/// A grant's fields as witnesses.
pub struct GrantVar {
    /// Owner id.
    pub owner_id: FpVar<Fr>,
    /// Institution id.
    pub inst_id: FpVar<Fr>,
    /// Dataset.
    pub dataset: FpVar<Fr>,
    /// Purpose.
    pub purpose: FpVar<Fr>,
    /// Expiry (not range-checked here: each statement checks what it needs).
    pub expiry: FpVar<Fr>,
    /// Grant secret.
    pub gsecret: FpVar<Fr>,
}

impl GrantVar {
    /// Allocates `g`. `expiry` is the value to assign (normally `Fr::from(g.expiry)`); the
    /// owner or institution id can be passed in when the statement derives it from a key.
    pub fn new_witness(
        cs: ConstraintSystemRef<Fr>,
        g: Option<&Grant>,
        expiry: Option<Fr>,
        owner_id: Option<&FpVar<Fr>>,
        inst_id: Option<&FpVar<Fr>>,
    ) -> Result<Self, SynthesisError> {
        let field = |f: fn(&Grant) -> Fr| {
            FpVar::new_witness(cs.clone(), || {
                g.map(f).ok_or(SynthesisError::AssignmentMissing)
            })
        };
        Ok(GrantVar {
            owner_id: match owner_id {
                Some(v) => v.clone(),
                None => field(|g| g.owner_id)?,
            },
            inst_id: match inst_id {
                Some(v) => v.clone(),
                None => field(|g| g.inst_id)?,
            },
            dataset: field(|g| g.dataset)?,
            purpose: field(|g| g.purpose)?,
            expiry: FpVar::new_witness(cs.clone(), || {
                expiry.ok_or(SynthesisError::AssignmentMissing)
            })?,
            gsecret: field(|g| g.gsecret)?,
        })
    }

    /// `gcm = H(GRANT, g)` in-circuit.
    pub fn commitment(&self) -> Result<FpVar<Fr>, SynthesisError> {
        hash_var(
            Domain::Grant,
            &[
                self.owner_id.clone(),
                self.inst_id.clone(),
                self.dataset.clone(),
                self.purpose.clone(),
                self.expiry.clone(),
                self.gsecret.clone(),
            ],
        )
    }
}

/// The grant circuit.
#[derive(Clone, Debug)]
pub struct GrantCircuit {
    public: Option<GrantPublic>,
    witness: Option<GrantWitness>,
    /// Expiry assigned in-circuit (tests assign out-of-range values).
    pub(crate) expiry: Option<Fr>,
}

impl GrantCircuit {
    /// The circuit shape only, for Groth16 setup.
    pub fn blank() -> Self {
        GrantCircuit {
            public: None,
            witness: None,
            expiry: None,
        }
    }

    /// A circuit to prove `public` with `witness`.
    pub fn new(public: GrantPublic, witness: GrantWitness) -> Self {
        GrantCircuit {
            public: Some(public),
            expiry: Some(Fr::from(witness.grant.expiry)),
            witness: Some(witness),
        }
    }
}

impl ConstraintSynthesizer<Fr> for GrantCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let input = alloc_inputs(
            cs.clone(),
            self.public.as_ref().map(GrantPublic::to_field_elements),
            layout::LEN,
        )?;
        let w = self.witness.as_ref();
        // G1: the owner id is derived from the key.
        let sk = FpVar::new_witness(cs.clone(), || {
            w.map(|w| w.sk_owner)
                .ok_or(SynthesisError::AssignmentMissing)
        })?;
        let owner_id = owner_var(&sk)?;
        let g = GrantVar::new_witness(
            cs.clone(),
            w.map(|w| &w.grant),
            self.expiry,
            Some(&owner_id),
            None,
        )?;
        // G3.
        enforce_u64(&g.expiry)?;
        // G2.
        let gcm = g.commitment()?;
        gcm.enforce_equal(&input[layout::GCM])?;
        // G4.
        let m = [
            g.owner_id.clone(),
            g.inst_id.clone(),
            g.dataset.clone(),
            g.purpose.clone(),
            g.expiry.clone(),
            gcm,
        ];
        AuditInputsVar {
            rpk: &input[layout::RPK..layout::RPK + 2],
            r_point: &input[layout::AUDIT_R..layout::AUDIT_R + 2],
            c: &input[layout::AUDIT_C..layout::AUDIT_C + AUDIT_FIELDS],
        }
        .enforce_encryption(cs, w.map(|w| &w.audit_r), &m)?;
        // G5: `binding` is input[layout::BINDING], bound by Groth16's per-input QAP rows.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        ecc::{mul_generator, JubjubScalar},
        grant::{check, grant_commitment, AuditedGrant, GrantRule},
        testing::consent_case,
    };
    use ark_relations::gr1cs::{ConstraintSystem, SynthesisMode};
    use rand::SeedableRng;

    fn rng() -> rand_chacha::ChaCha20Rng {
        rand_chacha::ChaCha20Rng::seed_from_u64(0x6a)
    }

    fn satisfied(c: GrantCircuit) -> bool {
        let cs = ConstraintSystem::<Fr>::new_ref();
        c.generate_constraints(cs.clone()).expect("synthesis");
        cs.is_satisfied().expect("assigned")
    }

    fn honest() -> (GrantPublic, GrantWitness, crate::audit::RegulatorSecretKey) {
        let mut r = rng();
        let case = consent_case(&mut r);
        let w = case.grant_witness(&mut r);
        (
            w.statement(case.rsk.public_key(), Fr::from(5u64)),
            w,
            case.rsk,
        )
    }

    #[test]
    fn honest_grant_is_satisfied_and_decrypts() {
        let (p, w, rsk) = honest();
        assert_eq!(check(&p, &w), Ok(()));
        assert!(satisfied(GrantCircuit::new(p, w)));
        assert_eq!(AuditedGrant::decrypt(&rsk, &p.audit), Some(w.audited()));
    }

    #[test]
    fn g1_non_owner_cannot_grant() {
        let (_, mut w, rsk) = honest();
        w.sk_owner += Fr::from(1u64);
        let p = w.statement(rsk.public_key(), Fr::from(5u64));
        assert_eq!(check(&p, &w), Err(GrantRule::Owner));
        assert!(!satisfied(GrantCircuit::new(p, w)));
    }

    #[test]
    fn g2_gcm_does_not_open() {
        let (mut p, w, _) = honest();
        p.gcm += Fr::from(1u64);
        assert_eq!(check(&p, &w), Err(GrantRule::Commitment));
        assert!(!satisfied(GrantCircuit::new(p, w)));
    }

    /// G3: an expiry of 2^64 + 1, with gcm and the ciphertext computed over it.
    #[test]
    fn g3_expiry_out_of_range() {
        let (p, w, _) = honest();
        let big = Fr::from(1u128 << 64) + Fr::from(1u64);
        let mut p2 = p;
        p2.gcm = grant_commitment(&w.grant, big);
        let mut m = w.audited().to_plaintext();
        m[4] = big;
        m[5] = p2.gcm;
        p2.audit = crate::audit::encrypt(&p.rpk, &m, &w.audit_r);
        let mut c = GrantCircuit::new(p2, w);
        c.expiry = Some(big);
        assert!(!satisfied(c));
    }

    #[test]
    fn g4_tampered_ciphertext_wrong_r_and_other_rpk() {
        let (p, w, _) = honest();
        for i in 0..AUDIT_FIELDS {
            let mut q = p;
            q.audit.c[i] += Fr::from(1u64);
            assert_eq!(check(&q, &w), Err(GrantRule::AuditCiphertext));
            assert!(!satisfied(GrantCircuit::new(q, w)));
        }
        let mut q = p;
        q.audit.r_point = mul_generator(&(w.audit_r + JubjubScalar::from(1u64)));
        assert!(!satisfied(GrantCircuit::new(q, w)));
        let mut q = p;
        q.rpk = mul_generator(&JubjubScalar::from(12345u64));
        assert_eq!(check(&q, &w), Err(GrantRule::AuditCiphertext));
        assert!(!satisfied(GrantCircuit::new(q, w)));
    }

    #[test]
    fn constraint_count_is_pinned() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_mode(SynthesisMode::Setup);
        GrantCircuit::blank()
            .generate_constraints(cs.clone())
            .expect("synthesis");
        assert_eq!(
            (cs.num_constraints(), cs.num_instance_variables()),
            (4_507, layout::LEN + 1)
        );
    }
}
