//! A real 4-validator network on 127.0.0.1: `zkreg node init --validators 4`, four
//! `zkreg node run` processes, transactions submitted over HTTP to different validators (a mint,
//! a payment, a grant, an access and a revocation), every validator at the same height and state
//! root, and `wallet balance --node` / `audit export --node` answering exactly as a local
//! replica does. Also: bad input over the API gets a 4xx with a one-line JSON reason.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at the first failure

use serde_json::Value;
use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};
use zkreg_e2e::{dev_home, zkreg, zkreg_bin, zkreg_err, zkreg_ok};

/// Four validator processes, killed when dropped.
struct Network {
    children: Vec<Child>,
    urls: Vec<String>,
    logs: Vec<PathBuf>,
}

impl Drop for Network {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Network {
    fn logs(&self) -> String {
        self.logs
            .iter()
            .map(|p| {
                let text = std::fs::read_to_string(p).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(15).collect();
                format!(
                    "--- {}\n{}",
                    p.display(),
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn free_base_port() -> u16 {
    for attempt in 0..200u32 {
        let base = 20_000 + ((std::process::id() * 7 + attempt * 211) % 30_000) as u16;
        let all_free = (0..4)
            .flat_map(|i| [base + i, base + 100 + i])
            .all(|p| TcpListener::bind(("127.0.0.1", p)).is_ok());
        if all_free {
            return base;
        }
    }
    panic!("no free ports");
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn status(home: &Path, url: &str) -> Option<Value> {
    let r = zkreg(home, &["--node", url, "ledger", "status", "--json"]);
    r.ok.then(|| serde_json::from_str(&r.stdout).expect("status JSON"))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A raw HTTP exchange (for requests a client library would refuse to make).
fn http(url: &str, request: &str) -> (u16, String) {
    let addr = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).to_string();
    let code = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_string();
    (code, body)
}

fn post(url: &str, path: &str, body: &str) -> (u16, String) {
    http(
        url,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
}

fn get(url: &str, path: &str) -> (u16, String) {
    http(
        url,
        &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    )
}

fn assert_json_error(code: u16, body: &str, want: u16, what: &str) {
    assert_eq!(code, want, "{what}: status {code}, body {body}");
    let v: Value =
        serde_json::from_str(body).unwrap_or_else(|_| panic!("{what}: body is not JSON: {body}"));
    let e = v["error"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: no error field: {body}"));
    assert!(
        !e.is_empty() && !e.contains('\n'),
        "{what}: one line: {e:?}"
    );
}

#[test]
fn four_validators_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base");
    let b = base.as_path();
    dev_home(b);

    // The network, from the base home's genesis and parameters.
    let net = dir.path().join("net");
    let port = free_base_port();
    let out = zkreg_ok(
        b,
        &[
            "node",
            "init",
            "--validators",
            "4",
            "--out",
            p(&net),
            "--base-port",
            &port.to_string(),
            "--dev-seed",
            "1",
        ],
    );
    assert!(out.contains("wrote a network of 4 validator(s)"), "{out}");

    // A client home on the network's chain: the base home's keys and parameters, a ledger
    // joined from the network's genesis (replicated with `ledger sync`).
    let home = dir.path().join("client");
    let h = home.as_path();
    zkreg_e2e::copy_dir(&b.join("keys"), &h.join("keys")).unwrap();
    zkreg_e2e::copy_dir(&b.join("params"), &h.join("params")).unwrap();
    zkreg_ok(
        h,
        &["ledger", "init", "--genesis", p(&net.join("genesis.json"))],
    );

    let mut network = Network {
        children: vec![],
        urls: vec![],
        logs: vec![],
    };
    for i in 0..4 {
        let log = dir.path().join(format!("node-{i}.log"));
        let f = std::fs::File::create(&log).unwrap();
        let child = Command::new(zkreg_bin())
            .args([
                "node",
                "run",
                "--config",
                p(&net.join(format!("node-{i}")).join("config.json")),
            ])
            .env("RUST_LOG", "info")
            .stdout(Stdio::from(f.try_clone().unwrap()))
            .stderr(Stdio::from(f))
            .spawn()
            .unwrap();
        network.children.push(child);
        network
            .urls
            .push(format!("http://127.0.0.1:{}", port + 100 + i as u16));
        network.logs.push(log);
    }
    let urls = network.urls.clone();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !urls
        .iter()
        .all(|u| status(h, u).is_some_and(|s| s["height"].as_u64() >= Some(1)))
    {
        assert!(
            Instant::now() < deadline,
            "the network did not start finalizing:\n{}",
            network.logs()
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // Submits through node `i` and waits for the block; `submit` also brings the home's
    // replica to the tip.
    let send = |i: usize, file: &Path| {
        let r = zkreg(
            h,
            &["--node", &urls[i], "ledger", "submit", "--wait", p(file)],
        );
        assert!(
            r.ok,
            "submit {} to node {i}: {}\n{}\n{}",
            file.display(),
            r.stdout,
            r.stderr,
            network.logs()
        );
    };
    let submit = |i: usize, file: &Path| {
        send(i, file);
        zkreg_ok(h, &["--node", &urls[i], "ledger", "sync"]);
    };
    let tx = |name: &str| dir.path().join(name);
    let addr = |name: &str| zkreg_ok(h, &["keys", "address", name]).trim().to_string();

    // Payments: a mint to Alice through node 0, Alice pays Bob through node 1.
    zkreg_ok(
        h,
        &[
            "mint",
            "--issuer",
            "bank",
            "--asset",
            "USD",
            "--to",
            &addr("alice"),
            "100",
            "--out",
            p(&tx("mint.tx")),
        ],
    );
    send(0, &tx("mint.tx"));
    // `pay --node` syncs the replica itself (the mint above is not in it yet), builds the
    // witness locally and tells how to submit through the node.
    let paid = zkreg_ok(
        h,
        &[
            "--node",
            &urls[1],
            "pay",
            "--wallet",
            "alice",
            "--asset",
            "USD",
            "--to",
            &addr("bob"),
            "30",
            "--out",
            p(&tx("pay.tx")),
        ],
    );
    assert!(
        paid.contains("synced")
            && paid.contains(&format!("zkreg --node {} ledger submit", urls[1])),
        "{paid}"
    );
    submit(1, &tx("pay.tx"));
    // The same payment again is a replay: refused with its rule.
    let again = zkreg(
        h,
        &["--node", &urls[2], "ledger", "submit", p(&tx("pay.tx"))],
    );
    assert!(
        !again.ok && again.stderr.contains("replay"),
        "{}{}",
        again.stdout,
        again.stderr
    );

    // Consent: the lender asks, Alice grants (node 2), the lender accesses (node 3), Alice
    // revokes (node 0).
    let req = tx("req.json");
    zkreg_ok(
        h,
        &[
            "consent",
            "request",
            "--institution",
            "lender",
            "--owner",
            &addr("alice"),
            "--dataset",
            "rent-payments",
            "--purpose",
            "credit-underwriting",
            "--reason",
            "loan application",
            "--days",
            "30",
            "--out",
            p(&req),
        ],
    );
    zkreg_ok(
        h,
        &[
            "consent",
            "approve",
            "--owner",
            "alice",
            p(&req),
            "--out",
            p(&tx("grant.tx")),
        ],
    );
    submit(2, &tx("grant.tx"));
    let at = (now() + 60).to_string();
    zkreg_ok(
        h,
        &[
            "consent",
            "access",
            "--institution",
            "lender",
            "--request",
            p(&req),
            "--nonce",
            "n-1",
            "--now",
            &at,
            "--out",
            p(&tx("access.tx")),
        ],
    );
    submit(3, &tx("access.tx"));
    zkreg_ok(
        h,
        &[
            "consent",
            "revoke",
            "--owner",
            "alice",
            p(&req),
            "--out",
            p(&tx("revoke.tx")),
        ],
    );
    submit(0, &tx("revoke.tx"));

    // Every validator reaches the same height and state root.
    let deadline = Instant::now() + Duration::from_secs(60);
    let local: Value = serde_json::from_str(&zkreg_ok(h, &["ledger", "status", "--json"])).unwrap();
    let target = local["height"].as_u64().unwrap();
    loop {
        let all: Vec<Value> = urls.iter().map(|u| status(h, u).expect("status")).collect();
        let at_target: Vec<(u64, String)> = all
            .iter()
            .map(|s| {
                (
                    s["height"].as_u64().unwrap(),
                    s["state_root"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        if at_target.iter().all(|(hh, _)| *hh >= target) {
            // Compare the root each validator committed at the local replica's height.
            for u in &urls {
                let (code, body) = get(u, &format!("/v1/blocks/{target}"));
                assert_eq!(code, 200, "{body}");
                let v: Value = serde_json::from_str(&body).unwrap();
                assert_eq!(
                    v["state_root"], local["state_root"],
                    "validator {u} at height {target}"
                );
            }
            break;
        }
        assert!(
            Instant::now() < deadline,
            "validators did not converge: {at_target:?}\n{}",
            network.logs()
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // The wallet and the regulator answer exactly as against the local replica.
    zkreg_ok(h, &["--node", &urls[3], "ledger", "sync"]);
    let to = serde_json::from_str::<Value>(&zkreg_ok(h, &["ledger", "status", "--json"])).unwrap()
        ["height"]
        .as_u64()
        .unwrap()
        .to_string();
    for w in ["alice", "bob"] {
        let local = zkreg_ok(h, &["wallet", "balance", "--wallet", w, "--json"]);
        let remote = zkreg_ok(
            h,
            &[
                "--node", &urls[3], "wallet", "balance", "--wallet", w, "--json",
            ],
        );
        let (mut l, mut r): (Value, Value) = (
            serde_json::from_str(&local).unwrap(),
            serde_json::from_str(&remote).unwrap(),
        );
        // The node may have finalized empty blocks since; the balances must agree.
        l["height"] = Value::Null;
        r["height"] = Value::Null;
        assert_eq!(l, r, "wallet {w}");
    }
    let bob: Value = serde_json::from_str(&zkreg_ok(
        h,
        &[
            "--node", &urls[1], "wallet", "balance", "--wallet", "bob", "--json",
        ],
    ))
    .unwrap();
    assert_eq!(bob["balances"][0]["balance"], 30, "{bob}");
    let local = zkreg_ok(
        h,
        &[
            "audit",
            "export",
            "--regulator",
            "reg",
            "--from",
            "1",
            "--to",
            &to,
        ],
    );
    let remote = zkreg_ok(
        h,
        &[
            "--node",
            &urls[2],
            "audit",
            "export",
            "--regulator",
            "reg",
            "--from",
            "1",
            "--to",
            &to,
        ],
    );
    assert_eq!(local, remote, "audit export");
    assert_eq!(
        local.lines().count(),
        5,
        "mint, payment, grant, access, revocation:\n{local}"
    );

    // Bad input over the API: a 4xx with a one-line JSON reason, and the node keeps going.
    let u = &urls[0];
    let (c, body) = post(u, "/v1/txs", "{not json");
    assert_json_error(c, &body, 400, "malformed JSON");
    let (c, body) = post(u, "/v1/txs", r#"{"tx":"00","extra":1}"#);
    assert_json_error(c, &body, 422, "unknown field");
    let (c, body) = post(u, "/v1/txs", r#"{"tx":"zz"}"#);
    assert_json_error(c, &body, 400, "bad hex");
    let (c, body) = post(u, "/v1/txs", r#"{"tx":"0102030405"}"#);
    assert_json_error(c, &body, 400, "garbage transaction");
    assert!(
        body.contains("\"rule\""),
        "a refused transaction names its rule: {body}"
    );
    let big = format!(r#"{{"tx":"{}"}}"#, "00".repeat(20_000));
    let (c, body) = post(u, "/v1/txs", &big);
    assert_json_error(c, &body, 413, "oversized body");
    let (c, body) = get(u, "/v1/nothing-here");
    assert_json_error(c, &body, 404, "unknown route");
    let (c, body) = get(u, "/v1/blocks/not-a-number");
    assert_json_error(c, &body, 400, "bad path");
    let (c, body) = get(u, "/v1/audit?from=5&to=1");
    assert_json_error(c, &body, 400, "bad range");
    let (c, body) = get(u, "/v1/openapi.json");
    assert_eq!(c, 200);
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert!(
        doc["paths"]["/v1/txs"].is_object(),
        "the OpenAPI document lists the routes"
    );
    let after = status(h, u).expect("the node still answers");
    assert!(after["halted"].is_null());

    // A flood of invalid transactions (garbage and a replay, at every validator) does not stop
    // block production: a new payment submitted meanwhile still finalizes.
    let replay = format!(
        r#"{{"tx":"{}"}}"#,
        hex::encode(std::fs::read(tx("pay.tx")).unwrap())
    );
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flood = {
        let (urls, stop) = (urls.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut refused = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for u in &urls {
                    for body in [r#"{"tx":"0102030405"}"#, replay.as_str()] {
                        let (c, _) = post(u, "/v1/txs", body);
                        assert!(
                            (400..500).contains(&c),
                            "an invalid transaction gets a 4xx, not {c}"
                        );
                        refused += 1;
                    }
                }
            }
            refused
        })
    };
    zkreg_ok(
        h,
        &[
            "pay",
            "--wallet",
            "bob",
            "--asset",
            "USD",
            "--to",
            &addr("alice"),
            "5",
            "--out",
            p(&tx("pay2.tx")),
        ],
    );
    submit(1, &tx("pay2.tx"));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let refused = flood.join().unwrap();
    assert!(refused >= 16, "the flood ran ({refused} refused)");

    // A history needs the chain: with --node the replica is synced first.
    let history = zkreg_ok(h, &["--node", u, "wallet", "history", "--wallet", "alice"]);
    assert!(history.contains("synced"), "{history}");
    // `ledger init --node` joins the node's chain: a fresh home with the same keys and
    // parameters gets the network's genesis, and a sync reaches validator 0's root.
    let joined = dir.path().join("joined");
    zkreg_e2e::copy_dir(&h.join("keys"), &joined.join("keys")).unwrap();
    zkreg_e2e::copy_dir(&h.join("params"), &joined.join("params")).unwrap();
    let e = zkreg_err(
        &joined,
        &["--node", u, "ledger", "init", "--regulator", "reg"],
    );
    assert!(e.contains("give one or the other"), "{e}");
    let init = zkreg_ok(&joined, &["--node", u, "ledger", "init"]);
    let chain_hash = status(h, u).expect("status")["chain_hash"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(init.contains(&chain_hash), "{init}");
    zkreg_ok(&joined, &["--node", u, "ledger", "sync"]);
    let mine: Value =
        serde_json::from_str(&zkreg_ok(&joined, &["ledger", "status", "--json"])).unwrap();
    let (code, body) = get(u, &format!("/v1/blocks/{}", mine["height"]));
    assert_eq!(code, 200, "{body}");
    let theirs: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(mine["state_root"], theirs["state_root"]);
    let e = zkreg_err(&joined, &["--node", u, "ledger", "init"]);
    assert!(e.contains("already initialised"), "{e}");
}
