//! The HTTP API's request and response types, version 1 (`/v1/...`): one module that the node
//! serves, the client ([`crate::client`]) reads, and the OpenAPI document
//! (`GET /v1/openapi.json`) is generated from. Field elements, points, ids and byte strings are
//! lowercase hex of their canonical encodings (docs/PROTOCOL.md, "Wire format").

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An error: one line, and the ledger rule when a transaction broke one.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct ApiError {
    /// What went wrong, in one line.
    pub error: String,
    /// The ledger rule a refused transaction broke (e.g. `NullifierSpent`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

/// `GET /v1/status`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct StatusResponse {
    /// Chain name from the genesis.
    pub chain_id: String,
    /// Genesis hash (hex).
    pub chain_hash: String,
    /// Height of the last committed block.
    pub height: u64,
    /// Its time (seconds since the Unix epoch).
    pub time: u64,
    /// State root after it (hex).
    pub state_root: String,
    /// Highest height consensus has finalized (may lead `height` while blocks are fetched).
    pub finalized_height: u64,
    /// Note tree size.
    pub notes: u64,
    /// Grant tree size.
    pub grant_leaves: u64,
    /// Transactions applied in all.
    pub txs: u64,
    /// Transactions waiting in this validator's mempool.
    pub mempool_txs: usize,
    /// Their bytes.
    pub mempool_bytes: usize,
    /// Why this validator stopped applying blocks, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub halted: Option<String>,
}

/// `POST /v1/txs`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    /// The transaction's wire bytes (hex).
    pub tx: String,
}

/// Answer to `POST /v1/txs`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct SubmitResponse {
    /// Transaction id (hex).
    pub id: String,
    /// False if it was already waiting here.
    pub new: bool,
}

/// Where a transaction is.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TxState {
    /// Waiting in this validator's mempool.
    Pending,
    /// In a committed block.
    Committed,
    /// Dropped after admission (see `reason`).
    Refused,
    /// Not known here.
    Unknown,
}

/// `GET /v1/txs/{id}`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct TxStatusResponse {
    /// Transaction id (hex).
    pub id: String,
    /// Where it is.
    pub status: TxState,
    /// Block height, when committed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
    /// Index in the block, when committed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    /// Kind (`payment`, `grant`, `access`, `revoke`), when committed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The transaction's bytes (hex), when committed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx: Option<String>,
    /// Why it was dropped, when refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One transaction of a block.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct BlockTx {
    /// Id (hex).
    pub id: String,
    /// Kind.
    pub kind: String,
    /// Wire bytes (hex).
    pub tx: String,
}

/// `GET /v1/blocks/{height}`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct BlockResponse {
    /// Height.
    pub height: u64,
    /// Time.
    pub time: u64,
    /// State root after the block (hex).
    pub state_root: String,
    /// Its transactions, in order.
    pub txs: Vec<BlockTx>,
}

/// One note-tree output.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct CompactOutput {
    /// Leaf position.
    pub pos: u64,
    /// Note commitment (hex).
    pub cm: String,
    /// Delivery ciphertext (hex).
    pub delivery: String,
}

/// A grant-tree update.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct GrantUpdate {
    /// Leaf position.
    pub pos: u64,
    /// Grant commitment (hex).
    pub gcm: String,
}

/// What a wallet or a data owner needs of one block: nothing that depends on who asks.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct CompactBlock {
    /// Height.
    pub height: u64,
    /// Time.
    pub time: u64,
    /// Outputs appended to the note tree, in order.
    pub outputs: Vec<CompactOutput>,
    /// Nullifiers published (hex).
    pub nullifiers: Vec<String>,
    /// Grants appended.
    pub grants: Vec<GrantUpdate>,
    /// Grants revoked (the leaf at `pos` emptied).
    pub revocations: Vec<GrantUpdate>,
}

/// `GET /v1/compact?from=H&limit=N&wait_ms=T`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct CompactResponse {
    /// The committed height when answering.
    pub tip: u64,
    /// Note tree size at `tip`.
    pub notes: u64,
    /// Grant tree size at `tip`.
    pub grant_leaves: u64,
    /// Blocks `from..` (at most `limit`), in order.
    pub blocks: Vec<CompactBlock>,
}

/// One audit record, still encrypted: decryption stays with the regulator.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct AuditEntry {
    /// The ledger's audit row key, `height:u64 ‖ index:u32` big-endian (hex).
    pub key: String,
    /// The row, `kind:u8 ‖ tx id ‖ ciphertext` (hex): read with `zkreg_ledger::query::audit_record`.
    pub row: String,
}

/// `GET /v1/audit?from=H&to=H`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct AuditResponse {
    /// Records of heights `from..=to`, in ledger order.
    pub records: Vec<AuditEntry>,
}

/// `GET /v1/grants/{gcm}`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct GrantResponse {
    /// Leaf position.
    pub pos: u64,
    /// Height of the grant.
    pub height: u64,
    /// The grant transaction (hex id).
    pub tx_id: String,
    /// Height of its revocation, if revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<u64>,
    /// The revoking transaction (hex id), if revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_by: Option<String>,
}

/// `GET /v1/accesses/{tag}`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct AccessResponse {
    /// Block height.
    pub height: u64,
    /// Index in the block.
    pub index: u32,
    /// Transaction id (hex).
    pub tx_id: String,
    /// Binding (hex).
    pub binding: String,
    /// Claimed access time.
    pub now: u64,
}

/// `GET /v1/commitments/{cm}`: where a note commitment came from.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct OriginResponse {
    /// Leaf position.
    pub pos: u64,
    /// Block height.
    pub height: u64,
    /// Index in the block.
    pub index: u32,
    /// Creating transaction (hex id).
    pub tx_id: String,
}

/// `GET /v1/anchors`: what a wallet needs to build a transaction for the next block.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct AnchorsResponse {
    /// Committed height.
    pub height: u64,
    /// Note roots an anchor may be taken from (hex), oldest first.
    pub note_roots: Vec<String>,
    /// The regulator key in force for the next block (hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_rpk: Option<String>,
    /// The regulator-key schedule: the genesis entries and every rotation applied.
    #[serde(default)]
    pub regulator_keys: Vec<RegulatorKeyView>,
}

/// One entry of the regulator-key schedule.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct RegulatorKeyView {
    /// First height at which the key is in force.
    pub from_height: u64,
    /// The key (hex, compressed Jubjub).
    pub rpk: String,
}
