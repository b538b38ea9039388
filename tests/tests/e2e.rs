//! End to end through the real `zkreg` binary: the demo, the main flows command by command,
//! audit exports (CSV and JSON agree), disclosures, and every error case ending in one
//! `error:` line with a non-zero exit code.
//!
//! One dev setup serves the whole file: a base home (parameters, keys, an initialised ledger)
//! is made once and copied for each test.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at the first failure

use serde_json::{Map, Value};
use std::{
    path::{Path, PathBuf},
    sync::OnceLock,
};
use tempfile::TempDir;
use zkreg_e2e::{copy_dir, dev_home, zkreg, zkreg_err, zkreg_ok};

/// A base home with dev parameters, keys (reg, bank, alice, bob, lender) and a ledger at height 0.
fn base() -> &'static Path {
    static BASE: OnceLock<(TempDir, PathBuf)> = OnceLock::new();
    let (_, home) = BASE.get_or_init(|| {
        // Under the target directory: a static is never dropped, so `cargo clean` removes it.
        let dir = tempfile::Builder::new()
            .prefix("e2e-base-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("temp dir");
        let home = dir.path().join("home");
        let h = home.as_path();
        dev_home(h);
        (dir, home)
    });
    home
}

/// A private copy of the base home.
fn fresh() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let h = dir.path().join("home");
    copy_dir(base(), &h).expect("copy base home");
    (dir, h)
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn tx_id(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("tx id "))
        .unwrap_or_else(|| panic!("no tx id in:\n{stdout}"))
        .trim()
        .to_string()
}

fn address(h: &Path, name: &str) -> String {
    zkreg_ok(h, &["keys", "address", name]).trim().to_string()
}

fn balance(h: &Path, wallet: &str) -> u64 {
    let out = zkreg_ok(h, &["wallet", "balance", "--wallet", wallet, "--json"]);
    let v: Value = serde_json::from_str(&out).expect("balance JSON");
    v["balances"]
        .as_array()
        .expect("balances")
        .iter()
        .filter(|b| b["asset"] == "USD")
        .map(|b| b["balance"].as_u64().expect("u64"))
        .sum()
}

#[test]
fn demo_runs_the_whole_story() {
    let dir = tempfile::tempdir().expect("temp dir");
    let h = dir.path().join("demo-home");
    let out = zkreg_ok(Path::new(""), &["demo", "--home", p(&h)]);
    for needle in [
        "mints 100 USD to Alice",
        "balances: Alice 70 USD, Bob 30 USD",
        "Bob now holds 20 USD",
        "refused by the lender's own wallet",
        "refused by the ledger",
        "alice → bob 30",
        "verified WITHOUT the regulator key",
        "is rejected",
        "every member derives RPK",
        "the old regulator key cannot read it",
        "bob → alice 5",
        "one member alone cannot",
        "behaved as stated",
    ] {
        assert!(out.contains(needle), "demo output lacks {needle:?}:\n{out}");
    }
    assert!(h.join("disclosure.json").exists());
    // A non-empty home is refused.
    zkreg_err(Path::new(""), &["demo", "--home", p(&h)]);
}

