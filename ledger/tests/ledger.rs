//! The ledger end to end with dev parameters: a full story, every rejection leaving the database
//! byte-for-byte unchanged, crash safety under SIGKILL, and determinism.

use ark_bls12_381::Fr;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
    time::Duration,
};
use zkreg_circuits::{ecc::JubjubAffine, labels::label_to_field};
use zkreg_ledger::{
    genesis::{IssuerEntry, RegulatorKeyEntry},
    ChainConfig, Genesis, Ledger, LedgerError, Rule,
};
use zkreg_prover::{
    builder::{
        build_access, build_grant, build_payment, build_revoke, GrantRequest, PaymentRequest,
    },
    keys::{point_to_hex, regulator_from_seed, WalletKeys},
    params::{load_proving_keys, setup, SetupMode},
    prove::{Prover, UnprovenTx},
    wallet::{LedgerOutput, Wallet},
};
use zkreg_verifier::{params::Manifest, Transaction};

struct Env {
    params: PathBuf,
    prover: Prover,
    manifest: Manifest,
}

fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        let params = std::env::var_os("ZKREG_TEST_PARAMS")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                std::env::temp_dir().join(format!("zkreg-ledger-params-{}", std::process::id()))
            });
        if Manifest::load(&params).is_err() {
            setup(&params, SetupMode::DevSeed(5), &mut |_| {}).expect("setup");
        }
        let manifest = Manifest::load(&params).expect("manifest");
        let prover = Prover::new(load_proving_keys(&params, true).expect("pks"));
        Env {
            params,
            prover,
            manifest,
        }
    })
}

fn rpk() -> JubjubAffine {
    regulator_from_seed(&[9; 32]).public_key()
}

fn issuer() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[3; 32])
}

fn usd() -> Fr {
    label_to_field("USD")
}

fn genesis(window: u64) -> ChainConfig {
    let e = env();
    let g = Genesis {
        chain_id: "zkreg-test".into(),
        regulator_keys: vec![RegulatorKeyEntry {
            from_height: 0,
            rpk: point_to_hex(&rpk()),
        }],
        issuers: vec![IssuerEntry {
            asset: "USD".into(),
            keys: vec![hex::encode(issuer().verifying_key().to_bytes())],
        }],
        verifying_keys: e
            .manifest
            .verifying_key_hashes()
            .into_iter()
            .map(|(c, h)| (c.name().to_string(), h))
            .collect(),
        anchor_window: window,
        time_tolerance: 600,
        allow_insecure_keys: true,
    };
    ChainConfig::new(g).expect("genesis")
}

fn open(dir: &Path, window: u64) -> Ledger {
    Ledger::open(dir, genesis(window), &env().params).expect("open ledger")
}

fn prove(u: UnprovenTx, r: &mut ChaCha20Rng) -> Vec<u8> {
    env().prover.prove(u, r).expect("prove").encode()
}

fn sync(l: &Ledger, w: &mut Wallet) {
    let outs: Vec<LedgerOutput> = l
        .outputs_from(w.scanned())
        .expect("outputs")
        .into_iter()
        .map(|o| LedgerOutput {
            pos: o.pos,
            cm: o.cm,
            delivery: o.delivery,
        })
        .collect();
    w.scan(&outs, &mut |_| {}).expect("scan");
    w.mark_spent(&l.nullifiers().expect("nullifiers"));
}

fn pay_req(to: &Wallet, amount: u64) -> PaymentRequest {
    PaymentRequest {
        asset: usd(),
        to: vec![(to.keys.address(), amount)],
        deposit: 0,
        withdraw: 0,
        fee: 0,
        destination: vec![],
        memo: vec![],
        rpk: rpk(),
    }
}

fn mint(l: &Ledger, to: &Wallet, amount: u64, r: &mut ChaCha20Rng) -> Vec<u8> {
    let minter = Wallet::new(WalletKeys::random(r));
    let req = PaymentRequest {
        deposit: amount,
        ..pay_req(to, amount)
    };
    let mut u = build_payment(&minter, &req, &l.accepted_anchors(), r).expect("build mint");
    u.sign_as_issuer(&issuer());
    prove(u, r)
}

