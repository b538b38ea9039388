//! Typed errors. Each message is one line meant for the person who acts: the data owner, the
//! institution, or whoever repairs a file. A message is complete on its own: no inner error is
//! also exposed as `source()`, so printing the chain (`{:#}` in anyhow) does not repeat it.

use crate::short;
use std::path::PathBuf;
use zkreg_ledger::LedgerError;
use zkreg_prover::{builder::BuildError, keys::KeyError, prove::ProveError};
use zkreg_verifier::TxId;

/// Why a consent operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ConsentError {
    /// A consent request is invalid.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// A request file holds an invalid request (e.g. an altered one).
    #[error("{}: {error}", path.display())]
    RequestFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with the request.
        error: RequestError,
    },
    /// A consent file cannot be read or written, or is corrupt.
    #[error(transparent)]
    File(#[from] FileError),
    /// The institution may not access the data.
    #[error(transparent)]
    AccessRefused(#[from] AccessRefused),
    /// The request is addressed to another data owner.
    #[error("request {request} is addressed to {addressed_to}, not to {name} ({address})")]
    NotAddressedToYou {
        /// Request id.
        request: String,
        /// The owner the request names.
        addressed_to: String,
        /// The deciding wallet's name.
        name: String,
        /// Its address.
        address: String,
    },
    /// The request is already approved: the owner revokes the grant to change the decision.
    #[error(
        "request {request} is already approved (grant tx {}); revoke it first to change the decision",
        hex::encode(grant_tx)
    )]
    AlreadyApproved {
        /// Request id.
        request: String,
        /// The grant made.
        grant_tx: TxId,
    },
    /// The owner made no grant for this request or with this transaction id.
    #[error("{owner} made no such grant")]
    NoSuchGrant {
        /// The owner's name.
        owner: String,
    },
    /// The grant to revoke never reached the ledger, so there is nothing to revoke.
    #[error(
        "grant tx {} is not on the ledger yet: nothing to revoke (simply do not submit it)",
        hex::encode(grant_tx)
    )]
    GrantNotOnLedger {
        /// The grant transaction.
        grant_tx: TxId,
    },
    /// The grant is already revoked.
    #[error("the grant of request {request} is already revoked")]
    AlreadyRevoked {
        /// Request id.
        request: String,
    },
    /// The transaction named as a grant is of another kind.
    #[error("tx {} is not a grant", hex::encode(tx))]
    NotAGrant {
        /// The transaction.
        tx: TxId,
    },
    /// The public access request (service and nonce) exceeds the wire bound.
    #[error("service and nonce are too long ({len} bytes, at most {max})")]
    AccessRequestTooLong {
        /// Its length.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// The genesis names no regulator key for the next block.
    #[error("the genesis names no regulator key for height {height}")]
    NoRegulatorKey {
        /// The next height.
        height: u64,
    },
    /// Ledger time plus the requested duration overflows 64 bits.
    #[error("expiry overflows")]
    ExpiryOverflow,
    /// A transaction builder refused.
    #[error("cannot build the {what}: {error}")]
    Build {
        /// `grant`, `access` or `revocation`.
        what: &'static str,
        /// The builder's reason.
        error: BuildError,
    },
    /// Proving failed.
    #[error(transparent)]
    Prove(#[from] ProveError),
    /// The ledger could not be read.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// Why an institution may not access: it holds no valid grant. Every message starts with
/// `access refused: `.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AccessRefused {
    /// No grant answering the request is on the ledger.
    #[error("access refused: no grant for request {request} is on the ledger (the owner has not approved it, denied it, or the grant was not submitted yet)")]
    NoGrant {
        /// Request id.
        request: String,
    },
    /// The named grant transaction is not on the ledger.
    #[error(
        "access refused: grant tx {} is not on the ledger",
        hex::encode(grant_tx)
    )]
    UnknownGrant {
        /// The grant transaction.
        grant_tx: TxId,
    },
    /// The grant was made out to another institution.
    #[error(
        "access refused: grant tx {} was not made out to {institution}",
        hex::encode(grant_tx)
    )]
    NotYourGrant {
        /// The grant transaction.
        grant_tx: TxId,
        /// The institution that tried.
        institution: String,
    },
    /// The request was made by another institution.
    #[error(
        "access refused: request {request} was made by another institution, not {institution}"
    )]
    NotYourRequest {
        /// Request id.
        request: String,
        /// The institution that tried.
        institution: String,
    },
    /// The data owner revoked the grant.
    #[error(
        "access refused: the data owner revoked this grant at height {height} (revoke tx {}); grant tx {} (height {grant_height}) can no longer be used",
        short(revoke_tx),
        hex::encode(grant_tx)
    )]
    Revoked {
        /// Height of the revocation.
        height: u64,
        /// The revocation.
        revoke_tx: TxId,
        /// The grant.
        grant_tx: TxId,
        /// Height of the grant.
        grant_height: u64,
    },
    /// The grant is no longer in the grant tree (revoked; the revocation was not found).
    #[error("access refused: the grant is no longer in the grant tree (revoked)")]
    NotInTree,
    /// The grant expired before the access time.
    #[error("access refused: the grant expired at time {expiry} (access time {now})")]
    Expired {
        /// Grant expiry.
        expiry: u64,
        /// Access time.
        now: u64,
    },
}

/// Why a consent request is invalid.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The format tag is not [`crate::REQUEST_FORMAT`].
    #[error("not a consent request (format {0:?})")]
    Format(String),
    /// The id does not match the contents: the request was altered.
    #[error("the request was altered: its id does not match its contents")]
    Altered,
    /// The institution's address does not decode.
    #[error("institution address: {0}")]
    InstitutionAddress(KeyError),
    /// The owner's address does not decode.
    #[error("owner address: {0}")]
    OwnerAddress(KeyError),
    /// The duration is out of range.
    #[error("the request asks for {days} days; it must be at least 1 and at most {max}")]
    Days {
        /// Days asked for.
        days: u64,
        /// The bound.
        max: u64,
    },
    /// The dataset or the purpose is empty.
    #[error("the request names no dataset or no purpose")]
    Unnamed,
    /// A text field exceeds its bound.
    #[error("the request's {field} is {len} bytes, at most {max}")]
    TooLong {
        /// Field name.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The bound.
        max: usize,
    },
}

/// A consent file that cannot be read or written, or is corrupt. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Reading failed.
    #[error("cannot read {}: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// Writing (or creating the directory) failed.
    #[error("cannot write {}: {error}", path.display())]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The file is larger than a file of its kind may be.
    #[error("{}: more than {max} bytes, too large for a {what}", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// `consent request` or `consent store`.
        what: &'static str,
        /// The bound.
        max: u64,
    },
    /// The file does not parse or its contents are inconsistent.
    #[error("{}: {what}: {reason}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// `not a consent request` or `corrupt consent store`.
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// An owner name that cannot name a store file.
    #[error("invalid owner name {0:?}: use letters, digits, '-', '_' or '.' (at most 64, not starting with '.')")]
    InvalidName(String),
}
