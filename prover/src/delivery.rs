//! Delivery encryption: output notes to their recipient, grants to their institution.
//!
//! ```text
//! esk ← random 32 bytes,  epk = X25519(esk, 9),  shared = X25519(esk, pk_d)
//! key = BLAKE2b-256("zkreg/v1/delivery" ‖ shared ‖ epk ‖ pk_d)
//! ciphertext = epk ‖ ChaCha20-Poly1305(key, nonce = 0, plaintext, aad = commitment)
//! ```
//!
//! The key is fresh per message, so the zero nonce never repeats under one key. The associated
//! data is the note (or grant) commitment, so a ciphertext cannot be moved to another output;
//! the transaction's `binding` covers the ciphertext, so it cannot be swapped either.
//!
//! # Why X25519 and not Jubjub (docs/PROTOCOL.md, "Delivery key agreement")
//!
//! Delivery is off-circuit: no statement mentions `ivk`, `pk_d` or a delivery ciphertext, so the
//! key agreement is free to use the fastest well-kept curve. Trial decryption is what a wallet
//! does for every output of the chain, so its cost is the scanning rate. Measured on this 2-core
//! machine, one core (BENCHMARKS.md, issue #15): a failing Jubjub trial decryption cost 283 µs
//! (22 µs decompression, 82 µs subgroup check, 84 µs variable-base multiplication, plus the
//! inversion to affine); the best Jubjub path (no subgroup check but cofactor clearing, a wNAF
//! multiplication, batched inversion) would cost about 92 µs; an X25519 agreement
//! (`x25519-dalek`) costs 53 µs and needs no decompression at all.
//!
//! X25519 also needs no point validation: every 32-byte string is the u-coordinate of a point on
//! the curve or its twist (both twist-secure), and the scalar is clamped to a multiple of the
//! cofactor 8, so a small-order component of a hostile `epk` is cleared and leaks nothing about
//! `ivk`. An `epk` of small order gives the all-zero shared secret, which [`open`] refuses
//! (non-contributory); [`crate::keys::Address::from_bytes`] refuses such a `pk_d` the same way.

use crate::wallet::LedgerOutput;
use ark_bls12_381::Fr;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use blake2::{digest::consts::U32, Blake2b, Digest};
use chacha20poly1305::{
    aead::{Aead, KeyInit, Payload},
    ChaCha20Poly1305, Key, Nonce,
};
use rand::{CryptoRng, RngCore};
use rayon::prelude::*;
use x25519_dalek::{PublicKey, StaticSecret};
use zkreg_circuits::{grant::Grant, note::Note};

/// Bytes of a note plaintext: asset, value, owner, rho, rcm.
pub const NOTE_PLAINTEXT_BYTES: usize = 32 + 8 + 32 + 32 + 32;
/// Bytes of a grant plaintext: owner_id, inst_id, dataset, purpose, expiry, gsecret.
pub const GRANT_PLAINTEXT_BYTES: usize = 32 * 5 + 8;
/// Bytes of the ephemeral key that starts every delivery ciphertext.
pub const EPK_BYTES: usize = 32;
/// Bytes of the AEAD tag.
const TAG_BYTES: usize = 16;

/// A delivery public key `pk_d` (an X25519 public key, 32 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DeliveryPublicKey(pub [u8; 32]);

impl DeliveryPublicKey {
    /// Whether agreeing with this key gives a secret that depends on our scalar: false exactly
    /// for the small-order points, with which every sender would share the all-zero secret.
    pub fn is_contributory(&self) -> bool {
        StaticSecret::from([1u8; 32])
            .diffie_hellman(&PublicKey::from(self.0))
            .was_contributory()
    }
}

/// An incoming viewing (delivery) key `ivk`, prepared once: opening a ciphertext is one X25519
/// agreement, one BLAKE2b and one AEAD check.
#[derive(Clone)]
pub struct IncomingViewingKey {
    secret: StaticSecret,
    pk_d: DeliveryPublicKey,
}

impl IncomingViewingKey {
    /// The key of 32 secret bytes (X25519 clamps them).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let secret = StaticSecret::from(bytes);
        let pk_d = DeliveryPublicKey(PublicKey::from(&secret).to_bytes());
        IncomingViewingKey { secret, pk_d }
    }

    /// The secret bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.secret.to_bytes()
    }

    /// `pk_d`, where senders deliver to this key.
    pub fn public(&self) -> DeliveryPublicKey {
        self.pk_d
    }
}

impl PartialEq for IncomingViewingKey {
    fn eq(&self, other: &Self) -> bool {
        self.secret.as_bytes() == other.secret.as_bytes()
    }
}

impl Eq for IncomingViewingKey {}

impl std::fmt::Debug for IncomingViewingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IncomingViewingKey(pk_d {})", hex::encode(self.pk_d.0))
    }
}

fn fr_bytes(x: &Fr, out: &mut Vec<u8>) {
    let _ = x.serialize_compressed(out);
}

fn read_fr(bytes: &[u8]) -> Option<Fr> {
    Fr::deserialize_compressed(bytes).ok()
}

fn read_u64(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.try_into().ok()?))
}

