//! Transactions: the five kinds the ledger accepts, as data.
//!
//! Every statement kind has a *body* (every field except the proof and, for payments, the issuer
//! signature) and a proof. A regulator-key rotation has no proof: its body carries the
//! signatures of the key it replaces ([`crate::rotation`]). The body's canonical encoding (see [`crate::wire`]) gives:
//!
//! * the transaction id `BLAKE2b-256("zkreg/v1/txid" ‖ body)`, which issuers sign;
//! * the statement's `binding = BLAKE2b-512("zkreg/v1/binding" ‖ chain ‖ body) mod r`, a public
//!   input, so a proof cannot be lifted onto other delivery ciphertexts, memo, destination or
//!   nonce, nor onto another chain (`chain` is the genesis hash, [`ChainId`]).
//!
//! Issuers sign `"zkreg/v1/issuer" ‖ chain ‖ id` (see [`crate::wire::issuer_message`]), so a
//! deposit an issuer authorised on a test chain authorises nothing elsewhere.

use ark_bls12_381::{Bls12_381, Fr};
use ark_groth16::Proof;
use zkreg_circuits::{
    access::{AccessCiphertext, AccessPublic},
    ecc::JubjubAffine,
    grant::{GrantCiphertext, GrantPublic},
    payment::{PaymentCiphertext, PaymentPublic},
    revoke::RevokePublic,
};

pub use crate::rotation::{RotationSigner, RotationTerms, SchnorrSignature};

/// Encoding version written first in every transaction.
pub const TX_VERSION: u8 = 1;
/// Maximum bytes of a note delivery ciphertext.
pub const MAX_DELIVERY_BYTES: usize = 256;
/// Maximum bytes of a memo.
pub const MAX_MEMO_BYTES: usize = 512;
/// Maximum bytes of a withdrawal destination.
pub const MAX_DESTINATION_BYTES: usize = 128;
/// Maximum bytes of an access request (data service id and nonce).
pub const MAX_REQUEST_BYTES: usize = 128;
/// Maximum bytes of a whole encoded transaction.
pub const MAX_TX_BYTES: usize = 4096;

/// A Groth16 proof over BLS12-381.
pub type Groth16Proof = Proof<Bls12_381>;

/// A 32-byte transaction id.
pub type TxId = [u8; 32];

/// The identity of a chain: the BLAKE2b-256 hash of its genesis (`zkreg_ledger::ChainConfig::hash`).
/// Every statement's binding and every issuer signature covers it (docs/PROTOCOL.md, "Binding"),
/// so nothing made for one chain verifies on another.
pub type ChainId = [u8; 32];

/// The five transaction kinds.
///
/// Variants stay unboxed, so callers can build and match them directly: a payment (~1.2 KB
/// inline) is larger than the others (≤ 0.8 KB), a small padding cost next to a proof check.
#[derive(Clone, Debug, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum Transaction {
    /// Statement 1.
    Payment(PaymentTx),
    /// Statement 2.
    Grant(GrantTx),
    /// Statement 3.
    Access(AccessTx),
    /// Statement 4.
    Revoke(RevokeTx),
    /// A regulator-key rotation (no statement: signed by the key it replaces).
    Rotate(RotateTx),
}

/// The transaction kinds, with one kind byte on the wire and one name each. The four of
/// [`TxKind::STATEMENTS`] are the statement registry: each is one statement and one circuit,
/// with one name (manifest, key files, CLI), one verifying key and one public-input layout
/// (`zkreg_circuits::<name>::layout`). [`TxKind::Rotate`] has no statement.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
#[repr(u8)]
pub enum TxKind {
    /// Payment.
    Payment = 1,
    /// Grant.
    Grant = 2,
    /// Access.
    Access = 3,
    /// Revoke.
    Revoke = 4,
    /// Regulator-key rotation.
    Rotate = 5,
}

impl TxKind {
    /// Every kind with a statement (a circuit, a key pair), in manifest order.
    pub const STATEMENTS: [TxKind; 4] = [
        TxKind::Payment,
        TxKind::Grant,
        TxKind::Access,
        TxKind::Revoke,
    ];

    /// Lower-case name, also the key files' stem.
    pub fn name(self) -> &'static str {
        match self {
            TxKind::Payment => "payment",
            TxKind::Grant => "grant",
            TxKind::Access => "access",
            TxKind::Revoke => "revoke",
            TxKind::Rotate => "rotate",
        }
    }

    /// Number of public inputs of the statement (from its layout); 0 for a rotation.
    pub fn public_inputs(self) -> usize {
        use zkreg_circuits::{access, grant, payment, revoke};
        match self {
            TxKind::Payment => payment::layout::LEN,
            TxKind::Grant => grant::layout::LEN,
            TxKind::Access => access::layout::LEN,
            TxKind::Revoke => revoke::layout::LEN,
            TxKind::Rotate => 0,
        }
    }
}

/// An issuer's Ed25519 signature over the transaction id (deposits and withdrawals).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerSignature {
    /// Issuer public key.
    pub issuer: [u8; 32],
    /// Signature over the tx id.
    pub signature: [u8; 64],
}

