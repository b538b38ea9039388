//! The curve backend of the validator path: arkworks or `blst`.
//!
//! Keys, proofs and transactions stay arkworks types everywhere (the prover, the wire format and
//! the ledger see no difference). Only the group operations a validator repeats for every
//! transaction — checked decompression of the proof points, `zᵢ·Aᵢ`, the multi-Miller loop and
//! the final exponentiation — can run on `blst` (supranational's audited BLS12-381 library,
//! used by Ethereum clients), which is 2–3× faster than arkworks 0.6 on them
//! (`cargo bench -p zkreg-benches --bench primitives`, BENCHMARKS.md).
//!
//! Both libraries keep base-field elements as six 64-bit limbs in Montgomery form with the same
//! `R = 2^384`, so a point moves between them by copying limbs, with no arithmetic and no
//! `unsafe`. Both use the same Fp2/Fp6/Fp12 tower, and the same (ZCash) compressed encoding.
//!
//! What each backend must agree on is tested (`verifier/tests/backends.rs`): decoding of valid
//! and invalid points, and the verdicts of single and batch verification on valid and invalid
//! proofs.

use ark_bls12_381::{Fq, Fq2, G1Affine, G1Projective, G2Affine};
#[cfg(test)]
use ark_bls12_381::{Fq12, Fq6};
use ark_ec::AffineRepr;
use ark_ff::{BigInt, Zero};
#[cfg(test)]
use blst::blst_fp6;
use blst::{
    blst_fp, blst_fp12, blst_fp2, blst_p1, blst_p1_affine, blst_p2_affine,
    min_pk::{PublicKey, Signature},
    MultiPoint,
};
#[cfg(feature = "parallel")]
use rayon::prelude::*;

/// Which library runs the validator's group operations. Verdicts are identical (tested); only
/// speed differs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Backend {
    /// arkworks 0.6 throughout.
    Arkworks,
    /// `blst` for checked decompression of proof points, `zᵢ·Aᵢ`, Miller loops and the final
    /// exponentiation; arkworks for the rest.
    #[default]
    Blst,
}

fn fp(x: &Fq) -> blst_fp {
    blst_fp { l: x.0 .0 }
}

fn fq(x: &blst_fp) -> Fq {
    Fq::new_unchecked(BigInt(x.l))
}

fn fp2(x: &Fq2) -> blst_fp2 {
    blst_fp2 {
        fp: [fp(&x.c0), fp(&x.c1)],
    }
}

fn fq2(x: &blst_fp2) -> Fq2 {
    Fq2::new(fq(&x.fp[0]), fq(&x.fp[1]))
}

#[cfg(test)]
fn fq6(x: &blst_fp6) -> Fq6 {
    Fq6::new(fq2(&x.fp2[0]), fq2(&x.fp2[1]), fq2(&x.fp2[2]))
}

/// An `Fp12` element of `blst` as arkworks' (tests compare pairings across the libraries).
#[cfg(test)]
fn fq12(x: &blst_fp12) -> Fq12 {
    Fq12::new(fq6(&x.fp6[0]), fq6(&x.fp6[1]))
}

/// A G1 point for `blst`. Callers never pass the identity (see [`PairingTerms::push`]).
pub(crate) fn p1(p: &G1Affine) -> blst_p1_affine {
    blst_p1_affine {
        x: fp(&p.x),
        y: fp(&p.y),
    }
}

/// A G2 point for `blst`. Callers never pass the identity.
pub(crate) fn p2(p: &G2Affine) -> blst_p2_affine {
    blst_p2_affine {
        x: fp2(&p.x),
        y: fp2(&p.y),
    }
}

fn g1(p: &blst_p1_affine) -> G1Affine {
    G1Affine::new_unchecked(fq(&p.x), fq(&p.y))
}

fn g2(p: &blst_p2_affine) -> G2Affine {
    G2Affine::new_unchecked(fq2(&p.x), fq2(&p.y))
}

/// A Jacobian `blst` point as arkworks' (both are Jacobian `(X, Y, Z)` ↦ `(X/Z², Y/Z³)`).
fn g1_projective(p: &blst_p1) -> G1Projective {
    G1Projective::new_unchecked(fq(&p.x), fq(&p.y), fq(&p.z))
}

/// `blst`'s checked decompression of a compressed G1 point: flags, `x < q`, on the curve, in the
/// prime-order subgroup, and not the identity. `None` on any failure; the caller then runs the
/// arkworks path, which names the failure exactly as it always did, so errors do not depend on
/// the backend.
pub(crate) fn g1_checked(bytes: &[u8]) -> Option<G1Affine> {
    let pk = PublicKey::uncompress(bytes).ok()?;
    pk.validate().ok()?; // refuses the identity and points outside the subgroup
    Some(g1(&blst_p1_affine::from(pk)))
}

/// [`g1_checked`] for G2.
pub(crate) fn g2_checked(bytes: &[u8]) -> Option<G2Affine> {
    let sig = Signature::uncompress(bytes).ok()?;
    sig.validate(true).ok()?; // `true`: the identity is refused too
    Some(g2(&blst_p2_affine::from(sig)))
}

