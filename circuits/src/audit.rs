//! Regulator audit encryption: hashed ElGamal on Jubjub with a Poseidon keystream.
//!
//! ```text
//! encrypt(RPK, m[0..N], r):  R = r·G,  S = r·RPK,  k = Poseidon-sponge(AUDIT, S.x, S.y)[0..N],
//!                            c_i = m_i + k_i
//! decrypt(rsk, (R, c)):      S = rsk·R,  m_i = c_i − k_i
//! ```
//!
//! The keystream is one width-`N + 1` permutation (see [`crate::poseidon::keystream`]). Semantic
//! security rests on DDH in the Jubjub subgroup and Poseidon as a random oracle. There is no MAC:
//! the proof that carries the ciphertext is what guarantees it is well formed.

#[cfg(feature = "r1cs")]
pub mod constraints;

use crate::{
    ecc::{coeff_d, mul_generator, JubjubAffine, JubjubScalar},
    poseidon::{keystream, Domain},
};
use ark_bls12_381::Fr;
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{AdditiveGroup, BigInteger, Field, One, PrimeField, Zero};

/// A ciphertext of `N` field elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditCiphertext<const N: usize> {
    /// `R = r·G`.
    pub r_point: JubjubAffine,
    /// `c_i = m_i + k_i`.
    pub c: [Fr; N],
}

/// A regulator's secret key `rsk`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegulatorSecretKey(pub JubjubScalar);

impl RegulatorSecretKey {
    /// `RPK = rsk·G`.
    pub fn public_key(&self) -> JubjubAffine {
        mul_generator(&self.0)
    }
}

/// The keystream derived from the shared point `S`.
pub fn audit_keystream(shared: &JubjubAffine, n: usize) -> Vec<Fr> {
    keystream(Domain::AuditKeystream, &[shared.x, shared.y], n)
}

/// Encrypts `m` to `rpk` with randomness `r`.
pub fn encrypt<const N: usize>(
    rpk: &JubjubAffine,
    m: &[Fr; N],
    r: &JubjubScalar,
) -> AuditCiphertext<N> {
    let shared = (*rpk * r).into_affine();
    let k = audit_keystream(&shared, N);
    AuditCiphertext {
        r_point: mul_generator(r),
        c: std::array::from_fn(|i| m[i] + k[i]),
    }
}

/// The shared point `S = rsk·R` (also what a disclosure proves correct).
pub fn shared_point(rsk: &RegulatorSecretKey, r_point: &JubjubAffine) -> JubjubAffine {
    (r_point.into_group() * rsk.0).into_affine()
}

/// Bits per window of [`PreparedKey`]'s signed-digit recoding (8 odd multiples per point).
const WNAF_WINDOW: usize = 5;

/// A regulator key prepared for many shared points: `rsk`'s width-5 wNAF recoding computed
/// once, then per point `R` a table of its odd multiples `R, 3R, .., 15R`, one doubling per bit
/// and one addition per non-zero digit (about 252 doublings and 42 additions, against 126
/// additions for binary double-and-add), in extended twisted Edwards coordinates with `a = −1`
/// (complete formulas, Hisil–Wong–Carter–Dawson 2008: `dbl-2008-hwcd`, and `add-2008-hwcd-3`
/// against table entries kept as `(Y−X, Y+X, 2d·T, 2Z)`), skipping `T` where the next step does
/// not read it. A batch is normalised with one inversion. Gives exactly [`shared_point`]'s
/// points.
#[derive(Clone, Debug)]
pub struct PreparedKey {
    key: RegulatorSecretKey,
    /// Signed digits of `rsk`, least significant first.
    digits: Vec<i64>,
}

/// A point in extended coordinates: `x = X/Z`, `y = Y/Z`, `T = XY/Z`.
#[derive(Clone, Copy)]
struct Ext {
    x: Fr,
    y: Fr,
    z: Fr,
    t: Fr,
}

/// A table entry: `(Y−X, Y+X, 2d·T, 2Z)`.
#[derive(Clone, Copy)]
struct Cached {
    y_minus_x: Fr,
    y_plus_x: Fr,
    t2d: Fr,
    z2: Fr,
}

impl Ext {
    fn from_affine(p: &JubjubAffine) -> Self {
        Ext {
            x: p.x,
            y: p.y,
            z: Fr::one(),
            t: p.x * p.y,
        }
    }

    fn cached(&self, d2: &Fr) -> Cached {
        Cached {
            y_minus_x: self.y - self.x,
            y_plus_x: self.y + self.x,
            t2d: self.t * d2,
            z2: self.z.double(),
        }
    }

    /// `2·self` (`dbl-2008-hwcd`, `a = −1`); `T` only when `with_t`.
    fn double(&self, with_t: bool) -> Self {
        let a = self.x.square();
        let b = self.y.square();
        let c = self.z.square().double();
        let e = (self.x + self.y).square() - a - b;
        let g = b - a; // D + B with D = −A
        let f = g - c;
        let h = -a - b; // D − B
        Ext {
            x: e * f,
            y: g * h,
            z: f * g,
            t: if with_t { e * h } else { Fr::zero() },
        }
    }

