//! Typed audit records: what the regulator reads from one transaction, decoded from the
//! decrypted plaintext and linked to the ledger (the transactions that created a payment's spent
//! notes, the grant an access or a revocation refers to).
//!
//! Every record is opened through the shared point `S = rsk·R` ([`decrypt_with_shared`]), so an
//! export (which computes `S` from the key) and a disclosure (where a third party holds only `S`)
//! decode through the same [`Decoder`]. A record's flat form, [`Record::to_row`], is what the
//! CSV and JSON-lines exports and disclosure files hold: one column per field of [`COLUMNS`].

use ark_bls12_381::Fr;
use serde_json::{json, Map, Value};
use zkreg_circuits::{
    audit::audit_keystream,
    ecc::JubjubAffine,
    grant::field_to_u64,
    payment::{AuditedPayment, AUDIT_FIELDS as PAYMENT_FIELDS},
};
use zkreg_ledger::{
    query::{AuditPayload, AuditRecord},
    LedgerError, LedgerView,
};
use zkreg_verifier::{PublicFields, Transaction, TxId, TxKind};

use crate::labels::{Label, Labels};

/// Every column of an export, in CSV order. A record leaves the columns of other kinds empty.
pub const COLUMNS: &[&str] = &[
    "height",
    "index",
    "tx_id",
    "kind",
    "asset",
    "owner_in",
    "value_in_0",
    "value_in_1",
    "cm_in_0",
    "cm_in_0_tx",
    "cm_in_1",
    "cm_in_1_tx",
    "owner_out_0",
    "owner_out_1",
    "value_out_0",
    "value_out_1",
    "deposit",
    "withdrawal",
    "fee",
    "destination",
    "owner_id",
    "inst_id",
    "dataset",
    "purpose",
    "expiry",
    "gcm",
    "grant_pos",
    "grant_tx",
    "now",
    "request",
];

/// Columns holding a label (shown by name when known, else `0x` + hex of the field element).
pub const LABEL_COLUMNS: &[&str] = &["asset", "dataset", "purpose"];

/// A record's flat form: column → value (numbers for heights, values and times; strings else).
pub type Row = Map<String, Value>;

pub use zkreg_verifier::fieldhex::fr_hex;

/// The kind of transaction an audit record belongs to.
pub fn payload_kind(payload: &AuditPayload) -> TxKind {
    match payload {
        AuditPayload::Payment(_) => TxKind::Payment,
        AuditPayload::Grant(..) => TxKind::Grant,
        AuditPayload::Access(_) => TxKind::Access,
        AuditPayload::Revoke { .. } => TxKind::Revoke,
    }
}

/// The ciphertext of a record, `(R, c)`, or `None` for revocations (their fields are public).
pub fn ciphertext(payload: &AuditPayload) -> Option<(JubjubAffine, &[Fr])> {
    match payload {
        AuditPayload::Payment(ct) => Some((ct.r_point, &ct.c[..])),
        AuditPayload::Grant(ct, _) => Some((ct.r_point, &ct.c[..])),
        AuditPayload::Access(ct) => Some((ct.r_point, &ct.c[..])),
        AuditPayload::Revoke { .. } => None,
    }
}

/// Decrypts `c` with the keystream of a shared point: `m_i = c_i − k_i` (no secret key needed).
pub fn decrypt_with_shared(s: &JubjubAffine, c: &[Fr]) -> Vec<Fr> {
    let k = audit_keystream(s, c.len());
    c.iter().zip(k).map(|(ci, ki)| *ci - ki).collect()
}

