//! The regulator's tools: `zkreg audit export|disclose|verify-disclosure`.
//!
//! Every record is decrypted through the shared point `S = rsk·R`, so an export and a disclosure
//! (where a third party holds only `S`) go through the same code: keystream from `S`, then
//! `m_i = c_i − k_i`, then the statement's field layout.

use crate::{
    disclosure::{self, DleqProof},
    home::Session,
    ledger_cmd::all_txs,
    util::{self, fr_hex, id_hex, Labels},
};
use anyhow::{anyhow, bail, Context, Result};
use ark_bls12_381::Fr;
use rand::rngs::OsRng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::{collections::HashMap, path::Path};
use zkreg_circuits::{
    audit::RegulatorSecretKey,
    ecc::JubjubAffine,
    grant::field_to_u64,
    labels::label_to_field,
    payment::{AuditedPayment, AUDIT_FIELDS as PAYMENT_FIELDS},
};
use zkreg_ledger::{
    query::{AuditPayload, AuditRecord},
    Ledger,
};
use zkreg_prover::keys::{point_from_hex, point_to_hex};
use zkreg_verifier::{Transaction, TxId, TxKind};

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
const LABEL_COLUMNS: &[&str] = &["asset", "dataset", "purpose"];

/// One decrypted record: column → value (numbers for heights, values and times; strings else).
pub type Row = Map<String, Value>;

/// The ciphertext of a record: `(R, c)`, or `None` for revocations (their fields are public).
pub fn ciphertext(p: &AuditPayload) -> Option<(JubjubAffine, Vec<Fr>)> {
    match p {
        AuditPayload::Payment(ct) => Some((ct.r_point, ct.c.to_vec())),
        AuditPayload::Grant(ct, _) => Some((ct.r_point, ct.c.to_vec())),
        AuditPayload::Access(ct) => Some((ct.r_point, ct.c.to_vec())),
        AuditPayload::Revoke { .. } => None,
    }
}

/// Ledger lookups that records link to.
pub struct Links {
    grants_by_gcm: HashMap<String, String>,
    labels: Labels,
}

impl Links {
    /// Indexes the grants on the ledger; `labels` names assets, datasets and purposes.
    pub fn new(ledger: &Ledger, labels: Labels) -> Result<Self> {
        let mut grants_by_gcm = HashMap::new();
        for (_, _, id, tx) in all_txs(ledger)? {
            if let Transaction::Grant(g) = tx {
                grants_by_gcm.insert(fr_hex(&g.gcm), id_hex(&id));
            }
        }
        Ok(Links {
            grants_by_gcm,
            labels,
        })
    }
}

fn origin(ledger: &Ledger, cm: &Fr, value: u64) -> Result<Value> {
    if value == 0 {
        return Ok(Value::Null); // a zero-value dummy input: never on the ledger
    }
    Ok(
        match ledger.commitment_origin(cm).map_err(|e| anyhow!("{e}"))? {
            Some(o) => Value::String(id_hex(&o.tx_id)),
            None => Value::Null,
        },
    )
}

/// The kind of transaction an audit record belongs to.
fn record_kind(payload: &AuditPayload) -> &'static str {
    util::kind_name(match payload {
        AuditPayload::Payment(_) => TxKind::Payment,
        AuditPayload::Grant(..) => TxKind::Grant,
        AuditPayload::Access(_) => TxKind::Access,
        AuditPayload::Revoke { .. } => TxKind::Revoke,
    })
}

