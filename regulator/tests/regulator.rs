//! The regulator library against a real ledger with dev parameters: one small chain (a mint, a
//! payment, a grant, an access and a revocation: five proofs) built once per test binary, then
//! exports decrypted exactly, CSV and JSON lines agreeing, and disclosures accepted when honest
//! and refused, each for its own reason, when any top-level field is altered.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at the first failure

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::{Map, Value};
use std::sync::OnceLock;
use zkreg_benches::workload::{issuer, ledger_outputs, regulator, Keys};
use zkreg_circuits::{audit::RegulatorSecretKey, grant::Grant, labels::label_to_field};
use zkreg_ledger::{Ledger, LedgerError};
use zkreg_prover::{
    builder::{
        build_access, build_grant, build_payment, build_revoke, GrantRequest, PaymentRequest,
    },
    keys::{point_to_hex, regulator_from_seed, WalletKeys},
    prove::UnprovenTx,
    wallet::Wallet,
};
use zkreg_regulator::{
    directory::NAME_COLUMNS,
    disclosure::{self, DisclosureError, DisclosureFile},
    export, graph,
    record::{fr_hex, COLUMNS},
    summary::{self, Summary},
    AuditError, Directory, Labels, Record, RecordBody,
};
use zkreg_verifier::{Transaction, TxId, TxKind};

const DATASET: &str = "rent-payments";
const PURPOSE: &str = "credit-underwriting";
const EXPIRY: u64 = 1_000;
const ACCESS_TIME: u64 = 4;
const REQUEST: &[u8] = b"svc:test/nonce:1";

/// The chain every test reads: heights 1..=5 hold mint, payment, grant, access, revoke.
struct Chain {
    _dir: tempfile::TempDir,
    ledger: Ledger,
    rsk: RegulatorSecretKey,
    alice: WalletKeys,
    bob: WalletKeys,
    lender: WalletKeys,
    grant: Grant,
    /// Tx ids by height (index 0 is height 1).
    ids: Vec<TxId>,
}

fn chain() -> &'static Chain {
    static CHAIN: OnceLock<Chain> = OnceLock::new();
    CHAIN.get_or_init(build_chain)
}

