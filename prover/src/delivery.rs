//! Delivery encryption: output notes to their recipient, grants to their institution.
//!
//! ```text
//! esk ← random,  epk = esk·G,  shared = esk·pk_d
//! key = BLAKE2b-256("zkreg/v1/delivery" ‖ shared ‖ epk)
//! ciphertext = epk ‖ ChaCha20-Poly1305(key, nonce = 0, plaintext, aad = commitment)
//! ```
//!
//! The key is fresh per message, so the zero nonce never repeats under one key. The associated
//! data is the note (or grant) commitment, so a ciphertext cannot be moved to another output;
//! the transaction's `binding` covers the ciphertext, so it cannot be swapped either.

use ark_bls12_381::Fr;
use ark_ec::{AffineRepr, CurveGroup};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_std::UniformRand;
use blake2::{digest::consts::U32, Blake2b, Digest};
use chacha20poly1305::{
    aead::{Aead, KeyInit, Payload},
    ChaCha20Poly1305, Key, Nonce,
};
use rand::{CryptoRng, RngCore};
use zkreg_circuits::{
    ecc::{checked_public_key, mul_generator, JubjubAffine, JubjubScalar},
    grant::Grant,
    note::Note,
};

/// Bytes of a note plaintext: asset, value, owner, rho, rcm.
pub const NOTE_PLAINTEXT_BYTES: usize = 32 + 8 + 32 + 32 + 32;
/// Bytes of a grant plaintext: owner_id, inst_id, dataset, purpose, expiry, gsecret.
pub const GRANT_PLAINTEXT_BYTES: usize = 32 * 5 + 8;

fn fr_bytes(x: &Fr, out: &mut Vec<u8>) {
    let _ = x.serialize_compressed(out);
}

fn read_fr(bytes: &[u8]) -> Option<Fr> {
    Fr::deserialize_compressed(bytes).ok()
}

fn read_u64(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.try_into().ok()?))
}

fn key(shared: &JubjubAffine, epk: &JubjubAffine) -> Key {
    let mut h = Blake2b::<U32>::new();
    h.update(b"zkreg/v1/delivery");
    let mut buf = Vec::with_capacity(64);
    let _ = shared.serialize_compressed(&mut buf);
    let _ = epk.serialize_compressed(&mut buf);
    h.update(&buf);
    *Key::from_slice(&h.finalize())
}

/// Encrypts `plaintext` to `pk_d`, authenticated with `aad`.
pub fn seal<R: RngCore + CryptoRng>(
    pk_d: &JubjubAffine,
    aad: &Fr,
    plaintext: &[u8],
    rng: &mut R,
) -> Vec<u8> {
    let esk = JubjubScalar::rand(rng);
    let epk = mul_generator(&esk);
    let shared = (*pk_d * esk).into_affine();
    let mut aad_bytes = Vec::with_capacity(32);
    fr_bytes(aad, &mut aad_bytes);
    let cipher = ChaCha20Poly1305::new(&key(&shared, &epk));
    let mut out = Vec::with_capacity(32 + plaintext.len() + 16);
    let _ = epk.serialize_compressed(&mut out);
    // Encryption with a 32-byte key and a short message cannot fail.
    if let Ok(ct) = cipher.encrypt(
        Nonce::from_slice(&[0u8; 12]),
        Payload {
            msg: plaintext,
            aad: &aad_bytes,
        },
    ) {
        out.extend_from_slice(&ct);
    }
    out
}

/// Decrypts with `ivk`; `None` if the ciphertext is not for us (or was altered).
pub fn open(ivk: &JubjubScalar, aad: &Fr, ciphertext: &[u8]) -> Option<Vec<u8>> {
    if ciphertext.len() < 32 + 16 {
        return None;
    }
    let epk = JubjubAffine::deserialize_compressed(&ciphertext[..32]).ok()?;
    let epk = checked_public_key(epk.x, epk.y).ok()?;
    let shared = (epk.into_group() * ivk).into_affine();
    let mut aad_bytes = Vec::with_capacity(32);
    fr_bytes(aad, &mut aad_bytes);
    ChaCha20Poly1305::new(&key(&shared, &epk))
        .decrypt(
            Nonce::from_slice(&[0u8; 12]),
            Payload {
                msg: &ciphertext[32..],
                aad: &aad_bytes,
            },
        )
        .ok()
}