    /// `self ± q` (`add-2008-hwcd-3`, `a = −1`); needs `self.t`; `T` only when `with_t`.
    fn add(&self, q: &Cached, negate: bool, with_t: bool) -> Self {
        let (qm, qp, qt) = if negate {
            (q.y_plus_x, q.y_minus_x, -q.t2d)
        } else {
            (q.y_minus_x, q.y_plus_x, q.t2d)
        };
        let a = (self.y - self.x) * qm;
        let b = (self.y + self.x) * qp;
        let c = self.t * qt;
        let d = self.z * q.z2;
        let (e, f, g, h) = (b - a, d - c, d + c, b + a);
        Ext {
            x: e * f,
            y: g * h,
            z: f * g,
            t: if with_t { e * h } else { Fr::zero() },
        }
    }
}

impl PreparedKey {
    /// Recodes `rsk` once.
    pub fn new(key: &RegulatorSecretKey) -> Self {
        let digits = key
            .0
            .into_bigint()
            .find_wnaf(WNAF_WINDOW)
            .unwrap_or_default();
        PreparedKey { key: *key, digits }
    }

    /// The key.
    pub fn key(&self) -> &RegulatorSecretKey {
        &self.key
    }

    /// `rsk·R` in projective form.
    fn mul(&self, r: &JubjubAffine) -> Ext {
        let d2 = coeff_d().double();
        let base = Ext::from_affine(r);
        let twice = base.double(true).cached(&d2);
        let mut ext = [base; 1 << (WNAF_WINDOW - 2)];
        for i in 1..ext.len() {
            ext[i] = ext[i - 1].add(&twice, false, true);
        }
        let table = ext.map(|e| e.cached(&d2));
        let mut acc: Option<Ext> = None;
        for &digit in self.digits.iter().rev() {
            let next_adds = digit != 0;
            if let Some(a) = acc.as_mut() {
                *a = a.double(next_adds);
            }
            if digit != 0 {
                let k = (digit.unsigned_abs() / 2) as usize;
                acc = Some(match acc {
                    None if digit > 0 => ext[k],
                    None => {
                        let e = ext[k];
                        Ext {
                            x: -e.x,
                            t: -e.t,
                            ..e
                        }
                    }
                    // T is read by the next step only if it is an addition, and a doubling
                    // always follows an addition.
                    Some(a) => a.add(&table[k], digit < 0, false),
                });
            }
        }
        acc.unwrap_or(Ext {
            x: Fr::zero(),
            y: Fr::one(),
            z: Fr::one(),
            t: Fr::zero(),
        })
    }

    /// `rsk·R` for every point, normalised together (one inversion).
    pub fn shared_points(&self, points: &[JubjubAffine]) -> Vec<JubjubAffine> {
        let projective: Vec<Ext> = points.iter().map(|r| self.mul(r)).collect();
        let mut inv: Vec<Fr> = projective.iter().map(|p| p.z).collect();
        ark_ff::batch_inversion(&mut inv);
        projective
            .iter()
            .zip(inv)
            .map(|(p, zi)| JubjubAffine::new_unchecked(p.x * zi, p.y * zi))
            .collect()
    }

    /// `rsk·R`.
    pub fn shared_point(&self, r: &JubjubAffine) -> JubjubAffine {
        self.shared_points(std::slice::from_ref(r))
            .pop()
            .unwrap_or_else(|| shared_point(&self.key, r))
    }
}

/// Decrypts with the regulator key. A wrong key yields unrelated field elements.
pub fn decrypt<const N: usize>(rsk: &RegulatorSecretKey, ct: &AuditCiphertext<N>) -> [Fr; N] {
    let k = audit_keystream(&shared_point(rsk, &ct.r_point), N);
    std::array::from_fn(|i| ct.c[i] - k[i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_std::UniformRand;

    #[test]
    fn prepared_key_gives_exactly_shared_point() {
        let mut rng = ark_std::test_rng();
        for _ in 0..8 {
            let rsk = RegulatorSecretKey(JubjubScalar::rand(&mut rng));
            let prepared = PreparedKey::new(&rsk);
            let points: Vec<JubjubAffine> = (0..17)
                .map(|_| mul_generator(&JubjubScalar::rand(&mut rng)))
                .collect();
            let want: Vec<_> = points.iter().map(|r| shared_point(&rsk, r)).collect();
            assert_eq!(prepared.shared_points(&points), want);
            assert_eq!(prepared.shared_point(&points[0]), want[0]);
        }
        // Small and edge scalars.
        let g = mul_generator(&JubjubScalar::from(3u64));
        for k in [0u64, 1, 2, 15, 16, 17, 31, 32, 33] {
            let rsk = RegulatorSecretKey(JubjubScalar::from(k));
            assert_eq!(
                PreparedKey::new(&rsk).shared_point(&g),
                shared_point(&rsk, &g),
                "k = {k}"
            );
        }
        let minus_one = RegulatorSecretKey(-JubjubScalar::one());
        assert_eq!(
            PreparedKey::new(&minus_one).shared_point(&g),
            shared_point(&minus_one, &g)
        );
    }

    #[test]
    fn decrypt_recovers_and_wrong_key_does_not() {
        let mut rng = ark_std::test_rng();
        let rsk = RegulatorSecretKey(JubjubScalar::rand(&mut rng));
        let other = RegulatorSecretKey(JubjubScalar::rand(&mut rng));
        let m: [Fr; 8] = std::array::from_fn(|i| Fr::from(i as u64 * 77 + 1));
        let ct = encrypt(&rsk.public_key(), &m, &JubjubScalar::rand(&mut rng));
        assert_eq!(decrypt(&rsk, &ct), m);
        let wrong = decrypt(&other, &ct);
        assert!(wrong.iter().zip(m.iter()).all(|(a, b)| a != b));
    }
}
