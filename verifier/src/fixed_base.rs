//! Fixed-base multi-scalar multiplication over the verifying key's input bases `Γⱼ`.
//!
//! Every verification computes `IC = Σⱼ cⱼ Γⱼ` over the same 4–23 bases. A Pippenger MSM that
//! small is little better than one double-and-add per base: 1.31 ms for the payment key's 23
//! full-size scalars on the project machine (`cargo bench --bench primitives`), about 45% of a
//! single verification. Because the bases never change, this module stores, per base and per
//! 6-bit window `w`, the multiples `d · 2^{6w} · Γⱼ` for `d = 1..63` (affine, 43 windows), and
//! `Σⱼ cⱼ Γⱼ` becomes one mixed addition per non-zero 6-bit digit: at most 43 per full-size
//! scalar, none for the zero and few for the `u64` inputs. The tables take
//! `43 · 63 · 104 B ≈ 282 KB` per base, ≈ 15 MB for the four keys, built once when the keys are
//! loaded.

use ark_bls12_381::{Fr, G1Affine, G1Projective};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{PrimeField, Zero};
#[cfg(feature = "parallel")]
use rayon::prelude::*;

/// Bits per window.
const WINDOW: usize = 6;
/// Windows covering a 255-bit scalar.
const WINDOWS: usize = (Fr::MODULUS_BIT_SIZE as usize).div_ceil(WINDOW);
/// Multiples stored per window (`1..2^WINDOW`; the digit 0 adds nothing).
const MULTIPLES: usize = (1 << WINDOW) - 1;

/// Precomputed multiples of fixed G1 bases.
#[derive(Clone)]
pub(crate) struct FixedBaseTable {
    /// `tables[j][w][d - 1] = d · 2^{WINDOW·w} · bases[j]`.
    tables: Vec<Vec<Vec<G1Affine>>>,
}

impl FixedBaseTable {
    /// Precomputes the windows of every base.
    pub(crate) fn new(bases: &[G1Affine]) -> Self {
        let one_base = |base: &G1Affine| -> Vec<Vec<G1Affine>> {
            let mut windows = Vec::with_capacity(WINDOWS);
            let mut start = base.into_group();
            for _ in 0..WINDOWS {
                let mut multiples = Vec::with_capacity(MULTIPLES);
                let mut acc = start;
                for _ in 0..MULTIPLES {
                    multiples.push(acc);
                    acc += start;
                }
                windows.push(G1Projective::normalize_batch(&multiples));
                start = acc; // 2^WINDOW · start
            }
            windows
        };
        #[cfg(feature = "parallel")]
        let tables = bases.par_iter().map(one_base).collect();
        #[cfg(not(feature = "parallel"))]
        let tables = bases.iter().map(one_base).collect();
        FixedBaseTable { tables }
    }

    /// Number of bases.
    pub(crate) fn len(&self) -> usize {
        self.tables.len()
    }

    /// `Σⱼ scalars[j] · bases[j]`; `None` if the number of scalars is not the number of bases.
    pub(crate) fn msm(&self, scalars: &[Fr]) -> Option<G1Projective> {
        if scalars.len() != self.tables.len() {
            return None;
        }
        let mut acc = G1Projective::zero();
        for (windows, scalar) in self.tables.iter().zip(scalars) {
            let limbs = scalar.into_bigint().0;
            for (w, multiples) in windows.iter().enumerate() {
                let digit = digit(&limbs, w * WINDOW);
                if digit != 0 {
                    acc += &multiples[digit - 1];
                }
            }
        }
        Some(acc)
    }
}

impl std::fmt::Debug for FixedBaseTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FixedBaseTable({} bases)", self.len())
    }
}

/// The `WINDOW` bits of a little-endian 4-limb integer starting at bit `bit`.
fn digit(limbs: &[u64; 4], bit: usize) -> usize {
    let (limb, offset) = (bit / 64, bit % 64);
    let low = limbs.get(limb).map_or(0, |l| l >> offset);
    let high = match (offset + WINDOW > 64, limbs.get(limb + 1)) {
        (true, Some(next)) => next << (64 - offset),
        _ => 0,
    };
    ((low | high) & ((1 << WINDOW) - 1)) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::VariableBaseMSM;
    use ark_std::UniformRand;
    use rand::SeedableRng;

    #[test]
    fn equals_the_variable_base_msm() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(4);
        let bases: Vec<G1Affine> = (0..5)
            .map(|_| G1Projective::rand(&mut rng).into_affine())
            .collect();
        let table = FixedBaseTable::new(&bases);
        assert_eq!(table.len(), 5);
        let edge = [
            Fr::zero(),
            Fr::from(1u64),
            Fr::from(63u64),
            Fr::from(64u64),
            Fr::from(u64::MAX),
            -Fr::from(1u64), // r − 1: every window of a 255-bit scalar in use
        ];
        for round in 0..8 {
            let scalars: Vec<Fr> = (0..5)
                .map(|i| match round {
                    0..=5 => edge[(round + i) % edge.len()],
                    _ => Fr::rand(&mut rng),
                })
                .collect();
            let expected = G1Projective::msm(&bases, &scalars).ok();
            assert_eq!(table.msm(&scalars), expected, "round {round}");
        }
        assert_eq!(table.msm(&[Fr::zero(); 4]), None);
    }
}
