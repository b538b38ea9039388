//! Errors: a rejected transaction names itself and the rule it broke.

use zkreg_verifier::{DecodeError, TxId, VerifyError};

/// The rule a transaction or block broke. Each is checked in one place (`ledger.rs`,
/// `BlockContext`); docs/PROTOCOL.md lists them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rule {
    /// The bytes are not a valid transaction encoding.
    #[error("malformed transaction: {0}")]
    Decode(DecodeError),
    /// Stateless verification failed (proof, issuer signature, field rules), on this chain.
    #[error("verification failed: {0}")]
    Verify(VerifyError),
    /// The transaction's id is already in state: a replay of an applied transaction.
    #[error("transaction already on the ledger (replay)")]
    TxReplayed,
    /// The payment's anchor is not among the last `window` note-tree roots.
    #[error("the anchor is not among the last {window} note-tree roots")]
    UnknownAnchor {
        /// The anchor window.
        window: u64,
    },
    /// A nullifier was already published (double spend).
    #[error("nullifier already spent")]
    NullifierSpent,
    /// The same nullifier appears twice in the block (or twice in one tx).
    #[error("nullifier appears twice in this block")]
    DuplicateNullifier,
    /// The tx's regulator key is not the one configured at this height.
    #[error("regulator key is not the one in force at this height")]
    WrongRegulatorKey,
    /// A deposit or withdrawal is not signed by an issuer of its asset.
    #[error("deposit/withdrawal needs the signature of an issuer of this asset")]
    UnauthorisedIssuer,
    /// The access tag was seen before (replay).
    #[error("access tag already used")]
    TagReplayed,
    /// The grant root is unknown, too old, or predates the latest revocation.
    #[error("grant root is unknown, outside the window, or older than the latest revocation")]
    StaleGrantRoot,
    /// The access's `now` is not in `[block time, block time + tolerance]`. Since the proof
    /// shows `now ≤ expiry`, this keeps an access from landing after its grant's expiry.
    #[error(
        "access time {now} is not within [{block_time}, {block_time} + {tolerance}] (block time)"
    )]
    AccessTime {
        /// Claimed time.
        now: u64,
        /// Block time.
        block_time: u64,
        /// How far ahead of block time `now` may be.
        tolerance: u64,
    },
    /// A grant with this commitment is already on the ledger (or earlier in the block): the
    /// same grant at a second position would survive the revocation of the first.
    #[error("a grant with this commitment already exists")]
    GrantExists,
    /// The block already holds the most grants one block may append.
    #[error("more than {max} grants in one block")]
    TooManyGrants {
        /// The genesis bound `max_grants_per_block`.
        max: u64,
    },
    /// A revocation names a position that does not hold that grant (or it is already revoked).
    #[error("no such live grant at position {0}")]
    NoSuchGrant(u64),
    /// A tree is full.
    #[error("tree is full")]
    TreeFull,
    /// The block's height is not the next one.
    #[error("block height {got} is not the next height {expected}")]
    WrongHeight {
        /// Expected height.
        expected: u64,
        /// Given height.
        got: u64,
    },
    /// Block time went backwards.
    #[error("block time {got} is before the previous block's {previous}")]
    TimeWentBackwards {
        /// Previous block time.
        previous: u64,
        /// Given time.
        got: u64,
    },
    /// A rotation's sequence number is not the number of rotations applied so far (a replay,
    /// or signed for another point in the chain's history).
    #[error("rotation sequence {got} is not the next one ({expected})")]
    RotationSequence {
        /// Rotations applied so far.
        expected: u64,
        /// The rotation's sequence.
        got: u64,
    },
    /// A rotation does not replace the regulator key in force at this height.
    #[error("the rotation replaces a key that is not the regulator key in force")]
    RotationKey,
    /// A rotation was made while another scheduled key is not yet in force.
    #[error("a regulator key scheduled from height {from_height} is not yet in force")]
    RotationPending {
        /// Its first height.
        from_height: u64,
    },
    /// A rotation's `from_height` is not after this block.
    #[error(
        "a rotation must apply from a later height than this block's ({height}), not {from_height}"
    )]
    RotationHeight {
        /// The rotation's first height.
        from_height: u64,
        /// This block's height.
        height: u64,
    },
    /// The same transaction twice in a block.
    #[error("duplicate transaction in block")]
    DuplicateTx,
}

/// A transaction (or block) rejection: which one and why. State is untouched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{rule}", match (index, tx_id) {
    (Some(i), Some(id)) => format!("tx #{i} ({}): ", hex::encode(id)),
    (Some(i), None) => format!("tx #{i}: "),
    _ => String::new(),
})]
pub struct Rejection {
    /// Index in the block, when a transaction is at fault.
    pub index: Option<usize>,
    /// Its id, when it decoded.
    pub tx_id: Option<TxId>,
    /// The rule broken.
    pub rule: Rule,
}

impl Rejection {
    pub(crate) fn block(rule: Rule) -> Self {
        Rejection {
            index: None,
            tx_id: None,
            rule,
        }
    }
}

/// Errors of the ledger itself (not of a transaction).
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// RocksDB failed.
    #[error("database: {0}")]
    Db(#[from] rocksdb::Error),
    /// Stored data is not what this version wrote.
    #[error("database is corrupt: {0}")]
    Corrupt(String),
    /// The genesis configuration is invalid.
    #[error("genesis: {0}")]
    Genesis(String),
    /// The database was created with another genesis.
    #[error("the database was initialised with a different genesis")]
    GenesisMismatch,
    /// Verifying keys do not match the genesis.
    #[error("verifying keys: {0}")]
    Keys(String),
    /// A transaction or block was rejected.
    #[error("{0}")]
    Rejected(#[from] Rejection),
    /// A query asked for something that does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A remote ledger (a node's API) could not answer.
    #[error("node: {0}")]
    Remote(String),
}