/// Builds the row of `rec` from its decrypted plaintext (`None` for revocations).
pub fn row(
    ledger: &Ledger,
    links: &Links,
    rec: &AuditRecord,
    plaintext: Option<&[Fr]>,
) -> Result<Row> {
    let mut r = Row::new();
    let mut put = |k: &str, v: Value| {
        if !v.is_null() {
            r.insert(k.to_string(), v);
        }
    };
    put("height", json!(rec.height));
    put("index", json!(rec.index));
    put("tx_id", json!(id_hex(&rec.tx_id)));
    put("kind", json!(record_kind(&rec.payload)));
    let bad = || {
        anyhow!(
            "record of tx {} does not decrypt to a well-formed plaintext (wrong regulator key?)",
            id_hex(&rec.tx_id)
        )
    };
    let l = &links.labels;
    match (&rec.payload, plaintext) {
        (AuditPayload::Payment(_), Some(m)) => {
            let m: [Fr; PAYMENT_FIELDS] = m.try_into().map_err(|_| bad())?;
            let p = AuditedPayment::from_plaintext(&m).ok_or_else(bad)?;
            put("asset", json!(l.name(&p.asset)));
            put("owner_in", json!(fr_hex(&p.owner_in)));
            for i in 0..2 {
                put(&format!("value_in_{i}"), json!(p.value_in[i]));
                put(&format!("cm_in_{i}"), json!(fr_hex(&p.cm_in[i])));
                put(
                    &format!("cm_in_{i}_tx"),
                    origin(ledger, &p.cm_in[i], p.value_in[i])?,
                );
                put(&format!("owner_out_{i}"), json!(fr_hex(&p.owner_out[i])));
                put(&format!("value_out_{i}"), json!(p.value_out[i]));
            }
            if let Some((_, _, Transaction::Payment(t))) =
                ledger.tx_by_id(&rec.tx_id).map_err(|e| anyhow!("{e}"))?
            {
                put("deposit", json!(t.v_in_pub));
                put("withdrawal", json!(t.v_out_pub));
                put("fee", json!(t.fee));
                if !t.destination.is_empty() {
                    put(
                        "destination",
                        json!(String::from_utf8_lossy(&t.destination).to_string()),
                    );
                }
            }
        }
        (AuditPayload::Grant(_, pos), Some(m)) => {
            if m.len() != 6 {
                return Err(bad());
            }
            put("owner_id", json!(fr_hex(&m[0])));
            put("inst_id", json!(fr_hex(&m[1])));
            put("dataset", json!(l.name(&m[2])));
            put("purpose", json!(l.name(&m[3])));
            put("expiry", json!(field_to_u64(m[4]).ok_or_else(bad)?));
            put("gcm", json!(fr_hex(&m[5])));
            put("grant_pos", json!(pos));
        }
        (AuditPayload::Access(_), Some(m)) => {
            if m.len() != 6 {
                return Err(bad());
            }
            put("owner_id", json!(fr_hex(&m[0])));
            put("inst_id", json!(fr_hex(&m[1])));
            put("dataset", json!(l.name(&m[2])));
            put("purpose", json!(l.name(&m[3])));
            let gcm = fr_hex(&m[4]);
            if let Some(g) = links.grants_by_gcm.get(&gcm) {
                put("grant_tx", json!(g));
            }
            put("gcm", json!(gcm));
            put("now", json!(field_to_u64(m[5]).ok_or_else(bad)?));
            if let Some((_, _, Transaction::Access(t))) =
                ledger.tx_by_id(&rec.tx_id).map_err(|e| anyhow!("{e}"))?
            {
                put(
                    "request",
                    json!(String::from_utf8_lossy(&t.request).to_string()),
                );
            }
        }
        (AuditPayload::Revoke { pos, gcm }, None) => {
            put("grant_pos", json!(pos));
            let gcm = fr_hex(gcm);
            if let Some(g) = links.grants_by_gcm.get(&gcm) {
                put("grant_tx", json!(g));
            }
            put("gcm", json!(gcm));
        }
        _ => bail!("internal: record and plaintext do not match"),
    }
    Ok(r)
}

/// Decrypts every record of heights `from..=to` with the regulator key.
pub fn export_rows(
    ledger: &Ledger,
    rsk: &RegulatorSecretKey,
    from: u64,
    to: u64,
    labels: Labels,
) -> Result<Vec<Row>> {
    let records = ledger.audit_records(from, to).map_err(|e| anyhow!("{e}"))?;
    let links = Links::new(ledger, labels)?;
    let rpk = rsk.public_key();
    // Decryption (one Jubjub multiplication and a Poseidon keystream per record) dominates an
    // export and is independent per record, so it runs on every core.
    let plaintexts: Vec<Option<Vec<Fr>>> = records
        .par_iter()
        .map(|rec| {
            let Some((r_point, c)) = ciphertext(&rec.payload) else {
                return Ok(None);
            };
            let in_force = ledger.config().rpk_at(rec.height);
            if in_force != Some(rpk) {
                bail!(
                    "the record of tx {} (height {}) is encrypted to regulator key {}, not to this key ({})",
                    id_hex(&rec.tx_id),
                    rec.height,
                    in_force.map(|p| point_to_hex(&p)).unwrap_or_default(),
                    point_to_hex(&rpk)
                );
            }
            let s = zkreg_circuits::audit::shared_point(rsk, &r_point);
            Ok(Some(disclosure::decrypt_with_shared(&s, &c)))
        })
        .collect::<Result<_>>()?;
    let mut rows = Vec::with_capacity(records.len());
    for (rec, plaintext) in records.iter().zip(plaintexts) {
        rows.push(row(ledger, &links, rec, plaintext.as_deref())?);
    }
    Ok(rows)
}

