//! # zkreg-consent
//!
//! Data consent on a zkreg ledger. An institution (a lender) asks a data owner (a consumer) to
//! share a dataset (rent payments) for a purpose; the owner approves with an on-ledger grant,
//! denies, or later revokes; the institution proves access with a valid grant without showing
//! which one, or learns why it may not; the owner's log shows requests, decisions and every
//! on-ledger access made with its grants (recognised by recomputing each access tag with the
//! grant secret). The statements and ledger rules are in `docs/PROTOCOL.md`.
//!
//! ```text
//! institution ──request()──▶ ConsentRequest (JSON file) ──▶ owner
//! owner ──approve()──▶ grant tx ──ledger──▶ institution ──access()──▶ access tx ──ledger
//!       ──deny()────▶ logged locally only
//!       ──revoke()──▶ revoke tx ──ledger──▶ access() refused: AccessRefused::Revoked
//! owner ──log()─────▶ [LogEntry]: request, approved|denied, grant-on-ledger, access, revoked, …
//! ```
//!
//! | module | what |
//! |---|---|
//! | [`request`] | [`ConsentRequest`]: what an institution asks; its id covers every field, so an altered file is refused |
//! | [`store`] | the consent directory ([`ConsentDir`]): the request inbox and each owner's [`OwnerStore`] (decisions and grants with their secrets), bounded and validated on read |
//! | [`owner`] | the data owner: [`approve`] (proves a grant), [`deny`], [`revoke`] |
//! | [`institution`] | the institution: [`request`](institution::request), [`access`] (proves a valid grant, or says why not) |
//! | [`log`](mod@log) | the owner's consent log: [`LogEntry`], [`LogEvent`] |
//! | [`error`] | [`ConsentError`] and its parts [`AccessRefused`], [`RequestError`], [`FileError`] |
//!
//! Nothing here reads the wall clock: times are the ledger's. Every function takes its inputs
//! explicitly (keys, the ledger, the prover, the consent directory, a random source).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod error;
pub mod institution;
pub mod log;
pub mod owner;
pub mod request;
pub mod store;

pub use error::{AccessRefused, ConsentError, FileError, RequestError};
pub use institution::{access, AccessRequest, GrantRef};
pub use log::{log, LogEntry, LogEvent};
pub use owner::{approve, deny, revoke, RevokeRef};
pub use request::{ConsentRequest, RequestTerms, DAY, REQUEST_FORMAT};
pub use store::{ConsentDir, Decision, DecisionRecord, OwnerStore, StoredGrant};

use rand::{CryptoRng, RngCore};
use zkreg_circuits::ecc::JubjubAffine;
use zkreg_ledger::Ledger;
use zkreg_prover::{
    keys::WalletKeys,
    prove::{ProveEvent, Prover, UnprovenTx},
};
use zkreg_verifier::{Transaction, TxId};

/// A wallet acting in the consent flow: its local name (errors and the owner's store use it)
/// and its keys.
#[derive(Clone, Copy)]
pub struct Party<'a> {
    /// Local name (e.g. the key file's name).
    pub name: &'a str,
    /// Keys.
    pub keys: &'a WalletKeys,
}

/// A proven transaction, ready to submit.
#[derive(Clone, Debug)]
pub struct Proven {
    /// The transaction.
    pub tx: Transaction,
    /// Proving time in seconds.
    pub prove_secs: f64,
}

/// Proves `u`, passing the prover's events on to `progress`.
fn prove<R: RngCore + CryptoRng>(
    prover: &Prover,
    u: UnprovenTx,
    rng: &mut R,
    progress: &mut dyn FnMut(ProveEvent),
) -> Result<Proven, ConsentError> {
    let circuit = u.circuit();
    let mut prove_secs = 0.0;
    let mut on_event = |ev: ProveEvent| {
        if let ProveEvent::Finished { millis, .. } = ev {
            prove_secs = millis / 1e3;
        }
        progress(ev);
    };
    let tx = prover
        .prove_all(vec![u], rng, &mut on_event)?
        .pop()
        .ok_or_else(|| {
            zkreg_prover::prove::ProveError::Groth16(circuit, "no proof produced".into())
        })?;
    Ok(Proven { tx, prove_secs })
}

/// The regulator key in force for the next block (what a new grant or access must encrypt to).
fn next_rpk(ledger: &Ledger) -> Result<JubjubAffine, ConsentError> {
    ledger.next_rpk().ok_or(ConsentError::NoRegulatorKey {
        height: ledger.status().height + 1,
    })
}

/// The first 12 hex characters of a transaction id, as messages show it.
fn short(id: &TxId) -> String {
    hex::encode(&id[..6])
}