/// Encrypts an output note to its recipient, bound to its commitment.
pub fn seal_note<R: RngCore + CryptoRng>(pk_d: &JubjubAffine, note: &Note, rng: &mut R) -> Vec<u8> {
    let mut p = Vec::with_capacity(NOTE_PLAINTEXT_BYTES);
    fr_bytes(&note.asset, &mut p);
    p.extend_from_slice(&note.value.to_le_bytes());
    fr_bytes(&note.owner, &mut p);
    fr_bytes(&note.rho, &mut p);
    fr_bytes(&note.rcm, &mut p);
    seal(pk_d, &note.commitment(), &p, rng)
}

/// Decrypts a note delivered for commitment `cm`; checks that the note opens `cm`.
pub fn open_note(ivk: &JubjubScalar, cm: &Fr, ciphertext: &[u8]) -> Option<Note> {
    let p = open(ivk, cm, ciphertext)?;
    if p.len() != NOTE_PLAINTEXT_BYTES {
        return None;
    }
    let note = Note {
        asset: read_fr(&p[0..32])?,
        value: read_u64(&p[32..40])?,
        owner: read_fr(&p[40..72])?,
        rho: read_fr(&p[72..104])?,
        rcm: read_fr(&p[104..136])?,
    };
    (note.commitment() == *cm).then_some(note)
}

/// Encrypts a grant (with its `gsecret`) to the institution, bound to `gcm`.
pub fn seal_grant<R: RngCore + CryptoRng>(pk_d: &JubjubAffine, g: &Grant, rng: &mut R) -> Vec<u8> {
    let mut p = Vec::with_capacity(GRANT_PLAINTEXT_BYTES);
    for x in [g.owner_id, g.inst_id, g.dataset, g.purpose] {
        fr_bytes(&x, &mut p);
    }
    p.extend_from_slice(&g.expiry.to_le_bytes());
    fr_bytes(&g.gsecret, &mut p);
    seal(pk_d, &g.commitment(), &p, rng)
}

/// Decrypts a grant delivered for `gcm`; checks that it opens `gcm`.
pub fn open_grant(ivk: &JubjubScalar, gcm: &Fr, ciphertext: &[u8]) -> Option<Grant> {
    let p = open(ivk, gcm, ciphertext)?;
    if p.len() != GRANT_PLAINTEXT_BYTES {
        return None;
    }
    let g = Grant {
        owner_id: read_fr(&p[0..32])?,
        inst_id: read_fr(&p[32..64])?,
        dataset: read_fr(&p[64..96])?,
        purpose: read_fr(&p[96..128])?,
        expiry: read_u64(&p[128..136])?,
        gsecret: read_fr(&p[136..168])?,
    };
    (g.commitment() == *gcm).then_some(g)
}

pub use zkreg_circuits::labels::label_to_field;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::WalletKeys;
    use rand::SeedableRng;

    #[test]
    fn notes_reach_only_their_recipient() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
        let bob = WalletKeys::random(&mut rng);
        let eve = WalletKeys::random(&mut rng);
        let note = Note::new(Fr::from(1u64), 42, bob.owner(), &mut rng);
        let ct = seal_note(&bob.address().pk_d, &note, &mut rng);
        assert!(ct.len() <= zkreg_verifier::MAX_DELIVERY_BYTES);
        assert_eq!(open_note(&bob.ivk, &note.commitment(), &ct), Some(note));
        assert_eq!(open_note(&eve.ivk, &note.commitment(), &ct), None);
        assert_eq!(
            open_note(&bob.ivk, &(note.commitment() + Fr::from(1u64)), &ct),
            None
        );
        let mut bad = ct.clone();
        bad[40] ^= 1;
        assert_eq!(open_note(&bob.ivk, &note.commitment(), &bad), None);
        assert_eq!(open_note(&bob.ivk, &note.commitment(), &ct[..10]), None);
    }

    #[test]
    fn grants_reach_the_institution() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(4);
        let inst = WalletKeys::random(&mut rng);
        let g = Grant {
            owner_id: Fr::from(1u64),
            inst_id: inst.owner(),
            dataset: label_to_field("rent-payments"),
            purpose: label_to_field("credit-underwriting"),
            expiry: 99,
            gsecret: Fr::from(5u64),
        };
        let ct = seal_grant(&inst.address().pk_d, &g, &mut rng);
        assert!(ct.len() <= zkreg_verifier::MAX_DELIVERY_BYTES);
        assert_eq!(open_grant(&inst.ivk, &g.commitment(), &ct), Some(g));
    }
}
