//! Disclosure files: one audit record opened for a third party, with a proof that the opening is
//! honest, checked against the verifier's own ledger without the regulator key.
//!
//! A disclosure carries the shared point `S = rsk·R` of one ciphertext and a Chaum–Pedersen proof
//! ([`crate::dleq`]) that `S` and the genesis `RPK` share the discrete log `rsk`. The proof's
//! context is `genesis ‖ height ‖ kind ‖ 0 ‖ tx id ‖ ciphertext`, so a disclosure edited to claim
//! another chain, height, kind or transaction fails the proof even before the field-by-field
//! comparison.
//!
//! [`verify`] re-derives every top-level field from the ledger or checks it through the proof
//! (format, chain id, genesis, tx id, height, kind, RPK, R, S, challenge, response), refuses any
//! encoding but the one canonical text, then compares every record field with its own
//! decryption. It returns the record as the *ledger* has it: a caller shows that, never the
//! file's claims.

use crate::{
    dleq::{self, DleqError, DleqProof},
    labels::{label_field, Labels},
    record::{
        ciphertext, fr_hex, payload_kind, AuditError, Decoder, Record, Row, COLUMNS, LABEL_COLUMNS,
    },
};
use ark_bls12_381::Fr;
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use zkreg_circuits::audit::RegulatorSecretKey;
use zkreg_circuits::ecc::JubjubAffine;
use zkreg_ledger::{query::AuditRecord, LedgerView};
use zkreg_prover::keys::{point_from_hex, point_to_hex};
use zkreg_verifier::{rotation::combine_points, TxId, TxKind};

/// Format tag of disclosure files.
pub const FORMAT: &str = "zkreg-disclosure/1";

/// A disclosure file. Unknown fields are refused, and every encoded field must be in the one
/// canonical form [`disclose`] writes, so one disclosure has exactly one text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisclosureFile {
    /// [`FORMAT`].
    pub format: String,
    /// Chain name.
    pub chain_id: String,
    /// Genesis hash (hex).
    pub genesis: String,
    /// Transaction id (hex).
    pub tx_id: String,
    /// Its height.
    pub height: u64,
    /// Its kind.
    pub kind: String,
    /// Regulator public key the ciphertext is encrypted to (hex).
    pub rpk: String,
    /// The ciphertext's `R` (hex).
    pub r_point: String,
    /// The shared point `S = rsk·R` (hex).
    pub shared_point: String,
    /// Chaum–Pedersen challenge `e` (hex).
    pub proof_challenge: String,
    /// Chaum–Pedersen response `z` (hex).
    pub proof_response: String,
    /// A committee's disclosure instead of one proof (then `proof_challenge` and
    /// `proof_response` are empty): the `t` decryption shares that combine to `S`, each
    /// `[index, V_i, S_i, e_i, z_i]` (decimal, then hex), each proof showing
    /// `log_R S_i = log_G V_i` for the tx id. The verifier checks every proof, that the `V_i`
    /// interpolate to the RPK in force and the `S_i` to `S`: so `S = rsk·R` for that RPK's
    /// `rsk`, exactly what the single-key proof shows (docs/PROTOCOL.md, "Regulator committee").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub committee_shares: Vec<[String; 5]>,
    /// The decrypted record ([`Record::to_row`], the columns of an export).
    pub record: Row,
}

