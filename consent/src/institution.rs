//! The institution's side: make a request, and prove access with a valid grant.
//!
//! An institution finds the grants delivered to it on the ledger, opens them with its key, and
//! proves membership of one in the current grant tree without revealing which. When it holds no
//! valid grant, [`access`] says why ([`AccessRefused`]) before anything is proven.

use crate::{
    next_rpk, prove, AccessRefused, ConsentDir, ConsentError, ConsentRequest, Party, Proven,
    RequestTerms,
};
use rand::{CryptoRng, RngCore};
use zkreg_circuits::{grant::Grant, labels::label_to_field, merkle::MerkleTree};
use zkreg_ledger::{query::AuditPayload, Ledger};
use zkreg_prover::{
    builder::{build_access, BuildError},
    delivery::open_grant,
    keys::WalletKeys,
    prove::{ProveEvent, Prover},
};
use zkreg_verifier::{GrantTx, Transaction, TxId, MAX_REQUEST_BYTES};

/// How an institution names the grant it uses.
#[derive(Clone, Debug)]
pub enum GrantRef {
    /// The grant transaction's id.
    Tx(TxId),
    /// The request the grant answers (a live grant for it, else the latest, to say why not).
    Request(Box<ConsentRequest>),
}

/// What a data service asked for, made public in the access: a nonce, optionally after a
/// service id, and the access time.
#[derive(Clone, Copy, Debug)]
pub struct AccessRequest<'a> {
    /// The service's request nonce.
    pub nonce: &'a str,
    /// Service id, put before the nonce.
    pub service: Option<&'a str>,
    /// Access time; default the ledger's time + 1. The ledger accepts the access in a block of
    /// time `t` only if `t ≤ now ≤ t + time_tolerance`.
    pub now: Option<u64>,
}

impl AccessRequest<'_> {
    /// The public request bytes: `svc:<service>/nonce:<nonce>` or `nonce:<nonce>`.
    pub fn text(&self) -> String {
        match self.service {
            Some(s) => format!("svc:{s}/nonce:{}", self.nonce),
            None => format!("nonce:{}", self.nonce),
        }
    }
}

/// Makes a request by `institution` to the owner at address `owner`, at the ledger's height and
/// time, and keeps a copy in `dir`. The caller hands the request (JSON) to the owner.
pub fn request<R: RngCore + CryptoRng>(
    dir: &ConsentDir,
    ledger: &Ledger,
    institution: Party,
    owner: &str,
    terms: &RequestTerms,
    rng: &mut R,
) -> Result<ConsentRequest, ConsentError> {
    let st = ledger.status();
    let r = ConsentRequest::new(institution, owner, terms, (st.height, st.time), rng)?;
    dir.save_request(&r)?;
    Ok(r)
}

/// A grant on the ledger, opened by its institution.
struct HeldGrant {
    pos: u64,
    height: u64,
    tx_id: TxId,
    grant: Grant,
}

/// The grant in `tx` if it was delivered to, and made out to, `keys`.
fn open_mine(keys: &WalletKeys, tx: &GrantTx) -> Option<Grant> {
    open_grant(&keys.ivk, &tx.gcm, &tx.delivery).filter(|g| g.inst_id == keys.owner())
}

/// The grant of transaction `id`.
fn grant_by_tx(ledger: &Ledger, inst: Party, id: &TxId) -> Result<HeldGrant, ConsentError> {
    let unknown = AccessRefused::UnknownGrant { grant_tx: *id };
    let tx = match ledger.tx_by_id(id)? {
        None => return Err(unknown.into()),
        Some((_, _, Transaction::Grant(tx))) => tx,
        Some(_) => return Err(ConsentError::NotAGrant { tx: *id }),
    };
    let grant = open_mine(inst.keys, &tx).ok_or_else(|| AccessRefused::NotYourGrant {
        grant_tx: *id,
        institution: inst.name.into(),
    })?;
    let origin = ledger.grant_by_gcm(&tx.gcm)?.ok_or(unknown)?;
    Ok(HeldGrant {
        pos: origin.pos,
        height: origin.height,
        tx_id: *id,
        grant,
    })
}

