//! The ledger end to end with dev parameters: a full story, every rule refused *for that rule*
//! with the database left byte-for-byte unchanged, replays of every kind, cross-chain replays,
//! spam bounds, crash safety under SIGKILL (kills landing inside the commit), and determinism.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at the first failure

use ark_bls12_381::{Bls12_381, Fr};
use ark_ff::Zero;
use ark_groth16::Groth16;
use ark_snark::SNARK;
use ark_std::UniformRand;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::{
    io::Read,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::OnceLock,
    time::Duration,
};
use zkreg_circuits::{
    ecc::{JubjubAffine, JubjubScalar},
    grant::Grant,
    labels::label_to_field,
    merkle::EMPTY_LEAF,
    note::Note,
    payment::{constraints::PaymentCircuit, PaymentTerms, PaymentWitness, SpentNote},
};
use zkreg_ledger::{
    genesis::{IssuerEntry, RegulatorKeyEntry},
    AdmittedTx, ChainConfig, Genesis, Ledger, LedgerError, Rule,
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
use zkreg_verifier::{
    params::Manifest,
    rotation::{self, RotationError},
    ChainId, Groth16Proof, PaymentTx, RotateTx, RotationTerms, Transaction, TxKind, VerifyError,
};

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

/// The test chain "zkreg-test" with anchor window `window`, changed by `tweak`.
fn genesis_with(window: u64, tweak: impl FnOnce(&mut Genesis)) -> ChainConfig {
    let e = env();
    let mut g = Genesis::new(
        "zkreg-test",
        vec![RegulatorKeyEntry {
            from_height: 0,
            rpk: point_to_hex(&rpk()),
        }],
        vec![IssuerEntry {
            asset: "USD".into(),
            keys: vec![hex::encode(issuer().verifying_key().to_bytes())],
        }],
        e.manifest
            .verifying_key_hashes()
            .into_iter()
            .map(|(c, h)| (c.name().to_string(), h))
            .collect(),
    );
    g.anchor_window = window;
    g.allow_insecure_keys = true;
    tweak(&mut g);
    ChainConfig::new(g).expect("genesis")
}

fn open_with(dir: &Path, config: ChainConfig) -> Ledger {
    Ledger::open(dir, config, &env().params).expect("open ledger")
}

fn open(dir: &Path, window: u64) -> Ledger {
    open_with(dir, genesis_with(window, |_| {}))
}

fn chain(l: &Ledger) -> ChainId {
    l.config().hash
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

fn pay_req(l: &Ledger, to: &Wallet, amount: u64) -> PaymentRequest {
    PaymentRequest {
        asset: usd(),
        to: vec![(to.keys.address(), amount)],
        deposit: 0,
        withdraw: 0,
        fee: 0,
        destination: vec![],
        memo: vec![],
        rpk: rpk(),
        chain: chain(l),
    }
}

fn pay(l: &Ledger, from: &Wallet, to: &Wallet, amount: u64, r: &mut ChaCha20Rng) -> Vec<u8> {
    let u = build_payment(from, &pay_req(l, to, amount), &l.accepted_anchors(), r).expect("b");
    prove(u, r)
}

fn mint(l: &Ledger, to: &Wallet, amount: u64, r: &mut ChaCha20Rng) -> Vec<u8> {
    let minter = Wallet::new(WalletKeys::random(r));
    let req = PaymentRequest {
        deposit: amount,
        ..pay_req(l, to, amount)
    };
    let mut u = build_payment(&minter, &req, &l.accepted_anchors(), r).expect("build mint");
    u.sign_as_issuer(&issuer());
    prove(u, r)
}

fn grant_req(l: &Ledger, institution: &WalletKeys, expiry: u64, memo: &[u8]) -> GrantRequest {
    GrantRequest {
        institution: institution.address(),
        dataset: label_to_field("rent-payments"),
        purpose: label_to_field("credit-underwriting"),
        expiry,
        memo: memo.to_vec(),
        rpk: rpk(),
        chain: chain(l),
    }
}

/// A grant proven from a seeded rng: the same `seed` gives the same grant (same `gsecret`, so
/// the same `gcm`) whatever the memo, which changes the transaction and its id.
fn grant_seeded(
    l: &Ledger,
    owner: &WalletKeys,
    inst: &WalletKeys,
    expiry: u64,
    memo: &[u8],
    seed: u64,
) -> (Vec<u8>, Grant) {
    let mut r = ChaCha20Rng::seed_from_u64(seed);
    let (u, g) = build_grant(owner, &grant_req(l, inst, expiry, memo), &mut r).expect("grant");
    (prove(u, &mut r), g)
}

fn access(
    l: &Ledger,
    inst: &WalletKeys,
    g: &Grant,
    pos: u64,
    now: u64,
    nonce: &[u8],
    r: &mut ChaCha20Rng,
) -> Vec<u8> {
    let u = build_access(
        &chain(l),
        inst,
        g,
        &l.grant_tree(),
        pos,
        now,
        nonce,
        rpk(),
        r,
    )
    .expect("access");
    prove(u, r)
}

fn revoke(l: &Ledger, owner: &WalletKeys, g: &Grant, pos: u64, r: &mut ChaCha20Rng) -> Vec<u8> {
    prove(
        build_revoke(&chain(l), owner, g, pos, b"").expect("revoke"),
        r,
    )
}

fn next(l: &mut Ledger, time: u64, txs: &[Vec<u8>]) {
    let h = l.status().height + 1;
    same_decision_when_admitted(l, time, txs);
    l.apply_block(h, time, txs).expect("block applies");
}

/// Admission ([`Ledger::admit`]) gives each transaction `check_tx`'s verdict, and a block
/// verified reusing the admitted transactions ([`Ledger::verify_block_reusing`]) gets
/// `verify_block`'s decision: the node's mempool path decides exactly as the ledger does.
fn same_decision_when_admitted(l: &Ledger, time: u64, txs: &[Vec<u8>]) {
    let h = l.status().height + 1;
    let rule = |r: Result<(), &LedgerError>| match r {
        Ok(()) => None,
        Err(LedgerError::Rejected(rej)) => Some(rej.rule.clone()),
        Err(e) => panic!("not a rejection: {e}"),
    };
    let admitted = l.admit(txs.to_vec(), time);
    assert_eq!(admitted.len(), txs.len());
    for (tx, a) in txs.iter().zip(&admitted) {
        let checked = l.check_tx(tx, time);
        assert_eq!(
            rule(a.as_ref().map(|_| ())),
            rule(checked.as_ref().map(|_| ())),
            "admission decides as check_tx"
        );
    }
    let admitted: Vec<AdmittedTx> = admitted.into_iter().flatten().collect();
    let reusing =
        l.verify_block_reusing(h, time, txs, |b| admitted.iter().find(|a| a.bytes() == b));
    let plain = l.verify_block(h, time, txs);
    match (reusing, plain) {
        (Ok(a), Ok(b)) => assert_eq!(a.summary(), b.summary()),
        (Err(LedgerError::Rejected(a)), Err(LedgerError::Rejected(b))) => {
            assert_eq!(
                (a.index, a.rule),
                (b.index, b.rule),
                "the reusing block path decides as verify_block"
            )
        }
        (a, b) => panic!(
            "different decisions: reusing {:?}, plain {:?}",
            a.map(|v| v.summary().clone()),
            b.map(|v| v.summary().clone())
        ),
    }
}

/// Applies a block that must be rejected for `expected` and checks nothing changed, byte for
/// byte. Returns the rule for further asserts.
fn assert_rejected(
    l: &mut Ledger,
    time: u64,
    txs: &[Vec<u8>],
    expected: impl Fn(&Rule) -> bool,
) -> Rule {
    same_decision_when_admitted(l, time, txs);
    let before = (l.status(), l.dump().expect("dump"));
    let height = l.status().height + 1;
    let rule = match l.apply_block(height, time, txs) {
        Err(LedgerError::Rejected(rej)) => {
            assert!(expected(&rej.rule), "unexpected rejection: {rej}");
            rej.rule
        }
        other => panic!("block was not rejected: {other:?}"),
    };
    assert_eq!(before.0, l.status(), "status changed");
    assert!(before.1 == l.dump().expect("dump"), "database changed");
    rule
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
            ..pay_req(&l, &alice, 5)
        };
        let u = build_payment(&minter, &req, &l.accepted_anchors(), &mut r).expect("build");
        let mut forged = u.clone();
        forged.sign_as_issuer(&ed25519_dalek::SigningKey::from_bytes(&[4; 32]));
        assert_rejected(&mut l, 1000, &[prove(u, &mut r)], |x| {
            *x == Rule::Verify(VerifyError::MissingSignature)
        });
        assert_rejected(&mut l, 1000, &[prove(forged, &mut r)], |x| {
            *x == Rule::UnauthorisedIssuer
        });
    }
    apply(&mut l, 1000, vec![m], &mut blocks);
    sync(&l, &mut alice);
    assert_eq!(alice.balance(usd()), 100);

    // Two payments spending the same note: together in one block, then across blocks.
    let p1 = pay(&l, &alice, &bob, 30, &mut r);
    let p2 = pay(&l, &alice, &bob, 31, &mut r);
    assert_rejected(&mut l, 1001, &[p1.clone(), p2.clone()], |x| {
        *x == Rule::DuplicateNullifier
    });
    // Lifting the proof onto a changed memo / delivery, or altering the proof bytes, is refused.
    let proof_rejected = Rule::Verify(VerifyError::ProofRejected {
        kind: TxKind::Payment,
    });
    {
        let Ok(Transaction::Payment(mut t)) = Transaction::decode(&p1) else {
            panic!("payment")
        };
        t.memo = b"changed".to_vec();
        assert_rejected(
            &mut l,
            1001,
            &[Transaction::Payment(t.clone()).encode()],
            |x| *x == proof_rejected,
        );
        let Ok(Transaction::Payment(mut t)) = Transaction::decode(&p1) else {
            panic!("payment")
        };
        t.deliveries[0][40] ^= 1;
        assert_rejected(&mut l, 1001, &[Transaction::Payment(t).encode()], |x| {
            *x == proof_rejected
        });
        let mut bad = p1.clone();
        let n = bad.len();
        bad[n - 100] ^= 1; // inside the proof's B: no longer a valid compressed point, or another
        assert_rejected(&mut l, 1001, &[bad], |x| {
            matches!(
                x,
                Rule::Decode(zkreg_verifier::DecodeError::InvalidProofPoint {
                    field: "proof.b",
                    ..
                })
            ) || *x == proof_rejected
        });
        assert_rejected(&mut l, 1001, &[vec![1, 9, 9]], |x| {
            matches!(
                x,
                Rule::Decode(zkreg_verifier::DecodeError::UnknownKind { found: 9 })
            )
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
    let mut req = pay_req(&l, &alice, 5);
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
        let u = build_payment(&fake, &pay_req(&l, &alice, 1), &[fake.anchor()], &mut r).expect("b");
        assert_rejected(&mut l, 1002, &[prove(u, &mut r)], |x| {
            *x == Rule::UnknownAnchor { window: 3 }
        });
    }
    // An anchor that left the window (K = 3) after three more blocks.
    let old = pay(&l, &bob, &alice, 2, &mut r);

    // Withdrawal by Bob, issuer-signed.
    let wd = PaymentRequest {
        to: vec![],
        withdraw: 10,
        destination: b"bank:1".to_vec(),
        ..pay_req(&l, &bob, 0)
    };
    let mut u = build_payment(&bob, &wd, &l.accepted_anchors(), &mut r).expect("b");
    u.sign_as_issuer(&issuer());
    apply(&mut l, 1003, vec![prove(u, &mut r)], &mut blocks);

    // Consent: Alice grants a lender access to her rent history; the lender accesses.
    let lender = WalletKeys::random(&mut r);
    let (u, grant) =
        build_grant(&alice.keys, &grant_req(&l, &lender, 5000, b""), &mut r).expect("grant");
    apply(&mut l, 1004, vec![prove(u, &mut r)], &mut blocks);
    let a1 = access(&l, &lender, &grant, 0, 1005, b"nonce-1", &mut r);
    let stale_later = access(&l, &lender, &grant, 0, 1005, b"nonce-2", &mut r);
    let early = access(&l, &lender, &grant, 0, 1005 + 601, b"nonce-3", &mut r);
    apply(&mut l, 1005, vec![a1.clone()], &mut blocks);
    assert_rejected(&mut l, 1006, &[old], |x| {
        *x == Rule::UnknownAnchor { window: 3 }
    });
    let rec = l.accesses().expect("accesses");
    assert_eq!(rec.len(), 1);
    assert_eq!(
        grant.access_tag(rec[0].binding),
        rec[0].tag,
        "Alice recognises the access in her log"
    );
    // `now` may run ahead of block time by at most the tolerance (600 s).
    assert_rejected(&mut l, 1005, &[early], |x| {
        *x == Rule::AccessTime {
            now: 1606,
            block_time: 1005,
            tolerance: 600,
        }
    });

    // Alice revokes; an access proven against the pre-revocation root is refused.
    let rv = revoke(&l, &alice.keys, &grant, 0, &mut r);
    apply(&mut l, 1006, vec![rv], &mut blocks);
    assert_rejected(&mut l, 1007, &[stale_later], |x| *x == Rule::StaleGrantRoot);
    assert!(build_access(
        &chain(&l),
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

/// Every kind is single-use: an applied transaction submitted again in a later block is refused
/// as a replay (before any of its own rules), and twice in one block as a duplicate. For
/// payments, the nullifier rules stand behind the id rule; for accesses, the tag rule.
#[test]
fn replays_of_every_kind_are_refused() {
    let mut r = ChaCha20Rng::seed_from_u64(21);
    let dir = tempfile::tempdir().expect("tmp");
    let mut l = open(dir.path(), 8);
    let mut alice = Wallet::new(WalletKeys::random(&mut r));
    let bob = Wallet::new(WalletKeys::random(&mut r));
    let lender = WalletKeys::random(&mut r);

    let m = mint(&l, &alice, 50, &mut r);
    assert_rejected(&mut l, 10, &[m.clone(), m.clone()], |x| {
        *x == Rule::DuplicateTx
    });
    next(&mut l, 10, std::slice::from_ref(&m));
    assert_rejected(&mut l, 11, &[m], |x| *x == Rule::TxReplayed);
    sync(&l, &mut alice);
    let p = pay(&l, &alice, &bob, 20, &mut r);
    assert_rejected(&mut l, 11, &[p.clone(), p.clone()], |x| {
        *x == Rule::DuplicateTx
    });
    next(&mut l, 11, std::slice::from_ref(&p));
    assert_rejected(&mut l, 12, &[p], |x| *x == Rule::TxReplayed);

    let (g, grant) = grant_seeded(&l, &alice.keys, &lender, 5000, b"first", 1);
    assert_rejected(&mut l, 12, &[g.clone(), g.clone()], |x| {
        *x == Rule::DuplicateTx
    });
    next(&mut l, 12, std::slice::from_ref(&g));
    assert_rejected(&mut l, 13, &[g], |x| *x == Rule::TxReplayed);

    let a = access(&l, &lender, &grant, 0, 13, b"nonce-1", &mut r);
    assert_rejected(&mut l, 13, &[a.clone(), a.clone()], |x| {
        *x == Rule::DuplicateTx
    });
    next(&mut l, 13, std::slice::from_ref(&a));
    assert_rejected(&mut l, 14, &[a], |x| *x == Rule::TxReplayed);

    let rv = revoke(&l, &alice.keys, &grant, 0, &mut r);
    assert_rejected(&mut l, 14, &[rv.clone(), rv.clone()], |x| {
        *x == Rule::DuplicateTx
    });
    next(&mut l, 14, std::slice::from_ref(&rv));
    assert_rejected(&mut l, 18, &[rv], |x| *x == Rule::TxReplayed);
}

/// The replay the soundness review found: a grant put on the ledger twice would survive the
/// revocation of its first position. Grant commitments are unique for the life of the chain, so
/// after a revocation no position holds the grant and no access can use it.
#[test]
fn a_revoked_grant_is_unusable_everywhere() {
    let mut r = ChaCha20Rng::seed_from_u64(31);
    let dir = tempfile::tempdir().expect("tmp");
    let mut l = open(dir.path(), 8);
    let alice = WalletKeys::random(&mut r);
    let mallory = WalletKeys::random(&mut r);
    let lender = WalletKeys::random(&mut r);

    let (g, grant) = grant_seeded(&l, &alice, &lender, 5000, b"first", 7);
    // The same grant re-proven under another memo: a new transaction, the same commitment.
    let (copy, same) = grant_seeded(&l, &alice, &lender, 5000, b"copy", 7);
    assert_eq!(grant.commitment(), same.commitment());
    assert_rejected(&mut l, 10, &[g.clone(), copy.clone()], |x| {
        *x == Rule::GrantExists
    });
    next(&mut l, 10, &[g]);
    assert_rejected(&mut l, 11, std::slice::from_ref(&copy), |x| {
        *x == Rule::GrantExists
    });

    // Mallory, owner of another grant, cannot revoke Alice's live leaf with her own commitment
    // (the proof shows she owns her grant; the leaf holds Alice's).
    let (mg, mgrant) = grant_seeded(&l, &mallory, &lender, 5000, b"", 8);
    next(&mut l, 11, &[mg]);
    let steal = revoke(&l, &mallory, &mgrant, 0, &mut r);
    assert_rejected(&mut l, 12, &[steal], |x| *x == Rule::NoSuchGrant(0));

    // The lender proves access before the revocation lands; Alice revokes.
    let stale = access(&l, &lender, &grant, 0, 13, b"nonce-1", &mut r);
    let rv = revoke(&l, &alice, &grant, 0, &mut r);
    next(&mut l, 12, &[rv]);
    assert_rejected(&mut l, 13, std::slice::from_ref(&stale), |x| {
        *x == Rule::StaleGrantRoot
    });
    let stale2 = stale;
    // No position holds the grant any more, and it cannot be put back: the `gcm → pos` index
    // outlives the revocation.
    let tree = l.grant_tree();
    assert!((0..tree.len()).all(|pos| tree.leaf(pos) != Some(grant.commitment())));
    assert_eq!(tree.leaf(0), Some(EMPTY_LEAF));
    assert!(build_access(
        &chain(&l),
        &lender,
        &grant,
        &tree,
        0,
        13,
        b"n",
        rpk(),
        &mut r
    )
    .is_err());
    assert_rejected(&mut l, 20, std::slice::from_ref(&copy), |x| {
        *x == Rule::GrantExists
    });
    // Mallory's grant at position 1 is untouched.
    assert_eq!(tree.leaf(1), Some(mgrant.commitment()));
    // All of it survives a restart: the index and the latest revocation are state.
    drop(l);
    let mut l = open(dir.path(), 8);
    assert_rejected(&mut l, 20, &[copy], |x| *x == Rule::GrantExists);
    assert_rejected(&mut l, 20, &[stale2], |x| *x == Rule::StaleGrantRoot);
}

/// Payment rule: one note in both input slots has one nullifier twice. The circuit allows it
/// (each slot is a valid spend), so the ledger's nullifier rule is what stops it minting value.
#[test]
fn one_note_in_both_input_slots_is_refused() {
    let mut r = ChaCha20Rng::seed_from_u64(41);
    let dir = tempfile::tempdir().expect("tmp");
    let mut l = open(dir.path(), 8);
    let mut alice = Wallet::new(WalletKeys::random(&mut r));
    let bob = Wallet::new(WalletKeys::random(&mut r));
    let m = mint(&l, &alice, 50, &mut r);
    next(&mut l, 10, &[m]);
    sync(&l, &mut alice);
    let n = alice.spendable(usd())[0].clone();
    let spent = SpentNote {
        note: n.note,
        path: alice.path(n.pos).expect("path"),
    };
    let witness = PaymentWitness {
        sk: alice.keys.sk,
        inputs: [spent.clone(), spent],
        outputs: [
            Note::new(usd(), 100, bob.keys.owner(), &mut r),
            Note::new(usd(), 0, alice.keys.owner(), &mut r),
        ],
        audit_r: JubjubScalar::rand(&mut r),
    };
    let mut terms = PaymentTerms {
        anchor: alice.anchor(),
        v_in_pub: 0,
        v_out_pub: 0,
        fee: 0,
        asset_pub: Fr::zero(),
        rpk: rpk(),
        binding: Fr::zero(),
    };
    let public = witness.statement(&terms);
    let mut tx = PaymentTx {
        anchor: public.anchor,
        nullifiers: public.nullifiers,
        output_commitments: public.output_commitments,
        v_in_pub: 0,
        v_out_pub: 0,
        fee: 0,
        asset_pub: Fr::zero(),
        rpk: rpk(),
        audit: public.audit,
        deliveries: [vec![1; 80], vec![2; 80]],
        destination: vec![],
        memo: vec![],
        issuer_signature: None,
        proof: Groth16Proof::default(),
    };
    assert_eq!(tx.nullifiers[0], tx.nullifiers[1]);
    terms.binding = Transaction::Payment(tx.clone()).binding(&chain(&l));
    let public = witness.statement(&terms);
    tx.proof = Groth16::<Bls12_381>::prove(
        env().prover.key(TxKind::Payment).unwrap(),
        PaymentCircuit::new(public, witness),
        &mut r,
    )
    .expect("the circuit accepts both slots");
    assert_rejected(&mut l, 11, &[Transaction::Payment(tx).encode()], |x| {
        *x == Rule::DuplicateNullifier
    });
}

/// A transaction made for one chain is refused on another with the same parameters, regulator
/// key and issuers: its proof's binding and its issuer signature name the genesis.
#[test]
fn transactions_of_one_chain_are_refused_on_another() {
    let mut r = ChaCha20Rng::seed_from_u64(51);
    let dir = tempfile::tempdir().expect("tmp");
    let mut test = open(&dir.path().join("test"), 8);
    let mut main = open_with(
        &dir.path().join("main"),
        genesis_with(8, |g| g.chain_id = "zkreg-main".into()),
    );
    assert_ne!(chain(&test), chain(&main));
    let alice = Wallet::new(WalletKeys::random(&mut r));
    let bob = Wallet::new(WalletKeys::random(&mut r));
    let lender = WalletKeys::random(&mut r);
    // One of each kind, each valid on the test chain (checked), each refused on main.
    let (g, grant) = grant_seeded(&test, &alice.keys, &lender, 5000, b"", 3);
    next(&mut test, 10, std::slice::from_ref(&g));
    let a = access(&test, &lender, &grant, 0, 11, b"nonce-1", &mut r);
    let rv = revoke(&test, &alice.keys, &grant, 0, &mut r);
    let m = mint(&test, &alice, 10, &mut r);
    let transfer = pay(&test, &alice, &bob, 0, &mut r); // a zero-value transfer: no inputs
    for tx in [&a, &rv, &m, &transfer] {
        assert!(test.check_tx(tx, 11).is_ok(), "valid on its own chain");
    }
    let proof_rejected = |kind| Rule::Verify(VerifyError::ProofRejected { kind });
    assert_rejected(&mut main, 10, &[g], |x| *x == proof_rejected(TxKind::Grant));
    assert_rejected(&mut main, 10, &[a], |x| {
        *x == proof_rejected(TxKind::Access)
    });
    assert_rejected(&mut main, 10, &[rv], |x| {
        *x == proof_rejected(TxKind::Revoke)
    });
    assert_rejected(&mut main, 10, &[transfer], |x| {
        *x == proof_rejected(TxKind::Payment)
    });
    // A deposit's issuer signature names the chain too (checked before the proof).
    assert_rejected(&mut main, 10, &[m], |x| {
        *x == Rule::Verify(VerifyError::BadSignature)
    });
}

/// An access lands only while block time ≤ the grant's expiry: its `now` (≤ expiry, proven)
/// may not be behind block time.
#[test]
fn no_access_lands_after_expiry() {
    let mut r = ChaCha20Rng::seed_from_u64(61);
    let dir = tempfile::tempdir().expect("tmp");
    let mut l = open(dir.path(), 8);
    let alice = WalletKeys::random(&mut r);
    let lender = WalletKeys::random(&mut r);
    let (g, grant) = grant_seeded(&l, &alice, &lender, 2000, b"", 4);
    next(&mut l, 1000, &[g]);
    // Proven at the last valid moment, now = expiry.
    let last = access(&l, &lender, &grant, 0, 2000, b"nonce-1", &mut r);
    assert_rejected(&mut l, 2001, std::slice::from_ref(&last), |x| {
        *x == Rule::AccessTime {
            now: 2000,
            block_time: 2001,
            tolerance: 600,
        }
    });
    next(&mut l, 2000, &[last]);
}

/// Spam bound: at most `max_grants_per_block` grants per block. Revocations are never capped
/// (a cap would let a spammer delay an owner's revocation): many land in one block.
#[test]
fn grant_spam_is_bounded_and_revocations_never_wait() {
    let mut r = ChaCha20Rng::seed_from_u64(71);
    let dir = tempfile::tempdir().expect("tmp");
    let mut l = open_with(dir.path(), genesis_with(8, |g| g.max_grants_per_block = 2));
    let alice = WalletKeys::random(&mut r);
    let lender = WalletKeys::random(&mut r);
    let grants: Vec<(Vec<u8>, Grant)> = (0..3)
        .map(|i| grant_seeded(&l, &alice, &lender, 5000, b"", 100 + i))
        .collect();
    let txs: Vec<Vec<u8>> = grants.iter().map(|(t, _)| t.clone()).collect();
    assert_rejected(&mut l, 10, &txs, |x| *x == Rule::TooManyGrants { max: 2 });
    next(&mut l, 10, &txs[..2]);
    next(&mut l, 11, &txs[2..]);
    let rv: Vec<Vec<u8>> = (0..3)
        .map(|i| revoke(&l, &alice, &grants[i].1, i as u64, &mut r))
        .collect();
    next(&mut l, 12, &rv[..2]);
    next(&mut l, 13, &rv[2..]);
    assert_eq!(l.status().counts.revocations, 3);
}

const CHILD_ENV: &str = "ZKREG_CRASH_CHILD";

/// Child side of the crash test: verify the prepared block, say so on stdout, commit it, say so,
/// and wait to be killed. The parent kills it at random moments around the commit.
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
    let verified = l.verify_block(h, 2000, &txs).expect("verify");
    println!("committing");
    l.commit(verified).expect("commit");
    println!("committed");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("ls") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
    }
}

/// SIGKILL at random moments in and around the commit of a block: after reopening, the state is
/// exactly the old or exactly the new one, never a mix, and an old state accepts the block
/// again. The child announces the commit on stdout; each kill is classified by what the child
/// had printed when it died, and a meaningful share must land inside the commit.
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
            pay(&l, &alice, &bob, 20, &mut r),
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
    let run_child = || {
        let _ = std::fs::remove_dir_all(spec.join("db"));
        copy_dir(&base, &spec.join("db"));
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
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn")
    };
    // Reads the child's stdout byte by byte until `marker` has been seen (or EOF).
    let wait_for = |out: &mut std::process::ChildStdout, seen: &mut String, marker: &str| {
        let mut byte = [0u8; 1];
        while !seen.contains(marker) {
            match out.read(&mut byte) {
                Ok(1) => seen.push(byte[0] as char),
                _ => return false,
            }
        }
        true
    };
    // Time one uninterrupted commit to spread the kills over it.
    let mut child = run_child();
    let mut out = child.stdout.take().expect("stdout");
    let mut seen = String::new();
    assert!(wait_for(&mut out, &mut seen, "committing\n"));
    let t0 = std::time::Instant::now();
    assert!(wait_for(&mut out, &mut seen, "committed\n"));
    let commit = t0.elapsed();
    assert!(child.wait().expect("child").success());
    assert_eq!(open(&spec.join("db"), 8).status().state_root, after);

    // At least KILLS kills, alternating; aimed kills continue (up to MAX_KILLS) until INSIDE of
    // them have landed inside the commit, so a fast or slow disk cannot make the test flaky.
    const KILLS: usize = 16;
    const INSIDE: usize = 4;
    const MAX_KILLS: usize = 48;
    let (mut old, mut new, mut during, mut kills) = (0, 0, 0, 0);
    while kills < KILLS || (during < INSIDE && kills < MAX_KILLS) {
        let aimed = kills % 2 == 1 || kills >= KILLS;
        kills += 1;
        let mut child = run_child();
        let mut out = child.stdout.take().expect("stdout");
        let mut seen = String::new();
        // Unaimed kills land at a random moment before the commit starts (verification,
        // opening the database). Aimed ones land 0–150 µs after the child announces the
        // commit: the synced write takes 0.5–10 ms on this 2-core machine, and the first
        // timing run's duration is too noisy to aim by.
        if aimed {
            assert!(wait_for(&mut out, &mut seen, "committing\n"));
            std::thread::sleep(Duration::from_micros(r.gen_range(0..150)));
        } else {
            std::thread::sleep(Duration::from_micros(r.gen_range(0..200_000)));
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let _ = out.read_to_string(&mut seen);
        if seen.contains("committing") && !seen.contains("committed") {
            during += 1;
        }
        let mut l = open(&spec.join("db"), 8);
        let root = l.status().state_root;
        if root == before.state_root {
            old += 1;
            assert_eq!(l.status(), before);
            assert_eq!(
                l.apply_block(2, 2000, &block).expect("reapply").state_root,
                after
            );
        } else {
            new += 1;
            assert_eq!(root, after, "state is neither before nor after the block");
        }
    }
    eprintln!(
        "crash test: {kills} kills, {during} inside the commit (one took {commit:?}); state old {old}, new {new}"
    );
    assert!(
        during >= INSIDE,
        "only {during} of {kills} kills landed inside the commit"
    );
}

/// The local ledger as a wallet's chunk source (what `zkreg wallet sync` reads without a node).
struct LedgerChunks<'a>(&'a Ledger);

impl zkreg_prover::sync::ChunkSource for LedgerChunks<'_> {
    fn tip(&mut self) -> Result<(u64, u64), String> {
        let s = self.0.status();
        Ok((s.height, s.notes))
    }
    fn chunk(
        &mut self,
        after: u64,
        next_pos: u64,
        max: usize,
    ) -> Result<zkreg_prover::wallet::ScanChunk, String> {
        let c = self
            .0
            .scan_chunk(after, next_pos, max)
            .map_err(|e| e.to_string())?;
        Ok(zkreg_prover::wallet::ScanChunk {
            to_height: c.to_height,
            outputs: c
                .outputs
                .into_iter()
                .map(|o| LedgerOutput {
                    pos: o.pos,
                    cm: o.cm,
                    delivery: o.delivery,
                })
                .collect(),
            nullifiers: c.nullifiers,
        })
    }
}

/// Incremental sync (issue #15): a wallet of two accounts synced in chunks of two outputs
/// (one block each) into its store, killed in the middle of a chunk (a panic inside the scan, after some chunks
/// were saved) and resumed from the store, ends with exactly the notes, witnesses, cursor and
/// anchor of a wallet that scanned from scratch in one pass; its witnesses then prove a payment
/// the ledger accepts, and a further incremental sync sees that payment spent.
#[test]
fn a_wallet_killed_mid_sync_resumes_to_the_scratch_state() {
    use zkreg_prover::{store::WalletStore, sync::sync};
    let dir = tempfile::tempdir().unwrap();
    let mut l = open(&dir.path().join("ledger"), 64);
    let mut r = ChaCha20Rng::seed_from_u64(15);
    let alice_keys = WalletKeys::random(&mut r);
    // Outputs for account 0 and account 1 of alice, and for strangers, over several blocks.
    let alice0 = Wallet::new(alice_keys.clone());
    let alice1 = Wallet::new(alice_keys.account(1));
    let stranger = Wallet::new(WalletKeys::random(&mut r));
    for (i, (to, amount)) in [
        (&alice0, 100),
        (&stranger, 7),
        (&alice1, 30),
        (&stranger, 8),
        (&alice0, 20),
    ]
    .iter()
    .enumerate()
    {
        let tx = mint(&l, to, *amount, &mut r);
        next(&mut l, 10 + i as u64, &[tx]);
    }
    let tip = l.status().height;
    let mut scratch = Wallet::with_accounts(alice_keys.clone(), 2);
    let report = sync(
        &mut scratch,
        None,
        &mut LedgerChunks(&l),
        1 << 20,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!((report.chunks, report.outputs, report.height), (1, 10, tip));
    assert_eq!(scratch.balance(usd()), 120);
    assert_eq!(scratch.balances_of(1)[0].unspent, 30);

    // Chunked, killed inside the third chunk.
    let store_dir = dir.path().join("alice.wallet");
    {
        let store = WalletStore::open(&store_dir).unwrap();
        let mut w = store.load(alice_keys.clone(), 2).unwrap();
        let mut calls = 0;
        let killed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            sync(&mut w, Some(&store), &mut LedgerChunks(&l), 2, &mut |p| {
                calls += 1;
                // Each chunk reports once while scanning and once when saved.
                if calls == 5 {
                    panic!("killed at {} outputs", p.outputs_done);
                }
            })
        }));
        assert!(killed.is_err(), "the sync was not killed");
    }
    let store = WalletStore::open(&store_dir).unwrap();
    let mut resumed = store.load(alice_keys.clone(), 2).unwrap();
    assert!(
        resumed.synced_height() > 0 && resumed.synced_height() < tip,
        "the kill must land mid-sync, after a saved chunk (cursor {})",
        resumed.synced_height()
    );
    let rest = sync(
        &mut resumed,
        Some(&store),
        &mut LedgerChunks(&l),
        2,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(rest.chunks, 3, "chunks 3 to 5 are scanned again");
    assert_eq!(resumed.notes(), scratch.notes());
    assert_eq!(
        (resumed.synced_height(), resumed.scanned(), resumed.anchor()),
        (scratch.synced_height(), scratch.scanned(), scratch.anchor())
    );
    assert_eq!(resumed.anchor(), l.status().note_root);
    // Another wallet's keys cannot read this store.
    assert!(matches!(
        store.load(WalletKeys::random(&mut r), 1),
        Err(zkreg_prover::store::StoreError::OtherWallet(_))
    ));

    // The resumed wallet's witnesses prove a payment the ledger accepts (spending both notes of
    // account 0: 100 + 20 for 110).
    let bob = Wallet::new(WalletKeys::random(&mut r));
    let tx = pay(&l, &resumed, &bob, 110, &mut r);
    next(&mut l, 20, &[tx]);
    sync(
        &mut resumed,
        Some(&store),
        &mut LedgerChunks(&l),
        3,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(resumed.balance(usd()), 10, "the change");
    assert_eq!(resumed.balances()[0].spent_notes, 2);
    resumed.use_account(1).unwrap();
    assert_eq!(resumed.balance(usd()), 30);
    // Account 1 spends with its own witness, from the reopened store.
    drop(store);
    let store = WalletStore::open(&store_dir).unwrap();
    let mut again = store.load(alice_keys, 2).unwrap();
    assert_eq!(again.notes(), resumed.notes());
    again.use_account(1).unwrap();
    let tx = pay(&l, &again, &bob, 30, &mut r);
    next(&mut l, 21, &[tx]);
}

/// The genesis regulator key `rsk = f(0)` of [`rpk`], shared 2-of-3: `f(i)` for `i = 1..=3`.
fn committee_shares() -> [JubjubScalar; 3] {
    let rsk = regulator_from_seed(&[9; 32]).0;
    let a1 = JubjubScalar::from(77u64);
    [1u64, 2, 3].map(|i| rsk + a1 * JubjubScalar::from(i))
}

/// A rotation from [`rpk`] signed by the members `signers` (indices into the 2-of-3 shares).
fn rotation(
    l: &Ledger,
    new_rpk: JubjubAffine,
    from_height: u64,
    sequence: u64,
    signers: &[u16],
    r: &mut ChaCha20Rng,
) -> Vec<u8> {
    let terms = RotationTerms {
        old_rpk: rpk(),
        new_rpk,
        from_height,
        sequence,
    };
    let xs = committee_shares();
    let signers = signers
        .iter()
        .map(|&i| rotation::sign(&chain(l), &terms, i, &xs[usize::from(i) - 1], r))
        .collect();
    Transaction::Rotate(RotateTx { terms, signers }).encode()
}

/// A payment whose audit record is encrypted to `rpk`.
fn pay_to_key(
    l: &Ledger,
    from: &Wallet,
    to: &Wallet,
    amount: u64,
    key: JubjubAffine,
    r: &mut ChaCha20Rng,
) -> Vec<u8> {
    let req = PaymentRequest {
        rpk: key,
        ..pay_req(l, to, amount)
    };
    let u = build_payment(from, &req, &l.accepted_anchors(), r).expect("build");
    prove(u, r)
}

/// Rotation rules, each refused for its own rule with the database unchanged, then the
/// acceptance case: a rotation to a new key from height h lets an old-key payment land at
/// h − 1 and refuses it at h, where a new-key payment lands; the schedule survives a reopen
/// and the rotation cannot be replayed.
#[test]
fn a_rotation_at_height_h_moves_the_regulator_key_from_h() {
    let mut r = ChaCha20Rng::seed_from_u64(71);
    let dir = tempfile::tempdir().expect("tmp");
    let mut l = open(dir.path(), 8);
    let mut alice = Wallet::new(WalletKeys::random(&mut r));
    let bob = Wallet::new(WalletKeys::random(&mut r));
    let new_rsk = regulator_from_seed(&[10; 32]);
    let new_rpk = new_rsk.public_key();
    let tx1 = mint(&l, &alice, 50, &mut r);
    next(&mut l, 10, &[tx1]);
    let tx2 = mint(&l, &alice, 50, &mut r);
    next(&mut l, 11, &[tx2]);
    sync(&l, &mut alice);
    assert_eq!(l.status().height, 2);
    let h = 5; // the new key applies from height 5

    // Refused, each for its own rule (the next block is height 3).
    let tx11 = rotation(&l, new_rpk, h, 1, &[1, 3], &mut r);
    assert_rejected(&mut l, 12, &[tx11], |x| {
        *x == Rule::RotationSequence {
            expected: 0,
            got: 1,
        }
    });
    let tx12 = rotation(&l, new_rpk, 3, 0, &[1, 3], &mut r);
    assert_rejected(&mut l, 12, &[tx12], |x| {
        *x == Rule::RotationHeight {
            from_height: 3,
            height: 3,
        }
    });
    let tx13 = rotation(&l, new_rpk, h, 0, &[2], &mut r);
    assert_rejected(&mut l, 12, &[tx13], |x| {
        *x == Rule::Verify(VerifyError::Rotation(RotationError::KeysDoNotCombine))
    });
    // Signed by the new key's holder as if it were the old one's: its key does not combine.
    let forged = {
        let terms = RotationTerms {
            old_rpk: rpk(),
            new_rpk,
            from_height: h,
            sequence: 0,
        };
        let s = rotation::sign(&chain(&l), &terms, 1, &new_rsk.0, &mut r);
        Transaction::Rotate(RotateTx {
            terms,
            signers: vec![s],
        })
        .encode()
    };
    assert_rejected(&mut l, 12, &[forged], |x| {
        *x == Rule::Verify(VerifyError::Rotation(RotationError::KeysDoNotCombine))
    });
    // A rotation of a key that is not in force, properly signed by its holder.
    let stranger = {
        let terms = RotationTerms {
            old_rpk: new_rpk,
            new_rpk: rpk(),
            from_height: h,
            sequence: 0,
        };
        let s = rotation::sign(&chain(&l), &terms, 1, &new_rsk.0, &mut r);
        Transaction::Rotate(RotateTx {
            terms,
            signers: vec![s],
        })
        .encode()
    };
    assert_rejected(&mut l, 12, &[stranger], |x| *x == Rule::RotationKey);

    // Height 3: the rotation (2 of 3 members) lands.
    let rot = rotation(&l, new_rpk, h, 0, &[1, 3], &mut r);
    next(&mut l, 12, std::slice::from_ref(&rot));
    assert_eq!(l.key_schedule().rpk_at(h - 1), Some(rpk()));
    assert_eq!(l.key_schedule().rpk_at(h), Some(new_rpk));
    // Single-use: the same bytes are a replay, new signatures over the same terms are out of
    // sequence, and any further rotation waits until the new key is in force.
    assert_rejected(&mut l, 13, std::slice::from_ref(&rot), |x| {
        *x == Rule::TxReplayed
    });
    let tx14 = rotation(&l, new_rpk, h, 0, &[2, 3], &mut r);
    assert_rejected(&mut l, 13, &[tx14], |x| {
        *x == Rule::RotationSequence {
            expected: 1,
            got: 0,
        }
    });
    let tx15 = rotation(&l, new_rpk, 9, 1, &[2, 3], &mut r);
    assert_rejected(&mut l, 13, &[tx15], |x| {
        *x == Rule::RotationPending { from_height: h }
    });

    // Height h − 1 = 4: the old key is still the one in force.
    let old_key_pay = pay_to_key(&l, &alice, &bob, 10, rpk(), &mut r);
    let tx3 = pay_to_key(&l, &alice, &bob, 10, new_rpk, &mut r);
    assert_rejected(&mut l, 14, &[tx3], |x| *x == Rule::WrongRegulatorKey);
    next(&mut l, 14, &[old_key_pay]);
    assert_eq!(l.status().height, h - 1);
    sync(&l, &mut alice);

    // Height h = 5: an old-key transaction is refused, a new-key one lands.
    assert_eq!(l.next_rpk(), Some(new_rpk));
    let tx4 = pay_to_key(&l, &alice, &bob, 10, rpk(), &mut r);
    assert_rejected(&mut l, 15, &[tx4], |x| *x == Rule::WrongRegulatorKey);
    let tx5 = pay_to_key(&l, &alice, &bob, 10, new_rpk, &mut r);
    next(&mut l, 15, &[tx5]);

    // The schedule is state: it survives a reopen with the same root.
    let (status, schedule) = (l.status(), l.key_schedule().clone());
    drop(l);
    let l = open(dir.path(), 8);
    assert_eq!((l.status(), l.key_schedule().clone()), (status, schedule));
    assert_eq!(l.key_schedule().entries().len(), 2);
}
