//! Consent: an institution (e.g. a lender) asks a consumer to share a dataset (e.g. rent
//! payments) for a purpose; the consumer approves (an on-ledger grant), denies, or later revokes;
//! the institution proves access with a valid grant; the consumer's log shows requests, decisions
//! and every on-ledger access made with its grants.
//!
//! Local files, in `HOME/consent/`:
//!
//! * `requests/<id>.json` — every request this home created or received (the request file is
//!   also written wherever `--out` says, to hand to the data owner);
//! * `owner-<name>.json` — a data owner's decisions and its grants, **including each grant's
//!   secret** (it recognises accesses with it), so the file is private to its user.

use crate::{
    home::{Home, Session},
    ledger_cmd::all_txs,
    pay::Built,
    progress, util,
};
use anyhow::{anyhow, bail, Result};
use blake2::{digest::consts::U32, Blake2b, Digest};
use rand::{rngs::OsRng, RngCore};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::path::{Path, PathBuf};
use zkreg_circuits::{grant::Grant, labels::label_to_field};
use zkreg_ledger::{query::AuditPayload, Ledger};
use zkreg_prover::{
    builder::{build_access, build_grant, build_revoke, BuildError, GrantRequest},
    delivery::open_grant,
    keys::{Address, WalletKeys},
};
use zkreg_verifier::{GrantTx, Transaction, TxId, MAX_REQUEST_BYTES};

/// Format tag of request files.
pub const REQUEST_FORMAT: &str = "zkreg-consent-request/1";
/// Seconds per day on the ledger's time scale.
pub const DAY: u64 = 86_400;

/// A consent request, as the institution hands it to the data owner (JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRequest {
    /// [`REQUEST_FORMAT`].
    pub format: String,
    /// Request id: hash of every other field.
    pub id: String,
    /// The institution's name (as it calls itself).
    pub institution_name: String,
    /// The institution's address (the grant is made out and delivered to it).
    pub institution: String,
    /// The data owner's address.
    pub owner: String,
    /// Dataset name.
    pub dataset: String,
    /// Purpose name.
    pub purpose: String,
    /// Why, in words, for the owner.
    pub reason: String,
    /// Requested duration in days.
    pub days: u64,
    /// Ledger height when requested.
    pub requested_height: u64,
    /// Ledger time when requested.
    pub requested_at: u64,
    /// Random, so that equal requests get distinct ids.
    pub nonce: String,
}

impl ConsentRequest {
    fn compute_id(&self) -> String {
        let body = json!([
            self.format,
            self.institution_name,
            self.institution,
            self.owner,
            self.dataset,
            self.purpose,
            self.reason,
            self.days,
            self.requested_height,
            self.requested_at,
            self.nonce
        ]);
        let mut h = Blake2b::<U32>::new();
        h.update(b"zkreg/v1/consent-request");
        h.update(body.to_string().as_bytes());
        hex::encode(&h.finalize()[..16])
    }

    /// Checks format, id, addresses and bounds.
    pub fn validate(&self) -> Result<(Address, Address)> {
        if self.format != REQUEST_FORMAT {
            bail!("not a consent request (format {:?})", self.format);
        }
        if self.id != self.compute_id() {
            bail!("the request was altered: its id does not match its contents");
        }
        let inst =
            Address::decode(&self.institution).map_err(|e| anyhow!("institution address: {e}"))?;
        let owner = Address::decode(&self.owner).map_err(|e| anyhow!("owner address: {e}"))?;
        if self.days == 0 || self.days.checked_mul(DAY).is_none() {
            bail!(
                "the request asks for {} days; it must be at least 1",
                self.days
            );
        }
        if self.dataset.is_empty() || self.purpose.is_empty() {
            bail!("the request names no dataset or no purpose");
        }
        Ok((inst, owner))
    }

    /// Reads and validates a request file.
    pub fn read(path: &Path) -> Result<Self> {
        let text = util::read_text(path)?;
        let r: ConsentRequest = serde_json::from_str(&text)
            .map_err(|e| anyhow!("{}: not a consent request: {e}", path.display()))?;
        r.validate()
            .map_err(|e| anyhow!("{}: {e}", path.display()))?;
        Ok(r)
    }
}