/// A payment (private transfer, deposit or withdrawal).
#[derive(Clone, Debug, PartialEq)]
pub struct PaymentTx {
    /// Note tree root the inputs are proven against.
    pub anchor: Fr,
    /// Nullifiers of the two inputs.
    pub nullifiers: [Fr; 2],
    /// Commitments of the two outputs.
    pub output_commitments: [Fr; 2],
    /// Deposit amount.
    pub v_in_pub: u64,
    /// Withdrawal amount.
    pub v_out_pub: u64,
    /// Fee.
    pub fee: u64,
    /// Asset of the public amounts (0 on fee-less private transfers).
    pub asset_pub: Fr,
    /// Regulator key the audit ciphertext is encrypted to.
    pub rpk: JubjubAffine,
    /// Audit ciphertext.
    pub audit: PaymentCiphertext,
    /// Note delivery ciphertexts, one per output (≤ [`MAX_DELIVERY_BYTES`] each).
    pub deliveries: [Vec<u8>; 2],
    /// Withdrawal destination (≤ [`MAX_DESTINATION_BYTES`]; empty unless `v_out_pub > 0`).
    pub destination: Vec<u8>,
    /// Free-form memo (≤ [`MAX_MEMO_BYTES`]).
    pub memo: Vec<u8>,
    /// Issuer signature, required when `v_in_pub > 0` or `v_out_pub > 0`.
    pub issuer_signature: Option<IssuerSignature>,
    /// The proof.
    pub proof: Groth16Proof,
}

/// A grant (a data owner approves a request).
#[derive(Clone, Debug, PartialEq)]
pub struct GrantTx {
    /// Grant commitment to append to the grant tree.
    pub gcm: Fr,
    /// Regulator key.
    pub rpk: JubjubAffine,
    /// Audit ciphertext.
    pub audit: GrantCiphertext,
    /// The grant (with `gsecret`) encrypted to the institution (≤ [`MAX_DELIVERY_BYTES`]).
    pub delivery: Vec<u8>,
    /// Memo (≤ [`MAX_MEMO_BYTES`]).
    pub memo: Vec<u8>,
    /// The proof.
    pub proof: Groth16Proof,
}

/// An access (an institution uses a grant).
#[derive(Clone, Debug, PartialEq)]
pub struct AccessTx {
    /// Grant tree root the grant is proven against.
    pub grant_root: Fr,
    /// Time of access (seconds; the ledger checks it against block time).
    pub now: u64,
    /// Access tag `H(ACCESS, gsecret, binding)`.
    pub tag: Fr,
    /// Regulator key.
    pub rpk: JubjubAffine,
    /// Audit ciphertext.
    pub audit: AccessCiphertext,
    /// The data service's request (service id and nonce, ≤ [`MAX_REQUEST_BYTES`]).
    pub request: Vec<u8>,
    /// The proof.
    pub proof: Groth16Proof,
}

/// A revocation (the owner withdraws consent).
#[derive(Clone, Debug, PartialEq)]
pub struct RevokeTx {
    /// Leaf position of the grant.
    pub pos: u64,
    /// The grant commitment at `pos`.
    pub gcm: Fr,
    /// Memo (≤ [`MAX_MEMO_BYTES`]).
    pub memo: Vec<u8>,
    /// The proof.
    pub proof: Groth16Proof,
}

/// A regulator-key rotation: the terms and the signers that authorise them
/// ([`crate::rotation::check`]; the ledger adds the rules that need state).
#[derive(Clone, Debug, PartialEq)]
pub struct RotateTx {
    /// Old key, new key, first height of the new key, sequence number.
    pub terms: RotationTerms,
    /// At least one, at most [`crate::rotation::MAX_ROTATION_SIGNERS`], indices distinct.
    pub signers: Vec<RotationSigner>,
}

impl PaymentTx {
    /// The statement's public values given the binding.
    pub fn public(&self, binding: Fr) -> PaymentPublic {
        PaymentPublic {
            anchor: self.anchor,
            nullifiers: self.nullifiers,
            output_commitments: self.output_commitments,
            v_in_pub: self.v_in_pub,
            v_out_pub: self.v_out_pub,
            fee: self.fee,
            asset_pub: self.asset_pub,
            rpk: self.rpk,
            audit: self.audit,
            binding,
        }
    }
}

impl GrantTx {
    /// The statement's public values given the binding.
    pub fn public(&self, binding: Fr) -> GrantPublic {
        GrantPublic {
            gcm: self.gcm,
            rpk: self.rpk,
            audit: self.audit,
            binding,
        }
    }
}

impl AccessTx {
    /// The statement's public values given the binding.
    pub fn public(&self, binding: Fr) -> AccessPublic {
        AccessPublic {
            grant_root: self.grant_root,
            now: self.now,
            tag: self.tag,
            rpk: self.rpk,
            audit: self.audit,
            binding,
        }
    }
}

impl RevokeTx {
    /// The statement's public values given the binding.
    pub fn public(&self, binding: Fr) -> RevokePublic {
        RevokePublic {
            pos: self.pos,
            gcm: self.gcm,
            binding,
        }
    }
}