/// The benchmark chain of `zkreg-benches` (dev keys, its regulator, USD and its issuer) with
/// one transaction per block.
fn build_chain() -> Chain {
    let keys = Keys::dev().expect("dev keys");
    let config = keys.genesis().expect("genesis");
    let chain_id = config.hash;
    let dir = tempfile::Builder::new()
        .prefix("zkreg-regulator-test-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("tempdir");
    let mut ledger = Ledger::open_with_keys(dir.path(), config, keys.vks.clone()).expect("open");
    let rsk = regulator();
    let rpk = rsk.public_key();

    let mut r = ChaCha20Rng::seed_from_u64(21);
    let alice_keys = WalletKeys::random(&mut r);
    let bob = WalletKeys::random(&mut r);
    let lender = WalletKeys::random(&mut r);
    let mut ids = Vec::new();
    let mut block = |l: &mut Ledger, u: UnprovenTx, r: &mut ChaCha20Rng| -> Transaction {
        let tx = keys.prover.prove(u, r).expect("prove");
        let h = l.status().height + 1;
        l.apply_block(h, h, &[tx.encode()]).expect("block applies");
        ids.push(tx.id());
        tx
    };
    let pay_req = |to: &WalletKeys, amount: u64| PaymentRequest {
        asset: label_to_field("USD"),
        to: vec![(to.address(), amount)],
        deposit: 0,
        withdraw: 0,
        fee: 0,
        destination: vec![],
        memo: vec![],
        rpk,
        chain: chain_id,
    };

    // 1: the issuer mints 100 USD to Alice.
    let minter = Wallet::new(WalletKeys::random(&mut r));
    let req = PaymentRequest {
        deposit: 100,
        ..pay_req(&alice_keys, 100)
    };
    let mut u = build_payment(&minter, &req, &ledger.accepted_anchors(), &mut r).expect("mint");
    u.sign_as_issuer(&issuer());
    let mint = block(&mut ledger, u, &mut r);
    // 2: Alice pays Bob 30 (70 back to her).
    let mut alice = Wallet::new(alice_keys.clone());
    alice
        .scan(&ledger_outputs(&[mint]), &mut |_| {})
        .expect("scan");
    let u = build_payment(
        &alice,
        &pay_req(&bob, 30),
        &ledger.accepted_anchors(),
        &mut r,
    )
    .expect("pay");
    block(&mut ledger, u, &mut r);
    // 3: Alice grants the lender her rent payments for credit underwriting.
    let req = GrantRequest {
        institution: lender.address(),
        dataset: label_to_field(DATASET),
        purpose: label_to_field(PURPOSE),
        expiry: EXPIRY,
        memo: b"request 1".to_vec(),
        rpk,
        chain: chain_id,
    };
    let (u, grant) = build_grant(&alice_keys, &req, &mut r).expect("grant");
    block(&mut ledger, u, &mut r);
    // 4: the lender accesses under the grant (leaf 0).
    let u = build_access(
        &chain_id,
        &lender,
        &grant,
        &ledger.grant_tree(),
        0,
        ACCESS_TIME,
        REQUEST,
        rpk,
        &mut r,
    )
    .expect("access");
    block(&mut ledger, u, &mut r);
    // 5: Alice revokes.
    let u = build_revoke(&chain_id, &alice_keys, &grant, 0, b"").expect("revoke");
    block(&mut ledger, u, &mut r);

    Chain {
        _dir: dir,
        ledger,
        rsk,
        alice: alice_keys,
        bob,
        lender,
        grant,
        ids,
    }
}

/// The names this chain's records use.
fn labels() -> Labels {
    let mut l = Labels::of_chain(chain().ledger.config());
    l.add(DATASET);
    l.add(PURPOSE);
    l
}

fn export_all() -> Vec<Record> {
    let c = chain();
    export::decrypt_range(&c.ledger, &c.rsk, 1, 5, &labels()).expect("export")
}

#[test]
fn export_decrypts_every_kind_exactly() {
    let c = chain();
    let recs = export_all();
    assert_eq!(
        recs.iter().map(|r| r.body.kind()).collect::<Vec<_>>(),
        [
            TxKind::Payment,
            TxKind::Payment,
            TxKind::Grant,
            TxKind::Access,
            TxKind::Revoke
        ]
    );
    for (i, r) in recs.iter().enumerate() {
        assert_eq!((r.height, r.index, r.tx_id), (i as u64 + 1, 0, c.ids[i]));
    }
    let (mint_id, grant_id) = (c.ids[0], c.ids[2]);

    let RecordBody::Payment(mint) = &recs[0].body else {
        panic!("mint is a payment")
    };
    assert_eq!(mint.asset.name.as_deref(), Some("USD"));
    assert_eq!((mint.deposit, mint.withdrawal, mint.fee), (100, 0, 0));
    assert_eq!(mint.destination, None);
    // A mint spends only zero-value dummies: no origins.
    assert!(mint
        .inputs
        .iter()
        .all(|n| n.value == 0 && n.origin.is_none()));
    let mut outs: Vec<_> = mint.outputs.iter().map(|o| (o.owner, o.value)).collect();
    outs.retain(|o| o.1 != 0);
    assert_eq!(outs, [(c.alice.owner(), 100)]);

    let RecordBody::Payment(pay) = &recs[1].body else {
        panic!("payment")
    };
    assert_eq!(pay.owner_in, c.alice.owner());
    assert_eq!(pay.deposit, 0);
    let spent: Vec<_> = pay.inputs.iter().filter(|n| n.value != 0).collect();
    assert_eq!(spent.len(), 1);
    assert_eq!((spent[0].value, spent[0].origin), (100, Some(mint_id)));
    assert_eq!(
        pay.outputs.map(|o| (o.owner, o.value)),
        [(c.bob.owner(), 30), (c.alice.owner(), 70)]
    );

    let RecordBody::Grant(g) = &recs[2].body else {
        panic!("grant")
    };
    assert_eq!((g.owner_id, g.inst_id), (c.alice.owner(), c.lender.owner()));
    assert_eq!(g.dataset.name.as_deref(), Some(DATASET));
    assert_eq!(g.purpose.name.as_deref(), Some(PURPOSE));
    assert_eq!(
        (g.expiry, g.gcm, g.grant_pos),
        (EXPIRY, c.grant.commitment(), 0)
    );

    let RecordBody::Access(a) = &recs[3].body else {
        panic!("access")
    };
    assert_eq!((a.owner_id, a.inst_id), (c.alice.owner(), c.lender.owner()));
    assert_eq!(
        (a.dataset.field, a.purpose.field),
        (g.dataset.field, g.purpose.field)
    );
    assert_eq!(
        (a.gcm, a.grant_tx, a.now),
        (g.gcm, Some(grant_id), ACCESS_TIME)
    );
    assert_eq!(a.request.as_bytes(), REQUEST);

    let RecordBody::Revoke(v) = &recs[4].body else {
        panic!("revoke")
    };
    assert_eq!((v.grant_pos, v.gcm, v.grant_tx), (0, g.gcm, Some(grant_id)));

    // A sub-range holds exactly its records; a range beyond the ledger is the ledger's error.
    let two = export::decrypt_range(&c.ledger, &c.rsk, 2, 3, &labels()).expect("2..=3");
    assert_eq!(two, recs[1..3]);
    let err = export::decrypt_range(&c.ledger, &c.rsk, 1, 9, &labels()).expect_err("1..=9");
    assert!(
        matches!(err, AuditError::Ledger(LedgerError::NotFound(_))),
        "{err}"
    );
    assert!(err.to_string().contains("height range"), "{err}");
}

#[test]
fn export_with_another_key_is_refused() {
    let c = chain();
    let other = regulator_from_seed(&[8; 32]);
    let err = export::decrypt_range(&c.ledger, &other, 1, 5, &labels()).expect_err("wrong key");
    let AuditError::WrongKey { in_force, key, .. } = err else {
        panic!("expected WrongKey, got {err}")
    };
    assert_eq!(
        (in_force, key),
        (
            Some(point_to_hex(&c.rsk.public_key())),
            point_to_hex(&other.public_key())
        )
    );
    // A range of revocations only has nothing encrypted: any key reads it.
    let recs = export::decrypt_range(&c.ledger, &other, 5, 5, &labels()).expect("revocation");
    assert!(matches!(recs[0].body, RecordBody::Revoke(_)));
}

#[test]
fn csv_and_json_lines_agree() {
    let recs = export_all();
    let mut csv_bytes = Vec::new();
    export::write_csv(&recs, &mut csv_bytes).expect("csv");
    let mut json_bytes = Vec::new();
    export::write_json_lines(&recs, &mut json_bytes).expect("json");
    let json_rows: Vec<Map<String, Value>> = String::from_utf8(json_bytes)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let mut rdr = csv::Reader::from_reader(&csv_bytes[..]);
    assert_eq!(
        rdr.headers().expect("header"),
        &csv::StringRecord::from(COLUMNS)
    );
    let csv_rows: Vec<csv::StringRecord> = rdr.records().collect::<Result<_, _>>().expect("CSV");
    assert_eq!((json_rows.len(), csv_rows.len()), (5, 5));
    // Each JSON line is the record's row, and each CSV row its cells under the header.
    for ((j, c), rec) in json_rows.iter().zip(&csv_rows).zip(&recs) {
        assert_eq!(j, &rec.to_row());
        assert!(j.keys().all(|k| COLUMNS.contains(&k.as_str())), "{j:?}");
        let cells: Vec<String> = COLUMNS.iter().map(|k| export::cell(j.get(*k))).collect();
        assert_eq!(c, &csv::StringRecord::from(cells));
    }
    assert_eq!(export::cell(Some(&Value::from("USD"))), "USD");
    assert_eq!(export::cell(Some(&Value::from(30))), "30");
    assert_eq!(export::cell(None), "");
    // The cells the CLI's users read: kinds, names, numbers, links.
    let kinds: Vec<&str> = json_rows
        .iter()
        .map(|r| r["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(kinds, ["payment", "payment", "grant", "access", "revoke"]);
    assert_eq!(json_rows[1]["asset"], "USD");
    assert_eq!(json_rows[1]["value_out_0"], 30);
    assert_eq!(json_rows[2]["dataset"], DATASET);
    assert_eq!(
        json_rows[3]["grant_tx"],
        Value::String(hex::encode(chain().ids[2]))
    );
    // Without names, a label is 0x + the hex of its element.
    let c = chain();
    let bare = export::decrypt_range(&c.ledger, &c.rsk, 3, 3, &Labels::new()).expect("bare");
    let row = bare[0].to_row();
    let dataset = row["dataset"].as_str().unwrap_or("");
    assert!(
        dataset.starts_with("0x") && dataset.len() == 66,
        "{dataset}"
    );
}

/// The pre-streaming export, all in memory: every record loaded, `S = rsk·R` by
/// `shared_point` per record, decoded, then the whole file written.
fn old_export(rsk: &RegulatorSecretKey, csv_format: bool) -> Vec<u8> {
    use zkreg_circuits::audit::shared_point;
    use zkreg_ledger::LedgerView;
    let c = chain();
    let labels = labels();
    let decoder = zkreg_regulator::record::Decoder::new(&c.ledger, &labels);
    let records: Vec<Record> = LedgerView::audit_records(&c.ledger, 1, 5)
        .expect("rows")
        .iter()
        .map(|rec| {
            let s = zkreg_regulator::record::ciphertext(&rec.payload)
                .map(|(r, _)| shared_point(rsk, &r));
            decoder.record(rec, s.as_ref()).expect("decode")
        })
        .collect();
    let mut out = Vec::new();
    if csv_format {
        // The header and rows as the old writer made them: one csv::Writer over it all.
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(COLUMNS).expect("header");
        for r in &records {
            let row = r.to_row();
            w.write_record(COLUMNS.iter().map(|c| export::cell(row.get(*c))))
                .expect("row");
        }
        w.flush().expect("flush");
    } else {
        for r in &records {
            serde_json::to_writer(&mut out, &r.to_row()).expect("json");
            out.push(b'\n');
        }
    }
    out
}

fn streamed(
    format: export::Format,
    directory: Option<&Directory>,
) -> (Vec<u8>, Vec<export::Progress>) {
    let c = chain();
    let mut out = Vec::new();
    let mut progress = Vec::new();
    let n = export::write_export(
        &c.ledger,
        &export::Opener::Key(&c.rsk),
        1,
        5,
        &labels(),
        format,
        directory,
        &mut out,
        &mut |p| progress.push(p),
    )
    .expect("streamed export");
    assert_eq!(n, 5);
    (out, progress)
}

#[test]
fn streamed_export_equals_the_all_in_memory_export_byte_for_byte() {
    let c = chain();
    for (format, csv_format) in [
        (export::Format::Csv, true),
        (export::Format::JsonLines, false),
    ] {
        let (bytes, progress) = streamed(format, None);
        assert_eq!(bytes, old_export(&c.rsk, csv_format), "csv: {csv_format}");
        assert_eq!(
            progress.last(),
            Some(&export::Progress {
                heights: 5,
                records: 5
            })
        );
    }
    // The library's in-memory writers are the same bytes too.
    let mut csv_bytes = Vec::new();
    export::write_csv(&export_all(), &mut csv_bytes).expect("csv");
    assert_eq!(csv_bytes, old_export(&c.rsk, true));
}

#[test]
fn a_directory_adds_names_beside_ids() {
    let c = chain();
    let text = format!(
        "owner_id,name\n{},Alice\n{},Lender Bank\n",
        fr_hex(&c.alice.owner()),
        fr_hex(&c.lender.owner())
    );
    let dir = Directory::parse(&text).expect("directory");
    let (bytes, _) = streamed(export::Format::JsonLines, Some(&dir));
    let rows: Vec<Map<String, Value>> = String::from_utf8(bytes)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(rows[1]["owner_in_name"], "Alice");
    assert_eq!(rows[1]["owner_out_1_name"], "Alice");
    assert_eq!(
        rows[1].get("owner_out_0_name"),
        None,
        "Bob is not in the directory"
    );
    assert_eq!(rows[1]["owner_in"], Value::String(fr_hex(&c.alice.owner())));
    assert_eq!(rows[2]["inst_id_name"], "Lender Bank");
    let (csv_bytes, _) = streamed(export::Format::Csv, Some(&dir));
    let mut rdr = csv::Reader::from_reader(&csv_bytes[..]);
    let header = rdr.headers().expect("header").clone();
    assert_eq!(header.len(), COLUMNS.len() + NAME_COLUMNS.len());
    let second = rdr.records().nth(1).expect("row").expect("CSV");
    let at = |col: &str| header.iter().position(|h| h == col).expect("column");
    assert_eq!(&second[at("owner_in_name")], "Alice");
    assert_eq!(&second[at("owner_out_0_name")], "");
}

#[test]
fn summary_of_known_records() {
    let c = chain();
    let recs = export_all();
    // Periods of 2 blocks: the mint (height 1) is period 0, the payment (height 2) period 1.
    let mut s = Summary::new(2).expect("summary");
    for r in &recs {
        s.add(r);
    }
    let assets: Vec<_> = s.assets().map(|(k, t)| (k.clone(), *t)).collect();
    assert_eq!(assets.len(), 2);
    assert_eq!(assets[0].0, (0, "USD".to_string()));
    assert_eq!(
        (
            assets[0].1.payments,
            assets[0].1.volume,
            assets[0].1.deposits
        ),
        (1, 100, 100),
        "the mint pays 100 to Alice (its payer is the minter)"
    );
    assert_eq!(assets[1].0, (1, "USD".to_string()));
    assert_eq!(
        (
            assets[1].1.payments,
            assets[1].1.volume,
            assets[1].1.deposits
        ),
        (1, 30, 0),
        "Alice pays Bob 30; her change of 70 is not volume"
    );
    let party = |k: u64, who: &WalletKeys| {
        s.parties()
            .find(|((p, _, id), _)| *p == k && *id == fr_hex(&who.owner()))
            .map(|(_, t)| *t)
            .unwrap_or_default()
    };
    assert_eq!(
        (
            party(0, &c.alice).received,
            party(0, &c.alice).payments_received
        ),
        (100, 1)
    );
    assert_eq!(
        (party(1, &c.alice).sent, party(1, &c.alice).received),
        (30, 0)
    );
    assert_eq!(
        (
            party(1, &c.bob).received,
            party(1, &c.bob).payments_received
        ),
        (30, 1)
    );
    assert_eq!(s.period_range(1), (2, 3));
    // One period over everything; CSV with names from a directory.
    let mut all = Summary::new(1_000).expect("summary");
    recs.iter().for_each(|r| all.add(r));
    let dir = Directory::parse(&format!("owner_id,name\n{},Bob\n", fr_hex(&c.bob.owner())))
        .expect("directory");
    let mut out = Vec::new();
    all.write_csv(Some(&dir), &mut out).expect("csv");
    let mut rdr = csv::Reader::from_reader(&out[..]);
    assert_eq!(
        rdr.headers().expect("header"),
        &csv::StringRecord::from(summary::COLUMNS)
    );
    let rows: Vec<csv::StringRecord> = rdr.records().collect::<Result<_, _>>().expect("CSV");
    assert_eq!(&rows[0][0], "asset");
    assert_eq!((&rows[0][6], &rows[0][7], &rows[0][8]), ("2", "130", "100"));
    let bob = rows.iter().find(|r| &r[5] == "Bob").expect("Bob's row");
    assert_eq!((&bob[0], &bob[12]), ("party", "30"));
    assert!(Summary::new(0).is_err());
}

#[test]
fn graph_edges_link_payers_payees_and_spent_notes() {
    let c = chain();
    let recs = export_all();
    let edges: Vec<graph::Edge> = recs.iter().flat_map(graph::edges).collect();
    // The mint: minter → Alice 100; the payment: Alice → Bob 30 and Alice → Alice 70 (change).
    assert_eq!(edges.len(), 3);
    let pay: Vec<_> = edges.iter().filter(|e| e.height == 2).collect();
    assert_eq!(pay.len(), 2);
    assert_eq!(
        (pay[0].payer.as_str(), pay[0].payee.as_str(), pay[0].value),
        (
            fr_hex(&c.alice.owner()).as_str(),
            fr_hex(&c.bob.owner()).as_str(),
            30
        )
    );
    assert_eq!(
        (pay[1].payee.clone(), pay[1].value),
        (fr_hex(&c.alice.owner()), 70)
    );
    // The payment spent the mint's note: the edge names the mint's tx.
    let mint = hex::encode(c.ids[0]);
    assert!(pay
        .iter()
        .all(|e| e.spent_from.contains(&Some(mint.clone()))));
    assert_eq!(pay[0].tx_id, hex::encode(c.ids[1]));
    let mut out = Vec::new();
    graph::write_header(&mut out).expect("header");
    graph::write_edges(&recs, None, &mut out).expect("edges");
    let mut rdr = csv::Reader::from_reader(&out[..]);
    assert_eq!(
        rdr.headers().expect("header"),
        &csv::StringRecord::from(graph::COLUMNS)
    );
    let rows: Vec<csv::StringRecord> = rdr.records().collect::<Result<_, _>>().expect("CSV");
    assert_eq!(rows.len(), 3);
    assert_eq!((&rows[2][8], &rows[2][9]), ("70", "true"));
}

fn disclose(tx: TxId) -> DisclosureFile {
    let c = chain();
    let mut r = ChaCha20Rng::seed_from_u64(5);
    disclosure::disclose(&c.ledger, &c.rsk, &tx, &labels(), &mut r).expect("disclose")
}

fn verify(d: &DisclosureFile) -> Result<Record, DisclosureError> {
    disclosure::verify(&chain().ledger, &labels(), d)
}

/// Why `d`, changed by `change`, is refused.
fn refused(d: &DisclosureFile, change: impl Fn(&mut DisclosureFile)) -> DisclosureError {
    let mut x = d.clone();
    change(&mut x);
    verify(&x).expect_err("altered disclosure verified")
}

#[test]
fn honest_disclosures_verify_and_return_the_ledger_record() {
    let c = chain();
    let recs = export_all();
    for (i, kind) in [(1, "payment"), (2, "grant"), (3, "access")] {
        let d = disclose(c.ids[i]);
        assert_eq!(
            (d.kind.as_str(), d.height, d.format.as_str()),
            (kind, i as u64 + 1, disclosure::FORMAT)
        );
        assert_eq!(d.record, recs[i].to_row());
        assert_eq!(verify(&d).expect("honest disclosure"), recs[i]);
        // Through its text, and by a verifier that knows no label names.
        let text = serde_json::to_string_pretty(&d).expect("json");
        let back = DisclosureFile::from_json(&text).expect("parse");
        assert_eq!(back, d);
        let bare = disclosure::verify(&c.ledger, &Labels::new(), &back).expect("no names");
        assert_eq!(bare.tx_id, c.ids[i]);
    }
    // A revocation has nothing to disclose; another key cannot disclose; an unknown tx is not
    // on the ledger.
    let mut r = ChaCha20Rng::seed_from_u64(6);
    let err = disclosure::disclose(&c.ledger, &c.rsk, &c.ids[4], &labels(), &mut r)
        .expect_err("revocation");
    assert!(matches!(err, DisclosureError::Revocation { .. }), "{err}");
    let other = regulator_from_seed(&[8; 32]);
    let err = disclosure::disclose(&c.ledger, &other, &c.ids[1], &labels(), &mut r)
        .expect_err("another key");
    assert!(matches!(err, DisclosureError::NotOurKey { .. }), "{err}");
    let err =
        disclosure::disclose(&c.ledger, &c.rsk, &[7; 32], &labels(), &mut r).expect_err("unknown");
    assert!(matches!(err, DisclosureError::UnknownTx { .. }), "{err}");
}

/// The same hex text with its last character changed.
fn flip(s: &str) -> String {
    let last = if s.ends_with('0') { "1" } else { "0" };
    format!("{}{last}", &s[..s.len() - 1])
}

#[test]
fn each_altered_top_level_field_is_refused_for_its_own_reason() {
    let c = chain();
    let d = disclose(c.ids[1]);
    let alter = |f: fn(&mut DisclosureFile)| refused(&d, f);
    use DisclosureError as E;
    let e = alter(|x| x.format = "zkreg-disclosure/0".into());
    assert!(matches!(e, E::Format { .. }), "{e}");
    let e = alter(|x| x.chain_id = "zkreg-elsewhere".into());
    assert!(matches!(e, E::WrongChain { .. }), "{e}");
    let e = alter(|x| x.genesis = flip(&x.genesis));
    assert!(matches!(e, E::WrongGenesis { .. }), "{e}");
    let e = alter(|x| x.tx_id = flip(&x.tx_id));
    assert!(matches!(e, E::UnknownTx { .. }), "{e}");
    let e = refused(&d, |x| x.tx_id = hex::encode(c.ids[4]));
    assert!(matches!(e, E::HeightMismatch { .. }), "{e}");
    let e = alter(|x| x.height += 1);
    assert!(
        matches!(
            e,
            E::HeightMismatch {
                claimed: 3,
                actual: 2
            }
        ),
        "{e}"
    );
    let e = alter(|x| x.kind = "grant".into());
    assert!(
        matches!(&e, E::KindMismatch { claimed, actual: TxKind::Payment, .. } if claimed == "grant"),
        "{e}"
    );
    let e = alter(|x| x.rpk = x.r_point.clone());
    assert!(matches!(e, E::RpkMismatch { height: 2 }), "{e}");
    let e = alter(|x| x.r_point = x.rpk.clone());
    assert!(matches!(e, E::RPointMismatch), "{e}");
    let e = alter(|x| x.shared_point = x.rpk.clone());
    assert!(matches!(e, E::BadProof), "{e}");
    // Another valid scalar fails the proof; a non-canonical one does not decode.
    let e = alter(|x| x.proof_challenge = x.proof_response.clone());
    assert!(matches!(e, E::BadProof), "{e}");
    let e = alter(|x| x.proof_response = x.proof_challenge.clone());
    assert!(matches!(e, E::BadProof), "{e}");
    let e = alter(|x| x.proof_challenge = "ff".repeat(32));
    assert!(matches!(e, E::Malformed { field: "proof", .. }), "{e}");
    let e = alter(|x| {
        x.record.insert("value_out_0".into(), Value::from(31));
    });
    assert!(
        matches!(&e, E::FieldMismatch { field: "value_out_0", claimed: Some(v), actual: Some(w) }
            if *v == 31 && *w == 30),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "disclosed field value_out_0 is 31, but the ciphertext decrypts to 30"
    );
    // Every top-level field has its case above (the test of the CLI checks the same list).
    let fields = serde_json::to_value(&d).expect("json");
    assert_eq!(fields.as_object().map(|o| o.len()), Some(12));
}

#[test]
fn one_text_per_disclosure() {
    let c = chain();
    let d = disclose(c.ids[1]);
    let alter = |f: fn(&mut DisclosureFile)| refused(&d, f);
    use DisclosureError as E;
    for (field, e) in [
        ("tx_id", alter(|x| x.tx_id = x.tx_id.to_uppercase())),
        ("rpk", alter(|x| x.rpk = format!(" {}", x.rpk))),
        (
            "shared_point",
            alter(|x| x.shared_point = x.shared_point.to_uppercase()),
        ),
        (
            "proof_challenge",
            alter(|x| x.proof_challenge = x.proof_challenge.to_uppercase()),
        ),
        (
            "proof_response",
            alter(|x| x.proof_response = format!("{}\n", x.proof_response)),
        ),
    ] {
        assert!(
            matches!(&e, E::NotCanonical { field: f, .. } if *f == field),
            "{field}: {e}"
        );
    }
    // Unknown fields: at the top level the file does not parse; in the record they are named.
    let mut v = serde_json::to_value(&d).expect("json");
    v["note"] = Value::from("trust me");
    let e = DisclosureFile::from_json(&v.to_string()).expect_err("unknown top-level field");
    assert!(matches!(e, E::Parse(_)), "{e}");
    let e = alter(|x| {
        x.record.insert("note".into(), Value::from("trust me"));
    });
    assert!(
        matches!(&e, E::UnknownField { field } if field == "note"),
        "{e}"
    );
    // A missing record field, and a label named by its hex instead, behave as they should.
    let e = alter(|x| {
        x.record.remove("owner_in");
    });
    assert!(
        matches!(
            e,
            E::FieldMismatch {
                field: "owner_in",
                claimed: None,
                ..
            }
        ),
        "{e}"
    );
    let mut hexed = d.clone();
    let usd = zkreg_regulator::labels::Label {
        field: label_to_field("USD"),
        name: None,
    };
    hexed
        .record
        .insert("asset".into(), Value::from(usd.to_string()));
    verify(&hexed).expect("a label shown as hex matches its name");
    let e = alter(|x| {
        x.record.insert("asset".into(), Value::from("EUR"));
    });
    assert!(matches!(e, E::FieldMismatch { field: "asset", .. }), "{e}");
    assert_eq!(TxKind::Payment.name(), d.kind);
}