/// Why records cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The ledger could not answer: a height range outside it, or a database failure.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// A record is encrypted to another regulator key than the one given.
    #[error(
        "the record of tx {} (height {height}) is encrypted to regulator key {}, not to this key ({key})",
        hex::encode(.tx_id),
        .in_force.as_deref().unwrap_or_default()
    )]
    WrongKey {
        /// The record's transaction.
        tx_id: TxId,
        /// Its height.
        height: u64,
        /// The key the genesis names for that height (hex).
        in_force: Option<String>,
        /// The key given (hex).
        key: String,
    },
    /// The plaintext's value or time slots do not hold integers: it was not opened with the
    /// shared point of the right key.
    #[error(
        "record of tx {} does not decrypt to a well-formed plaintext (wrong regulator key?)",
        hex::encode(.tx_id)
    )]
    Malformed {
        /// The record's transaction.
        tx_id: TxId,
    },
    /// The ledger holds an audit record whose transaction it does not hold (a corrupt database).
    #[error(
        "the ledger has an audit record of tx {} but not that {} transaction",
        hex::encode(.tx_id),
        .kind.name()
    )]
    MissingTx {
        /// The record's transaction.
        tx_id: TxId,
        /// The kind its record says.
        kind: TxKind,
    },
    /// A record with a ciphertext was given to [`Decoder::record`] without its shared point.
    #[error(
        "internal: the record of tx {} has a ciphertext but no shared point was given",
        hex::encode(.tx_id)
    )]
    NoSharedPoint {
        /// The record's transaction.
        tx_id: TxId,
    },
}

/// One decrypted, linked audit record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Block height.
    pub height: u64,
    /// Index in the block.
    pub index: u32,
    /// Transaction id.
    pub tx_id: TxId,
    /// What the regulator reads, by kind.
    pub body: RecordBody,
}

/// The fields of a record, by transaction kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordBody {
    /// A payment (transfer, deposit or withdrawal).
    Payment(PaymentFields),
    /// A grant of data access.
    Grant(GrantFields),
    /// An access under a grant.
    Access(AccessFields),
    /// A revocation (public fields only).
    Revoke(RevokeFields),
}

/// A spent note, as a payment's record shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpentNote {
    /// Its value.
    pub value: u64,
    /// Its commitment.
    pub cm: Fr,
    /// The transaction that created it; `None` for a zero-value dummy input (never on the
    /// ledger) or a commitment the ledger does not index.
    pub origin: Option<TxId>,
}

/// A created note, as a payment's record shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CreatedNote {
    /// Owner id of the recipient.
    pub owner: Fr,
    /// Its value.
    pub value: u64,
}

/// A payment: decrypted fields and the transaction's public amounts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentFields {
    /// Asset moved.
    pub asset: Label,
    /// Owner id of the payer.
    pub owner_in: Fr,
    /// The two spent notes.
    pub inputs: [SpentNote; 2],
    /// The two created notes.
    pub outputs: [CreatedNote; 2],
    /// Public deposit amount.
    pub deposit: u64,
    /// Public withdrawal amount.
    pub withdrawal: u64,
    /// Public fee.
    pub fee: u64,
    /// Withdrawal destination (UTF-8, lossily), if any.
    pub destination: Option<String>,
}

/// A grant: decrypted fields and its position in the grant tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantFields {
    /// Data owner.
    pub owner_id: Fr,
    /// Institution.
    pub inst_id: Fr,
    /// Dataset.
    pub dataset: Label,
    /// Purpose.
    pub purpose: Label,
    /// Expiry time.
    pub expiry: u64,
    /// Grant commitment.
    pub gcm: Fr,
    /// Leaf position in the grant tree.
    pub grant_pos: u64,
}

/// An access: decrypted fields, the grant it used and the public request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessFields {
    /// Data owner.
    pub owner_id: Fr,
    /// Institution.
    pub inst_id: Fr,
    /// Dataset.
    pub dataset: Label,
    /// Purpose.
    pub purpose: Label,
    /// Commitment of the grant used.
    pub gcm: Fr,
    /// The grant's transaction, when it is on the ledger.
    pub grant_tx: Option<TxId>,
    /// Time of access.
    pub now: u64,
    /// The data service's request (UTF-8, lossily).
    pub request: String,
}

/// A revocation: its public fields and the grant it revokes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RevokeFields {
    /// Leaf position of the revoked grant.
    pub grant_pos: u64,
    /// Its commitment.
    pub gcm: Fr,
    /// Its transaction, when it is on the ledger.
    pub grant_tx: Option<TxId>,
}

