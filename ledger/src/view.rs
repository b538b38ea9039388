//! [`LedgerView`]: the read-only questions a regulator's export and a wallet ask of a ledger,
//! answered by a local [`Ledger`] or by a node over HTTP (`zkreg_node::client`), so the CLI's
//! `--node` and local paths run the same library code.

use crate::{
    query::{AuditRecord, GrantOrigin, Origin, RawRow},
    ChainConfig, Ledger, LedgerError,
};
use ark_bls12_381::Fr;
use zkreg_verifier::{Transaction, TxId};

/// Read access to a ledger's committed state.
pub trait LedgerView: Sync {
    /// The chain configuration.
    fn config(&self) -> &ChainConfig;
    /// Committed height.
    fn height(&self) -> Result<u64, LedgerError>;
    /// Audit records of heights `from..=to`.
    fn audit_records(&self, from: u64, to: u64) -> Result<Vec<AuditRecord>, LedgerError>;
    /// The raw audit rows of heights `from..=to` (key `height ‖ index`, value `kind ‖ tx id ‖
    /// payload`), in ledger order, for a reader that decodes them itself
    /// ([`crate::query::audit_record`], e.g. on several cores).
    fn audit_rows(&self, from: u64, to: u64) -> Result<Vec<RawRow>, LedgerError>;
    /// A transaction's encoding by id: `(height, index, bytes)`, not decoded (a reader that
    /// needs only its public fields reads them with `Transaction::public_fields`).
    fn tx_bytes(&self, id: &TxId) -> Result<Option<(u64, u32, Vec<u8>)>, LedgerError>;
    /// A transaction by id: `(height, index, tx)`.
    fn tx_by_id(&self, id: &TxId) -> Result<Option<(u64, u32, Transaction)>, LedgerError>;
    /// The transaction that created a note commitment.
    fn commitment_origin(&self, cm: &Fr) -> Result<Option<Origin>, LedgerError>;
    /// The grant with commitment `gcm`.
    fn grant_by_gcm(&self, gcm: &Fr) -> Result<Option<GrantOrigin>, LedgerError>;
    /// The regulator-key schedule: which key is in force from which height (genesis entries
    /// and applied rotations). Ask once per export, not per record.
    fn key_schedule(&self) -> Result<crate::genesis::KeySchedule, LedgerError>;
}

impl LedgerView for Ledger {
    fn config(&self) -> &ChainConfig {
        Ledger::config(self)
    }
    fn height(&self) -> Result<u64, LedgerError> {
        Ok(self.status().height)
    }
    fn audit_records(&self, from: u64, to: u64) -> Result<Vec<AuditRecord>, LedgerError> {
        Ledger::audit_records(self, from, to)
    }
    fn audit_rows(&self, from: u64, to: u64) -> Result<Vec<RawRow>, LedgerError> {
        Ledger::audit_rows(self, from, to)
    }
    fn tx_by_id(&self, id: &TxId) -> Result<Option<(u64, u32, Transaction)>, LedgerError> {
        Ledger::tx_by_id(self, id)
    }
    fn tx_bytes(&self, id: &TxId) -> Result<Option<(u64, u32, Vec<u8>)>, LedgerError> {
        Ledger::tx_bytes(self, id)
    }
    fn commitment_origin(&self, cm: &Fr) -> Result<Option<Origin>, LedgerError> {
        Ledger::commitment_origin(self, cm)
    }
    fn grant_by_gcm(&self, gcm: &Fr) -> Result<Option<GrantOrigin>, LedgerError> {
        Ledger::grant_by_gcm(self, gcm)
    }
    fn key_schedule(&self) -> Result<crate::genesis::KeySchedule, LedgerError> {
        Ok(Ledger::key_schedule(self).clone())
    }
}