/// A decision the owner logged.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Decision {
    /// Request id.
    pub request_id: String,
    /// `approved`, `denied` or `revoked`.
    pub decision: String,
    /// Ledger height at the decision.
    pub height: u64,
    /// Ledger time at the decision.
    pub time: u64,
    /// The grant or revocation transaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_id: Option<String>,
    /// Free text (e.g. why a request was denied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A grant the owner made (with its secret).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredGrant {
    /// Request id.
    pub request_id: String,
    /// Grant transaction id.
    pub grant_tx: String,
    /// Institution name and address.
    pub institution_name: String,
    /// Institution address.
    pub institution: String,
    /// Dataset name.
    pub dataset: String,
    /// Purpose name.
    pub purpose: String,
    /// Expiry (ledger time).
    pub expiry: u64,
    /// `owner_id`, hex.
    pub owner_id: String,
    /// `inst_id`, hex.
    pub inst_id: String,
    /// `gsecret`, hex (secret).
    pub gsecret: String,
    /// `gcm`, hex.
    pub gcm: String,
}

impl StoredGrant {
    /// The grant, checked against its commitment.
    pub fn grant(&self) -> Result<Grant> {
        let g = Grant {
            owner_id: util::fr_from_hex(&self.owner_id, "owner_id")?,
            inst_id: util::fr_from_hex(&self.inst_id, "inst_id")?,
            dataset: label_to_field(&self.dataset),
            purpose: label_to_field(&self.purpose),
            expiry: self.expiry,
            gsecret: util::fr_from_hex(&self.gsecret, "gsecret")?,
        };
        if util::fr_hex(&g.commitment()) != self.gcm {
            bail!("stored grant of request {} is corrupt", self.request_id);
        }
        Ok(g)
    }
}

/// A data owner's local consent store.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct OwnerStore {
    /// Decisions in order.
    pub decisions: Vec<Decision>,
    /// Grants made.
    pub grants: Vec<StoredGrant>,
}

fn store_path(home: &Home, owner: &str) -> Result<PathBuf> {
    util::check_name(owner)?;
    Ok(home.consent().join(format!("owner-{owner}.json")))
}

fn load_store(home: &Home, owner: &str) -> Result<OwnerStore> {
    let p = store_path(home, owner)?;
    if !p.exists() {
        return Ok(OwnerStore::default());
    }
    serde_json::from_str(&util::read_text(&p)?)
        .map_err(|e| anyhow!("{}: corrupt consent store: {e}", p.display()))
}

fn save_store(home: &Home, owner: &str, s: &OwnerStore) -> Result<()> {
    std::fs::create_dir_all(home.consent())
        .map_err(|e| anyhow!("cannot create {}: {e}", home.consent().display()))?;
    util::write_private(
        &store_path(home, owner)?,
        serde_json::to_string_pretty(s)?.as_bytes(),
    )
}

fn inbox(home: &Home) -> PathBuf {
    home.consent().join("requests")
}

fn save_request(home: &Home, r: &ConsentRequest) -> Result<()> {
    let dir = inbox(home);
    std::fs::create_dir_all(&dir).map_err(|e| anyhow!("cannot create {}: {e}", dir.display()))?;
    util::write(
        &dir.join(format!("{}.json", r.id)),
        serde_json::to_string_pretty(r)?.as_bytes(),
    )
}

/// Every valid request in this home's inbox.
pub fn all_requests(home: &Home) -> Vec<ConsentRequest> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(inbox(home)) {
        for e in rd.flatten() {
            if let Ok(r) = ConsentRequest::read(&e.path()) {
                out.push(r);
            }
        }
    }
    out.sort_by(|a, b| (a.requested_height, &a.id).cmp(&(b.requested_height, &b.id)));
    out
}

/// `consent request`: the institution asks.
pub fn request(
    session: &mut Session,
    institution: &str,
    owner: &str,
    dataset: &str,
    purpose: &str,
    reason: &str,
    days: u64,
) -> Result<ConsentRequest> {
    let inst = session.home.wallet(institution)?;
    Address::decode(owner).map_err(|e| anyhow!("--owner: {e}"))?;
    let st = session.ledger()?.status();
    let mut nonce = [0u8; 16];
    OsRng.fill_bytes(&mut nonce);
    let mut r = ConsentRequest {
        format: REQUEST_FORMAT.into(),
        id: String::new(),
        institution_name: institution.into(),
        institution: inst.address().encode(),
        owner: owner.trim().into(),
        dataset: dataset.into(),
        purpose: purpose.into(),
        reason: reason.into(),
        days,
        requested_height: st.height,
        requested_at: st.time,
        nonce: hex::encode(nonce),
    };
    r.id = r.compute_id();
    r.validate()?;
    save_request(&session.home, &r)?;
    Ok(r)
}

