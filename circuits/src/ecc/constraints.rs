//! Jubjub arithmetic in R1CS with the complete twisted Edwards formulas (`a = −1`, `d` a
//! non-square, so there are no exceptional cases for points on the curve).
//!
//! | operation | constraints |
//! |---|---|
//! | addition | 6 (`A = x1·y2`, `B = y1·x2`, `U = (x1+y1)(x2+y2)`, `C = d·A·B`, two divisions) |
//! | doubling | 5 (`T = x·y`, `C = d·T²`, `(x+y)²`, two divisions; uses the curve equation) |
//! | on-curve check | 3 |
//! | fixed-base `s·G`, 252 bits | 750 (3-bit windows of constant tables: 3 per lookup, 83 additions) |
//! | variable-base `s·P`, 252 bits | 2,515 (2-bit windows of `{±P, ±3P}`: 2 doublings, a 4-constraint lookup, an addition) |
//!
//! Scalars are the signed-digit bits of [`crate::ecc::scalar_bits_le`].

use super::{coeff_d, fixed_base_table, JubjubAffine};
use ark_bls12_381::Fr;
use ark_ec::CurveGroup;
use ark_ff::{Field, One};
use ark_r1cs_std::{
    alloc::AllocVar, boolean::Boolean, eq::EqGadget, fields::fp::FpVar, fields::FieldVar, GR1CSVar,
};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

/// A Jubjub point in affine twisted Edwards coordinates.
#[derive(Clone, Debug)]
pub struct PointVar {
    /// `x` coordinate.
    pub x: FpVar<Fr>,
    /// `y` coordinate.
    pub y: FpVar<Fr>,
}

/// `num / den` as a new witness, with one constraint `q · den = num` (`den ≠ 0` is the caller's
/// guarantee; for the complete formulas it always holds on the curve).
fn divide(num: &FpVar<Fr>, den: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    if num.is_constant() && den.is_constant() {
        let d = den
            .value()?
            .inverse()
            .ok_or(SynthesisError::DivisionByZero)?;
        return Ok(FpVar::Constant(num.value()? * d));
    }
    let cs = num.cs().or(den.cs());
    let q = FpVar::new_witness(cs, || {
        let d = den
            .value()?
            .inverse()
            .ok_or(SynthesisError::DivisionByZero)?;
        Ok(num.value()? * d)
    })?;
    q.mul_equals(den, num)?;
    Ok(q)
}

/// `if b { t } else { f }`: one constraint unless both are constant.
fn select(b: &Boolean<Fr>, t: &FpVar<Fr>, f: &FpVar<Fr>) -> FpVar<Fr> {
    f + FpVar::from(b.clone()) * (t - f)
}

impl PointVar {
    /// A constant point.
    pub fn constant(p: JubjubAffine) -> Self {
        PointVar {
            x: FpVar::Constant(p.x),
            y: FpVar::Constant(p.y),
        }
    }

    /// The identity `(0, 1)`.
    pub fn identity() -> Self {
        Self::constant(JubjubAffine::zero())
    }

    /// Allocates `p` as two public inputs (no curve check: see [`Self::enforce_on_curve`]).
    pub fn new_input(
        cs: ConstraintSystemRef<Fr>,
        p: Option<JubjubAffine>,
    ) -> Result<Self, SynthesisError> {
        let x = FpVar::new_input(cs.clone(), || {
            p.map(|p| p.x).ok_or(SynthesisError::AssignmentMissing)
        })?;
        let y = FpVar::new_input(cs, || {
            p.map(|p| p.y).ok_or(SynthesisError::AssignmentMissing)
        })?;
        Ok(PointVar { x, y })
    }

    /// The point's value, when assigned.
    pub fn value(&self) -> Result<JubjubAffine, SynthesisError> {
        Ok(JubjubAffine::new_unchecked(
            self.x.value()?,
            self.y.value()?,
        ))
    }

    /// Enforces `−x² + y² = 1 + d·x²·y²` (3 constraints).
    pub fn enforce_on_curve(&self) -> Result<(), SynthesisError> {
        let xx = self.x.square()?;
        let yy = self.y.square()?;
        let xxyy = &xx * &yy;
        (&yy - &xx).enforce_equal(&(xxyy * coeff_d() + Fr::one()))
    }

    /// Enforces equality of both coordinates.
    pub fn enforce_equal(&self, other: &Self) -> Result<(), SynthesisError> {
        self.x.enforce_equal(&other.x)?;
        self.y.enforce_equal(&other.y)
    }

    /// Complete addition (6 constraints).
    pub fn add(&self, other: &Self) -> Result<Self, SynthesisError> {
        let a = &self.x * &other.y;
        let b = &self.y * &other.x;
        let u = (&self.x + &self.y) * (&other.x + &other.y);
        let c = (&a * coeff_d()) * &b;
        let x = divide(&(&a + &b), &(&c + Fr::one()))?;
        let y = divide(&(u - &a - &b), &(FpVar::Constant(Fr::one()) - &c))?;
        Ok(PointVar { x, y })
    }

    /// Doubling (5 constraints), valid for points on the curve.
    pub fn double(&self) -> Result<Self, SynthesisError> {
        let t = &self.x * &self.y;
        let c = (&t * coeff_d()) * &t;
        let s = (&self.x + &self.y).square()?;
        let two_t = t.double()?;
        let x = divide(&two_t, &(&c + Fr::one()))?;
        let y = divide(&(s - &two_t), &(FpVar::Constant(Fr::one()) - &c))?;
        Ok(PointVar { x, y })
    }

