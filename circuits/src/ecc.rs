//! Jubjub, the embedded curve (twisted Edwards, `a = −1`, base field = BLS12-381 `Fr`).
//!
//! Every point that enters from outside goes through [`checked_point`]: on the curve **and** in
//! the prime-order subgroup. Public keys additionally must not be the identity
//! ([`checked_public_key`]).

#[cfg(feature = "r1cs")]
pub mod constraints;

use ark_bls12_381::Fr;
use ark_ec::{twisted_edwards::TECurveConfig, AffineRepr, CurveGroup};
use ark_ff::{AdditiveGroup, BigInteger, Field, PrimeField, Zero};
use std::sync::OnceLock;

pub use ark_ed_on_bls12_381::{
    EdwardsAffine as JubjubAffine, EdwardsProjective as JubjubPoint, Fr as JubjubScalar,
    JubjubConfig,
};

/// Bits of a Jubjub scalar (`r_J < 2^252`).
pub const SCALAR_BITS: usize = 252;
/// Bits per window of the fixed-base multiplication.
pub const FIXED_BASE_WINDOW: usize = 3;
/// Windows of the fixed-base multiplication.
pub const FIXED_BASE_WINDOWS: usize = SCALAR_BITS / FIXED_BASE_WINDOW;

/// Why an external point was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PointError {
    /// The coordinates do not satisfy the curve equation.
    #[error("point is not on the Jubjub curve")]
    NotOnCurve,
    /// The point is on the curve but outside the prime-order subgroup.
    #[error("point is not in the prime-order subgroup")]
    NotInSubgroup,
    /// A public key may not be the identity.
    #[error("public key is the identity")]
    Identity,
}

/// The generator `G` of the prime-order subgroup.
pub fn generator() -> JubjubAffine {
    JubjubAffine::generator()
}

/// The twisted Edwards `d` coefficient.
pub fn coeff_d() -> Fr {
    <JubjubConfig as TECurveConfig>::COEFF_D
}

/// Builds a point from coordinates, checking curve membership and the subgroup.
pub fn checked_point(x: Fr, y: Fr) -> Result<JubjubAffine, PointError> {
    let p = JubjubAffine::new_unchecked(x, y);
    if !p.is_on_curve() {
        return Err(PointError::NotOnCurve);
    }
    if !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(PointError::NotInSubgroup);
    }
    Ok(p)
}

/// [`checked_point`], also refusing the identity (for public keys and ciphertext points).
pub fn checked_public_key(x: Fr, y: Fr) -> Result<JubjubAffine, PointError> {
    let p = checked_point(x, y)?;
    if p.is_zero() {
        return Err(PointError::Identity);
    }
    Ok(p)
}

/// The scalar encoding both multiplications use: 252 bits `c_j` that stand for the signed digits
/// `2c_j − 1 ∈ {−1, +1}`, i.e. the scalar `e = Σ (2c_j − 1)·2^j = 2C − (2^252 − 1)` with
/// `C = Σ c_j 2^j`.
///
/// Why: with digits that are never zero, a 2-bit window of the variable-base multiplication is
/// one of `{±P, ±3P}`, a 4-constraint lookup (negation on Edwards is `x ↦ −x`), instead of 6 for
/// `{O, P, 2P, 3P}`: 252 constraints fewer per variable-base multiplication. The fixed-base tables
/// use the same digits, so `R = r·G` and `S = r·RPK` share one set of scalar bits.
///
/// Returns the bits of `C = (s + 2^252 − 1)/2 mod r_J`, so that `e ≡ s (mod r_J)`.
pub fn scalar_bits_le(s: &JubjubScalar) -> Vec<bool> {
    let offset = JubjubScalar::from(2u64).pow([SCALAR_BITS as u64]) - JubjubScalar::from(1u64);
    let half = JubjubScalar::from(2u64)
        .inverse()
        .unwrap_or_else(|| unreachable!("2 is invertible mod r_J"));
    let c = (*s + offset) * half;
    let mut bits = c.into_bigint().to_bits_le();
    bits.truncate(SCALAR_BITS);
    bits
}

/// The scalar `e = Σ (2c_j − 1)·2^j mod r_J` that bits `c` stand for (inverse of
/// [`scalar_bits_le`]).
pub fn scalar_from_bits_le(bits: &[bool]) -> JubjubScalar {
    bits.iter().rev().fold(JubjubScalar::zero(), |acc, b| {
        acc.double()
            + if *b {
                JubjubScalar::from(1u64)
            } else {
                -JubjubScalar::from(1u64)
            }
    })
}

/// `s · G`.
pub fn mul_generator(s: &JubjubScalar) -> JubjubAffine {
    (generator() * s).into_affine()
}

/// Table of the fixed-base multiplication over signed digits:
/// `table[i][v] = Σ_{j<3} (2·v_j − 1) · 2^{3i+j} · G` for `v = v_0 + 2v_1 + 4v_2 ∈ 0..8`.
pub fn fixed_base_table() -> &'static [[JubjubAffine; 8]] {
    static TABLE: OnceLock<Vec<[JubjubAffine; 8]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut base: JubjubPoint = generator().into_group(); // 2^{3i}·G
        let mut out = Vec::with_capacity(FIXED_BASE_WINDOWS);
        for _ in 0..FIXED_BASE_WINDOWS {
            let row = std::array::from_fn(|v| {
                let mut acc = JubjubPoint::zero();
                let mut b = base;
                for j in 0..FIXED_BASE_WINDOW {
                    if (v >> j) & 1 == 1 {
                        acc += b;
                    } else {
                        acc -= b;
                    }
                    b.double_in_place();
                }
                acc.into_affine()
            });
            out.push(row);
            for _ in 0..FIXED_BASE_WINDOW {
                base.double_in_place();
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_std::UniformRand;

    #[test]
    fn rejects_bad_points() {
        let g = generator();
        assert!(checked_public_key(g.x, g.y).is_ok());
        assert_eq!(
            checked_point(g.x, g.y + Fr::from(1u64)),
            Err(PointError::NotOnCurve)
        );
        assert_eq!(
            checked_public_key(Fr::zero(), Fr::from(1u64)),
            Err(PointError::Identity)
        );
        // (0, −1) has order 2: on the curve, outside the subgroup.
        assert_eq!(
            checked_point(Fr::zero(), -Fr::from(1u64)),
            Err(PointError::NotInSubgroup)
        );
    }

    #[test]
    fn signed_digit_encoding_round_trips() {
        let mut rng = ark_std::test_rng();
        for _ in 0..20 {
            let s = JubjubScalar::rand(&mut rng);
            let bits = scalar_bits_le(&s);
            assert_eq!(bits.len(), SCALAR_BITS);
            assert_eq!(scalar_from_bits_le(&bits), s);
        }
        assert_eq!(
            scalar_from_bits_le(&scalar_bits_le(&JubjubScalar::zero())),
            JubjubScalar::zero()
        );
    }

    #[test]
    fn table_matches_scalar_mul() {
        let mut rng = ark_std::test_rng();
        let s = JubjubScalar::rand(&mut rng);
        let bits = scalar_bits_le(&s);
        let t = fixed_base_table();
        let mut acc = JubjubPoint::zero();
        for (i, w) in bits.chunks(3).enumerate() {
            let v = w.iter().rev().fold(0usize, |a, b| 2 * a + *b as usize);
            acc += t[i][v];
        }
        assert_eq!(acc.into_affine(), mul_generator(&s));
    }
}