fn latest_decision<'a>(s: &'a OwnerStore, request_id: &str) -> Option<&'a Decision> {
    s.decisions
        .iter()
        .rev()
        .find(|d| d.request_id == request_id)
}

fn check_addressed_to(req: &ConsentRequest, owner: &WalletKeys, name: &str) -> Result<()> {
    if req.owner != owner.address().encode() {
        bail!(
            "request {} is addressed to {}, not to {name} ({})",
            req.id,
            req.owner,
            owner.address().encode()
        );
    }
    Ok(())
}

/// `consent approve`: builds and proves the grant, stores it and logs the decision.
pub fn approve(session: &mut Session, owner_name: &str, req: &ConsentRequest) -> Result<Built> {
    let owner = session.home.wallet(owner_name)?;
    let (inst, _) = req.validate()?;
    check_addressed_to(req, &owner, owner_name)?;
    let mut store = load_store(&session.home, owner_name)?;
    if let Some(d) = latest_decision(&store, &req.id) {
        if d.decision == "approved" {
            bail!(
                "request {} is already approved (grant tx {}); revoke it first to change the decision",
                req.id,
                d.tx_id.clone().unwrap_or_default()
            );
        }
    }
    let rpk = session.next_rpk()?;
    let st = session.ledger()?.status();
    let expiry = st
        .time
        .checked_add(req.days.saturating_mul(DAY))
        .ok_or_else(|| anyhow!("expiry overflows"))?;
    let greq = GrantRequest {
        institution: inst,
        dataset: label_to_field(&req.dataset),
        purpose: label_to_field(&req.purpose),
        expiry,
        memo: Vec::new(),
        rpk,
        chain: session.chain()?,
    };
    let (u, g) = build_grant(&owner, &greq, &mut OsRng)
        .map_err(|e| anyhow!("cannot build the grant: {e}"))?;
    let prover = session.prover()?;
    let (tx, prove_secs) = progress::prove(prover, u, &mut OsRng)?;
    let id = util::id_hex(&tx.id());
    store.grants.push(StoredGrant {
        request_id: req.id.clone(),
        grant_tx: id.clone(),
        institution_name: req.institution_name.clone(),
        institution: req.institution.clone(),
        dataset: req.dataset.clone(),
        purpose: req.purpose.clone(),
        expiry,
        owner_id: util::fr_hex(&g.owner_id),
        inst_id: util::fr_hex(&g.inst_id),
        gsecret: util::fr_hex(&g.gsecret),
        gcm: util::fr_hex(&g.commitment()),
    });
    store.decisions.push(Decision {
        request_id: req.id.clone(),
        decision: "approved".into(),
        height: st.height,
        time: st.time,
        tx_id: Some(id),
        note: None,
    });
    save_request(&session.home, req)?;
    save_store(&session.home, owner_name, &store)?;
    Ok(Built { tx, prove_secs })
}

/// `consent deny`: logs the refusal (nothing goes on the ledger).
pub fn deny(
    session: &mut Session,
    owner_name: &str,
    req: &ConsentRequest,
    note: Option<String>,
) -> Result<()> {
    let owner = session.home.wallet(owner_name)?;
    req.validate()?;
    check_addressed_to(req, &owner, owner_name)?;
    let mut store = load_store(&session.home, owner_name)?;
    if let Some(d) = latest_decision(&store, &req.id) {
        if d.decision == "approved" {
            bail!(
                "request {} is already approved; use `zkreg consent revoke` to withdraw consent",
                req.id
            );
        }
    }
    let st = session.ledger()?.status();
    store.decisions.push(Decision {
        request_id: req.id.clone(),
        decision: "denied".into(),
        height: st.height,
        time: st.time,
        tx_id: None,
        note,
    });
    save_request(&session.home, req)?;
    save_store(&session.home, owner_name, &store)
}

/// A grant transaction on the ledger with its position.
struct LedgerGrant {
    height: u64,
    tx_id: TxId,
    tx: GrantTx,
    pos: u64,
}

