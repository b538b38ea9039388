//! Statement 4 — revoke (the data owner withdraws consent).
//!
//! Public: `pos, gcm, binding` ([`layout`]). Private: `sk_owner`, `g`.
//!
//! | rule | what the proof shows |
//! |---|---|
//! | R1 | `g.owner_id = H(OWNER, sk_owner)` |
//! | R2 | `gcm = H(GRANT, g)` |
//! | R3 | `pos ∈ [0, 2^64)` (in-circuit, so the statement holds for any field-element input) |
//!
//! The ledger checks that leaf `pos` holds `gcm` (and that its `gcm → pos` index names `pos`),
//! then empties it: the grant root changes, and access proofs against earlier roots are refused.

#[cfg(feature = "r1cs")]
pub mod constraints;

use crate::{grant::Grant, keys::owner_of};
use ark_bls12_381::Fr;

/// Index of each public input of the revoke statement.
pub mod layout {
    /// Leaf position of the grant in the grant tree.
    pub const POS: usize = 0;
    /// The grant commitment at `pos`.
    pub const GCM: usize = 1;
    /// Binding of the non-proof transaction fields.
    pub const BINDING: usize = 2;
    /// Number of public inputs.
    pub const LEN: usize = 3;
}

/// Public statement of a revocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RevokePublic {
    /// Leaf position in the grant tree.
    pub pos: u64,
    /// The grant commitment there.
    pub gcm: Fr,
    /// Binding.
    pub binding: Fr,
}

impl RevokePublic {
    /// The public inputs in [`layout`] order.
    pub fn to_field_elements(&self) -> Vec<Fr> {
        vec![Fr::from(self.pos), self.gcm, self.binding]
    }
}

/// Private witness of a revocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RevokeWitness {
    /// The data owner's spending key.
    pub sk_owner: Fr,
    /// The grant revoked.
    pub grant: Grant,
}

/// A rule of the revoke statement that a witness breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RevokeRule {
    /// R1: the prover does not own the grant.
    #[error("rule R1: only the grant's owner can revoke it")]
    Owner,
    /// R2: `gcm` does not open to the grant.
    #[error("rule R2: gcm does not open to the grant")]
    Commitment,
}

/// Checks every rule natively.
pub fn check(public: &RevokePublic, w: &RevokeWitness) -> Result<(), RevokeRule> {
    if owner_of(w.sk_owner) != w.grant.owner_id {
        return Err(RevokeRule::Owner);
    }
    if w.grant.commitment() != public.gcm {
        return Err(RevokeRule::Commitment);
    }
    Ok(())
}