/// Why a disclosure cannot be made or does not check out.
#[derive(Debug, thiserror::Error)]
pub enum DisclosureError {
    /// The text is not JSON of a disclosure file (or has unknown fields).
    #[error("not a disclosure file: {0}")]
    Parse(String),
    /// The format tag is not [`FORMAT`].
    #[error("not a zkreg disclosure (format {format:?})")]
    Format {
        /// The tag found.
        format: String,
    },
    /// The disclosure names another chain.
    #[error("the disclosure names chain {claimed:?}, this ledger is chain {actual:?}")]
    WrongChain {
        /// Chain id in the file.
        claimed: String,
        /// This ledger's chain id.
        actual: String,
    },
    /// The disclosure's genesis hash is not this ledger's (same chain name).
    #[error(
        "the disclosure is for chain {chain_id:?} (genesis {}), this ledger is {chain_id:?} (genesis {})",
        short(.claimed),
        short(&hex::encode(.actual))
    )]
    WrongGenesis {
        /// The chain name both use.
        chain_id: String,
        /// Genesis hash in the file.
        claimed: String,
        /// This ledger's genesis hash.
        actual: [u8; 32],
    },
    /// A field does not decode (the message names it as `field: reason`).
    #[error("{field}: {reason}")]
    Malformed {
        /// `tx_id`, `rpk`, `shared point` or `proof`.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A field decodes but is not written in its one canonical form.
    #[error("disclosure field {field} is not in canonical form (expected {expected})")]
    NotCanonical {
        /// The field.
        field: &'static str,
        /// Its canonical text.
        expected: String,
    },
    /// The transaction is not on this ledger.
    #[error("transaction {} is not on this ledger", hex::encode(.tx_id))]
    UnknownTx {
        /// The transaction.
        tx_id: TxId,
    },
    /// The transaction is on the ledger without an audit record.
    #[error("transaction {} has no audit record", hex::encode(.tx_id))]
    NoAuditRecord {
        /// The transaction.
        tx_id: TxId,
    },
    /// The transaction is at another height than the disclosure says.
    #[error("the disclosure says height {claimed}, the ledger has the tx at height {actual}")]
    HeightMismatch {
        /// Height in the file.
        claimed: u64,
        /// Height on the ledger.
        actual: u64,
    },
    /// A revocation has no ciphertext: nothing to disclose.
    #[error(
        "tx {} is a revocation: it has no audit ciphertext, so nothing to disclose (its fields, position and grant commitment, are public)",
        hex::encode(.tx_id)
    )]
    Revocation {
        /// The transaction.
        tx_id: TxId,
    },
    /// The transaction is of another kind than the disclosure says.
    #[error(
        "the disclosure says kind {claimed:?}, the ledger's tx {} is a {}",
        short(&hex::encode(.tx_id)),
        .actual.name()
    )]
    KindMismatch {
        /// Kind in the file.
        claimed: String,
        /// Kind on the ledger.
        actual: TxKind,
        /// The transaction.
        tx_id: TxId,
    },
    /// The disclosure's `R` is not the ledger ciphertext's.
    #[error("the disclosure's R is not the ciphertext's R on the ledger")]
    RPointMismatch,
    /// The disclosure's `RPK` is not the genesis key for the transaction's height.
    #[error("the disclosure's RPK is not the regulator key the genesis names for height {height}")]
    RpkMismatch {
        /// The transaction's height.
        height: u64,
    },
    /// The key given to [`disclose`] is not the one the transaction is encrypted to.
    #[error(
        "tx {} is encrypted to another regulator key; this key cannot disclose it",
        hex::encode(.tx_id)
    )]
    NotOurKey {
        /// The transaction.
        tx_id: TxId,
    },
    /// The Chaum–Pedersen proof does not show that `S` comes from the genesis regulator key.
    #[error("{}", DleqError::BadProof)]
    BadProof,
    /// A committee member's decryption share does not carry a valid proof for its key.
    #[error("the decryption share of committee member {index} does not verify (Chaum–Pedersen)")]
    ShareRejected {
        /// The member.
        index: u16,
    },
    /// The members' keys do not interpolate to the RPK, or their shares not to `S`.
    #[error("the committee's {what} do not combine to the disclosure's {to}")]
    SharesDoNotCombine {
        /// `"keys"` or `"shares"`.
        what: &'static str,
        /// `"RPK"` or `"S"`.
        to: &'static str,
    },
    /// A record field differs from the ledger ciphertext's decryption (or is missing or extra).
    #[error(
        "disclosed field {field} is {}, but the ciphertext decrypts to {}",
        show(.claimed.as_ref(), "absent"),
        show(.actual.as_ref(), "nothing")
    )]
    FieldMismatch {
        /// The column.
        field: &'static str,
        /// Its value in the file.
        claimed: Option<Value>,
        /// Its value from the ledger.
        actual: Option<Value>,
    },
    /// The record has a field no record has.
    #[error("the disclosure has an unknown field {field:?}")]
    UnknownField {
        /// The field.
        field: String,
    },
    /// The record cannot be read from the ledger.
    #[error(transparent)]
    Audit(#[from] AuditError),
}

fn short(hex: &str) -> String {
    hex.chars().take(12).collect()
}

fn show(v: Option<&Value>, none: &str) -> String {
    v.map(Value::to_string).unwrap_or_else(|| none.into())
}

impl DisclosureFile {
    /// Parses a disclosure file (unknown fields refused).
    pub fn from_json(text: &str) -> Result<Self, DisclosureError> {
        serde_json::from_str(text).map_err(|e| DisclosureError::Parse(e.to_string()))
    }
}

