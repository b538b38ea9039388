//! In-circuit twin of [`crate::poseidon`]: the same sponge from `ark-crypto-primitives`, with the
//! capacity lane preset to the (constant) domain tag, so native and gadget cannot drift apart.
//!
//! Cost: `3` constraints per S-box (`x², x⁴, x⁵`); a width-`t` hash costs
//! `3·(8t + R_P)` minus 3 per lane that is still constant in the first round (the tag lane, and
//! the unused lanes of a keystream).

use super::{config, Domain};
use ark_bls12_381::Fr;
use ark_crypto_primitives::sponge::{
    constraints::CryptographicSpongeVar, poseidon::constraints::PoseidonSpongeVar,
};
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

fn sponge_var(cs: ConstraintSystemRef<Fr>, domain: Domain, width: usize) -> PoseidonSpongeVar<Fr> {
    let mut sponge = PoseidonSpongeVar::new(cs, config(width));
    sponge.state[0] = FpVar::Constant(domain.tag());
    sponge
}

fn cs_of(inputs: &[FpVar<Fr>]) -> ConstraintSystemRef<Fr> {
    inputs.iter().fold(ConstraintSystemRef::None, |cs, x| {
        cs.or(ark_r1cs_std::GR1CSVar::cs(x))
    })
}

/// `H(domain, inputs)` in-circuit.
pub fn hash_var(domain: Domain, inputs: &[FpVar<Fr>]) -> Result<FpVar<Fr>, SynthesisError> {
    let mut sponge = sponge_var(cs_of(inputs), domain, inputs.len() + 1);
    sponge.absorb(&inputs.to_vec())?;
    let mut out = sponge.squeeze_field_elements(1)?;
    out.pop().ok_or(SynthesisError::Unsatisfiable)
}

/// The keystream of [`crate::poseidon::keystream`] in-circuit.
pub fn keystream_var(
    domain: Domain,
    seed: &[FpVar<Fr>],
    n: usize,
) -> Result<Vec<FpVar<Fr>>, SynthesisError> {
    assert!(seed.len() <= n, "keystream shorter than its seed");
    let mut sponge = sponge_var(cs_of(seed), domain, n + 1);
    sponge.absorb(&seed.to_vec())?;
    sponge.squeeze_field_elements(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::poseidon::{hash, keystream};
    use ark_r1cs_std::{alloc::AllocVar, GR1CSVar};
    use ark_relations::gr1cs::ConstraintSystem;
    use proptest::prelude::*;

    fn fr(x: u64, y: u64) -> Fr {
        Fr::from(x) * Fr::from(y) + Fr::from(y)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn gadget_matches_native(a in any::<u64>(), b in any::<u64>(), n in 1usize..5) {
            let inputs: Vec<Fr> = (0..n as u64).map(|i| fr(a ^ i, b.wrapping_add(i))).collect();
            let cs = ConstraintSystem::<Fr>::new_ref();
            let vars: Vec<_> = inputs.iter().map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)).unwrap()).collect();
            let h = hash_var(Domain::NoteCommitment, &vars).unwrap();
            prop_assert_eq!(h.value().unwrap(), hash(Domain::NoteCommitment, &inputs));
            let ks = keystream_var(Domain::AuditKeystream, &vars[..1], 8).unwrap();
            let native = keystream(Domain::AuditKeystream, &inputs[..1], 8);
            prop_assert_eq!(ks.iter().map(|k| k.value().unwrap()).collect::<Vec<_>>(), native);
            prop_assert!(cs.is_satisfied().unwrap());
        }
    }

    #[test]
    fn cost_of_width_3() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let a = FpVar::new_witness(cs.clone(), || Ok(Fr::from(1u64))).unwrap();
        let b = FpVar::new_witness(cs.clone(), || Ok(Fr::from(2u64))).unwrap();
        let _ = hash_var(Domain::AccessTag, &[a, b]).unwrap();
        // 3·(8·3 + 57) − 3 (the tag lane is constant in round 1)
        assert_eq!(cs.num_constraints(), 240);
    }
}