/// Applies a block that must be rejected and checks nothing changed, byte for byte.
fn assert_rejected(l: &mut Ledger, time: u64, txs: &[Vec<u8>], expected: impl Fn(&Rule) -> bool) {
    let before = (l.status(), l.dump().expect("dump"));
    let height = l.status().height + 1;
    match l.apply_block(height, time, txs) {
        Err(LedgerError::Rejected(rej)) => {
            assert!(expected(&rej.rule), "unexpected rejection: {rej}")
        }
        other => panic!("block was not rejected: {other:?}"),
    }
    assert_eq!(before.0, l.status(), "status changed");
    assert!(before.1 == l.dump().expect("dump"), "database changed");
}

#[test]
fn full_story_rejections_and_determinism() {
    let mut r = ChaCha20Rng::seed_from_u64(11);
    let dir = tempfile::tempdir().expect("tmp");
    let mut l = open(&dir.path().join("a"), 3);
    let mut alice = Wallet::new(WalletKeys::random(&mut r));
    let mut bob = Wallet::new(WalletKeys::random(&mut r));
    let mut blocks: Vec<(u64, u64, Vec<Vec<u8>>)> = Vec::new();
    let apply = |l: &mut Ledger, time: u64, txs: Vec<Vec<u8>>, blocks: &mut Vec<_>| {
        let h = l.status().height + 1;
        l.apply_block(h, time, &txs).expect("block applies");
        blocks.push((h, time, txs));
    };

    // Deposit: the issuer mints 100 to Alice.
    let m = mint(&l, &alice, 100, &mut r);
    // Deposits without a signature, or signed by someone who is not an issuer, are refused.
    {
        let minter = Wallet::new(WalletKeys::random(&mut r));
        let req = PaymentRequest {
            deposit: 5,
            ..pay_req(&alice, 5)
        };
        let u = build_payment(&minter, &req, &l.accepted_anchors(), &mut r).expect("build");
        let mut forged = u.clone();
        forged.sign_as_issuer(&ed25519_dalek::SigningKey::from_bytes(&[4; 32]));
        assert_rejected(&mut l, 1000, &[prove(u, &mut r)], |x| {
            matches!(x, Rule::Verify(_))
        });
        assert_rejected(&mut l, 1000, &[prove(forged, &mut r)], |x| {
            *x == Rule::UnauthorisedIssuer
        });
    }
    apply(&mut l, 1000, vec![m], &mut blocks);
    sync(&l, &mut alice);
    assert_eq!(alice.balance(usd()), 100);

    // Two payments spending the same note: together in one block, then across blocks.
    let p1 = prove(
        build_payment(&alice, &pay_req(&bob, 30), &l.accepted_anchors(), &mut r).expect("b"),
        &mut r,
    );
    let p2 = prove(
        build_payment(&alice, &pay_req(&bob, 31), &l.accepted_anchors(), &mut r).expect("b"),
        &mut r,
    );
    assert_rejected(&mut l, 1001, &[p1.clone(), p2.clone()], |x| {
        *x == Rule::DuplicateNullifier
    });
    // Lifting the proof onto a changed memo / delivery, or altering the proof bytes, is refused.
    {
        let Ok(Transaction::Payment(mut t)) = Transaction::decode(&p1) else {
            panic!("payment")
        };
        t.memo = b"changed".to_vec();
        assert_rejected(
            &mut l,
            1001,
            &[Transaction::Payment(t.clone()).encode()],
            |x| matches!(x, Rule::Verify(_)),
        );
        let Ok(Transaction::Payment(mut t)) = Transaction::decode(&p1) else {
            panic!("payment")
        };
        t.deliveries[0][40] ^= 1;
        assert_rejected(&mut l, 1001, &[Transaction::Payment(t).encode()], |x| {
            matches!(x, Rule::Verify(_))
        });
        let mut bad = p1.clone();
        let n = bad.len();
        bad[n - 100] ^= 1; // inside the proof
        assert_rejected(&mut l, 1001, &[bad], |x| {
            matches!(x, Rule::Verify(_) | Rule::Decode(_))
        });
    }
    assert!(
        l.check_tx(&p1, 1001).is_ok(),
        "admission accepts the honest payment"
    );
    apply(&mut l, 1001, vec![p1], &mut blocks);
    assert_rejected(&mut l, 1002, &[p2], |x| *x == Rule::NullifierSpent);
    sync(&l, &mut alice);
    sync(&l, &mut bob);
    assert_eq!((alice.balance(usd()), bob.balance(usd())), (70, 30));

    // Wrong regulator key.
    let mut req = pay_req(&alice, 5);
    req.rpk = regulator_from_seed(&[8; 32]).public_key();
    let wrong_rpk = prove(
        build_payment(&bob, &req, &l.accepted_anchors(), &mut r).expect("b"),
        &mut r,
    );
    assert_rejected(&mut l, 1002, &[wrong_rpk], |x| {
        *x == Rule::WrongRegulatorKey
    });

    // Unknown anchor: Bob's view includes an output the ledger never had.
    {
        let mut fake = bob.clone();
        let next = fake.scanned();
        fake.scan(
            &[LedgerOutput {
                pos: next,
                cm: Fr::from(5u64),
                delivery: vec![],
            }],
            &mut |_| {},
        )
        .expect("scan");
        let u = build_payment(&fake, &pay_req(&alice, 1), &[fake.anchor()], &mut r).expect("b");
        assert_rejected(&mut l, 1002, &[prove(u, &mut r)], |x| {
            matches!(x, Rule::UnknownAnchor { .. })
        });
    }
    // An anchor that left the window (K = 3) after three more blocks.
    let old = prove(
        build_payment(&bob, &pay_req(&alice, 2), &l.accepted_anchors(), &mut r).expect("b"),
        &mut r,
    );

    // Withdrawal by Bob, issuer-signed.
    let wd = PaymentRequest {
        to: vec![],
        withdraw: 10,
        destination: b"bank:1".to_vec(),
        ..pay_req(&bob, 0)
    };
    let mut u = build_payment(&bob, &wd, &l.accepted_anchors(), &mut r).expect("b");
    u.sign_as_issuer(&issuer());
    apply(&mut l, 1003, vec![prove(u, &mut r)], &mut blocks);

    // Consent: Alice grants a lender access to her rent history; the lender accesses.
    let lender = WalletKeys::random(&mut r);
    let greq = GrantRequest {
        institution: lender.address(),
        dataset: label_to_field("rent-payments"),
        purpose: label_to_field("credit-underwriting"),
        expiry: 5000,
        memo: vec![],
        rpk: rpk(),
    };
    let (u, grant) = build_grant(&alice.keys, &greq, &mut r).expect("grant");
    apply(&mut l, 1004, vec![prove(u, &mut r)], &mut blocks);
    let tree = l.grant_tree();
    let access = |now: u64, nonce: &[u8], r: &mut ChaCha20Rng| {
        prove(
            build_access(&lender, &grant, &tree, 0, now, nonce, rpk(), r).expect("access"),
            r,
        )
    };
    let a1 = access(1005, b"nonce-1", &mut r);
    let stale_later = access(1005, b"nonce-2", &mut r);
    let late = access(5000, b"nonce-3", &mut r);
    apply(&mut l, 1005, vec![a1.clone()], &mut blocks);
    assert_rejected(&mut l, 1006, &[old], |x| {
        matches!(x, Rule::UnknownAnchor { .. })
    });
    let rec = l.accesses().expect("accesses");
    assert_eq!(rec.len(), 1);
    assert_eq!(
        grant.access_tag(rec[0].binding),
        rec[0].tag,
        "Alice recognises the access in her log"
    );
    assert_rejected(&mut l, 1006, &[a1], |x| *x == Rule::TagReplayed);
    // The grant expires at 5000: an access claiming now = 5000 in a block at time 9000 is refused.
    assert_rejected(&mut l, 9000, &[late], |x| {
        matches!(x, Rule::TimeOutOfTolerance { .. })
    });

    // Alice revokes; an access proven against the pre-revocation root is refused.
    let rv = prove(
        build_revoke(&alice.keys, &grant, 0, b"").expect("revoke"),
        &mut r,
    );
    apply(&mut l, 1006, vec![rv.clone()], &mut blocks);
    assert_rejected(&mut l, 1007, &[stale_later], |x| *x == Rule::StaleGrantRoot);
    assert_rejected(&mut l, 1007, &[rv], |x| matches!(x, Rule::NoSuchGrant(0)));
    assert!(build_access(
        &lender,
        &grant,
        &l.grant_tree(),
        0,
        1007,
        b"n",
        rpk(),
        &mut r
    )
    .is_err());

    // Audit trail: one record per applied transaction.
    let st = l.status();
    assert_eq!(
        l.audit_records(1, st.height).expect("audit").len() as u64,
        st.counts.txs
    );
    assert!(l.audit_records(1, st.height + 1).is_err());

    // Determinism: a fresh database fed the same blocks ends with the same state root.
    let mut l2 = open(&dir.path().join("b"), 3);
    for (h, t, txs) in &blocks {
        l2.apply_block(*h, *t, txs).expect("replay");
    }
    assert_eq!(l2.status(), l.status());
    drop(l);
    let reopened = open(&dir.path().join("a"), 3);
    assert_eq!(reopened.status(), l2.status(), "state survives reopening");
}