/// What the proof binds to: genesis ‖ height ‖ kind ‖ 0 ‖ tx id ‖ ciphertext. A verifier
/// recomputes it from its ledger.
fn context(genesis: &[u8; 32], height: u64, kind: TxKind, tx_id: &TxId, c: &[Fr]) -> Vec<u8> {
    let mut out = genesis.to_vec();
    out.extend_from_slice(&height.to_be_bytes());
    out.extend_from_slice(kind.name().as_bytes());
    out.push(0);
    out.extend_from_slice(tx_id);
    for x in c {
        out.extend_from_slice(fr_hex(x).as_bytes());
    }
    out
}

fn find_record(ledger: &dyn LedgerView, tx_id: &TxId) -> Result<AuditRecord, DisclosureError> {
    let Some((height, _, _)) = ledger.tx_by_id(tx_id).map_err(AuditError::from)? else {
        return Err(DisclosureError::UnknownTx { tx_id: *tx_id });
    };
    ledger
        .audit_records(height, height)
        .map_err(AuditError::from)?
        .into_iter()
        .find(|r| r.tx_id == *tx_id)
        .ok_or(DisclosureError::NoAuditRecord { tx_id: *tx_id })
}

/// Makes a disclosure of transaction `tx_id` with the regulator key `rsk`.
pub fn disclose<R: RngCore + CryptoRng>(
    ledger: &dyn LedgerView,
    rsk: &RegulatorSecretKey,
    tx_id: &TxId,
    labels: &Labels,
    rng: &mut R,
) -> Result<DisclosureFile, DisclosureError> {
    let rec = find_record(ledger, tx_id)?;
    let Some((r_point, c)) = ciphertext(&rec.payload) else {
        return Err(DisclosureError::Revocation { tx_id: *tx_id });
    };
    let rpk = rsk.public_key();
    let cfg = ledger.config();
    if ledger
        .key_schedule()
        .map_err(AuditError::from)?
        .rpk_at(rec.height)
        != Some(rpk)
    {
        return Err(DisclosureError::NotOurKey { tx_id: *tx_id });
    }
    // The ledger reads `R` without its subgroup check (the transaction's proof showed it);
    // a disclosure publishes `rsk·R`, so it checks again before using the key on it.
    if !r_point.is_in_correct_subgroup_assuming_on_curve() {
        return Err(AuditError::from(zkreg_ledger::LedgerError::Corrupt(format!(
            "the audit point of tx {} is not in the prime-order subgroup",
            hex::encode(tx_id)
        )))
        .into());
    }
    let kind = payload_kind(&rec.payload);
    let ctx = context(&cfg.hash, rec.height, kind, tx_id, c);
    let (s, proof) = dleq::prove(rsk, &r_point, &ctx, rng);
    let record = Decoder::new(ledger, labels).record(&rec, Some(&s))?;
    let (e, z) = proof.to_hex();
    Ok(file(
        cfg,
        &rec,
        kind,
        [rpk, r_point, s],
        (e, z),
        Vec::new(),
        &record,
    ))
}

/// A committee disclosure's shares: every proof, the keys interpolating to `rpk`, the shares to
/// `s`.
fn verify_committee_shares(
    rpk: &JubjubAffine,
    r_point: &JubjubAffine,
    s: &JubjubAffine,
    tx_id: &TxId,
    shares: &[[String; 5]],
) -> Result<(), DisclosureError> {
    let mut keys = Vec::with_capacity(shares.len());
    let mut points = Vec::with_capacity(shares.len());
    for [i, v, si, e, z] in shares {
        let index: u16 = i
            .parse()
            .map_err(|_| malformed("committee share index", i))?;
        canonical("committee share index", index.to_string(), i)?;
        let v_point = point_from_hex(v).map_err(|x| malformed("committee member key", x))?;
        canonical("committee member key", point_to_hex(&v_point), v)?;
        let s_point = point_from_hex(si).map_err(|x| malformed("committee share", x))?;
        canonical("committee share", point_to_hex(&s_point), si)?;
        let proof = DleqProof::from_hex(e, z).map_err(|x| malformed("committee share proof", x))?;
        let (e2, z2) = proof.to_hex();
        canonical("committee share proof", e2, e)?;
        canonical("committee share proof", z2, z)?;
        dleq::verify(&v_point, r_point, &s_point, tx_id, &proof)
            .map_err(|_| DisclosureError::ShareRejected { index })?;
        keys.push((index, v_point));
        points.push((index, s_point));
    }
    let combine = |pts: Vec<(u16, JubjubAffine)>, what, to| {
        combine_points(pts).map_err(|_| DisclosureError::SharesDoNotCombine { what, to })
    };
    if combine(keys, "keys", "RPK")? != *rpk {
        return Err(DisclosureError::SharesDoNotCombine {
            what: "keys",
            to: "RPK",
        });
    }
    if combine(points, "shares", "S")? != *s {
        return Err(DisclosureError::SharesDoNotCombine {
            what: "shares",
            to: "S",
        });
    }
    Ok(())
}