    /// `s · G` for little-endian scalar bits, with constant 3-bit-window tables.
    pub fn fixed_base_mul(bits: &[Boolean<Fr>]) -> Result<Self, SynthesisError> {
        let table = fixed_base_table();
        assert!(bits.len() <= 3 * table.len(), "scalar too long");
        let mut acc: Option<PointVar> = None;
        for (window, w) in bits.chunks(3).enumerate() {
            let get = |i: usize| w.get(i).cloned().unwrap_or(Boolean::FALSE);
            let (b0, b1, b2) = (get(0), get(1), get(2));
            let b01 = FpVar::from(&b0 & &b1);
            let (f0, f1) = (FpVar::from(b0), FpVar::from(b1));
            let t = &table[window];
            // Multilinear interpolation over (b0, b1) of four constants: a free linear combination.
            let lerp = |c: [Fr; 4]| {
                &f0 * (c[1] - c[0])
                    + &f1 * (c[2] - c[0])
                    + &b01 * (c[3] - c[2] - c[1] + c[0])
                    + c[0]
            };
            let coord = |sel: fn(&JubjubAffine) -> Fr| -> FpVar<Fr> {
                let lo = lerp([sel(&t[0]), sel(&t[1]), sel(&t[2]), sel(&t[3])]);
                let hi = lerp([sel(&t[4]), sel(&t[5]), sel(&t[6]), sel(&t[7])]);
                &lo + FpVar::from(b2.clone()) * (hi - &lo)
            };
            let p = PointVar {
                x: coord(|p| p.x),
                y: coord(|p| p.y),
            };
            acc = Some(match acc {
                None => p,
                Some(a) => a.add(&p)?,
            });
        }
        Ok(acc.unwrap_or_else(Self::identity))
    }

    /// `s · self` for the signed-digit scalar bits of [`crate::ecc::scalar_bits_le`] (even
    /// length), MSB first. A window `(c0, c1)` stands for `(2c0 − 1) + 2(2c1 − 1) ∈ {−3, −1, 1, 3}`:
    /// magnitude `3` iff `c0 = c1`, sign from `c1`.
    pub fn scalar_mul(&self, bits: &[Boolean<Fr>]) -> Result<Self, SynthesisError> {
        assert!(bits.len() % 2 == 0, "scalar bit length must be even");
        let p1 = self.clone();
        let p3 = self.double()?.add(self)?;
        let lookup = |c0: &Boolean<Fr>, c1: &Boolean<Fr>| -> Result<Self, SynthesisError> {
            let is_one = c0 ^ c1;
            let x = select(&is_one, &p1.x, &p3.x);
            let y = select(&is_one, &p1.y, &p3.y);
            let sign = FpVar::from(c1.clone()).double()? - Fr::one();
            Ok(PointVar { x: x * sign, y })
        };
        let mut windows = bits.chunks(2).rev();
        let mut acc = match windows.next() {
            Some(w) => lookup(&w[0], &w[1])?,
            None => return Ok(Self::identity()),
        };
        for w in windows {
            acc = acc.double()?.double()?;
            acc = acc.add(&lookup(&w[0], &w[1])?)?;
        }
        Ok(acc)
    }
}

/// Native twin used by tests: `s · p`.
pub fn native_mul(p: &JubjubAffine, s: &super::JubjubScalar) -> JubjubAffine {
    (*p * s).into_affine()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        ecc::{generator, mul_generator, scalar_bits_le, JubjubScalar},
        gadgets::alloc_bits,
    };
    use ark_relations::gr1cs::ConstraintSystem;
    use proptest::prelude::*;
    use rand::SeedableRng;

    fn scalar(seed: u64) -> JubjubScalar {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        ark_std::UniformRand::rand(&mut rng)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(6))]
        #[test]
        fn gadgets_match_native(seed in any::<u64>()) {
            let s = scalar(seed);
            let p = mul_generator(&scalar(seed ^ 1));
            let cs = ConstraintSystem::<Fr>::new_ref();
            let bits = alloc_bits(cs.clone(), 252, Some(&scalar_bits_le(&s))).unwrap();
            let pv = PointVar::new_input(cs.clone(), Some(p)).unwrap();
            pv.enforce_on_curve().unwrap();
            prop_assert_eq!(PointVar::fixed_base_mul(&bits).unwrap().value().unwrap(), mul_generator(&s));
            prop_assert_eq!(pv.scalar_mul(&bits).unwrap().value().unwrap(), native_mul(&p, &s));
            let q = mul_generator(&scalar(seed ^ 2));
            let qv = PointVar::new_input(cs.clone(), Some(q)).unwrap();
            prop_assert_eq!(pv.add(&qv).unwrap().value().unwrap(), (p + q).into_affine());
            prop_assert_eq!(pv.double().unwrap().value().unwrap(), (p + p).into_affine());
            prop_assert!(cs.is_satisfied().unwrap());
        }
    }

    #[test]
    fn costs() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let bits = alloc_bits(cs.clone(), 252, Some(&scalar_bits_le(&scalar(1)))).unwrap();
        let base = cs.num_constraints();
        PointVar::fixed_base_mul(&bits).unwrap();
        let fixed = cs.num_constraints() - base;
        let p = PointVar::new_input(cs.clone(), Some(generator())).unwrap();
        let before = cs.num_constraints();
        p.scalar_mul(&bits).unwrap();
        let var = cs.num_constraints() - before;
        assert_eq!((base, fixed, var), (252, 750, 2_515));
    }

    #[test]
    fn off_curve_point_is_caught() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let g = generator();
        let bad = JubjubAffine::new_unchecked(g.x, g.y + Fr::one());
        PointVar::new_input(cs.clone(), Some(bad))
            .unwrap()
            .enforce_on_curve()
            .unwrap();
        assert!(!cs.is_satisfied().unwrap());
    }
}