fn key(shared: &[u8; 32], epk: &[u8; 32], pk_d: &DeliveryPublicKey) -> Key {
    let mut h = Blake2b::<U32>::new();
    h.update(b"zkreg/v1/delivery");
    h.update(shared);
    h.update(epk);
    h.update(pk_d.0);
    *Key::from_slice(&h.finalize())
}

fn aad_of(aad: &Fr) -> [u8; 32] {
    let mut out = [0u8; 32];
    let _ = aad.serialize_compressed(&mut out[..]);
    out
}

/// Encrypts `plaintext` to `pk_d`, authenticated with `aad`.
pub fn seal<R: RngCore + CryptoRng>(
    pk_d: &DeliveryPublicKey,
    aad: &Fr,
    plaintext: &[u8],
    rng: &mut R,
) -> Vec<u8> {
    let mut esk = [0u8; 32];
    rng.fill_bytes(&mut esk);
    let esk = StaticSecret::from(esk);
    let epk = PublicKey::from(&esk).to_bytes();
    let shared = esk.diffie_hellman(&PublicKey::from(pk_d.0));
    let cipher = ChaCha20Poly1305::new(&key(shared.as_bytes(), &epk, pk_d));
    let mut out = Vec::with_capacity(EPK_BYTES + plaintext.len() + TAG_BYTES);
    out.extend_from_slice(&epk);
    // Encryption with a 32-byte key and a short message cannot fail.
    if let Ok(ct) = cipher.encrypt(
        Nonce::from_slice(&[0u8; 12]),
        Payload {
            msg: plaintext,
            aad: &aad_of(aad),
        },
    ) {
        out.extend_from_slice(&ct);
    }
    out
}

/// Decrypts with `ivk`; `None` if the ciphertext is not for us (or was altered, or its `epk` is
/// of small order).
pub fn open(ivk: &IncomingViewingKey, aad: &Fr, ciphertext: &[u8]) -> Option<Vec<u8>> {
    if ciphertext.len() < EPK_BYTES + TAG_BYTES {
        return None;
    }
    let epk: [u8; 32] = ciphertext[..EPK_BYTES].try_into().ok()?;
    let shared = ivk.secret.diffie_hellman(&PublicKey::from(epk));
    if !shared.was_contributory() {
        return None;
    }
    ChaCha20Poly1305::new(&key(shared.as_bytes(), &epk, &ivk.pk_d))
        .decrypt(
            Nonce::from_slice(&[0u8; 12]),
            Payload {
                msg: &ciphertext[EPK_BYTES..],
                aad: &aad_of(aad),
            },
        )
        .ok()
}

/// Trial-decrypts `outputs` with every key of `ivks`, on every core: entry `i` of the result is
/// `Some((k, note))` when output `i` opens under `ivks[k]` to a note of `owners[k]` that opens its
/// commitment. This is a wallet's scanning loop; its rate is `scan_outputs_per_s`.
pub fn trial_decrypt(
    ivks: &[IncomingViewingKey],
    owners: &[Fr],
    outputs: &[LedgerOutput],
) -> Vec<Option<(usize, Note)>> {
    outputs
        .par_iter()
        .with_min_len(64)
        .map(|o| {
            ivks.iter()
                .zip(owners)
                .enumerate()
                .find_map(|(k, (ivk, owner))| {
                    open_note(ivk, &o.cm, &o.delivery)
                        .filter(|n| n.owner == *owner)
                        .map(|n| (k, n))
                })
        })
        .collect()
}

/// Encrypts an output note to its recipient, bound to its commitment.
pub fn seal_note<R: RngCore + CryptoRng>(
    pk_d: &DeliveryPublicKey,
    note: &Note,
    rng: &mut R,
) -> Vec<u8> {
    let mut p = Vec::with_capacity(NOTE_PLAINTEXT_BYTES);
    fr_bytes(&note.asset, &mut p);
    p.extend_from_slice(&note.value.to_le_bytes());
    fr_bytes(&note.owner, &mut p);
    fr_bytes(&note.rho, &mut p);
    fr_bytes(&note.rcm, &mut p);
    seal(pk_d, &note.commitment(), &p, rng)
}

/// Decrypts a note delivered for commitment `cm`; checks that the note opens `cm`.
pub fn open_note(ivk: &IncomingViewingKey, cm: &Fr, ciphertext: &[u8]) -> Option<Note> {
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
pub fn seal_grant<R: RngCore + CryptoRng>(
    pk_d: &DeliveryPublicKey,
    g: &Grant,
    rng: &mut R,
) -> Vec<u8> {
    let mut p = Vec::with_capacity(GRANT_PLAINTEXT_BYTES);
    for x in [g.owner_id, g.inst_id, g.dataset, g.purpose] {
        fr_bytes(&x, &mut p);
    }
    p.extend_from_slice(&g.expiry.to_le_bytes());
    fr_bytes(&g.gsecret, &mut p);
    seal(pk_d, &g.commitment(), &p, rng)
}

/// Decrypts a grant delivered for `gcm`; checks that it opens `gcm`.
pub fn open_grant(ivk: &IncomingViewingKey, gcm: &Fr, ciphertext: &[u8]) -> Option<Grant> {
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