/// A committee's disclosure of transaction `tx_id` from its members' decryption shares of it
/// (at least `t` valid ones; shares that fail their proof are left out).
pub fn disclose_by_committee(
    ledger: &dyn LedgerView,
    key: &crate::committee::CommitteeKey,
    shares: &[crate::committee::DecryptionShare],
    tx_id: &TxId,
    labels: &Labels,
) -> Result<DisclosureFile, DisclosureError> {
    let rec = find_record(ledger, tx_id)?;
    let Some((r_point, _)) = ciphertext(&rec.payload) else {
        return Err(DisclosureError::Revocation { tx_id: *tx_id });
    };
    let committee_err = |e: crate::committee::CommitteeError| malformed("committee", e);
    let rpk = key.rpk().map_err(committee_err)?;
    let cfg = ledger.config();
    if ledger
        .key_schedule()
        .map_err(AuditError::from)?
        .rpk_at(rec.height)
        != Some(rpk)
    {
        return Err(DisclosureError::NotOurKey { tx_id: *tx_id });
    }
    let (s, bad) =
        crate::committee::combine(key, tx_id, &r_point, shares).map_err(committee_err)?;
    let members = key.keys().map_err(committee_err)?;
    let mut used = Vec::new();
    for sh in shares {
        if bad.contains(&sh.index)
            || used
                .iter()
                .any(|u: &[String; 5]| u[0] == sh.index.to_string())
        {
            continue;
        }
        if used.len() == usize::from(key.threshold) {
            break;
        }
        let Some((_, v)) = members.iter().find(|(i, _)| *i == sh.index) else {
            continue;
        };
        let (e, z) = sh.proof.to_hex();
        used.push([
            sh.index.to_string(),
            point_to_hex(v),
            point_to_hex(&sh.point),
            e,
            z,
        ]);
    }
    let kind = payload_kind(&rec.payload);
    let record = Decoder::new(ledger, labels).record(&rec, Some(&s))?;
    Ok(file(
        cfg,
        &rec,
        kind,
        [rpk, r_point, s],
        (String::new(), String::new()),
        used,
        &record,
    ))
}

/// The one constructor of a disclosure file: the record's place and kind, `[RPK, R, S]`, the
/// single-key proof `(e, z)` (empty for a committee) and a committee's shares (empty for a key).
fn file(
    cfg: &zkreg_ledger::ChainConfig,
    rec: &AuditRecord,
    kind: TxKind,
    [rpk, r_point, s]: [JubjubAffine; 3],
    (e, z): (String, String),
    committee_shares: Vec<[String; 5]>,
    record: &Record,
) -> DisclosureFile {
    DisclosureFile {
        format: FORMAT.into(),
        chain_id: cfg.genesis.chain_id.clone(),
        genesis: hex::encode(cfg.hash),
        tx_id: hex::encode(rec.tx_id),
        height: rec.height,
        kind: kind.name().into(),
        rpk: point_to_hex(&rpk),
        r_point: point_to_hex(&r_point),
        shared_point: point_to_hex(&s),
        proof_challenge: e,
        proof_response: z,
        committee_shares,
        record: record.to_row(),
    }
}

/// A field must be written exactly as its value encodes (lower-case hex, no padding).
fn canonical(field: &'static str, expected: String, given: &str) -> Result<(), DisclosureError> {
    if expected != given {
        return Err(DisclosureError::NotCanonical { field, expected });
    }
    Ok(())
}

fn value_matches(col: &str, claimed: &Value, actual: &Value) -> bool {
    if claimed == actual {
        return true;
    }
    // A label may be named by the discloser and shown as hex here (or the reverse): it matches
    // when both texts stand for the decrypted element.
    match (claimed.as_str(), actual.as_str()) {
        (Some(c), Some(a)) if LABEL_COLUMNS.contains(&col) => label_field(c) == label_field(a),
        _ => false,
    }
}

