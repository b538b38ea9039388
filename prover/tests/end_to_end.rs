//! End to end with dev parameters written to disk: setup, load (with manifest checks), build,
//! prove and verify each of the four kinds; wallets scan and find exactly their notes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at the first failure

use ark_bls12_381::Fr;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::{path::PathBuf, sync::OnceLock};
use zkreg_circuits::{
    labels::label_to_field,
    merkle::{MerkleTree, TreeKind},
};
use zkreg_prover::{
    builder::{
        build_access, build_grant, build_payment, build_revoke, BuildError, GrantRequest,
        PaymentRequest,
    },
    delivery::open_grant,
    keys::{regulator_from_seed, WalletKeys},
    params::{load_proving_keys, setup, SetupMode},
    prove::Prover,
    wallet::{LedgerOutput, Wallet},
};
use zkreg_verifier::{
    params::{load_verifying_keys, ParamsError},
    Transaction, TxKind, VerifyingKeys,
};

struct Env {
    dir: PathBuf,
    prover: Prover,
    verifier: VerifyingKeys,
}

fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("zkreg-prover-test-{}", std::process::id()));
        let mut events = 0;
        setup(&dir, SetupMode::DevSeed(42), &mut |_| events += 1).expect("setup");
        assert_eq!(events, 8);
        let pks = load_proving_keys(&dir, true).expect("load pks");
        let (_, [p, g, a, r]) = load_verifying_keys(&dir, true).expect("load vks");
        Env {
            dir,
            prover: Prover::new(pks),
            verifier: VerifyingKeys::new(CHAIN, &p, &g, &a, &r).expect("vks"),
        }
    })
}

/// The chain these tests build for (a stand-in genesis hash).
const CHAIN: zkreg_verifier::ChainId = [0x5a; 32];

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// A toy ledger: the outputs of accepted payments, in order.
#[derive(Default)]
struct Outputs(Vec<LedgerOutput>, Vec<Fr>);

impl Outputs {
    fn add(&mut self, tx: &Transaction) {
        if let Transaction::Payment(p) = tx {
            for j in 0..2 {
                let pos = self.0.len() as u64;
                self.0.push(LedgerOutput {
                    pos,
                    cm: p.output_commitments[j],
                    delivery: p.deliveries[j].clone(),
                });
            }
            self.1.extend_from_slice(&p.nullifiers);
        }
    }

    fn sync(&self, w: &mut Wallet) {
        let from = w.scanned() as usize;
        w.scan(&self.0[from..], &mut |_| {}).expect("scan");
        w.mark_spent(&self.1);
    }
}