fn ledger_grants(ledger: &Ledger) -> Result<Vec<LedgerGrant>> {
    let h = ledger.status().height;
    let mut out = Vec::new();
    for r in ledger.audit_records(0, h).map_err(|e| anyhow!("{e}"))? {
        if let AuditPayload::Grant(_, pos) = r.payload {
            if let Some((height, _, Transaction::Grant(tx))) =
                ledger.tx_by_id(&r.tx_id).map_err(|e| anyhow!("{e}"))?
            {
                out.push(LedgerGrant {
                    height,
                    tx_id: r.tx_id,
                    tx,
                    pos,
                });
            }
        }
    }
    Ok(out)
}

/// The revocation of `gcm` on the ledger: `(height, tx id)`.
fn revocation_of(ledger: &Ledger, gcm: &ark_bls12_381::Fr) -> Result<Option<(u64, TxId)>> {
    Ok(all_txs(ledger)?
        .into_iter()
        .find_map(|(h, _, id, tx)| match tx {
            Transaction::Revoke(r) if r.gcm == *gcm => Some((h, id)),
            _ => None,
        }))
}

/// How an institution names the grant it uses.
pub enum GrantRef {
    /// The grant transaction's id.
    Tx(TxId),
    /// The request the grant answers.
    Request(Box<ConsentRequest>),
}

/// `consent access`: the institution proves it holds a valid grant. Refuses (with the reason)
/// when no valid grant exists.
pub fn access(
    session: &mut Session,
    inst_name: &str,
    grant: &GrantRef,
    nonce: &str,
    now: Option<u64>,
    service: Option<&str>,
) -> Result<Built> {
    let inst = session.home.wallet(inst_name)?;
    let rpk = session.next_rpk()?;
    let ledger = session.ledger()?;
    let st = ledger.status();
    let now = now.unwrap_or(st.time + 1);
    let grants = ledger_grants(ledger)?;
    let mine: Vec<(LedgerGrant, Grant)> = grants
        .into_iter()
        .filter_map(|lg| open_grant(&inst.ivk, &lg.tx.gcm, &lg.tx.delivery).map(|g| (lg, g)))
        .collect();
    let chosen = match grant {
        GrantRef::Tx(id) => {
            let Some(found) = mine.into_iter().find(|(lg, _)| lg.tx_id == *id) else {
                match ledger.tx_by_id(id).map_err(|e| anyhow!("{e}"))? {
                    None => bail!(
                        "access refused: grant tx {} is not on the ledger",
                        util::id_hex(id)
                    ),
                    Some((_, _, Transaction::Grant(_))) => bail!(
                        "access refused: grant tx {} was not made out to {inst_name}",
                        util::id_hex(id)
                    ),
                    Some(_) => bail!("tx {} is not a grant", util::id_hex(id)),
                }
            };
            found
        }
        GrantRef::Request(req) => {
            let (_, owner) = req.validate()?;
            if req.institution != inst.address().encode() {
                bail!(
                    "request {} was made by another institution, not {inst_name}",
                    req.id
                );
            }
            let ds = label_to_field(&req.dataset);
            let pu = label_to_field(&req.purpose);
            let matching: Vec<_> = mine
                .into_iter()
                .filter(|(_, g)| g.owner_id == owner.owner && g.dataset == ds && g.purpose == pu)
                .collect();
            let tree = ledger.grant_tree();
            // Prefer a live grant; else the latest one (to explain why it cannot be used).
            let live = matching
                .iter()
                .rposition(|(lg, g)| tree.leaf(lg.pos) == Some(g.commitment()));
            let idx = live.or_else(|| matching.len().checked_sub(1));
            match idx {
                Some(i) => matching
                    .into_iter()
                    .nth(i)
                    .ok_or_else(|| anyhow!("internal: grant index"))?,
                None => bail!(
                    "access refused: no grant for request {} is on the ledger (the owner has not approved it, denied it, or the grant was not submitted yet)",
                    req.id
                ),
            }
        }
    };
    let (lg, g) = chosen;
    let tree = ledger.grant_tree();
    if tree.leaf(lg.pos) != Some(g.commitment()) {
        let when = match revocation_of(ledger, &g.commitment())? {
            Some((h, id)) => format!(
                " at height {h} (revoke tx {})",
                util::short(&util::id_hex(&id))
            ),
            None => String::new(),
        };
        bail!(
            "access refused: the data owner revoked this grant{when}; grant tx {} (height {}) can no longer be used",
            util::id_hex(&lg.tx_id),
            lg.height
        );
    }
    if g.expiry < now {
        bail!(
            "access refused: the grant expired at time {} (access time {now})",
            g.expiry
        );
    }
    let request = match service {
        Some(s) => format!("svc:{s}/nonce:{nonce}"),
        None => format!("nonce:{nonce}"),
    };
    if request.len() > MAX_REQUEST_BYTES {
        bail!(
            "service and nonce are too long ({} bytes, at most {MAX_REQUEST_BYTES})",
            request.len()
        );
    }
    let u = build_access(
        &session.chain()?,
        &inst,
        &g,
        &tree,
        lg.pos,
        now,
        request.as_bytes(),
        rpk,
        &mut OsRng,
    )
    .map_err(|e| match e {
        BuildError::GrantNotInTree(_) => {
            anyhow!("access refused: the grant is no longer in the grant tree (revoked)")
        }
        BuildError::Expired { expiry, now } => {
            anyhow!("access refused: the grant expired at time {expiry} (access time {now})")
        }
        e => anyhow!("cannot build the access: {e}"),
    })?;
    let prover = session.prover()?;
    let (tx, prove_secs) = progress::prove(prover, u, &mut OsRng)?;
    Ok(Built { tx, prove_secs })
}