fn malformed(field: &'static str, reason: impl ToString) -> DisclosureError {
    DisclosureError::Malformed {
        field,
        reason: reason.to_string(),
    }
}

/// Checks a disclosure against `ledger`, without any regulator key; `labels` names labels in
/// the returned record. Returns the record as the ledger's ciphertext decrypts: what a caller
/// shows must come from it, not from the file.
pub fn verify(
    ledger: &dyn LedgerView,
    labels: &Labels,
    d: &DisclosureFile,
) -> Result<Record, DisclosureError> {
    if d.format != FORMAT {
        return Err(DisclosureError::Format {
            format: d.format.clone(),
        });
    }
    let cfg = ledger.config();
    if d.chain_id != cfg.genesis.chain_id {
        return Err(DisclosureError::WrongChain {
            claimed: d.chain_id.clone(),
            actual: cfg.genesis.chain_id.clone(),
        });
    }
    if d.genesis != hex::encode(cfg.hash) {
        return Err(DisclosureError::WrongGenesis {
            chain_id: d.chain_id.clone(),
            claimed: d.genesis.clone(),
            actual: cfg.hash,
        });
    }
    let id: TxId = hex::decode(d.tx_id.trim())
        .map_err(|e| malformed("tx_id", e))?
        .try_into()
        .map_err(|_| malformed("tx_id", "a transaction id is 32 bytes (64 hex characters)"))?;
    canonical("tx_id", hex::encode(id), &d.tx_id)?;
    let rec = find_record(ledger, &id)?;
    if rec.height != d.height {
        return Err(DisclosureError::HeightMismatch {
            claimed: d.height,
            actual: rec.height,
        });
    }
    let Some((r_point, c)) = ciphertext(&rec.payload) else {
        return Err(DisclosureError::Revocation { tx_id: id });
    };
    let kind = payload_kind(&rec.payload);
    if d.kind != kind.name() {
        return Err(DisclosureError::KindMismatch {
            claimed: d.kind.clone(),
            actual: kind,
            tx_id: id,
        });
    }
    if point_to_hex(&r_point) != d.r_point {
        return Err(DisclosureError::RPointMismatch);
    }
    let rpk = point_from_hex(&d.rpk).map_err(|e| malformed("rpk", e))?;
    canonical("rpk", point_to_hex(&rpk), &d.rpk)?;
    if ledger
        .key_schedule()
        .map_err(AuditError::from)?
        .rpk_at(rec.height)
        != Some(rpk)
    {
        return Err(DisclosureError::RpkMismatch { height: rec.height });
    }
    let s = point_from_hex(&d.shared_point).map_err(|e| malformed("shared point", e))?;
    canonical("shared_point", point_to_hex(&s), &d.shared_point)?;
    if d.committee_shares.is_empty() {
        let proof = DleqProof::from_hex(&d.proof_challenge, &d.proof_response)
            .map_err(|e| malformed("proof", e))?;
        let (e, z) = proof.to_hex();
        canonical("proof_challenge", e, &d.proof_challenge)?;
        canonical("proof_response", z, &d.proof_response)?;
        let ctx = context(&cfg.hash, rec.height, kind, &id, c);
        dleq::verify(&rpk, &r_point, &s, &ctx, &proof).map_err(|_| DisclosureError::BadProof)?;
    } else {
        canonical("proof_challenge", String::new(), &d.proof_challenge)?;
        canonical("proof_response", String::new(), &d.proof_response)?;
        verify_committee_shares(&rpk, &r_point, &s, &id, &d.committee_shares)?;
    }
    let record = Decoder::new(ledger, labels).record(&rec, Some(&s))?;
    let actual = record.to_row();
    for field in COLUMNS {
        let (claimed, real) = (d.record.get(*field), actual.get(*field));
        let ok = match (claimed, real) {
            (None, None) => true,
            (Some(a), Some(b)) => value_matches(field, a, b),
            _ => false,
        };
        if !ok {
            return Err(DisclosureError::FieldMismatch {
                field,
                claimed: claimed.cloned(),
                actual: real.cloned(),
            });
        }
    }
    if let Some(extra) = d.record.keys().find(|k| !COLUMNS.contains(&k.as_str())) {
        return Err(DisclosureError::UnknownField {
            field: extra.clone(),
        });
    }
    Ok(record)
}