#[test]
fn payments_deposit_transfer_withdraw() {
    let e = env();
    let mut r = rng(1);
    let rpk = regulator_from_seed(&[9; 32]).public_key();
    let usd = label_to_field("USD");
    let issuer_key = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
    let issuer = Wallet::new(WalletKeys::random(&mut r));
    let mut alice = Wallet::new(WalletKeys::random(&mut r));
    let mut bob = Wallet::new(WalletKeys::random(&mut r));
    let mut ledger = Outputs::default();

    // The issuer mints 100 USD to Alice.
    let req = PaymentRequest {
        asset: usd,
        to: vec![(alice.keys.address(), 100)],
        deposit: 100,
        withdraw: 0,
        fee: 0,
        destination: vec![],
        memo: b"mint".to_vec(),
        rpk,
        chain: CHAIN,
    };
    let mut u = build_payment(&issuer, &req, &[issuer.anchor()], &mut r).expect("build mint");
    u.sign_as_issuer(&issuer_key);
    let mint = e.prover.prove(u, &mut r).expect("prove");
    e.verifier.verify(&mint).expect("mint verifies");
    let mint = Transaction::decode(&mint.encode()).expect("round trip");
    ledger.add(&mint);
    ledger.sync(&mut alice);
    ledger.sync(&mut bob);
    assert_eq!((alice.balance(usd), bob.balance(usd)), (100, 0));
    assert_eq!(alice.notes().len(), 1, "Alice finds exactly her note");
    assert!(bob.notes().is_empty());

    // Alice pays Bob 30 with a fee of 1.
    let req = PaymentRequest {
        to: vec![(bob.keys.address(), 30)],
        deposit: 0,
        fee: 1,
        memo: vec![],
        ..req
    };
    let pay = e
        .prover
        .prove(
            build_payment(&alice, &req, &[alice.anchor()], &mut r).expect("build"),
            &mut r,
        )
        .expect("prove");
    e.verifier.verify(&pay).expect("payment verifies");
    ledger.add(&pay);
    ledger.sync(&mut alice);
    ledger.sync(&mut bob);
    assert_eq!((alice.balance(usd), bob.balance(usd)), (69, 30));

    // Refusals before proving.
    let too_much = PaymentRequest {
        to: vec![(alice.keys.address(), 31)],
        fee: 0,
        ..req.clone()
    };
    assert!(matches!(
        build_payment(&bob, &too_much, &[bob.anchor()], &mut r),
        Err(BuildError::InsufficientFunds {
            needed: 31,
            available: 30
        })
    ));
    let fine = PaymentRequest {
        to: vec![(alice.keys.address(), 5)],
        fee: 0,
        ..req.clone()
    };
    assert_eq!(
        build_payment(&bob, &fine, &[Fr::from(1u64)], &mut r).err(),
        Some(BuildError::UnknownAnchor)
    );

    // A withdrawal must say where the issuer pays it out.
    let nowhere = PaymentRequest {
        to: vec![],
        withdraw: 10,
        fee: 0,
        ..req.clone()
    };
    assert_eq!(
        build_payment(&bob, &nowhere, &[bob.anchor()], &mut r).err(),
        Some(BuildError::MissingDestination)
    );

    // Bob withdraws 10 (issuer-signed); without a signature the verifier refuses.
    let wd = PaymentRequest {
        to: vec![],
        withdraw: 10,
        fee: 0,
        destination: b"bank:DE00-1234".to_vec(),
        ..req.clone()
    };
    let mut u = build_payment(&bob, &wd, &[bob.anchor()], &mut r).expect("build withdrawal");
    let unsigned = e.prover.prove(u.clone(), &mut r).expect("prove");
    assert!(
        e.verifier.verify(&unsigned).is_err(),
        "a withdrawal needs the issuer's signature"
    );
    u.sign_as_issuer(&issuer_key);
    let withdraw = e.prover.prove(u, &mut r).expect("prove");
    e.verifier.verify(&withdraw).expect("withdrawal verifies");
    ledger.add(&withdraw);
    ledger.sync(&mut bob);
    assert_eq!(bob.balance(usd), 20);
}

#[test]
fn grant_access_revoke() {
    let e = env();
    let mut r = rng(2);
    let rpk = regulator_from_seed(&[9; 32]).public_key();
    let owner = WalletKeys::random(&mut r);
    let inst = WalletKeys::random(&mut r);
    let req = GrantRequest {
        institution: inst.address(),
        dataset: label_to_field("rent-history"),
        purpose: label_to_field("credit-score"),
        expiry: 1_000_000,
        memo: vec![],
        rpk,
        chain: CHAIN,
    };
    let (u, grant) = build_grant(&owner, &req, &mut r).expect("build grant");
    let gtx = e.prover.prove(u, &mut r).expect("prove grant");
    e.verifier.verify(&gtx).expect("grant verifies");
    let Transaction::Grant(g) = &gtx else {
        panic!("grant")
    };
    // The institution opens the delivered grant.
    let received = open_grant(&inst.ivk, &g.gcm, &g.delivery).expect("institution opens the grant");
    assert_eq!(received, grant);

    let mut tree = MerkleTree::new(TreeKind::GRANTS);
    tree.append(Fr::from(77u64)).expect("room");
    let pos = tree.append(g.gcm).expect("room");
    let u = build_access(
        &CHAIN,
        &inst,
        &received,
        &tree,
        pos,
        999_000,
        b"svc:bank/nonce:1",
        rpk,
        &mut r,
    )
    .expect("build access");
    let atx = e.prover.prove(u, &mut r).expect("prove access");
    e.verifier.verify(&atx).expect("access verifies");
    let Transaction::Access(a) = &atx else {
        panic!("access")
    };
    assert_eq!(
        grant.access_tag(atx.binding(&CHAIN)),
        a.tag,
        "the owner recognises the access"
    );

    assert!(matches!(
        build_access(&CHAIN, &inst, &received, &tree, pos, 1_000_001, b"n", rpk, &mut r),
        Err(BuildError::Expired { .. })
    ));
    assert_eq!(
        build_access(&CHAIN, &owner, &received, &tree, pos, 5, b"n", rpk, &mut r).err(),
        Some(BuildError::NotInstitution)
    );

    let rtx = e
        .prover
        .prove(
            build_revoke(&CHAIN, &owner, &grant, pos, b"").expect("build revoke"),
            &mut r,
        )
        .expect("prove");
    e.verifier.verify(&rtx).expect("revoke verifies");
    assert_eq!(
        build_revoke(&CHAIN, &inst, &grant, pos, b"").err(),
        Some(BuildError::NotOwner)
    );
    tree.set(pos, zkreg_circuits::merkle::EMPTY_LEAF)
        .expect("revoke");
    assert_eq!(
        build_access(&CHAIN, &inst, &received, &tree, pos, 5, b"n", rpk, &mut r).err(),
        Some(BuildError::GrantNotInTree(pos))
    );
}