/// A value as a CSV cell.
pub fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Renders rows as CSV (header = [`COLUMNS`]).
pub fn to_csv(rows: &[Row]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS)?;
    for r in rows {
        w.write_record(COLUMNS.iter().map(|c| cell(r.get(*c))))?;
    }
    w.into_inner().map_err(|e| anyhow!("cannot write CSV: {e}"))
}

/// Renders rows as JSON lines (one object per record).
pub fn to_json_lines(rows: &[Row]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for r in rows {
        serde_json::to_writer(&mut out, r)?;
        out.push(b'\n');
    }
    Ok(out)
}

/// Labels this home knows: genesis assets, datasets and purposes of local consent requests, and
/// any given on the command line.
pub fn home_labels(session: &mut Session, extra: &[String]) -> Result<Labels> {
    let mut l = Labels::default();
    for i in &session.ledger()?.config().genesis.issuers {
        l.add(&i.asset);
    }
    for r in crate::consent::all_requests(&session.home) {
        l.add(&r.dataset);
        l.add(&r.purpose);
    }
    for x in extra {
        l.add(x);
    }
    Ok(l)
}

/// `zkreg audit export`.
#[allow(clippy::too_many_arguments)]
pub fn cmd_export(
    session: &mut Session,
    regulator: &str,
    from: u64,
    to: u64,
    csv_format: bool,
    out: Option<&Path>,
    extra_labels: &[String],
) -> Result<()> {
    let rsk = session.home.regulator(regulator)?;
    let labels = home_labels(session, extra_labels)?;
    let ledger = session.ledger()?;
    let rows = export_rows(ledger, &rsk, from, to, labels)?;
    let bytes = if csv_format {
        to_csv(&rows)?
    } else {
        to_json_lines(&rows)?
    };
    match out {
        Some(path) => {
            util::write(path, &bytes)?;
            println!(
                "exported {} record(s) of heights {from}..={to} as {} to {}",
                rows.len(),
                if csv_format { "CSV" } else { "JSON lines" },
                path.display()
            );
        }
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(&bytes)
                .context("cannot write to stdout")?;
        }
    }
    Ok(())
}

/// A disclosure file. Unknown fields are refused, and every encoded field must be in the one
/// canonical form the disclosing side writes, so one disclosure has exactly one text.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisclosureFile {
    /// `zkreg-disclosure/1`.
    pub format: String,
    /// Chain name.
    pub chain_id: String,
    /// Genesis hash (hex).
    pub genesis: String,
    /// Transaction id.
    pub tx_id: String,
    /// Its height.
    pub height: u64,
    /// Its kind.
    pub kind: String,
    /// Regulator public key the ciphertext is encrypted to.
    pub rpk: String,
    /// The ciphertext's `R`.
    pub r_point: String,
    /// The shared point `S = rsk·R`.
    pub shared_point: String,
    /// Chaum–Pedersen challenge `e`.
    pub proof_challenge: String,
    /// Chaum–Pedersen response `z`.
    pub proof_response: String,
    /// The decrypted record (same fields as an export).
    pub record: Row,
}

/// Format tag of disclosure files.
pub const DISCLOSURE_FORMAT: &str = "zkreg-disclosure/1";

/// Binds the proof to everything a disclosure asserts about where its ciphertext lives: the
/// chain (genesis hash), height, kind, tx id and the ciphertext itself. A verifier recomputes it
/// from the ledger, so a disclosure edited to claim another chain, height, kind or transaction
/// fails the proof even before the field-by-field comparison.
fn context(genesis: &[u8; 32], height: u64, kind: &str, tx_id: &TxId, c: &[Fr]) -> Vec<u8> {
    let mut out = genesis.to_vec();
    out.extend_from_slice(&height.to_be_bytes());
    out.extend_from_slice(kind.as_bytes());
    out.push(0);
    out.extend_from_slice(tx_id);
    for x in c {
        out.extend_from_slice(fr_hex(x).as_bytes());
    }
    out
}

