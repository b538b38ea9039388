//! # zkreg-regulator
//!
//! What a regulator links: it reads the audit trail of a [`zkreg_ledger::Ledger`] with its key,
//! exports it, and discloses single records to third parties with a proof that the decryption is
//! honest, which anyone holding the ledger checks without the key.
//!
//! ```text
//! ledger audit records ──export::decrypt_range (S = rsk·R, all cores)──▶ Vec<Record>
//!                        ──export::write_csv / write_json_lines──▶ CSV, JSON lines
//! one tx ──disclosure::disclose (S + Chaum–Pedersen proof)──▶ DisclosureFile
//!        ──disclosure::verify (ledger, no key)──▶ the Record the ledger holds, or a typed error
//! ```
//!
//! | module | what |
//! |---|---|
//! | [`record`] | typed audit records (an enum per kind), decoding through `S`, links to the ledger, the flat row form |
//! | [`export`] | parallel decryption of a height range; CSV and JSON-lines writers |
//! | [`disclosure`] | disclosure files: make, verify against the ledger, [`DisclosureError`] |
//! | [`dleq`] | the Chaum–Pedersen proof that `log_G RPK = log_R S` (merlin transcript) |
//! | [`labels`] | names of asset, dataset and purpose field elements |
//!
//! docs/PROTOCOL.md ("Regulator audit and disclosures") states what a disclosure binds.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod committee;
pub mod disclosure;
pub mod dleq;
pub mod export;
pub mod labels;
pub mod record;

pub use disclosure::{DisclosureError, DisclosureFile};
pub use labels::{Label, Labels};
pub use record::{AuditError, Record, RecordBody};