#[test]
fn payments_consent_audit_and_disclosure_through_the_cli() {
    let (dir, h) = fresh();
    let h = h.as_path();
    let t = |name: &str| dir.path().join(name);
    let alice = address(h, "alice");
    let bob = address(h, "bob");

    // Mint, pay, withdraw.
    let out = zkreg_ok(
        h,
        &[
            "mint",
            "--issuer",
            "bank",
            "--asset",
            "USD",
            "--to",
            &alice,
            "100",
            "--out",
            p(&t("mint.tx")),
        ],
    );
    let mint_id = tx_id(&out);
    assert!(zkreg_ok(h, &["verify", p(&t("mint.tx"))]).contains("valid payment"));
    let out = zkreg_ok(h, &["ledger", "submit", p(&t("mint.tx"))]);
    assert!(out.starts_with("block 1 at time 1"), "{out}");
    assert_eq!(balance(h, "alice"), 100);

    let out = zkreg_ok(
        h,
        &[
            "pay",
            "--wallet",
            "alice",
            "--asset",
            "USD",
            "--to",
            &bob,
            "30",
            "--out",
            p(&t("pay.tx")),
        ],
    );
    let pay_id = tx_id(&out);
    zkreg_ok(h, &["ledger", "submit", p(&t("pay.tx")), "--time", "50"]);
    assert_eq!((balance(h, "alice"), balance(h, "bob")), (70, 30));
    // Replaying the same payment is refused (its id is on the ledger), and nothing is applied.
    let e = zkreg_err(h, &["ledger", "submit", p(&t("pay.tx"))]);
    assert!(e.contains("already on the ledger (replay)"), "{e}");

    let out = zkreg_ok(
        h,
        &[
            "withdraw",
            "--wallet",
            "bob",
            "--issuer",
            "bank",
            "--asset",
            "USD",
            "10",
            "--destination",
            "IBAN DE00 1",
            "--out",
            p(&t("wd.tx")),
        ],
    );
    let wd_id = tx_id(&out);
    zkreg_ok(h, &["ledger", "submit", p(&t("wd.tx"))]);
    assert_eq!(balance(h, "bob"), 20);
    let hist = zkreg_ok(h, &["wallet", "history", "--wallet", "bob"]);
    assert!(hist.contains("+30") && hist.contains("-30"), "{hist}");
    let status: Value =
        serde_json::from_str(&zkreg_ok(h, &["ledger", "status", "--json"])).expect("status JSON");
    assert_eq!(
        (status["height"].as_u64(), status["time"].as_u64()),
        (Some(3), Some(51))
    );

    // Consent: request, approve, access, log, revoke, refused access.
    zkreg_ok(
        h,
        &[
            "consent",
            "request",
            "--institution",
            "lender",
            "--owner",
            &alice,
            "--dataset",
            "rent-payments",
            "--purpose",
            "credit-underwriting",
            "--reason",
            "loan",
            "--days",
            "30",
            "--out",
            p(&t("req.json")),
        ],
    );
    let e = zkreg_err(
        h,
        &[
            "consent",
            "access",
            "--institution",
            "lender",
            "--request",
            p(&t("req.json")),
            "--nonce",
            "0",
            "--out",
            p(&t("a0.tx")),
        ],
    );
    assert!(e.contains("access refused"), "{e}");
    // Bob cannot decide on Alice's request.
    zkreg_err(
        h,
        &[
            "consent",
            "approve",
            "--owner",
            "bob",
            p(&t("req.json")),
            "--out",
            p(&t("x.tx")),
        ],
    );
    let out = zkreg_ok(
        h,
        &[
            "consent",
            "approve",
            "--owner",
            "alice",
            p(&t("req.json")),
            "--out",
            p(&t("grant.tx")),
        ],
    );
    let grant_id = tx_id(&out);
    zkreg_ok(h, &["ledger", "submit", p(&t("grant.tx"))]);
    let out = zkreg_ok(
        h,
        &[
            "consent",
            "access",
            "--institution",
            "lender",
            "--grant-tx",
            &grant_id,
            "--nonce",
            "1",
            "--out",
            p(&t("access.tx")),
        ],
    );
    let access_id = tx_id(&out);
    zkreg_ok(h, &["ledger", "submit", p(&t("access.tx"))]);
    let log: Value = serde_json::from_str(&zkreg_ok(
        h,
        &["consent", "log", "--owner", "alice", "--json"],
    ))
    .expect("log JSON");
    let events: Vec<&str> = log["log"]
        .as_array()
        .expect("log")
        .iter()
        .map(|e| e["event"].as_str().expect("event"))
        .collect();
    assert_eq!(
        events,
        ["request", "approved", "grant-on-ledger", "access"],
        "{log}"
    );
    zkreg_ok(
        h,
        &[
            "consent",
            "revoke",
            "--owner",
            "alice",
            p(&t("req.json")),
            "--out",
            p(&t("revoke.tx")),
        ],
    );
    zkreg_ok(h, &["ledger", "submit", p(&t("revoke.tx"))]);
    let e = zkreg_err(
        h,
        &[
            "consent",
            "access",
            "--institution",
            "lender",
            "--request",
            p(&t("req.json")),
            "--nonce",
            "2",
            "--out",
            p(&t("a2.tx")),
        ],
    );
    assert!(e.contains("access refused") && e.contains("revoked"), "{e}");
    let e = zkreg_err(
        h,
        &[
            "consent",
            "revoke",
            "--owner",
            "alice",
            "--grant",
            &grant_id,
            "--out",
            p(&t("r2.tx")),
        ],
    );
    assert!(e.contains("already revoked"), "{e}");
    let log = zkreg_ok(h, &["consent", "log", "--owner", "alice"]);
    assert!(log.contains("revocation-on-ledger"), "{log}");

    // The regulator's exports of the same range agree in CSV and JSON.
    zkreg_ok(
        h,
        &[
            "audit",
            "export",
            "--regulator",
            "reg",
            "--from",
            "1",
            "--to",
            "6",
            "--format",
            "json",
            "--out",
            p(&t("a.jsonl")),
        ],
    );
    let csv_text = zkreg_ok(
        h,
        &[
            "audit",
            "export",
            "--regulator",
            "reg",
            "--from",
            "1",
            "--to",
            "6",
            "--format",
            "csv",
        ],
    );
    let json_rows: Vec<Map<String, Value>> = std::fs::read_to_string(t("a.jsonl"))
        .expect("export")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let mut rdr = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = rdr
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let csv_rows: Vec<Vec<String>> = rdr
        .records()
        .map(|r| r.expect("CSV row").iter().map(str::to_string).collect())
        .collect();
    assert_eq!(json_rows.len(), 6);
    assert_eq!(csv_rows.len(), json_rows.len());
    for (j, c) in json_rows.iter().zip(&csv_rows) {
        for k in j.keys() {
            assert!(header.contains(k), "JSON field {k} has no CSV column");
        }
        for (col, cell) in header.iter().zip(c) {
            let expected = match j.get(col) {
                None => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
            };
            assert_eq!(&expected, cell, "column {col}");
        }
    }
    let kinds: Vec<&str> = json_rows
        .iter()
        .map(|r| r["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(
        kinds,
        ["payment", "payment", "payment", "grant", "access", "revoke"]
    );
    let tx = |r: &Map<String, Value>| r["tx_id"].as_str().expect("tx_id").to_string();
    assert_eq!(
        json_rows.iter().map(tx).collect::<Vec<_>>(),
        [
            mint_id.clone(),
            pay_id.clone(),
            wd_id,
            grant_id.clone(),
            access_id,
            json_rows[5]["tx_id"].as_str().expect("id").to_string()
        ]
    );
    let pay = &json_rows[1];
    assert_eq!(pay["asset"], "USD");
    assert_eq!(
        pay["value_in_0"].as_u64().unwrap_or(0) + pay["value_in_1"].as_u64().unwrap_or(0),
        100
    );
    assert!(
        pay["cm_in_0_tx"] == Value::String(mint_id.clone())
            || pay["cm_in_1_tx"] == Value::String(mint_id)
    );
    assert_eq!(pay["value_out_0"], 30);
    assert_eq!(json_rows[2]["withdrawal"], 10);
    assert_eq!(json_rows[2]["destination"], "IBAN DE00 1");
    assert_eq!(json_rows[3]["dataset"], "rent-payments");
    assert_eq!(json_rows[4]["grant_tx"], Value::String(grant_id.clone()));
    assert_eq!(json_rows[5]["grant_tx"], Value::String(grant_id));

    // Disclosure: verifies without the key; an altered field does not.
    zkreg_ok(
        h,
        &[
            "audit",
            "disclose",
            "--regulator",
            "reg",
            "--tx",
            &pay_id,
            "--out",
            p(&t("d.json")),
        ],
    );
    let out = zkreg_ok(h, &["audit", "verify-disclosure", p(&t("d.json"))]);
    assert!(out.contains("disclosure valid"), "{out}");
    let d: Value =
        serde_json::from_str(&std::fs::read_to_string(t("d.json")).expect("read")).expect("JSON");
    // Every top-level field a verifier could show, altered alone, is refused for that field: each
    // is re-derived from the ledger or covered by the Chaum–Pedersen proof.
    let flip = |v: &Value| {
        let s = v.as_str().expect("hex string");
        let last = if s.ends_with('0') { "1" } else { "0" };
        Value::from(format!("{}{last}", &s[..s.len() - 1]))
    };
    let mut record = d["record"].clone();
    record["value_out_0"] = Value::from(31);
    let cases: Vec<(&str, Value, &[&str])> = vec![
        (
            "format",
            Value::from("zkreg-disclosure/0"),
            &["not a zkreg disclosure"],
        ),
        ("chain_id", Value::from("zkreg-elsewhere"), &["names chain"]),
        ("genesis", flip(&d["genesis"]), &["genesis"]),
        ("tx_id", flip(&d["tx_id"]), &["not on this ledger"]),
        (
            "height",
            Value::from(d["height"].as_u64().expect("height") + 1),
            &["says height"],
        ),
        ("kind", Value::from("grant"), &["says kind"]),
        ("rpk", d["r_point"].clone(), &["RPK"]),
        ("r_point", d["rpk"].clone(), &["R is not"]),
        ("shared_point", d["rpk"].clone(), &["Chaum"]),
        (
            "proof_challenge",
            flip(&d["proof_challenge"]),
            &["Chaum", "proof:"],
        ),
        (
            "proof_response",
            flip(&d["proof_response"]),
            &["Chaum", "proof:"],
        ),
        ("record", record, &["value_out_0"]),
    ];
    let fields: Vec<&String> = d.as_object().expect("object").keys().collect();
    assert_eq!(
        fields.len(),
        cases.len(),
        "a case per top-level field: {fields:?}"
    );
    for (field, value, expected) in cases {
        assert!(d.get(field).is_some(), "{field} is a disclosure field");
        let mut altered = d.clone();
        altered[field] = value;
        let file = t(&format!("d-{field}.json"));
        std::fs::write(&file, altered.to_string()).expect("write");
        let e = zkreg_err(h, &["audit", "verify-disclosure", p(&file)]);
        assert!(
            expected.iter().any(|x| e.contains(x)),
            "altered {field}: {e}"
        );
    }
    // The line a verifier prints comes from the ledger: the real kind, id and height.
    assert!(
        out.contains(&format!("disclosure valid: payment tx {pay_id} at height")),
        "{out}"
    );
}

#[test]
fn every_failure_is_one_error_line() {
    let (dir, h) = fresh();
    let h = h.as_path();
    let t = |name: &str| dir.path().join(name);
    let alice = address(h, "alice");

    // Missing home, missing parameters, missing ledger.
    let e = zkreg_err(&dir.path().join("nowhere"), &["ledger", "status"]);
    assert!(e.contains("no zkreg home"), "{e}");
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).expect("mkdir");
    let e = zkreg_err(&empty, &["info"]);
    assert!(e.contains("zkreg setup"), "{e}");
    zkreg_err(&empty, &["params", "verify"]);
    zkreg_err(&empty, &["ledger", "status"]);

    // Wrong, missing and corrupt key files.
    let e = zkreg_err(
        h,
        &[
            "pay",
            "--wallet",
            "reg",
            "--asset",
            "USD",
            "--to",
            &alice,
            "1",
            "--out",
            p(&t("x.tx")),
        ],
    );
    assert!(e.contains("regulator key"), "{e}");
    zkreg_err(h, &["wallet", "balance", "--wallet", "nobody"]);
    std::fs::write(
        h.join("keys/bad.json"),
        "{\"kind\":\"wallet\",\"seed\":\"zz\"}",
    )
    .expect("write");
    zkreg_err(h, &["keys", "address", "bad"]);
    // `keys list` names the corrupt file and fails (after listing the readable keys).
    let r = zkreg(h, &["keys", "list"]);
    assert!(!r.ok && r.stdout.contains("alice"), "{r:?}");
    assert!(
        r.stderr.starts_with("error: unreadable key file(s):")
            && r.stderr.contains("bad.json")
            && r.stderr.trim_end().lines().count() == 1,
        "{r:?}"
    );
    zkreg_err(h, &["keys", "new", "--kind", "wallet", "alice"]);
    // A usage error (an amount beyond u64) is one line too, with exit status 2.
    let r = zkreg(
        h,
        &[
            "mint",
            "--issuer",
            "bank",
            "--asset",
            "USD",
            "--to",
            &alice,
            "18446744073709551616",
            "--out",
            p(&t("big.tx")),
        ],
    );
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(
        r.stderr
            .starts_with("error: invalid value '18446744073709551616'")
            && r.stderr.trim_end().lines().count() == 1,
        "{r:?}"
    );
    zkreg_err(h, &["no-such-command"]);
    // Output to a closed pipe is not an error: `zkreg params verify` whose reader has closed
    // before the first line, many times (the race is in the writer).
    for _ in 0..20 {
        let mut child = std::process::Command::new(zkreg_e2e::zkreg_bin())
            .args(["--home", p(h), "params", "verify"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        drop(child.stdout.take()); // the reader is gone before the first line
        let out = child.wait_with_output().expect("wait");
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "closed pipe: {:?} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    zkreg_err(h, &["keys", "new", "--kind", "wallet", "../evil"]);
    let e = zkreg_err(
        h,
        &[
            "audit",
            "export",
            "--regulator",
            "alice",
            "--from",
            "0",
            "--to",
            "0",
        ],
    );
    assert!(e.contains("wallet key"), "{e}");

    // Bad inputs.
    zkreg_err(
        h,
        &[
            "mint",
            "--issuer",
            "bank",
            "--asset",
            "USD",
            "--to",
            "zkreg1notanaddress",
            "5",
            "--out",
            p(&t("m.tx")),
        ],
    );
    let e = zkreg_err(
        h,
        &[
            "mint",
            "--issuer",
            "bank",
            "--asset",
            "EUR",
            "--to",
            &alice,
            "5",
            "--out",
            p(&t("m.tx")),
        ],
    );
    assert!(e.contains("EUR"), "{e}");
    let e = zkreg_err(
        h,
        &[
            "pay",
            "--wallet",
            "alice",
            "--asset",
            "USD",
            "--to",
            &alice,
            "5",
            "--out",
            p(&t("m.tx")),
        ],
    );
    assert!(e.contains("insufficient funds"), "{e}");

    // A denied request is logged, and gives the institution nothing to access with.
    zkreg_ok(
        h,
        &[
            "consent",
            "request",
            "--institution",
            "lender",
            "--owner",
            &alice,
            "--dataset",
            "bank-statements",
            "--purpose",
            "marketing",
            "--reason",
            "offers",
            "--days",
            "7",
            "--out",
            p(&t("req.json")),
        ],
    );
    zkreg_ok(
        h,
        &[
            "consent",
            "deny",
            "--owner",
            "alice",
            p(&t("req.json")),
            "--reason",
            "no marketing",
        ],
    );
    let log: Value = serde_json::from_str(&zkreg_ok(
        h,
        &["consent", "log", "--owner", "alice", "--json"],
    ))
    .expect("log JSON");
    let events: Vec<&str> = log["log"]
        .as_array()
        .expect("log")
        .iter()
        .map(|e| e["event"].as_str().expect("event"))
        .collect();
    assert_eq!(events, ["request", "denied"], "{log}");
    let e = zkreg_err(
        h,
        &[
            "consent",
            "access",
            "--institution",
            "lender",
            "--request",
            p(&t("req.json")),
            "--nonce",
            "1",
            "--out",
            p(&t("a.tx")),
        ],
    );
    assert!(e.contains("access refused"), "{e}");
    let mut req: Value =
        serde_json::from_str(&std::fs::read_to_string(t("req.json")).expect("read")).expect("JSON");
    req["days"] = Value::from(3650);
    std::fs::write(t("req2.json"), req.to_string()).expect("write");
    let e = zkreg_err(
        h,
        &[
            "consent",
            "approve",
            "--owner",
            "alice",
            p(&t("req2.json")),
            "--out",
            p(&t("g.tx")),
        ],
    );
    assert!(e.contains("altered"), "{e}");

    // Unknown height range.
    let e = zkreg_err(
        h,
        &[
            "audit",
            "export",
            "--regulator",
            "reg",
            "--from",
            "0",
            "--to",
            "99",
        ],
    );
    assert!(e.contains("height range"), "{e}");
    zkreg_err(
        h,
        &[
            "audit",
            "disclose",
            "--regulator",
            "reg",
            "--tx",
            "00",
            "--out",
            p(&t("d.json")),
        ],
    );

    // Tampered and truncated transaction files.
    zkreg_ok(
        h,
        &[
            "mint",
            "--issuer",
            "bank",
            "--asset",
            "USD",
            "--to",
            &alice,
            "5",
            "--out",
            p(&t("m.tx")),
        ],
    );
    let good = std::fs::read(t("m.tx")).expect("read");
    let mut amount = good.clone();
    // The deposit amount sits after version, kind, anchor, 2 nullifiers and 2 commitments.
    amount[2 + 5 * 32] ^= 1;
    std::fs::write(t("amount.tx"), &amount).expect("write");
    let e = zkreg_err(h, &["verify", p(&t("amount.tx"))]);
    assert!(e.contains("invalid transaction"), "{e}");
    zkreg_err(h, &["ledger", "submit", p(&t("amount.tx"))]);
    let mut proof = good.clone();
    let n = proof.len();
    proof[n - 100] ^= 0x40;
    std::fs::write(t("proof.tx"), &proof).expect("write");
    zkreg_err(h, &["verify", p(&t("proof.tx"))]);
    std::fs::write(t("short.tx"), &good[..good.len() / 2]).expect("write");
    let e = zkreg_err(h, &["verify", p(&t("short.tx"))]);
    assert!(e.contains("truncated"), "{e}");
    zkreg_err(h, &["ledger", "submit", p(&t("short.tx"))]);
    zkreg_err(h, &["verify", p(&t("missing.tx"))]);
    let status: Value =
        serde_json::from_str(&zkreg_ok(h, &["ledger", "status", "--json"])).expect("status JSON");
    assert_eq!(status["height"], 0, "refused blocks apply nothing");

    // Tampered parameters: verification names the file, the ledger refuses to open.
    let mut vk = std::fs::read(h.join("params/grant.vk")).expect("read vk");
    vk[10] ^= 1;
    std::fs::write(h.join("params/grant.vk"), vk).expect("write vk");
    let r = zkreg(h, &["params", "verify"]);
    assert!(!r.ok && r.stdout.contains("FAILED  grant.vk"), "{r:?}");
    assert!(
        r.stderr.starts_with("error:") && r.stderr.trim_end().lines().count() == 1,
        "{r:?}"
    );
    let e = zkreg_err(h, &["ledger", "status"]);
    assert!(e.contains("grant.vk"), "{e}");

    // Argument errors are clap's, also starting with "error:".
    let r = zkreg(h, &["pay", "--wallet"]);
    assert!(!r.ok && r.stderr.starts_with("error:"), "{r:?}");
}

#[test]
fn setup_params_info_and_keys() {
    let h = base();
    let out = zkreg_ok(h, &["params", "verify"]);
    assert_eq!(
        out.lines().filter(|l| l.starts_with("ok ")).count(),
        8 + 4,
        "{out}"
    );
    let info: Value = serde_json::from_str(&zkreg_ok(h, &["info", "--json"])).expect("info JSON");
    let circuits = info["circuits"].as_array().expect("circuits");
    assert_eq!(circuits.len(), 4);
    assert!(circuits
        .iter()
        .all(|c| c["constraints"].as_u64().unwrap_or(0) > 0
            && c["vk_bytes"].as_u64().unwrap_or(0) > 0));
    assert_eq!(info["insecure"], true);
    let text = zkreg_ok(h, &["info"]);
    assert!(
        text.contains("payment") && text.contains("INSECURE"),
        "{text}"
    );
    assert!(address(h, "alice").starts_with("zkreg1"));
    assert_eq!(address(h, "reg").len(), 64);
    assert_eq!(address(h, "bank").len(), 64);
    let e = zkreg_err(h, &["setup", "--dev-seed", "7"]);
    assert!(e.contains("already exist"), "{e}");
    let e = zkreg_err(h, &["ledger", "init", "--regulator", "reg"]);
    assert!(e.contains("already initialised"), "{e}");
    // Joining a chain from its genesis file.
    let dir = tempfile::tempdir().expect("temp dir");
    let other = dir.path().join("node2");
    copy_dir(&h.join("params"), &other.join("params")).expect("copy params");
    let genesis = h.join("genesis.json");
    let out = zkreg_ok(&other, &["ledger", "init", "--genesis", p(&genesis)]);
    assert!(out.contains("ledger initialised"), "{out}");
    let a: Value =
        serde_json::from_str(&zkreg_ok(&other, &["ledger", "status", "--json"])).expect("JSON");
    let (_copy_dir, copy) = fresh(); // never open the shared base's database
    let b: Value =
        serde_json::from_str(&zkreg_ok(&copy, &["ledger", "status", "--json"])).expect("JSON");
    assert_eq!(a["genesis"], b["genesis"]);
    let help = zkreg_ok(h, &["--help"]);
    assert!(help.contains("ZKREG_HOME"), "{help}");
}

/// Accounts and the wallet store through the CLI (issue #15): account 1 has its own address and
/// balance; the store keeps what a sync found (a second command scans nothing new); a payment
/// spends from the account named; `wallet notes --json` lists the notes with spent flags.
#[test]
fn accounts_and_the_wallet_store_through_the_cli() {
    let (dir, h) = fresh();
    let h = h.as_path();
    let t = |name: &str| dir.path().join(name);
    let alice1 = zkreg_ok(
        h,
        &["wallet", "address", "--wallet", "alice", "--account", "1"],
    );
    let alice1 = alice1.trim();
    assert_ne!(alice1, address(h, "alice"));
    assert!(alice1.starts_with("zkreg1"), "{alice1}");
    zkreg_ok(
        h,
        &[
            "mint",
            "--issuer",
            "bank",
            "--asset",
            "USD",
            "--to",
            alice1,
            "40",
            "--out",
            p(&t("mint.tx")),
        ],
    );
    zkreg_ok(h, &["ledger", "submit", p(&t("mint.tx"))]);
    let bal = |account: &str| -> Value {
        let out = zkreg_ok(
            h,
            &[
                "wallet",
                "balance",
                "--wallet",
                "alice",
                "--account",
                account,
                "--json",
            ],
        );
        serde_json::from_str(&out).expect("balance JSON")
    };
    assert_eq!(bal("0")["balances"], serde_json::json!([]));
    let one = bal("1");
    assert_eq!(one["balances"][0]["balance"], 40);
    assert_eq!(one["account"], 1);
    assert_eq!(one["outputs_scanned"], 2);
    // Account 1 pays bob; its note is then spent and the change is its own.
    let bob = address(h, "bob");
    zkreg_ok(
        h,
        &[
            "pay",
            "--wallet",
            "alice",
            "--account",
            "1",
            "--asset",
            "USD",
            "--to",
            &bob,
            "15",
            "--out",
            p(&t("pay.tx")),
        ],
    );
    zkreg_ok(h, &["ledger", "submit", p(&t("pay.tx"))]);
    assert_eq!(bal("1")["balances"][0]["balance"], 25);
    assert_eq!(balance(h, "bob"), 15);
    let notes: Value = serde_json::from_str(&zkreg_ok(
        h,
        &[
            "wallet",
            "notes",
            "--wallet",
            "alice",
            "--account",
            "1",
            "--json",
        ],
    ))
    .expect("notes JSON");
    let spent: Vec<bool> = notes["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .map(|n| n["spent"].as_bool().expect("spent flag"))
        .collect();
    assert_eq!(spent, vec![true, false]);
    // An account index the store has not seen is refused nowhere: it rescans.
    assert_eq!(bal("2")["balances"], serde_json::json!([]));
}

/// The committee through the CLI, as three members would run it on their own machines (one
/// home here): cards, a 2-of-3 committee, deals, finish; the single regulator key signs a
/// rotation to the committee's key; a payment lands under it; two members' share files open it
/// through `audit export --committee`, one alone is refused, and a tampered share names its member.
#[test]
fn a_committee_and_a_rotation_through_the_cli() {
    let (dir, h) = fresh();
    let h = h.as_path();
    let t = |name: &str| dir.path().join(name);
    let members = ["supervisor", "central-bank", "court"];
    let (committee_file, committee_key) = (t("committee.json"), t("committee-key.json"));
    let (c4, k_file) = (t("c4.json"), t("k.json"));
    for (i, m) in members.iter().enumerate() {
        let index = (i + 1).to_string();
        let card = t(&format!("{m}.card"));
        zkreg_ok(
            h,
            &[
                "committee",
                "member",
                m,
                "--index",
                &index,
                "--card",
                p(&card),
            ],
        );
    }
    let cards: Vec<String> = members
        .iter()
        .map(|m| p(&t(&format!("{m}.card"))).to_string())
        .collect();
    let mut args = vec![
        "committee",
        "new",
        "--threshold",
        "2",
        "--out",
        p(&committee_file),
    ];
    args.extend(cards.iter().map(String::as_str));
    assert!(zkreg_ok(h, &args).contains("threshold 2"));
    // A threshold above the member count is refused with its reason.
    let mut bad = vec!["committee", "new", "--threshold", "4", "--out", p(&c4)];
    bad.extend(cards.iter().map(String::as_str));
    assert!(zkreg_err(h, &bad).contains("1 ≤ t ≤ n"));
    for m in members {
        let deal = t(&format!("{m}.deal"));
        zkreg_ok(
            h,
            &[
                "committee",
                "deal",
                "--member",
                m,
                "--committee",
                p(&committee_file),
                "--out",
                p(&deal),
            ],
        );
    }
    let deals: Vec<String> = members
        .iter()
        .map(|m| p(&t(&format!("{m}.deal"))).to_string())
        .collect();
    // Round 2 without one deal names the missing dealer.
    let mut short = vec![
        "committee",
        "finish",
        "--member",
        "court",
        "--committee",
        p(&committee_file),
        "--key-out",
        p(&k_file),
    ];
    short.extend(deals[..2].iter().map(String::as_str));
    assert!(zkreg_err(h, &short).contains("deal of member 3"));
    let mut rpks = Vec::new();
    for m in members {
        let mut args = vec![
            "committee",
            "finish",
            "--member",
            m,
            "--committee",
            p(&committee_file),
            "--key-out",
            p(&committee_key),
        ];
        args.extend(deals.iter().map(String::as_str));
        let out = zkreg_ok(h, &args);
        rpks.push(out.lines().find(|l| l.contains("RPK")).unwrap().to_string());
    }
    assert!(rpks.iter().all(|r| *r == rpks[0]), "{rpks:?}");

    // Height 1: a mint under the genesis key. Height 2: the rotation, from height 3.
    let alice = address(h, "alice");
    zkreg_ok(
        h,
        &[
            "mint",
            "--issuer",
            "bank",
            "--asset",
            "USD",
            "--to",
            &alice,
            "100",
            "--out",
            p(&t("mint.tx")),
        ],
    );
    zkreg_ok(h, &["ledger", "submit", p(&t("mint.tx"))]);
    let sign = |signer: &[&str], out: &str| {
        let mut a = vec!["committee", "sign-rotation"];
        a.extend_from_slice(signer);
        a.extend_from_slice(&[
            "--new-key",
            p(&committee_key),
            "--from-height",
            "3",
            "--out",
            out,
        ]);
        zkreg_ok(h, &a)
    };
    let sig = t("rot.sig");
    assert!(sign(&["--regulator", "reg"], p(&sig)).contains("rotation #0"));
    // A committee member cannot sign for the genesis key.
    let member_sig = t("member.sig");
    sign(&["--member", "court"], p(&member_sig));
    assert!(zkreg_err(
        h,
        &[
            "committee",
            "rotate",
            "--out",
            p(&t("x.tx")),
            p(&member_sig)
        ]
    )
    .contains("do not combine"));
    zkreg_ok(
        h,
        &["committee", "rotate", "--out", p(&t("rot.tx")), p(&sig)],
    );
    let out = zkreg_ok(h, &["ledger", "submit", p(&t("rot.tx"))]);
    assert!(out.contains("rotate"), "{out}");
    assert!(zkreg_err(h, &["ledger", "submit", p(&t("rot.tx"))]).contains("replay"));

    // Height 3: a payment, encrypted to the committee's key.
    let bob = address(h, "bob");
    zkreg_ok(
        h,
        &[
            "pay",
            "--wallet",
            "alice",
            "--asset",
            "USD",
            "--to",
            &bob,
            "30",
            "--out",
            p(&t("pay.tx")),
        ],
    );
    let out = zkreg_ok(h, &["ledger", "submit", p(&t("pay.tx"))]);
    assert!(out.starts_with("block 3"), "{out}");
    // The old key reads height 1, not height 3.
    let out = zkreg_ok(
        h,
        &[
            "audit",
            "export",
            "--regulator",
            "reg",
            "--from",
            "1",
            "--to",
            "1",
        ],
    );
    assert_eq!(out.lines().count(), 1);
    assert!(zkreg_err(
        h,
        &[
            "audit",
            "export",
            "--regulator",
            "reg",
            "--from",
            "3",
            "--to",
            "3"
        ]
    )
    .contains("encrypted to regulator key"));
    for m in ["central-bank", "court", "supervisor"] {
        zkreg_ok(
            h,
            &[
                "committee",
                "decrypt-share",
                "--member",
                m,
                "--from",
                "3",
                "--to",
                "3",
                "--out",
                p(&t(&format!("{m}.shares"))),
            ],
        );
    }
    let export = |files: &[&str]| {
        let mut a = vec![
            "audit",
            "export",
            "--committee",
            p(&committee_key),
            "--from",
            "3",
            "--to",
            "3",
        ];
        for f in files {
            a.extend_from_slice(&["--shares", f]);
        }
        zkreg(h, &a)
    };
    let (cb, court, sup) = (
        t("central-bank.shares"),
        t("court.shares"),
        t("supervisor.shares"),
    );
    let two = export(&[p(&cb), p(&court)]);
    assert!(two.ok, "{}", two.stderr);
    let row: Map<String, Value> = serde_json::from_str(two.stdout.trim()).expect("one JSON line");
    assert_eq!(row["value_out_0"], 30);
    assert_eq!(row["kind"], "payment");
    let one = export(&[p(&court)]);
    assert!(!one.ok);
    assert!(
        one.stderr.contains("1 valid decryption share(s), 2 needed"),
        "{}",
        one.stderr
    );
    // The supervisor's file, tampered (another member's point under its index): named, excluded.
    let text = std::fs::read_to_string(&sup).unwrap();
    let court_text = std::fs::read_to_string(&court).unwrap();
    let point = |t: &str| {
        let v: Value = serde_json::from_str(t).unwrap();
        v["shares"][0][1].as_str().unwrap().to_string()
    };
    std::fs::write(&sup, text.replace(&point(&text), &point(&court_text))).unwrap();
    let out = export(&[p(&sup), p(&court), p(&cb)]);
    assert!(out.ok, "{}", out.stderr);
    assert!(out.stderr.contains("member(s) 1 failed"), "{}", out.stderr);
    let out = export(&[p(&sup), p(&court)]);
    assert!(
        out.stderr
            .contains("rejected (wrong DLEQ proof): member(s) 1"),
        "{}",
        out.stderr
    );
}