#[test]
fn parameter_files_are_checked() {
    let e = env();
    let dir = tempfile::tempdir().expect("tmp");
    copy_params(&e.dir, dir.path());
    let d = dir.path();
    assert!(matches!(
        load_verifying_keys(d, false),
        Err(ParamsError::Insecure(_))
    ));
    // Swap two verifying keys: the hash check names the file.
    std::fs::copy(d.join("grant.vk"), d.join("revoke.vk")).expect("swap");
    let Err(err) = load_verifying_keys(d, true) else {
        panic!("swapped file accepted")
    };
    assert!(err.to_string().contains("revoke.vk"), "{err}");
    // Truncate a proving key.
    let pk = std::fs::read(d.join("access.pk")).expect("read");
    std::fs::write(d.join("access.pk"), &pk[..pk.len() / 2]).expect("truncate");
    let Err(err) = load_proving_keys(d, true) else {
        panic!("truncated file accepted")
    };
    assert!(matches!(err, ParamsError::SizeMismatch { .. }), "{err}");
    // A missing manifest.
    std::fs::remove_file(d.join("manifest.json")).expect("rm");
    assert!(matches!(
        load_verifying_keys(d, true),
        Err(ParamsError::Missing(_))
    ));
}

/// Copies the pinned parameter files (not the uncompressed caches).
fn copy_params(from: &std::path::Path, to: &std::path::Path) {
    for f in std::fs::read_dir(from).expect("ls") {
        let f = f.expect("entry").path();
        if f.extension().is_some_and(|x| x == "uncompressed") {
            continue;
        }
        std::fs::copy(&f, to.join(f.file_name().expect("name"))).expect("copy");
    }
}

/// The uncompressed cache of a proving key (issue #15): the first load writes it, later loads
/// read it and get exactly the pinned key; a cache with a flipped byte, or with two valid points
/// swapped (every point on the curve, but not the pinned key), is not used: the pinned file is
/// decompressed instead and the cache rewritten.
#[test]
fn the_proving_key_cache_is_exactly_the_pinned_key() {
    use ark_serialize::CanonicalSerialize;
    use zkreg_prover::params::{load_compressed, load_manifest, load_proving_key};
    let e = env();
    let dir = tempfile::tempdir().expect("tmp");
    copy_params(&e.dir, dir.path());
    let d = dir.path();
    let m = load_manifest(d, true).expect("manifest");
    let cache = d.join("payment.pk.uncompressed");
    let pinned = load_compressed(d, &m, TxKind::Payment).expect("pinned");
    assert!(!cache.exists());
    assert_eq!(
        load_proving_key(d, &m, TxKind::Payment).expect("first"),
        pinned
    );
    let written = std::fs::read(&cache).expect("the first load writes the cache");
    assert_eq!(
        load_proving_key(d, &m, TxKind::Payment).expect("cached"),
        pinned
    );
    assert_eq!(
        std::fs::read(&cache).expect("cache"),
        written,
        "a good cache is kept"
    );

    // A cache that is not the pinned key is not used: the pinned key loads and the cache is
    // rewritten.
    let refused = |bad: &[u8]| {
        std::fs::write(&cache, bad).expect("plant");
        assert_eq!(
            load_proving_key(d, &m, TxKind::Payment).expect("fallback"),
            pinned
        );
        assert_eq!(
            std::fs::read(&cache).expect("cache"),
            written,
            "the cache is rewritten"
        );
    };
    // A flipped byte in a point.
    let mut bad = written.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 1;
    refused(&bad);
    // Two valid points swapped: on the curve, but not the pinned key.
    let mut swapped = pinned.clone();
    swapped.h_query.swap(0, 1);
    let mut raw = Vec::new();
    swapped.serialize_uncompressed(&mut raw).expect("ser");
    refused(&raw);
}