impl RecordBody {
    /// The transaction kind.
    pub fn kind(&self) -> TxKind {
        match self {
            RecordBody::Payment(_) => TxKind::Payment,
            RecordBody::Grant(_) => TxKind::Grant,
            RecordBody::Access(_) => TxKind::Access,
            RecordBody::Revoke(_) => TxKind::Revoke,
        }
    }
}

impl Record {
    /// The flat form: a value for each [`COLUMNS`] entry the record has (absent links and
    /// destinations leave their column out).
    pub fn to_row(&self) -> Row {
        let mut r = Row::new();
        let mut put = |k: &str, v: Value| {
            r.insert(k.to_string(), v);
        };
        let hex_id = |id: &TxId| json!(hex::encode(id));
        let label = |l: &Label| json!(l.to_string());
        let fr = |x: &Fr| json!(fr_hex(x));
        put("height", json!(self.height));
        put("index", json!(self.index));
        put("tx_id", hex_id(&self.tx_id));
        put("kind", json!(self.body.kind().name()));
        match &self.body {
            RecordBody::Payment(p) => {
                put("asset", label(&p.asset));
                put("owner_in", fr(&p.owner_in));
                for (i, (inp, out)) in p.inputs.iter().zip(&p.outputs).enumerate() {
                    put(&format!("value_in_{i}"), json!(inp.value));
                    put(&format!("cm_in_{i}"), fr(&inp.cm));
                    if let Some(o) = &inp.origin {
                        put(&format!("cm_in_{i}_tx"), hex_id(o));
                    }
                    put(&format!("owner_out_{i}"), fr(&out.owner));
                    put(&format!("value_out_{i}"), json!(out.value));
                }
                put("deposit", json!(p.deposit));
                put("withdrawal", json!(p.withdrawal));
                put("fee", json!(p.fee));
                if let Some(d) = &p.destination {
                    put("destination", json!(d));
                }
            }
            RecordBody::Grant(g) => {
                put("owner_id", fr(&g.owner_id));
                put("inst_id", fr(&g.inst_id));
                put("dataset", label(&g.dataset));
                put("purpose", label(&g.purpose));
                put("expiry", json!(g.expiry));
                put("gcm", fr(&g.gcm));
                put("grant_pos", json!(g.grant_pos));
            }
            RecordBody::Access(a) => {
                put("owner_id", fr(&a.owner_id));
                put("inst_id", fr(&a.inst_id));
                put("dataset", label(&a.dataset));
                put("purpose", label(&a.purpose));
                if let Some(g) = &a.grant_tx {
                    put("grant_tx", hex_id(g));
                }
                put("gcm", fr(&a.gcm));
                put("now", json!(a.now));
                put("request", json!(a.request));
            }
            RecordBody::Revoke(v) => {
                put("grant_pos", json!(v.grant_pos));
                if let Some(g) = &v.grant_tx {
                    put("grant_tx", hex_id(g));
                }
                put("gcm", fr(&v.gcm));
            }
        }
        r
    }
}

/// Decodes audit records against one ledger: labels named, spent notes and grants linked.
pub struct Decoder<'a> {
    ledger: &'a dyn LedgerView,
    labels: &'a Labels,
}

impl<'a> Decoder<'a> {
    /// A decoder over `ledger`; `labels` names assets, datasets and purposes.
    pub fn new(ledger: &'a dyn LedgerView, labels: &'a Labels) -> Self {
        Decoder { ledger, labels }
    }

    /// The transaction of the grant with commitment `gcm`, if it is on the ledger.
    fn grant_tx(&self, gcm: &Fr) -> Result<Option<TxId>, AuditError> {
        Ok(self.ledger.grant_by_gcm(gcm)?.map(|g| g.tx_id))
    }

    /// A spent note, linked to the transaction that created it.
    fn spent_note(&self, value: u64, cm: Fr) -> Result<SpentNote, AuditError> {
        let origin = if value == 0 {
            None // a zero-value dummy input: never on the ledger
        } else {
            self.ledger.commitment_origin(&cm)?.map(|o| o.tx_id)
        };
        Ok(SpentNote { value, cm, origin })
    }