fn find_record(ledger: &Ledger, id: &TxId) -> Result<AuditRecord> {
    let Some((height, _, _)) = ledger.tx_by_id(id).map_err(|e| anyhow!("{e}"))? else {
        bail!("transaction {} is not on this ledger", id_hex(id));
    };
    ledger
        .audit_records(height, height)
        .map_err(|e| anyhow!("{e}"))?
        .into_iter()
        .find(|r| r.tx_id == *id)
        .ok_or_else(|| anyhow!("transaction {} has no audit record", id_hex(id)))
}

/// Makes a disclosure of one transaction.
pub fn disclose(
    session: &mut Session,
    rsk: &RegulatorSecretKey,
    tx_id: &TxId,
    labels: Labels,
) -> Result<DisclosureFile> {
    let ledger = session.ledger()?;
    let rec = find_record(ledger, tx_id)?;
    let Some((r_point, c)) = ciphertext(&rec.payload) else {
        bail!(
            "tx {} is a revocation: it has no audit ciphertext, its fields (position, grant commitment) are public",
            id_hex(tx_id)
        );
    };
    let rpk = rsk.public_key();
    if ledger.config().rpk_at(rec.height) != Some(rpk) {
        bail!(
            "tx {} is encrypted to another regulator key; this key cannot disclose it",
            id_hex(tx_id)
        );
    }
    let links = Links::new(ledger, labels)?;
    let kind = record_kind(&rec.payload).to_string();
    let genesis = ledger.config().hash;
    let ctx = context(&genesis, rec.height, &kind, tx_id, &c);
    let (s, proof) = disclosure::prove(rsk, &r_point, &ctx, &mut OsRng);
    let plaintext = disclosure::decrypt_with_shared(&s, &c);
    let record = row(ledger, &links, &rec, Some(&plaintext))?;
    let (e, z) = proof.to_hex();
    Ok(DisclosureFile {
        format: DISCLOSURE_FORMAT.into(),
        chain_id: ledger.config().genesis.chain_id.clone(),
        genesis: hex::encode(genesis),
        tx_id: id_hex(tx_id),
        height: rec.height,
        kind,
        rpk: point_to_hex(&rpk),
        r_point: point_to_hex(&r_point),
        shared_point: point_to_hex(&s),
        proof_challenge: e,
        proof_response: z,
        record,
    })
}

fn value_matches(col: &str, claimed: &Value, actual: &Value) -> bool {
    if claimed == actual {
        return true;
    }
    // A label may be named by the discloser and shown as hex here (or the reverse): it matches
    // when the name hashes to the decrypted element.
    if LABEL_COLUMNS.contains(&col) {
        let id = |v: &Value| -> Option<String> {
            let s = v.as_str()?;
            Some(match s.strip_prefix("0x") {
                Some(h) if h.len() == 64 => h.to_string(),
                _ => fr_hex(&label_to_field(s)),
            })
        };
        return id(claimed).is_some() && id(claimed) == id(actual);
    }
    false
}

/// A field must be written exactly as its value encodes (lower-case hex, no padding).
fn canonical(field: &str, encoded: &str, given: &str) -> Result<()> {
    if encoded != given {
        bail!("disclosure field {field} is not in canonical form (expected {encoded})");
    }
    Ok(())
}

