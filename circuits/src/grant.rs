//! Grants and statement 2 — grant (the data owner approves an institution's request).
//!
//! A grant `g = (owner_id, inst_id, dataset, purpose, expiry, gsecret)` lives in the grant tree as
//! `gcm = H(GRANT, g)`. `gsecret` reaches the institution encrypted off-circuit; it makes `gcm`
//! hiding and keys the access tags the owner later recognises ([`Grant::access_tag`]).
//!
//! Public: `gcm, RPK, audit ct, binding` ([`layout`]). Private: `sk_owner`, `g`, `r`.
//!
//! | rule | what the proof shows |
//! |---|---|
//! | G1 | `g.owner_id = H(OWNER, sk_owner)` |
//! | G2 | `gcm = H(GRANT, g)` |
//! | G3 | `expiry < 2^64` |
//! | G4 | the audit ct encrypts `(owner_id, inst_id, dataset, purpose, expiry, gcm)` to `RPK` |
//! | G5 | `binding` is bound as a public input |

#[cfg(feature = "r1cs")]
pub mod constraints;

use crate::{
    audit::{decrypt, encrypt, AuditCiphertext, RegulatorSecretKey},
    ecc::{JubjubAffine, JubjubScalar},
    keys::owner_of,
    poseidon::{hash, Domain},
};
use ark_bls12_381::Fr;
use ark_ff::{BigInteger, PrimeField};

/// Field elements in the grant audit plaintext.
pub const AUDIT_FIELDS: usize = 6;
/// The grant audit ciphertext.
pub type GrantCiphertext = AuditCiphertext<AUDIT_FIELDS>;

/// A consent record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grant {
    /// Owner id of the data owner (`H(OWNER, sk_owner)`).
    pub owner_id: Fr,
    /// Owner id of the institution (`H(OWNER, sk_inst)`).
    pub inst_id: Fr,
    /// Dataset identifier (e.g. a hash of its name).
    pub dataset: Fr,
    /// Purpose identifier.
    pub purpose: Fr,
    /// Expiry time (seconds since the epoch, the ledger's block-time scale).
    pub expiry: u64,
    /// Secret shared with the institution; makes `gcm` hiding and keys access tags.
    pub gsecret: Fr,
}

impl Grant {
    /// `gcm = H(GRANT, owner_id, inst_id, dataset, purpose, expiry, gsecret)`.
    pub fn commitment(&self) -> Fr {
        grant_commitment(self, Fr::from(self.expiry))
    }

    /// `tag = H(ACCESS, gsecret, binding)`: the owner recomputes it for each on-ledger access to
    /// recognise the ones made with its grant.
    pub fn access_tag(&self, binding: Fr) -> Fr {
        hash(Domain::AccessTag, &[self.gsecret, binding])
    }
}

/// `gcm` with the expiry given as a field element (tests use out-of-range expiries).
pub(crate) fn grant_commitment(g: &Grant, expiry: Fr) -> Fr {
    hash(
        Domain::Grant,
        &[
            g.owner_id, g.inst_id, g.dataset, g.purpose, expiry, g.gsecret,
        ],
    )
}

/// Index of each public input of the grant statement.
pub mod layout {
    /// Grant commitment.
    pub const GCM: usize = 0;
    /// Regulator public key `(x, y)`.
    pub const RPK: usize = 1;
    /// Audit ciphertext point `R`.
    pub const AUDIT_R: usize = 3;
    /// Audit ciphertext elements.
    pub const AUDIT_C: usize = 5;
    /// Binding of the non-proof transaction fields.
    pub const BINDING: usize = AUDIT_C + super::AUDIT_FIELDS;
    /// Number of public inputs.
    pub const LEN: usize = BINDING + 1;
}

/// Public statement of a grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GrantPublic {
    /// Grant commitment appended to the grant tree.
    pub gcm: Fr,
    /// Regulator key.
    pub rpk: JubjubAffine,
    /// Audit ciphertext.
    pub audit: GrantCiphertext,
    /// Binding (covers the encrypted `gsecret` delivery, memo ...).
    pub binding: Fr,
}