const CHILD_ENV: &str = "ZKREG_CRASH_CHILD";

/// Child side of the crash test: apply the prepared block, then exit.
#[test]
fn crash_child() {
    let Some(spec) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let spec = PathBuf::from(spec);
    let block = std::fs::read(spec.join("block")).expect("block");
    let txs: Vec<Vec<u8>> = serde_json::from_slice::<Vec<String>>(&block)
        .expect("json")
        .into_iter()
        .map(|h| hex::decode(h).expect("hex"))
        .collect();
    let mut l = open(&spec.join("db"), 8);
    let h = l.status().height + 1;
    l.apply_block(h, 2000, &txs).expect("apply");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("ls") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
    }
}

#[test]
fn crash_at_random_points_leaves_old_or_new_state() {
    let e = env();
    let mut r = ChaCha20Rng::seed_from_u64(12);
    let dir = tempfile::tempdir().expect("tmp");
    let base = dir.path().join("base");
    let (before, after, block) = {
        let mut l = open(&base, 8);
        let mut alice = Wallet::new(WalletKeys::random(&mut r));
        l.apply_block(1, 1000, &[mint(&l, &alice, 50, &mut r)])
            .expect("block 1");
        sync(&l, &mut alice);
        let bob = Wallet::new(WalletKeys::random(&mut r));
        let block = vec![
            prove(
                build_payment(&alice, &pay_req(&bob, 20), &l.accepted_anchors(), &mut r)
                    .expect("b"),
                &mut r,
            ),
            mint(&l, &bob, 7, &mut r),
            mint(&l, &alice, 9, &mut r),
        ];
        let before = l.status();
        let verified = l.verify_block(2, 2000, &block).expect("verifies");
        let after = verified.summary().state_root;
        (before, after, block)
    };
    let spec = dir.path().join("spec");
    std::fs::create_dir_all(&spec).expect("mkdir");
    let hexes: Vec<String> = block.iter().map(hex::encode).collect();
    std::fs::write(
        spec.join("block"),
        serde_json::to_vec(&hexes).expect("json"),
    )
    .expect("write");
    let exe = std::env::current_exe().expect("exe");
    let run_child = |db: &Path| {
        copy_dir(&base, &spec.join("db"));
        let _ = db;
        Command::new(&exe)
            .args([
                "--exact",
                "crash_child",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(CHILD_ENV, &spec)
            .env("ZKREG_TEST_PARAMS", &e.params)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn")
    };
    // Time one uninterrupted run to spread the kills over it.
    let t0 = std::time::Instant::now();
    let status = run_child(&spec.join("db")).wait().expect("child");
    assert!(status.success());
    let full = t0.elapsed();
    assert_eq!(open(&spec.join("db"), 8).status().state_root, after);
    let (mut saw_old, mut saw_new) = (0, 0);
    for _ in 0..12 {
        let _ = std::fs::remove_dir_all(spec.join("db"));
        let mut child = run_child(&spec.join("db"));
        std::thread::sleep(Duration::from_micros(
            r.gen_range(0..full.as_micros() as u64 + 1),
        ));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let mut l = open(&spec.join("db"), 8);
        let root = l.status().state_root;
        if root == before.state_root {
            saw_old += 1;
            assert_eq!(l.status(), before);
            assert_eq!(
                l.apply_block(2, 2000, &block).expect("reapply").state_root,
                after
            );
        } else {
            saw_new += 1;
            assert_eq!(root, after, "state is neither before nor after the block");
        }
    }
    eprintln!("crash test: {saw_old} kills before the commit, {saw_new} after");
}