/// Checks a disclosure against the local ledger, without any regulator key. Every top-level
/// field is either re-derived from the ledger and compared (format, chain id, genesis, tx id,
/// height, kind, RPK, R) or checked by the proof (shared point, challenge, response), and the
/// proof's context covers genesis, height, kind, tx id and ciphertext; the record is compared
/// field by field with the decryption. What a caller shows must come from the returned row.
pub fn verify_disclosure(session: &mut Session, d: &DisclosureFile) -> Result<Row> {
    if d.format != DISCLOSURE_FORMAT {
        bail!("not a zkreg disclosure (format {:?})", d.format);
    }
    let labels = home_labels(session, &[])?;
    let ledger = session.ledger()?;
    let cfg = ledger.config();
    if d.chain_id != cfg.genesis.chain_id {
        bail!(
            "the disclosure names chain {:?}, this ledger is chain {:?}",
            d.chain_id,
            cfg.genesis.chain_id
        );
    }
    if d.genesis != hex::encode(cfg.hash) {
        bail!(
            "the disclosure is for chain {:?} (genesis {}), this ledger is {:?} (genesis {})",
            d.chain_id,
            util::short(&d.genesis),
            cfg.genesis.chain_id,
            util::short(&hex::encode(cfg.hash))
        );
    }
    let id = util::id_from_hex(&d.tx_id)?;
    canonical("tx_id", &id_hex(&id), &d.tx_id)?;
    let rec = find_record(ledger, &id)?;
    if rec.height != d.height {
        bail!(
            "the disclosure says height {}, the ledger has the tx at height {}",
            d.height,
            rec.height
        );
    }
    let Some((r_point, c)) = ciphertext(&rec.payload) else {
        bail!("a revocation has nothing to disclose");
    };
    let links = Links::new(ledger, labels)?;
    let kind = record_kind(&rec.payload);
    if d.kind != kind {
        bail!(
            "the disclosure says kind {:?}, the ledger's tx {} is a {kind}",
            d.kind,
            util::short(&d.tx_id)
        );
    }
    if point_to_hex(&r_point) != d.r_point {
        bail!("the disclosure's R is not the ciphertext's R on the ledger");
    }
    let rpk = point_from_hex(&d.rpk).map_err(|e| anyhow!("rpk: {e}"))?;
    canonical("rpk", &point_to_hex(&rpk), &d.rpk)?;
    if cfg.rpk_at(rec.height) != Some(rpk) {
        bail!(
            "the disclosure's RPK is not the regulator key the genesis names for height {}",
            rec.height
        );
    }
    let s = point_from_hex(&d.shared_point).map_err(|e| anyhow!("shared point: {e}"))?;
    canonical("shared_point", &point_to_hex(&s), &d.shared_point)?;
    let proof = DleqProof::from_hex(&d.proof_challenge, &d.proof_response)
        .map_err(|e| anyhow!("proof: {e}"))?;
    let (e, z) = proof.to_hex();
    canonical("proof_challenge", &e, &d.proof_challenge)?;
    canonical("proof_response", &z, &d.proof_response)?;
    let ctx = context(&cfg.hash, rec.height, kind, &id, &c);
    disclosure::verify(&rpk, &r_point, &s, &ctx, &proof).map_err(|e| anyhow!("{e}"))?;
    let plaintext = disclosure::decrypt_with_shared(&s, &c);
    let actual = row(ledger, &links, &rec, Some(&plaintext))?;
    for col in COLUMNS {
        let (claimed, real) = (d.record.get(*col), actual.get(*col));
        let ok = match (claimed, real) {
            (None, None) => true,
            (Some(a), Some(b)) => value_matches(col, a, b),
            _ => false,
        };
        if !ok {
            bail!(
                "disclosed field {col} is {}, but the ciphertext decrypts to {}",
                claimed
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "absent".into()),
                real.map(|v| v.to_string())
                    .unwrap_or_else(|| "nothing".into())
            );
        }
    }
    if let Some(extra) = d.record.keys().find(|k| !COLUMNS.contains(&k.as_str())) {
        bail!("the disclosure has an unknown field {extra:?}");
    }
    Ok(actual)
}

/// `zkreg audit disclose`.
pub fn cmd_disclose(session: &mut Session, regulator: &str, tx: &str, out: &Path) -> Result<()> {
    let rsk = session.home.regulator(regulator)?;
    let id = util::id_from_hex(tx)?;
    let labels = home_labels(session, &[])?;
    let d = disclose(session, &rsk, &id, labels)?;
    util::write(out, serde_json::to_string_pretty(&d)?.as_bytes())?;
    println!(
        "disclosure of {} tx {} (height {}) written to {}",
        d.kind,
        d.tx_id,
        d.height,
        out.display()
    );
    println!(
        "anyone with this ledger can check it: zkreg audit verify-disclosure {}",
        out.display()
    );
    Ok(())
}

/// `zkreg audit verify-disclosure`.
pub fn cmd_verify_disclosure(session: &mut Session, file: &Path) -> Result<()> {
    let text = util::read_text(file)?;
    let d: DisclosureFile = serde_json::from_str(&text)
        .map_err(|e| anyhow!("{}: not a disclosure file: {e}", file.display()))?;
    let row = verify_disclosure(session, &d)?;
    // Everything shown comes from the verified row (the ledger and the decryption), not the file.
    println!(
        "disclosure valid: {} tx {} at height {}",
        cell(row.get("kind")),
        cell(row.get("tx_id")),
        cell(row.get("height"))
    );
    println!("  the shared point is proven to come from the genesis regulator key (Chaum–Pedersen), and every disclosed field equals the ledger ciphertext's decryption:");
    for col in COLUMNS {
        if let Some(v) = row.get(*col) {
            println!("  {col:12} {}", cell(Some(v)));
        }
    }
    Ok(())
}