/// A grant of `inst` answering `req`: the latest live one, else the latest one.
fn grant_for_request(
    ledger: &Ledger,
    tree: &MerkleTree,
    inst: Party,
    req: &ConsentRequest,
) -> Result<HeldGrant, ConsentError> {
    let (_, owner) = req.validate()?;
    if req.institution != inst.keys.address().encode() {
        return Err(AccessRefused::NotYourRequest {
            request: req.id.clone(),
            institution: inst.name.into(),
        }
        .into());
    }
    let (dataset, purpose) = (label_to_field(&req.dataset), label_to_field(&req.purpose));
    let mut matching = Vec::new();
    for r in ledger.audit_records(0, ledger.status().height)? {
        let AuditPayload::Grant(_, pos) = r.payload else {
            continue;
        };
        let Some((height, _, Transaction::Grant(tx))) = ledger.tx_by_id(&r.tx_id)? else {
            continue;
        };
        if let Some(grant) = open_mine(inst.keys, &tx) {
            if (grant.owner_id, grant.dataset, grant.purpose) == (owner.owner, dataset, purpose) {
                matching.push(HeldGrant {
                    pos,
                    height,
                    tx_id: r.tx_id,
                    grant,
                });
            }
        }
    }
    let live = matching
        .iter()
        .rposition(|h| tree.leaf(h.pos) == Some(h.grant.commitment()));
    match live.or_else(|| matching.len().checked_sub(1)) {
        Some(i) => Ok(matching.swap_remove(i)),
        None => Err(AccessRefused::NoGrant {
            request: req.id.clone(),
        }
        .into()),
    }
}

/// The institution proves it holds a valid grant, for a data service's `request`. Refused,
/// before any proving, when the grant is unknown, someone else's, revoked or expired.
pub fn access<R: RngCore + CryptoRng>(
    ledger: &Ledger,
    prover: &Prover,
    institution: Party,
    grant: &GrantRef,
    request: &AccessRequest,
    rng: &mut R,
    progress: &mut dyn FnMut(ProveEvent),
) -> Result<Proven, ConsentError> {
    let text = request.text();
    if text.len() > MAX_REQUEST_BYTES {
        return Err(ConsentError::AccessRequestTooLong {
            len: text.len(),
            max: MAX_REQUEST_BYTES,
        });
    }
    let now = request
        .now
        .unwrap_or_else(|| ledger.status().time.saturating_add(1));
    let tree = ledger.grant_tree();
    let held = match grant {
        GrantRef::Tx(id) => grant_by_tx(ledger, institution, id)?,
        GrantRef::Request(req) => grant_for_request(ledger, &tree, institution, req)?,
    };
    let gcm = held.grant.commitment();
    if tree.leaf(held.pos) != Some(gcm) {
        return Err(match ledger.revocation_of(&gcm)? {
            Some((height, revoke_tx)) => AccessRefused::Revoked {
                height,
                revoke_tx,
                grant_tx: held.tx_id,
                grant_height: held.height,
            },
            None => AccessRefused::NotInTree,
        }
        .into());
    }
    let u = build_access(
        &ledger.config().hash,
        institution.keys,
        &held.grant,
        &tree,
        held.pos,
        now,
        text.as_bytes(),
        next_rpk(ledger)?,
        rng,
    )
    .map_err(|e| match e {
        BuildError::Expired { expiry, now } => AccessRefused::Expired { expiry, now }.into(),
        BuildError::GrantNotInTree(_) => AccessRefused::NotInTree.into(),
        error => ConsentError::Build {
            what: "access",
            error,
        },
    })?;
    prove(prover, u, rng, progress)
}
