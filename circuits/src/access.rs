//! Statement 3 — access (an institution uses a grant, without revealing which).
//!
//! Public: `grant_root, now, tag, RPK, audit ct, binding` ([`layout`]). Private: `sk_inst`, the
//! grant `g` and its path in the grant tree, `r`.
//!
//! | rule | what the proof shows |
//! |---|---|
//! | A1 | `g.inst_id = H(OWNER, sk_inst)` |
//! | A2 | `gcm = H(GRANT, g)` is a leaf under `grant_root` (an emptied, revoked leaf is not) |
//! | A3 | `now ∈ [0, 2^64)` and `expiry − now ∈ [0, 2^64)`: `now ≤ expiry` over the integers |
//! | A4 | `tag = H(ACCESS, gsecret, binding)`; `binding` carries the data service's nonce |
//! | A5 | the audit ct encrypts `(owner_id, inst_id, dataset, purpose, gcm, now)` to `RPK` |
//!
//! The ledger checks `block time ≤ now ≤ block time + tolerance` (so an access lands only while
//! `block time ≤ expiry`), that `grant_root` is a root taken after the latest revocation, and
//! that `tag` was never seen.

#[cfg(feature = "r1cs")]
pub mod constraints;

use crate::{
    audit::{decrypt, encrypt, AuditCiphertext, RegulatorSecretKey},
    ecc::{JubjubAffine, JubjubScalar},
    grant::{field_to_u64, Grant},
    keys::owner_of,
    merkle::{MerklePath, TreeKind},
};
use ark_bls12_381::Fr;

/// Field elements in the access audit plaintext.
pub const AUDIT_FIELDS: usize = 6;
/// The access audit ciphertext.
pub type AccessCiphertext = AuditCiphertext<AUDIT_FIELDS>;

/// Index of each public input of the access statement.
pub mod layout {
    /// Grant tree root.
    pub const GRANT_ROOT: usize = 0;
    /// Time of access (checked by the ledger against block time).
    pub const NOW: usize = 1;
    /// Access tag (unique per grant and request).
    pub const TAG: usize = 2;
    /// Regulator public key `(x, y)`.
    pub const RPK: usize = 3;
    /// Audit ciphertext point `R`.
    pub const AUDIT_R: usize = 5;
    /// Audit ciphertext elements.
    pub const AUDIT_C: usize = 7;
    /// Binding (carries the request nonce).
    pub const BINDING: usize = AUDIT_C + super::AUDIT_FIELDS;
    /// Number of public inputs.
    pub const LEN: usize = BINDING + 1;
}

/// Public statement of an access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessPublic {
    /// Grant tree root.
    pub grant_root: Fr,
    /// Time of access.
    pub now: u64,
    /// `H(ACCESS, gsecret, binding)`.
    pub tag: Fr,
    /// Regulator key.
    pub rpk: JubjubAffine,
    /// Audit ciphertext.
    pub audit: AccessCiphertext,
    /// Binding of the request (nonce, dataset service id ...).
    pub binding: Fr,
}

impl AccessPublic {
    /// The public inputs in [`layout`] order.
    pub fn to_field_elements(&self) -> Vec<Fr> {
        let mut v = vec![
            self.grant_root,
            Fr::from(self.now),
            self.tag,
            self.rpk.x,
            self.rpk.y,
        ];
        v.extend_from_slice(&[self.audit.r_point.x, self.audit.r_point.y]);
        v.extend_from_slice(&self.audit.c);
        v.push(self.binding);
        debug_assert_eq!(v.len(), layout::LEN);
        v
    }
}

/// Private witness of an access.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessWitness {
    /// The institution's spending key.
    pub sk_inst: Fr,
    /// The grant used.
    pub grant: Grant,
    /// Its path in the grant tree.
    pub path: MerklePath,
    /// Audit randomness.
    pub audit_r: JubjubScalar,
}

/// What the regulator reads from an access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditedAccess {
    /// Data owner.
    pub owner_id: Fr,
    /// Institution.
    pub inst_id: Fr,
    /// Dataset.
    pub dataset: Fr,
    /// Purpose.
    pub purpose: Fr,
    /// The grant used.
    pub gcm: Fr,
    /// Time of access.
    pub now: u64,
}

impl AuditedAccess {
    /// The plaintext of rule A5.
    pub fn to_plaintext(&self) -> [Fr; AUDIT_FIELDS] {
        [
            self.owner_id,
            self.inst_id,
            self.dataset,
            self.purpose,
            self.gcm,
            Fr::from(self.now),
        ]
    }

    /// Decrypts an access's audit ciphertext (`None` if `now` is not a `u64`: wrong key).
    pub fn decrypt(rsk: &RegulatorSecretKey, ct: &AccessCiphertext) -> Option<Self> {
        let m = decrypt(rsk, ct);
        Some(AuditedAccess {
            owner_id: m[0],
            inst_id: m[1],
            dataset: m[2],
            purpose: m[3],
            gcm: m[4],
            now: field_to_u64(m[5])?,
        })
    }
}

/// A rule of the access statement that a witness breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AccessRule {
    /// A1: the prover is not the grant's institution.
    #[error("rule A1: the prover is not the grant's institution")]
    Institution,
    /// A2: the grant is not in the tree at `grant_root`.
    #[error("rule A2: the grant is not in the grant tree at this root")]
    Membership,
    /// A3: the grant expired before `now`.
    #[error("rule A3: the grant has expired")]
    Expired,
    /// A4: the tag is not `H(ACCESS, gsecret, binding)`.
    #[error("rule A4: wrong access tag")]
    Tag,
    /// A5: the audit ciphertext is wrong.
    #[error("rule A5: audit ciphertext is wrong")]
    AuditCiphertext,
}

impl AccessWitness {
    /// The audited fields at time `now`.
    pub fn audited(&self, now: u64) -> AuditedAccess {
        let g = &self.grant;
        AuditedAccess {
            owner_id: g.owner_id,
            inst_id: g.inst_id,
            dataset: g.dataset,
            purpose: g.purpose,
            gcm: g.commitment(),
            now,
        }
    }

    /// The statement this witness proves (computed, not checked).
    pub fn statement(
        &self,
        grant_root: Fr,
        now: u64,
        rpk: JubjubAffine,
        binding: Fr,
    ) -> AccessPublic {
        AccessPublic {
            grant_root,
            now,
            tag: self.grant.access_tag(binding),
            rpk,
            audit: encrypt(&rpk, &self.audited(now).to_plaintext(), &self.audit_r),
            binding,
        }
    }
}

/// Checks every rule natively.
pub fn check(public: &AccessPublic, w: &AccessWitness) -> Result<(), AccessRule> {
    if owner_of(w.sk_inst) != w.grant.inst_id {
        return Err(AccessRule::Institution);
    }
    if w.path.root(TreeKind::GRANTS, w.grant.commitment()) != public.grant_root {
        return Err(AccessRule::Membership);
    }
    if w.grant.expiry < public.now {
        return Err(AccessRule::Expired);
    }
    if w.grant.access_tag(public.binding) != public.tag {
        return Err(AccessRule::Tag);
    }
    if encrypt(
        &public.rpk,
        &w.audited(public.now).to_plaintext(),
        &w.audit_r,
    ) != public.audit
    {
        return Err(AccessRule::AuditCiphertext);
    }
    Ok(())
}