/// How an owner names the grant to revoke.
pub enum RevokeRef {
    /// By request.
    Request(String),
    /// By grant tx id.
    GrantTx(String),
}

/// `consent revoke`: builds and proves the revocation, logs it.
pub fn revoke(session: &mut Session, owner_name: &str, which: &RevokeRef) -> Result<Built> {
    let owner = session.home.wallet(owner_name)?;
    let mut store = load_store(&session.home, owner_name)?;
    let sg = match which {
        RevokeRef::Request(id) => store.grants.iter().rev().find(|g| g.request_id == *id),
        RevokeRef::GrantTx(tx) => store.grants.iter().rev().find(|g| g.grant_tx == tx.trim()),
    }
    .cloned()
    .ok_or_else(|| {
        anyhow!("{owner_name} made no such grant (see `zkreg consent log --owner {owner_name}`)")
    })?;
    let g = sg.grant()?;
    let grant_id = util::id_from_hex(&sg.grant_tx)?;
    let ledger = session.ledger()?;
    let lg = ledger_grants(ledger)?
        .into_iter()
        .find(|lg| lg.tx_id == grant_id)
        .ok_or_else(|| {
            anyhow!(
                "grant tx {} is not on the ledger yet: nothing to revoke (simply do not submit it)",
                sg.grant_tx
            )
        })?;
    if ledger.grant_tree().leaf(lg.pos) != Some(g.commitment()) {
        bail!("the grant of request {} is already revoked", sg.request_id);
    }
    let st = ledger.status();
    let u = build_revoke(&ledger.config().hash, &owner, &g, lg.pos, &[])
        .map_err(|e| anyhow!("cannot build the revocation: {e}"))?;
    let prover = session.prover()?;
    let (tx, prove_secs) = progress::prove(prover, u, &mut OsRng)?;
    store.decisions.push(Decision {
        request_id: sg.request_id.clone(),
        decision: "revoked".into(),
        height: st.height,
        time: st.time,
        tx_id: Some(util::id_hex(&tx.id())),
        note: None,
    });
    save_store(&session.home, owner_name, &store)?;
    Ok(Built { tx, prove_secs })
}

/// One line of an owner's consent log.
#[derive(Clone, Debug, Serialize)]
pub struct LogEntry {
    /// Ledger height.
    pub height: u64,
    /// Ledger time, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<u64>,
    /// `request`, `approved`, `denied`, `revoked`, `grant-on-ledger`, `revocation-on-ledger`, `access`.
    pub event: String,
    /// Request id.
    pub request_id: String,
    /// Who (institution name).
    pub institution: String,
    /// Dataset.
    pub dataset: String,
    /// Purpose.
    pub purpose: String,
    /// Details in words.
    pub detail: String,
    /// Transaction, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tx_id: Option<String>,
}

