//! `zkreg consent ...`: names resolved through the home (wallet keys, `HOME/consent/`, the
//! ledger, the prover), the work done by [`zkreg_consent`], results printed.

use crate::{
    home::{Home, Session},
    progress, util,
};
use anyhow::{anyhow, Result};
use rand::rngs::OsRng;
use serde_json::json;
use zkreg_consent::{self as lib, AccessRequest, ConsentDir, ConsentError, LogEntry, Party};
use zkreg_prover::prove::ProveEvent;

pub use zkreg_consent::{ConsentRequest, GrantRef, Proven};

/// How an owner names the grant to revoke, as given on the command line.
pub enum RevokeRef {
    /// By request id.
    Request(String),
    /// By grant tx id (hex).
    GrantTx(String),
}

fn consent_dir(home: &Home) -> ConsentDir {
    ConsentDir::new(home.consent())
}

/// Runs `f` under a spinner that names the statement being proven.
fn proving<T>(f: impl FnOnce(&mut dyn FnMut(ProveEvent)) -> T) -> T {
    let pb = progress::spinner("proving");
    let out = f(&mut |ev| {
        if let ProveEvent::Started { circuit, .. } = ev {
            pb.set_message(format!("proving the {} statement", circuit.name()));
        }
    });
    pb.finish_and_clear();
    out
}

/// Every valid request in this home's inbox.
pub fn all_requests(home: &Home) -> Vec<ConsentRequest> {
    consent_dir(home).requests()
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
    let keys = session.home.wallet(institution)?;
    let dir = consent_dir(&session.home);
    let terms = lib::RequestTerms {
        dataset,
        purpose,
        reason,
        days,
    };
    let party = Party {
        name: institution,
        keys: &keys,
    };
    Ok(lib::institution::request(
        &dir,
        session.ledger()?,
        party,
        owner,
        &terms,
        &mut OsRng,
    )?)
}

/// `consent approve`: proves the grant; the owner's store keeps it and logs the decision.
pub fn approve(session: &mut Session, owner_name: &str, req: &ConsentRequest) -> Result<Proven> {
    let keys = session.home.wallet(owner_name)?;
    let dir = consent_dir(&session.home);
    let (ledger, prover) = session.ledger_and_prover(zkreg_verifier::TxKind::Grant)?;
    let owner = Party {
        name: owner_name,
        keys: &keys,
    };
    Ok(proving(|p| {
        lib::approve(&dir, ledger, prover, owner, req, &mut OsRng, p)
    })?)
}

/// `consent deny`: logs the refusal (nothing goes on the ledger).
pub fn deny(
    session: &mut Session,
    owner_name: &str,
    req: &ConsentRequest,
    note: Option<String>,
) -> Result<()> {
    let keys = session.home.wallet(owner_name)?;
    let dir = consent_dir(&session.home);
    let owner = Party {
        name: owner_name,
        keys: &keys,
    };
    Ok(lib::deny(&dir, session.ledger()?, owner, req, note)?)
}

/// `consent access`: the institution proves it holds a valid grant, or learns why not.
pub fn access(
    session: &mut Session,
    inst_name: &str,
    grant: &GrantRef,
    nonce: &str,
    now: Option<u64>,
    service: Option<&str>,
) -> Result<Proven> {
    let keys = session.home.wallet(inst_name)?;
    let (ledger, prover) = session.ledger_and_prover(zkreg_verifier::TxKind::Access)?;
    let inst = Party {
        name: inst_name,
        keys: &keys,
    };
    let request = AccessRequest {
        nonce,
        service,
        now,
    };
    Ok(proving(|p| {
        lib::access(ledger, prover, inst, grant, &request, &mut OsRng, p)
    })?)
}

/// `consent revoke`: proves the revocation; the owner's store logs it.
pub fn revoke(session: &mut Session, owner_name: &str, which: &RevokeRef) -> Result<Proven> {
    let keys = session.home.wallet(owner_name)?;
    let which = match which {
        RevokeRef::Request(id) => lib::RevokeRef::Request(id.clone()),
        RevokeRef::GrantTx(tx) => lib::RevokeRef::GrantTx(util::id_from_hex(tx)?),
    };
    let dir = consent_dir(&session.home);
    let (ledger, prover) = session.ledger_and_prover(zkreg_verifier::TxKind::Revoke)?;
    let owner = Party {
        name: owner_name,
        keys: &keys,
    };
    proving(|p| lib::revoke(&dir, ledger, prover, owner, &which, &mut OsRng, p)).map_err(
        |e| match e {
            ConsentError::NoSuchGrant { .. } => {
                anyhow!("{e} (see `zkreg consent log --owner {owner_name}`)")
            }
            e => e.into(),
        },
    )
}

/// The consent log of an owner.
pub fn log(session: &mut Session, owner_name: &str) -> Result<Vec<LogEntry>> {
    let keys = session.home.wallet(owner_name)?;
    let dir = consent_dir(&session.home);
    let owner = Party {
        name: owner_name,
        keys: &keys,
    };
    Ok(lib::log(&dir, session.ledger()?, owner)?)
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
                .map(|t| format!(" [tx {}]", util::short(&util::id_hex(t))))
                .unwrap_or_default()
        );
    }
}
