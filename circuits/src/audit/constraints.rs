//! In-circuit audit encryption: proves `R = r·G`, `S = r·RPK`, `c_i = m_i + k_i`.

use crate::{
    ecc::{constraints::PointVar, scalar_bits_le, JubjubScalar, SCALAR_BITS},
    gadgets::alloc_bits,
    poseidon::{constraints::keystream_var, Domain},
};
use ark_bls12_381::Fr;
use ark_r1cs_std::{boolean::Boolean, eq::EqGadget, fields::fp::FpVar};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

/// The public inputs of a statement that carries an audit ciphertext: `RPK`, `R` and `c`.
pub struct AuditInputsVar<'a> {
    /// `RPK (x, y)`.
    pub rpk: &'a [FpVar<Fr>],
    /// `R (x, y)`.
    pub r_point: &'a [FpVar<Fr>],
    /// `c_0..c_{N-1}`.
    pub c: &'a [FpVar<Fr>],
}

impl AuditInputsVar<'_> {
    /// Rule shared by every statement: the public ciphertext encrypts `m` to the public `RPK`
    /// with the witnessed randomness `r` (`R = r·G`, `S = r·RPK`, `c = m + k`), and `RPK` is on
    /// the curve. Costs 252 (bits) + 750 + 2,515 + 3 + keystream + `N + 2` constraints.
    pub fn enforce_encryption(
        &self,
        cs: ConstraintSystemRef<Fr>,
        r: Option<&JubjubScalar>,
        m: &[FpVar<Fr>],
    ) -> Result<(), SynthesisError> {
        assert_eq!(
            m.len(),
            self.c.len(),
            "plaintext and ciphertext lengths differ"
        );
        let rpk = PointVar {
            x: self.rpk[0].clone(),
            y: self.rpk[1].clone(),
        };
        rpk.enforce_on_curve()?;
        let bits = r.map(scalar_bits_le);
        let r_bits = alloc_bits(cs, SCALAR_BITS, bits.as_deref())?;
        let ct = encrypt_var(&rpk, &r_bits, m)?;
        ct.r_point.enforce_equal(&PointVar {
            x: self.r_point[0].clone(),
            y: self.r_point[1].clone(),
        })?;
        for (computed, public) in ct.c.iter().zip(self.c.iter()) {
            computed.enforce_equal(public)?;
        }
        Ok(())
    }
}

/// The ciphertext computed in-circuit, for the statement to equate with its public inputs.
pub struct AuditCiphertextVar {
    /// `R = r·G`.
    pub r_point: PointVar,
    /// `c_i = m_i + k_i` (free linear combinations).
    pub c: Vec<FpVar<Fr>>,
}

/// Encrypts `m` to `rpk` with the scalar bits `r_bits` (little-endian, 252 of them).
///
/// `rpk` must already be constrained to the curve (the statements do so with
/// [`PointVar::enforce_on_curve`]; the ledger also checks it is the configured, subgroup-checked key).
pub fn encrypt_var(
    rpk: &PointVar,
    r_bits: &[Boolean<Fr>],
    m: &[FpVar<Fr>],
) -> Result<AuditCiphertextVar, SynthesisError> {
    let r_point = PointVar::fixed_base_mul(r_bits)?;
    let shared = rpk.scalar_mul(r_bits)?;
    let k = keystream_var(Domain::AuditKeystream, &[shared.x, shared.y], m.len())?;
    let c = m.iter().zip(k.iter()).map(|(m, k)| m + k).collect();
    Ok(AuditCiphertextVar { r_point, c })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        audit::{encrypt, RegulatorSecretKey},
        ecc::{scalar_bits_le, JubjubScalar},
        gadgets::alloc_bits,
    };
    use ark_r1cs_std::{alloc::AllocVar, GR1CSVar};
    use ark_relations::gr1cs::ConstraintSystem;
    use ark_std::UniformRand;
    use proptest::prelude::*;
    use rand::SeedableRng;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4))]
        #[test]
        fn gadget_matches_native(seed in any::<u64>()) {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let rsk = RegulatorSecretKey(JubjubScalar::rand(&mut rng));
            let r = JubjubScalar::rand(&mut rng);
            let m: [Fr; 6] = std::array::from_fn(|_| Fr::rand(&mut rng));
            let ct = encrypt(&rsk.public_key(), &m, &r);
            let cs = ConstraintSystem::<Fr>::new_ref();
            let bits = alloc_bits(cs.clone(), 252, Some(&scalar_bits_le(&r))).unwrap();
            let rpk = PointVar::new_input(cs.clone(), Some(rsk.public_key())).unwrap();
            let mv: Vec<_> = m.iter().map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)).unwrap()).collect();
            let out = encrypt_var(&rpk, &bits, &mv).unwrap();
            prop_assert_eq!(out.r_point.value().unwrap(), ct.r_point);
            let c: Vec<Fr> = out.c.iter().map(|c| c.value().unwrap()).collect();
            prop_assert_eq!(c, ct.c.to_vec());
            prop_assert!(cs.is_satisfied().unwrap());
        }
    }
}