/// The consent log of an owner: requests, decisions, grants and revocations on the ledger, and
/// every on-ledger access recognised with a grant secret.
pub fn log(session: &mut Session, owner_name: &str) -> Result<Vec<LogEntry>> {
    let owner = session.home.wallet(owner_name)?;
    let addr = owner.address().encode();
    let store = load_store(&session.home, owner_name)?;
    let requests: Vec<ConsentRequest> = all_requests(&session.home)
        .into_iter()
        .filter(|r| r.owner == addr)
        .collect();
    let find_req = |id: &str| requests.iter().find(|r| r.id == id);
    let ledger = session.ledger()?;
    let mut out = Vec::new();
    let entry = |height, time, event: &str, rid: &str, detail: String, tx_id: Option<String>| {
        let r = find_req(rid);
        LogEntry {
            height,
            time,
            event: event.into(),
            request_id: rid.into(),
            institution: r.map(|r| r.institution_name.clone()).unwrap_or_default(),
            dataset: r.map(|r| r.dataset.clone()).unwrap_or_default(),
            purpose: r.map(|r| r.purpose.clone()).unwrap_or_default(),
            detail,
            tx_id,
        }
    };
    for r in &requests {
        out.push(entry(
            r.requested_height,
            Some(r.requested_at),
            "request",
            &r.id,
            format!(
                "{} asks for {} for {}, {} day(s): {:?}",
                r.institution_name, r.dataset, r.purpose, r.days, r.reason
            ),
            None,
        ));
    }
    for d in &store.decisions {
        let detail = match d.decision.as_str() {
            "approved" => "grant made (submit its tx to put it on the ledger)".to_string(),
            "denied" => format!(
                "request denied{}",
                d.note
                    .as_ref()
                    .map(|n| format!(": {n}"))
                    .unwrap_or_default()
            ),
            _ => "consent withdrawn (revocation tx made)".to_string(),
        };
        out.push(entry(
            d.height,
            Some(d.time),
            &d.decision,
            &d.request_id,
            detail,
            d.tx_id.clone(),
        ));
        if let Some(tx) = &d.tx_id {
            let id = util::id_from_hex(tx)?;
            if let Some((h, _, t)) = ledger.tx_by_id(&id).map_err(|e| anyhow!("{e}"))? {
                let (ev, detail) = match t {
                    Transaction::Grant(_) => ("grant-on-ledger", format!("grant is on the ledger at height {h}")),
                    _ => ("revocation-on-ledger", format!("revocation is on the ledger at height {h}: the grant can no longer be used")),
                };
                out.push(entry(h, None, ev, &d.request_id, detail, Some(tx.clone())));
            }
        }
    }
    let grants: Vec<(StoredGrant, Grant)> = store
        .grants
        .iter()
        .filter_map(|s| s.grant().ok().map(|g| (s.clone(), g)))
        .collect();
    for a in ledger.accesses().map_err(|e| anyhow!("{e}"))? {
        for (s, g) in &grants {
            if g.access_tag(a.binding) == a.tag {
                let request = match ledger.tx_by_id(&a.tx_id).map_err(|e| anyhow!("{e}"))? {
                    Some((_, _, Transaction::Access(t))) => {
                        String::from_utf8_lossy(&t.request).to_string()
                    }
                    _ => String::new(),
                };
                out.push(entry(
                    a.height,
                    Some(a.now),
                    "access",
                    &s.request_id,
                    format!(
                        "{} accessed {} for {} (request {request:?})",
                        s.institution_name, s.dataset, s.purpose
                    ),
                    Some(util::id_hex(&a.tx_id)),
                ));
            }
        }
    }
    let rank = |e: &str| match e {
        "request" => 0,
        "approved" | "denied" => 1,
        "grant-on-ledger" => 2,
        "access" => 3,
        "revoked" => 4,
        _ => 5,
    };
    out.sort_by_key(|a| (a.height, rank(&a.event)));
    Ok(out)
}

/// `consent log`.
pub fn cmd_log(session: &mut Session, owner_name: &str, as_json: bool) -> Result<()> {
    let entries = log(session, owner_name)?;
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"owner": owner_name, "log": entries}))?
        );
        return Ok(());
    }
    let addr = session.home.wallet(owner_name)?.address().encode();
    println!("consent log of {owner_name} ({addr})");
    if entries.is_empty() {
        println!("  nothing yet");
    }
    print_log(&entries);
    Ok(())
}

/// Prints log entries as a table.
pub fn print_log(entries: &[LogEntry]) {
    println!(
        "  {:>6} {:>8}  {:20} {:12} details",
        "height", "time", "event", "request"
    );
    for e in entries {
        println!(
            "  {:>6} {:>8}  {:20} {:12} {}{}",
            e.height,
            e.time.map(|t| t.to_string()).unwrap_or_default(),
            e.event,
            util::short(&e.request_id),
            e.detail,
            e.tx_id
                .as_ref()
                .map(|t| format!(" [tx {}]", util::short(t)))
                .unwrap_or_default()
        );
    }
}