/// `zᵢ·Pᵢ` for each `i` (`z` as 128-bit little-endian integers), in arkworks form.
pub(crate) fn g1_muls_128(points: &[G1Affine], z: &[u128]) -> Vec<G1Projective> {
    let one = |(p, z): (&G1Affine, &u128)| -> G1Projective {
        if p.is_zero() {
            return G1Projective::zero();
        }
        g1_projective(&MultiPoint::mult(&[p1(p)][..], &z.to_le_bytes(), 128))
    };
    #[cfg(feature = "parallel")]
    return points.par_iter().zip(z.par_iter()).map(one).collect();
    #[cfg(not(feature = "parallel"))]
    return points.iter().zip(z.iter()).map(one).collect();
}

/// `Σᵢ zᵢ·Pᵢ` (Pippenger) with 128-bit `z`.
pub(crate) fn g1_msm_128(points: &[G1Affine], z: &[u128]) -> G1Projective {
    let pts: Vec<blst_p1_affine> = points
        .iter()
        .zip(z)
        .filter(|(p, _)| !p.is_zero())
        .map(|(p, _)| p1(p))
        .collect();
    if pts.is_empty() {
        return G1Projective::zero();
    }
    let scalars: Vec<u8> = points
        .iter()
        .zip(z)
        .filter(|(p, _)| !p.is_zero())
        .flat_map(|(_, z)| z.to_le_bytes())
        .collect();
    g1_projective(&MultiPoint::mult(&pts[..], &scalars, 128))
}

/// The pairs of one product of pairings `Π e(Pᵢ, Qᵢ)`, identities left out (`e(O, Q) = 1`).
#[derive(Default)]
pub(crate) struct PairingTerms {
    g1: Vec<blst_p1_affine>,
    g2: Vec<blst_p2_affine>,
}

impl PairingTerms {
    pub(crate) fn with_capacity(n: usize) -> Self {
        PairingTerms {
            g1: Vec::with_capacity(n),
            g2: Vec::with_capacity(n),
        }
    }

    pub(crate) fn push(&mut self, p: &G1Affine, q: &blst_p2_affine) {
        if !p.is_zero() {
            self.g1.push(p1(p));
            self.g2.push(*q);
        }
    }

    /// The Miller loop of every pair (split over the cores), then one final exponentiation.
    pub(crate) fn pairing(&self) -> blst_fp12 {
        if self.g1.is_empty() {
            return blst_fp12::default(); // one
        }
        #[cfg(feature = "parallel")]
        let ml = {
            let chunk = self
                .g1
                .len()
                .div_ceil(rayon::current_num_threads().max(1))
                .max(1);
            self.g2
                .par_chunks(chunk)
                .zip(self.g1.par_chunks(chunk))
                .map(|(q, p)| blst_fp12::miller_loop_n(q, p))
                .reduce(blst_fp12::default, |a, b| a * b)
        };
        #[cfg(not(feature = "parallel"))]
        let ml = blst_fp12::miller_loop_n(&self.g2, &self.g1);
        ml.final_exp()
    }
}

/// `e(P, Q)` with `blst` (key preparation: `e(α, β)`).
pub(crate) fn pairing(p: &G1Affine, q: &G2Affine) -> blst_fp12 {
    let mut t = PairingTerms::with_capacity(1);
    if !q.is_zero() {
        t.push(p, &p2(q));
    }
    t.pairing()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bls12_381::{Bls12_381, Fr, G2Projective};
    use ark_ec::{pairing::Pairing, CurveGroup, PrimeGroup};
    use ark_serialize::CanonicalSerialize;
    use ark_std::UniformRand;
    use rand::SeedableRng;

    #[test]
    fn points_and_pairings_agree_with_arkworks() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
        for _ in 0..4 {
            let a = (G1Projective::generator() * Fr::rand(&mut rng)).into_affine();
            let b = (G2Projective::generator() * Fr::rand(&mut rng)).into_affine();
            let (mut ab, mut bb) = (Vec::new(), Vec::new());
            a.serialize_compressed(&mut ab)
                .unwrap_or_else(|e| panic!("{e}"));
            b.serialize_compressed(&mut bb)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(g1_checked(&ab), Some(a));
            assert_eq!(g2_checked(&bb), Some(b));
            assert_eq!(g1(&p1(&a)), a);
            assert_eq!(g2(&p2(&b)), b);
            assert_eq!(fq12(&pairing(&a, &b)), Bls12_381::pairing(a, b).0);
            let z = u128::from_le_bytes([7; 16]) ^ rng.next_u64() as u128;
            let expected = a * Fr::from(z);
            assert_eq!(g1_muls_128(&[a], &[z]), vec![expected]);
            assert_eq!(g1_msm_128(&[a, a], &[z, 1]), expected + a);
        }
    }

    use rand::RngCore;
}
