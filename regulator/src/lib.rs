//! # zkreg-regulator
//!
//! What a regulator links: it reads the audit trail of a [`zkreg_ledger::Ledger`] with its key,
//! exports it, and discloses single records to third parties with a proof that the decryption is
//! honest, which anyone holding the ledger checks without the key.
//!
//! ```text
//! ledger audit rows ──export::for_each_chunk (bounded chunks; S from an export::Opener, all cores)
//!                   ──▶ Records, in ledger order ──export::write_export──▶ CSV, JSON lines
//!                                                ──summary::Summary──▶ volume per asset/party/period
//!                                                ──graph::edges──▶ the spent-note edge list
//! one tx ──disclosure::disclose (S + Chaum–Pedersen proof)──▶ DisclosureFile
//!        ──disclosure::verify (ledger, no key)──▶ the Record the ledger holds, or a typed error
//! ```
//!
//! | module | what |
//! |---|---|
//! | [`record`] | typed audit records (an enum per kind), decoding through `S`, links to the ledger, the flat row form |
//! | [`export`] | streaming, parallel decryption of a height range; CSV and JSON-lines writers |
//! | [`summary`] | payments per asset and per party per period of heights |
//! | [`graph`] | the spent-note graph as an edge list (who paid whom, through which txs) |
//! | [`directory`] | a regulator's names for owner ids, added beside ids in every export |
//! | [`disclosure`] | disclosure files: make, verify against the ledger, [`DisclosureError`] |
//! | [`dleq`] | the Chaum–Pedersen proof that `log_G RPK = log_R S` (merlin transcript) |
//! | [`labels`] | names of asset, dataset and purpose field elements |
//!
//! docs/PROTOCOL.md ("Regulator audit and disclosures") states what a disclosure binds.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod committee;
pub mod directory;
pub mod disclosure;
pub mod dleq;
pub mod export;
pub mod graph;
pub mod labels;
pub mod record;
pub mod summary;

pub use directory::{Directory, DirectoryError};
pub use disclosure::{DisclosureError, DisclosureFile};
pub use export::Opener;
pub use labels::{Label, Labels};
pub use record::{AuditError, Record, RecordBody};
