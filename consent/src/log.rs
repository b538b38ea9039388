//! The data owner's consent log: requests addressed to it, its decisions, its grants and
//! revocations once on the ledger, and every on-ledger access made with one of its grants.
//!
//! Accesses hide which grant they use; the owner recognises its own by recomputing each
//! access's tag `H(ACCESS, gsecret, binding)` with the secret of every grant it made.

use crate::{ConsentDir, ConsentError, ConsentRequest, Decision, Party};
use serde::{Serialize, Serializer};
use std::fmt;
use zkreg_ledger::Ledger;
use zkreg_verifier::{Transaction, TxId};

/// What a log entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogEvent {
    /// An institution's request.
    Request,
    /// The owner approved (a grant was made).
    Approved,
    /// The owner denied.
    Denied,
    /// The grant is on the ledger.
    GrantOnLedger,
    /// An institution accessed the data with one of the owner's grants.
    Access,
    /// The owner withdrew consent (a revocation was made).
    Revoked,
    /// The revocation is on the ledger: the grant can no longer be used.
    RevocationOnLedger,
}

impl LogEvent {
    /// Its name, as in JSON: `request`, `approved`, `denied`, `grant-on-ledger`, `access`,
    /// `revoked`, `revocation-on-ledger`.
    pub fn name(self) -> &'static str {
        match self {
            LogEvent::Request => "request",
            LogEvent::Approved => "approved",
            LogEvent::Denied => "denied",
            LogEvent::GrantOnLedger => "grant-on-ledger",
            LogEvent::Access => "access",
            LogEvent::Revoked => "revoked",
            LogEvent::RevocationOnLedger => "revocation-on-ledger",
        }
    }

    /// Order of events at one height: a request comes before its decision, a grant before
    /// its accesses, accesses before a revocation.
    fn rank(self) -> u8 {
        match self {
            LogEvent::Request => 0,
            LogEvent::Approved | LogEvent::Denied => 1,
            LogEvent::GrantOnLedger => 2,
            LogEvent::Access => 3,
            LogEvent::Revoked => 4,
            LogEvent::RevocationOnLedger => 5,
        }
    }
}

impl fmt::Display for LogEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// One line of an owner's consent log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    /// Ledger height.
    pub height: u64,
    /// Ledger time, when known (a decision's, or an access's claimed time).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<u64>,
    /// What happened.
    pub event: LogEvent,
    /// Request id.
    pub request_id: String,
    /// Who (the institution's name).
    pub institution: String,
    /// Dataset.
    pub dataset: String,
    /// Purpose.
    pub purpose: String,
    /// Details in words.
    pub detail: String,
    /// The transaction, if any.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "hex_opt_id")]
    pub tx_id: Option<TxId>,
}

fn hex_opt_id<S: Serializer>(id: &Option<TxId>, s: S) -> Result<S::Ok, S::Error> {
    match id {
        Some(id) => s.serialize_str(&hex::encode(id)),
        None => s.serialize_none(),
    }
}

/// The consent log of `owner`, ordered by height (then request, decision, grant, access,
/// revocation): requests in `dir` addressed to it, its decisions, its grants and revocations
/// on the ledger, and every on-ledger access recognised with one of its grant secrets.
pub fn log(dir: &ConsentDir, ledger: &Ledger, owner: Party) -> Result<Vec<LogEntry>, ConsentError> {
    let address = owner.keys.address().encode();
    let store = dir.owner_store(owner.name)?;
    let requests: Vec<ConsentRequest> = dir
        .requests()
        .into_iter()
        .filter(|r| r.owner == address)
        .collect();
    let entry = |height, time, event, request_id: &str, detail: String, tx_id| {
        let r = requests.iter().find(|r| r.id == request_id);
        let field = |f: fn(&ConsentRequest) -> &String| r.map(f).cloned().unwrap_or_default();
        LogEntry {
            height,
            time,
            event,
            request_id: request_id.into(),
            institution: field(|r| &r.institution_name),
            dataset: field(|r| &r.dataset),
            purpose: field(|r| &r.purpose),
            detail,
            tx_id,
        }
    };
    let mut out = Vec::new();
    for r in &requests {
        let detail = format!(
            "{} asks for {} for {}, {} day(s): {:?}",
            r.institution_name, r.dataset, r.purpose, r.days, r.reason
        );
        out.push(entry(
            r.requested_height,
            Some(r.requested_at),
            LogEvent::Request,
            &r.id,
            detail,
            None,
        ));
    }
    for d in &store.decisions {
        let (event, detail, tx) = match &d.decision {
            Decision::Approved { grant_tx } => (
                LogEvent::Approved,
                "grant made (submit its tx to put it on the ledger)".to_string(),
                Some(*grant_tx),
            ),
            Decision::Denied { reason } => (
                LogEvent::Denied,
                match reason {
                    Some(n) => format!("request denied: {n}"),
                    None => "request denied".to_string(),
                },
                None,
            ),
            Decision::Revoked { revoke_tx } => (
                LogEvent::Revoked,
                "consent withdrawn (revocation tx made)".to_string(),
                Some(*revoke_tx),
            ),
        };
        out.push(entry(
            d.height,
            Some(d.time),
            event,
            &d.request_id,
            detail,
            tx,
        ));
        let Some(tx) = tx else { continue };
        if let Some((h, _, on_ledger)) = ledger.tx_by_id(&tx)? {
            let (event, detail) = match on_ledger {
                Transaction::Grant(_) => (
                    LogEvent::GrantOnLedger,
                    format!("grant is on the ledger at height {h}"),
                ),
                _ => (
                    LogEvent::RevocationOnLedger,
                    format!("revocation is on the ledger at height {h}: the grant can no longer be used"),
                ),
            };
            out.push(entry(h, None, event, &d.request_id, detail, Some(tx)));
        }
    }
    let grants: Vec<_> = store.grants.iter().map(|s| (s, s.grant())).collect();
    for a in ledger.accesses()? {
        for (s, g) in &grants {
            if g.access_tag(a.binding) != a.tag {
                continue;
            }
            let request = match ledger.tx_by_id(&a.tx_id)? {
                Some((_, _, Transaction::Access(t))) => {
                    String::from_utf8_lossy(&t.request).into_owned()
                }
                _ => String::new(),
            };
            let detail = format!(
                "{} accessed {} for {} (request {request:?})",
                s.institution_name, s.dataset, s.purpose
            );
            out.push(entry(
                a.height,
                Some(a.now),
                LogEvent::Access,
                &s.request_id,
                detail,
                Some(a.tx_id),
            ));
        }
    }
    out.sort_by_key(|e| (e.height, e.event.rank()));
    Ok(out)
}
