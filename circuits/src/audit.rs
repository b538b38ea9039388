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
    ecc::{mul_generator, JubjubAffine, JubjubScalar},
    poseidon::{keystream, Domain},
};
use ark_bls12_381::Fr;
use ark_ec::{AffineRepr, CurveGroup};

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