    /// The public fields of `rec`'s transaction, if the ledger holds it: read off its stored
    /// encoding without decoding its points (the ledger verified them when it applied it).
    fn tx(&self, rec: &AuditRecord) -> Result<Option<PublicFields>, AuditError> {
        let Some((_, _, bytes)) = self.ledger.tx_bytes(&rec.tx_id)? else {
            return Ok(None);
        };
        let fields = Transaction::public_fields(&bytes)
            .map_err(|e| LedgerError::Corrupt(format!("stored tx: {e}")))?;
        Ok(Some(fields))
    }

    /// Decodes `rec`, opening its ciphertext with the shared point `shared` (`S = rsk·R`;
    /// ignored for revocations, which have none).
    pub fn record(
        &self,
        rec: &AuditRecord,
        shared: Option<&JubjubAffine>,
    ) -> Result<Record, AuditError> {
        let tx_id = rec.tx_id;
        let malformed = || AuditError::Malformed { tx_id };
        let missing = || AuditError::MissingTx {
            tx_id,
            kind: payload_kind(&rec.payload),
        };
        let plaintext = match (ciphertext(&rec.payload), shared) {
            (Some((_, c)), Some(s)) => decrypt_with_shared(s, c),
            (Some(_), None) => return Err(AuditError::NoSharedPoint { tx_id }),
            (None, _) => Vec::new(),
        };
        let u64_of = |x: Fr| field_to_u64(x).ok_or_else(malformed);
        let body = match &rec.payload {
            AuditPayload::Payment(_) => {
                let m: [Fr; PAYMENT_FIELDS] = plaintext.try_into().map_err(|_| malformed())?;
                let p = AuditedPayment::from_plaintext(&m).ok_or_else(malformed)?;
                let Some(PublicFields::Payment {
                    v_in_pub,
                    v_out_pub,
                    fee,
                    destination,
                }) = self.tx(rec)?
                else {
                    return Err(missing());
                };
                RecordBody::Payment(PaymentFields {
                    asset: self.labels.resolve(p.asset),
                    owner_in: p.owner_in,
                    inputs: [
                        self.spent_note(p.value_in[0], p.cm_in[0])?,
                        self.spent_note(p.value_in[1], p.cm_in[1])?,
                    ],
                    outputs: [0, 1].map(|i| CreatedNote {
                        owner: p.owner_out[i],
                        value: p.value_out[i],
                    }),
                    deposit: v_in_pub,
                    withdrawal: v_out_pub,
                    fee,
                    destination: (!destination.is_empty())
                        .then(|| String::from_utf8_lossy(&destination).into_owned()),
                })
            }
            AuditPayload::Grant(_, pos) => {
                let [owner_id, inst_id, dataset, purpose, expiry, gcm] = plaintext[..] else {
                    return Err(malformed());
                };
                RecordBody::Grant(GrantFields {
                    owner_id,
                    inst_id,
                    dataset: self.labels.resolve(dataset),
                    purpose: self.labels.resolve(purpose),
                    expiry: u64_of(expiry)?,
                    gcm,
                    grant_pos: *pos,
                })
            }
            AuditPayload::Access(_) => {
                let [owner_id, inst_id, dataset, purpose, gcm, now] = plaintext[..] else {
                    return Err(malformed());
                };
                let Some(PublicFields::Access { request, .. }) = self.tx(rec)? else {
                    return Err(missing());
                };
                RecordBody::Access(AccessFields {
                    owner_id,
                    inst_id,
                    dataset: self.labels.resolve(dataset),
                    purpose: self.labels.resolve(purpose),
                    gcm,
                    grant_tx: self.grant_tx(&gcm)?,
                    now: u64_of(now)?,
                    request: String::from_utf8_lossy(&request).into_owned(),
                })
            }
            AuditPayload::Revoke { pos, gcm } => RecordBody::Revoke(RevokeFields {
                grant_pos: *pos,
                gcm: *gcm,
                grant_tx: self.grant_tx(gcm)?,
            }),
        };
        Ok(Record {
            height: rec.height,
            index: rec.index,
            tx_id,
            body,
        })
    }
}
