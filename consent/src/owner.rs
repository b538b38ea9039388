//! The data owner's side: approve a request (prove a grant), deny it, revoke a grant.
//!
//! Each decision is kept in the owner's [`OwnerStore`](crate::OwnerStore), the grant with its
//! secret, so that the owner can later revoke it and recognise the accesses made with it.

use crate::{
    next_rpk, prove, ConsentDir, ConsentError, ConsentRequest, Decision, DecisionRecord,
    OwnerStore, Party, Proven, StoredGrant,
};
use rand::{CryptoRng, RngCore};
use zkreg_circuits::labels::label_to_field;
use zkreg_ledger::Ledger;
use zkreg_prover::{
    builder::{build_grant, build_revoke, GrantRequest},
    keys::Address,
    prove::{ProveEvent, Prover},
};
use zkreg_verifier::TxId;

/// How an owner names the grant to revoke.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RevokeRef {
    /// The request the grant answers (its latest grant).
    Request(String),
    /// The grant transaction.
    GrantTx(TxId),
}

/// Validates `req`, checks it is addressed to `owner` and not approved already; returns
/// `owner`'s store and the institution's address.
fn open_decision(
    dir: &ConsentDir,
    owner: Party,
    req: &ConsentRequest,
) -> Result<(OwnerStore, Address), ConsentError> {
    let (institution, _) = req.validate()?;
    req.check_addressed_to(owner)?;
    let store = dir.owner_store(owner.name)?;
    if let Some(Decision::Approved { grant_tx }) = store.latest_decision(&req.id) {
        return Err(ConsentError::AlreadyApproved {
            request: req.id.clone(),
            grant_tx: *grant_tx,
        });
    }
    Ok((store, institution))
}

/// Logs `decision` on request `request_id` at the ledger's height and time, and saves `store`.
fn decide(
    ledger: &Ledger,
    mut store: OwnerStore,
    request_id: &str,
    decision: Decision,
) -> Result<(), ConsentError> {
    let st = ledger.status();
    store.decisions.push(DecisionRecord {
        request_id: request_id.into(),
        height: st.height,
        time: st.time,
        decision,
    });
    Ok(store.save()?)
}

/// Approves `req`: builds and proves the grant (valid for the requested days from the ledger's
/// time), keeps it and logs the decision. Submitting the returned transaction puts the grant on
/// the ledger. Refused if the request is invalid, addressed to another owner, or approved
/// already (revoke first).
pub fn approve<R: RngCore + CryptoRng>(
    dir: &ConsentDir,
    ledger: &Ledger,
    prover: &Prover,
    owner: Party,
    req: &ConsentRequest,
    rng: &mut R,
    progress: &mut dyn FnMut(ProveEvent),
) -> Result<Proven, ConsentError> {
    let (mut store, institution) = open_decision(dir, owner, req)?;
    let expiry = ledger
        .status()
        .time
        .checked_add(req.duration())
        .ok_or(ConsentError::ExpiryOverflow)?;
    let greq = GrantRequest {
        institution,
        dataset: label_to_field(&req.dataset),
        purpose: label_to_field(&req.purpose),
        expiry,
        memo: Vec::new(),
        rpk: next_rpk(ledger)?,
        chain: ledger.config().hash,
    };
    let (u, grant) = build_grant(owner.keys, &greq, rng).map_err(|error| ConsentError::Build {
        what: "grant",
        error,
    })?;
    let proven = prove(prover, u, rng, progress)?;
    let grant_tx = proven.tx.id();
    store.grants.push(StoredGrant::new(req, grant_tx, &grant));
    dir.save_request(req)?;
    decide(ledger, store, &req.id, Decision::Approved { grant_tx })?;
    Ok(proven)
}

/// Denies `req`: logs the refusal locally (nothing goes on the ledger). Refused if the request
/// is invalid, addressed to another owner, or approved already (revoke instead).
pub fn deny(
    dir: &ConsentDir,
    ledger: &Ledger,
    owner: Party,
    req: &ConsentRequest,
    reason: Option<String>,
) -> Result<(), ConsentError> {
    let (store, _) = open_decision(dir, owner, req)?;
    dir.save_request(req)?;
    decide(ledger, store, &req.id, Decision::Denied { reason })
}

/// Withdraws consent: builds and proves the revocation of one of `owner`'s grants and logs it.
/// Once the returned transaction is on the ledger, the grant can no longer be used. Refused if
/// the owner made no such grant, the grant is not on the ledger, or it is revoked already.
pub fn revoke<R: RngCore + CryptoRng>(
    dir: &ConsentDir,
    ledger: &Ledger,
    prover: &Prover,
    owner: Party,
    which: &RevokeRef,
    rng: &mut R,
    progress: &mut dyn FnMut(ProveEvent),
) -> Result<Proven, ConsentError> {
    let store = dir.owner_store(owner.name)?;
    let stored = store
        .grants
        .iter()
        .rev()
        .find(|g| match which {
            RevokeRef::Request(id) => g.request_id == *id,
            RevokeRef::GrantTx(tx) => g.grant_tx == *tx,
        })
        .cloned()
        .ok_or_else(|| ConsentError::NoSuchGrant {
            owner: owner.name.into(),
        })?;
    let origin = ledger
        .grant_by_gcm(&stored.gcm)?
        .ok_or(ConsentError::GrantNotOnLedger {
            grant_tx: stored.grant_tx,
        })?;
    if ledger.revocation_of(&stored.gcm)?.is_some() {
        return Err(ConsentError::AlreadyRevoked {
            request: stored.request_id,
        });
    }
    let u = build_revoke(
        &ledger.config().hash,
        owner.keys,
        &stored.grant(),
        origin.pos,
        &[],
    )
    .map_err(|error| ConsentError::Build {
        what: "revocation",
        error,
    })?;
    let proven = prove(prover, u, rng, progress)?;
    let revoke_tx = proven.tx.id();
    decide(
        ledger,
        store,
        &stored.request_id,
        Decision::Revoked { revoke_tx },
    )?;
    Ok(proven)
}