impl GrantPublic {
    /// The public inputs in [`layout`] order.
    pub fn to_field_elements(&self) -> Vec<Fr> {
        let mut v = vec![self.gcm, self.rpk.x, self.rpk.y];
        v.extend_from_slice(&[self.audit.r_point.x, self.audit.r_point.y]);
        v.extend_from_slice(&self.audit.c);
        v.push(self.binding);
        debug_assert_eq!(v.len(), layout::LEN);
        v
    }
}

/// Private witness of a grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GrantWitness {
    /// The data owner's spending key.
    pub sk_owner: Fr,
    /// The grant.
    pub grant: Grant,
    /// Audit randomness.
    pub audit_r: JubjubScalar,
}

/// What the regulator reads from a grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditedGrant {
    /// Data owner.
    pub owner_id: Fr,
    /// Institution.
    pub inst_id: Fr,
    /// Dataset.
    pub dataset: Fr,
    /// Purpose.
    pub purpose: Fr,
    /// Expiry.
    pub expiry: u64,
    /// Grant commitment (links later accesses to this grant).
    pub gcm: Fr,
}

/// A field element that holds a `u64`, or `None`.
pub fn field_to_u64(x: Fr) -> Option<u64> {
    let bytes = x.into_bigint().to_bytes_le();
    if bytes[8..].iter().any(|b| *b != 0) {
        return None;
    }
    Some(u64::from_le_bytes(bytes[..8].try_into().ok()?))
}

impl AuditedGrant {
    /// The plaintext of rule G4.
    pub fn to_plaintext(&self) -> [Fr; AUDIT_FIELDS] {
        [
            self.owner_id,
            self.inst_id,
            self.dataset,
            self.purpose,
            Fr::from(self.expiry),
            self.gcm,
        ]
    }

    /// Decrypts a grant's audit ciphertext (`None` if the expiry slot is not a `u64`: wrong key).
    pub fn decrypt(rsk: &RegulatorSecretKey, ct: &GrantCiphertext) -> Option<Self> {
        let m = decrypt(rsk, ct);
        Some(AuditedGrant {
            owner_id: m[0],
            inst_id: m[1],
            dataset: m[2],
            purpose: m[3],
            expiry: field_to_u64(m[4])?,
            gcm: m[5],
        })
    }
}

/// A rule of the grant statement that a witness breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GrantRule {
    /// G1: the prover's key is not the grant's owner.
    #[error("rule G1: the signer does not own the grant")]
    Owner,
    /// G2: `gcm` does not open to the grant.
    #[error("rule G2: gcm does not open to the grant")]
    Commitment,
    /// G4: the audit ciphertext is wrong.
    #[error("rule G4: audit ciphertext is wrong")]
    AuditCiphertext,
}

impl GrantWitness {
    /// The audited fields.
    pub fn audited(&self) -> AuditedGrant {
        let g = &self.grant;
        AuditedGrant {
            owner_id: g.owner_id,
            inst_id: g.inst_id,
            dataset: g.dataset,
            purpose: g.purpose,
            expiry: g.expiry,
            gcm: g.commitment(),
        }
    }

    /// The statement this witness proves (computed, not checked).
    pub fn statement(&self, rpk: JubjubAffine, binding: Fr) -> GrantPublic {
        GrantPublic {
            gcm: self.grant.commitment(),
            rpk,
            audit: encrypt(&rpk, &self.audited().to_plaintext(), &self.audit_r),
            binding,
        }
    }
}

/// Checks every rule natively.
pub fn check(public: &GrantPublic, w: &GrantWitness) -> Result<(), GrantRule> {
    if owner_of(w.sk_owner) != w.grant.owner_id {
        return Err(GrantRule::Owner);
    }
    if w.grant.commitment() != public.gcm {
        return Err(GrantRule::Commitment);
    }
    if encrypt(&public.rpk, &w.audited().to_plaintext(), &w.audit_r) != public.audit {
        return Err(GrantRule::AuditCiphertext);
    }
    Ok(())
}
