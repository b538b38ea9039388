//! The consent flow on a real ledger with dev parameters: request validation and tampering,
//! approve → grant on the ledger → access recognised in the owner's log, deny, refusals
//! (revoked, expired, another institution's key, unknown grant), the log's exact events in
//! order, and corrupt store files named in their errors. Three proofs in all (grant, access,
//! revocation); every refusal is decided before proving.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at the first failure

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::{
    path::{Path, PathBuf},
    sync::OnceLock,
};
use tempfile::TempDir;
use zkreg_consent::{
    access, approve, deny, institution, log, revoke, store::MAX_STORE_BYTES, AccessRefused,
    AccessRequest, ConsentDir, ConsentError, ConsentRequest, Decision, FileError, GrantRef,
    LogEvent, OwnerStore, Party, Proven, RequestError, RequestTerms, RevokeRef, StoredGrant, DAY,
};
use zkreg_ledger::{genesis::RegulatorKeyEntry, ChainConfig, Genesis, Ledger};
use zkreg_prover::{
    keys::{point_to_hex, regulator_from_seed, WalletKeys},
    params::{load_proving_keys, setup, SetupMode},
    prove::Prover,
};
use zkreg_verifier::{params::Manifest, Transaction, TxId};

struct Env {
    _dir: TempDir,
    params: PathBuf,
    prover: Prover,
    manifest: Manifest,
}

/// Dev parameters, set up once per test binary (under the target directory: a static is never
/// dropped, so `cargo clean` removes them).
fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("consent-params-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("temp dir");
        let params = dir.path().to_path_buf();
        let manifest = setup(&params, SetupMode::DevSeed(11), &mut |_| {}).expect("setup");
        let prover = Prover::new(load_proving_keys(&params, true).expect("proving keys"));
        Env {
            _dir: dir,
            params,
            prover,
            manifest,
        }
    })
}

fn prover() -> &'static Prover {
    &env().prover
}

/// A fresh chain at height 0, a consent directory, and four wallets.
struct World {
    _tmp: TempDir,
    ledger: Ledger,
    dir: ConsentDir,
    alice: WalletKeys,
    bob: WalletKeys,
    lender: WalletKeys,
    other: WalletKeys,
    rng: ChaCha20Rng,
}

fn world(seed: u64) -> World {
    let e = env();
    let mut g = Genesis::new(
        "zkreg-consent-test",
        vec![RegulatorKeyEntry {
            from_height: 0,
            rpk: point_to_hex(&regulator_from_seed(&[9; 32]).public_key()),
        }],
        vec![],
        e.manifest
            .verifying_key_hashes()
            .into_iter()
            .map(|(c, h)| (c.name().to_string(), h))
            .collect(),
    );
    g.allow_insecure_keys = true;
    let tmp = tempfile::tempdir().expect("temp dir");
    let ledger = Ledger::open(
        &tmp.path().join("ledger"),
        ChainConfig::new(g).expect("genesis"),
        &e.params,
    )
    .expect("ledger");
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    World {
        dir: ConsentDir::new(tmp.path().join("consent")),
        _tmp: tmp,
        ledger,
        alice: WalletKeys::random(&mut rng),
        bob: WalletKeys::random(&mut rng),
        lender: WalletKeys::random(&mut rng),
        other: WalletKeys::random(&mut rng),
        rng,
    }
}

fn party<'a>(name: &'a str, keys: &'a WalletKeys) -> Party<'a> {
    Party { name, keys }
}

fn no_progress() -> impl FnMut(zkreg_prover::prove::ProveEvent) {
    |_| {}
}

impl World {
    /// The lender asks Alice for `dataset` for credit underwriting, for 30 days.
    fn request(&mut self, dataset: &str) -> ConsentRequest {
        let terms = RequestTerms {
            dataset,
            purpose: "credit-underwriting",
            reason: "to underwrite a loan",
            days: 30,
        };
        institution::request(
            &self.dir,
            &self.ledger,
            party("lender", &self.lender),
            &self.alice.address().encode(),
            &terms,
            &mut self.rng,
        )
        .expect("request")
    }

    /// Applies a block of `tx` at the ledger's time + 1 (the default access time); its height.
    fn submit(&mut self, tx: &Transaction) -> u64 {
        let st = self.ledger.status();
        self.ledger
            .apply_block(st.height + 1, st.time + 1, &[tx.encode()])
            .expect("block applies")
            .height
    }

    fn access(
        &mut self,
        who: &str,
        grant: &GrantRef,
        now: Option<u64>,
    ) -> Result<Transaction, ConsentError> {
        let keys = if who == "lender" {
            &self.lender
        } else {
            &self.other
        };
        let request = AccessRequest {
            nonce: "1",
            service: Some("alice-data-api"),
            now,
        };
        access(
            &self.ledger,
            prover(),
            party(who, keys),
            grant,
            &request,
            &mut self.rng,
            &mut no_progress(),
        )
        .map(|p| p.tx)
    }

    /// `who` (alice or bob) approves `req`.
    fn approve(&mut self, who: &str, req: &ConsentRequest) -> Result<Proven, ConsentError> {
        let keys = if who == "alice" {
            &self.alice
        } else {
            &self.bob
        };
        approve(
            &self.dir,
            &self.ledger,
            prover(),
            party(who, keys),
            req,
            &mut self.rng,
            &mut no_progress(),
        )
    }

    /// Alice revokes.
    fn revoke(&mut self, which: RevokeRef) -> Result<Proven, ConsentError> {
        revoke(
            &self.dir,
            &self.ledger,
            prover(),
            party("alice", &self.alice),
            &which,
            &mut self.rng,
            &mut no_progress(),
        )
    }

    fn log_events(&self) -> Vec<(u64, LogEvent, Option<TxId>)> {
        log(&self.dir, &self.ledger, party("alice", &self.alice))
            .expect("log")
            .into_iter()
            .map(|e| (e.height, e.event, e.tx_id))
            .collect()
    }
}

fn refused(r: Result<Transaction, ConsentError>) -> AccessRefused {
    match r {
        Err(ConsentError::AccessRefused(a)) => a,
        Err(e) => panic!("refused for another reason: {e}"),
        Ok(_) => panic!("access was allowed"),
    }
}

#[test]
fn requests_are_validated_and_an_altered_file_is_refused() {
    let mut w = world(1);
    let req = w.request("rent-payments");
    assert!(req.validate().is_ok());
    assert_eq!(
        w.dir.requests(),
        std::slice::from_ref(&req),
        "the inbox keeps a copy"
    );

    // Through a file and back.
    let path = w.dir.root().join("handed-over.json");
    std::fs::write(&path, serde_json::to_string(&req).expect("JSON")).expect("write");
    assert_eq!(ConsentRequest::read(&path).expect("read"), req);

    // Altered on its way: a longer duration no longer matches the id.
    let mut longer = req.clone();
    longer.days = 3650;
    assert!(matches!(longer.validate(), Err(RequestError::Altered)));
    std::fs::write(&path, serde_json::to_string(&longer).expect("JSON")).expect("write");
    let e = ConsentRequest::read(&path).expect_err("altered file");
    assert!(
        matches!(&e, ConsentError::RequestFile { path: p, error: RequestError::Altered } if p == &path),
        "{e}"
    );
    assert!(e.to_string().contains("altered"), "{e}");
    assert!(std::error::Error::source(&e).is_none(), "{e}");

    // Out-of-bound fields are refused even with a matching id.
    let with_id = |f: &dyn Fn(&mut ConsentRequest)| {
        let mut r = req.clone();
        f(&mut r);
        r.id = r.compute_id();
        r.validate()
    };
    assert!(matches!(
        with_id(&|r| r.days = 0),
        Err(RequestError::Days { days: 0, .. })
    ));
    assert!(matches!(
        with_id(&|r| r.days = u64::MAX / DAY + 1),
        Err(RequestError::Days { .. })
    ));
    assert!(matches!(
        with_id(&|r| r.purpose.clear()),
        Err(RequestError::Unnamed)
    ));
    assert!(matches!(
        with_id(&|r| r.reason = "x".repeat(5000)),
        Err(RequestError::TooLong {
            field: "reason",
            len: 5000,
            ..
        })
    ));
    assert!(matches!(
        with_id(&|r| r.owner = "zkreg1nope".into()),
        Err(RequestError::OwnerAddress(_))
    ));
    assert!(matches!(
        with_id(&|r| r.format = "other/1".into()),
        Err(RequestError::Format(f)) if f == "other/1"
    ));

    // Not JSON, an unknown field, and an oversized file: each names the file.
    for bad in [
        "{not json".to_string(),
        serde_json::to_string(&req)
            .expect("JSON")
            .replacen('{', "{\"extra\":1,", 1),
    ] {
        std::fs::write(&path, bad).expect("write");
        let e = ConsentRequest::read(&path).expect_err("not a request");
        assert!(
            matches!(&e, ConsentError::File(FileError::Corrupt { path: p, .. }) if p == &path),
            "{e}"
        );
    }
    std::fs::write(&path, " ".repeat(64 * 1024)).expect("write");
    let e = ConsentRequest::read(&path).expect_err("oversized");
    assert!(
        matches!(&e, ConsentError::File(FileError::TooLarge { path: p, .. }) if p == &path),
        "{e}"
    );

    // Only the owner it is addressed to decides; nothing is proven or stored otherwise.
    let e = w.approve("bob", &req).expect_err("bob is not the owner");
    assert!(
        matches!(&e, ConsentError::NotAddressedToYou { name, .. } if name == "bob"),
        "{e}"
    );
    let e = deny(&w.dir, &w.ledger, party("bob", &w.bob), &req, None).expect_err("bob");
    assert!(matches!(e, ConsentError::NotAddressedToYou { .. }));
    assert!(!w.dir.owner_store_path("bob").expect("name").exists());
    // A decision on an altered request is refused before anything else.
    let e = deny(&w.dir, &w.ledger, party("alice", &w.alice), &longer, None).expect_err("altered");
    assert!(matches!(e, ConsentError::Request(RequestError::Altered)));
}

#[test]
fn approve_access_revoke_and_the_log_in_order() {
    let mut w = world(2);
    let req = w.request("rent-payments");
    let alice_keys = w.alice.clone();
    let alice = party("alice", &alice_keys);

    // Approve: a grant, kept with its secret, decision logged.
    let grant = w.approve("alice", &req).expect("approve");
    let grant_id = grant.tx.id();
    let store = w.dir.owner_store("alice").expect("store");
    assert_eq!(
        store.latest_decision(&req.id),
        Some(&Decision::Approved { grant_tx: grant_id })
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(store.path())
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the store holds grant secrets");
    }
    // Approved already: neither approved again nor denied (revoke first).
    let e = w.approve("alice", &req).expect_err("twice");
    assert!(matches!(e, ConsentError::AlreadyApproved { grant_tx, .. } if grant_tx == grant_id));
    let e = deny(&w.dir, &w.ledger, alice, &req, None).expect_err("deny after approve");
    assert!(matches!(e, ConsentError::AlreadyApproved { .. }));

    // Not submitted yet: no access, nothing to revoke.
    let by_request = GrantRef::Request(Box::new(req.clone()));
    assert!(matches!(
        refused(w.access("lender", &by_request, None)),
        AccessRefused::NoGrant { request } if request == req.id
    ));
    let e = w
        .revoke(RevokeRef::GrantTx(grant_id))
        .expect_err("not on the ledger");
    assert!(matches!(e, ConsentError::GrantNotOnLedger { grant_tx } if grant_tx == grant_id));

    let grant_height = w.submit(&grant.tx);

    // Another institution's key: not its grant, not its request.
    assert!(matches!(
        refused(w.access("other", &GrantRef::Tx(grant_id), None)),
        AccessRefused::NotYourGrant { grant_tx, institution } if grant_tx == grant_id && institution == "other"
    ));
    assert!(matches!(
        refused(w.access("other", &by_request, None)),
        AccessRefused::NotYourRequest { .. }
    ));
    assert!(matches!(
        refused(w.access("lender", &GrantRef::Tx([7; 32]), None)),
        AccessRefused::UnknownGrant { grant_tx } if grant_tx == [7; 32]
    ));
    // Expired: an access time after the expiry is refused with both times.
    let expiry = store.grants[0].expiry;
    assert_eq!(expiry, 30 * DAY, "approved at time 0 for 30 days");
    assert!(matches!(
        refused(w.access("lender", &by_request, Some(expiry + 1))),
        AccessRefused::Expired { expiry: x, now } if x == expiry && now == expiry + 1
    ));

    // The lender accesses (default time: the ledger's + 1, the next block's time).
    let acc = w.access("lender", &by_request, None).expect("access");
    let access_height = w.submit(&acc);
    assert!(matches!(
        w.access("lender", &GrantRef::Tx(acc.id()), None),
        Err(ConsentError::NotAGrant { tx }) if tx == acc.id()
    ));

    // Alice's log recognises the access with her grant secret; exactly these events, in order.
    let mut expected = vec![
        (0, LogEvent::Request, None),
        (0, LogEvent::Approved, Some(grant_id)),
        (grant_height, LogEvent::GrantOnLedger, Some(grant_id)),
        (access_height, LogEvent::Access, Some(acc.id())),
    ];
    assert_eq!(w.log_events(), expected);
    let entries = log(&w.dir, &w.ledger, alice).expect("log");
    assert_eq!(entries[3].institution, "lender");
    assert!(
        entries[3].detail.contains("svc:alice-data-api/nonce:1"),
        "{}",
        entries[3].detail
    );

    // Alice revokes; the next access is refused as revoked, naming the revocation.
    let rev = w
        .revoke(RevokeRef::Request(req.id.clone()))
        .expect("revoke");
    let revoke_height = w.submit(&rev.tx);
    let e = w.access("lender", &by_request, None).expect_err("revoked");
    let text = e.to_string();
    assert!(
        matches!(
            &e,
            ConsentError::AccessRefused(AccessRefused::Revoked { height, revoke_tx, grant_tx, grant_height: gh })
                if *height == revoke_height && *revoke_tx == rev.tx.id() && *grant_tx == grant_id && *gh == grant_height
        ),
        "{e}"
    );
    assert!(
        text.starts_with("access refused") && text.contains("revoked"),
        "{text}"
    );
    // The message is whole: no source repeats it when a caller prints the chain.
    assert!(std::error::Error::source(&e).is_none(), "{e}");
    assert!(matches!(
        refused(w.access("lender", &GrantRef::Tx(grant_id), None)),
        AccessRefused::Revoked { .. }
    ));
    let e = w.revoke(RevokeRef::GrantTx(grant_id)).expect_err("twice");
    assert!(matches!(&e, ConsentError::AlreadyRevoked { request } if *request == req.id));
    assert!(e.to_string().contains("already revoked"), "{e}");

    expected.extend([
        (access_height, LogEvent::Revoked, Some(rev.tx.id())),
        (
            revoke_height,
            LogEvent::RevocationOnLedger,
            Some(rev.tx.id()),
        ),
    ]);
    assert_eq!(w.log_events(), expected);
}

#[test]
fn a_denied_request_is_logged_and_gives_nothing_to_access() {
    let mut w = world(3);
    let req = w.request("bank-statements");
    deny(
        &w.dir,
        &w.ledger,
        party("alice", &w.alice),
        &req,
        Some("no marketing".into()),
    )
    .expect("deny");
    let entries = log(&w.dir, &w.ledger, party("alice", &w.alice)).expect("log");
    let events: Vec<_> = entries.iter().map(|e| e.event).collect();
    assert_eq!(events, [LogEvent::Request, LogEvent::Denied]);
    assert_eq!(entries[1].detail, "request denied: no marketing");
    let json = serde_json::to_value(&entries).expect("JSON");
    assert_eq!(json[1]["event"], "denied");
    assert_eq!(json[0]["event"], "request");
    assert!(w.ledger.status().height == 0, "nothing went on the ledger");
    assert!(matches!(
        refused(w.access("lender", &GrantRef::Request(Box::new(req.clone())), None)),
        AccessRefused::NoGrant { .. }
    ));
    // No grant to revoke either.
    let e = w
        .revoke(RevokeRef::Request(req.id.clone()))
        .expect_err("no grant");
    assert!(matches!(&e, ConsentError::NoSuchGrant { owner } if owner == "alice"));
    // Bob's log holds nothing of it.
    assert!(log(&w.dir, &w.ledger, party("bob", &w.bob))
        .expect("log")
        .is_empty());
}

fn expect_corrupt(e: ConsentError, path: &Path) -> String {
    let text = e.to_string();
    assert!(
        matches!(&e, ConsentError::File(FileError::Corrupt { path: p, .. }) if p == path),
        "{text}"
    );
    assert!(text.contains(&path.display().to_string()), "{text}");
    text
}

#[test]
fn a_corrupt_or_oversized_store_is_named_in_the_error() {
    let mut w = world(4);
    let req = w.request("rent-payments");
    let path = w.dir.owner_store_path("alice").expect("name");
    let alice_keys = w.alice.clone();
    let alice = party("alice", &alice_keys);

    std::fs::write(&path, "{\"decisions\": [").expect("write");
    expect_corrupt(log(&w.dir, &w.ledger, alice).expect_err("corrupt"), &path);
    expect_corrupt(
        deny(&w.dir, &w.ledger, alice, &req, None).expect_err("corrupt"),
        &path,
    );

    // A grant whose secret was changed no longer opens its commitment.
    std::fs::remove_file(&path).expect("remove");
    let mut store = OwnerStore::load(&path).expect("empty store");
    let g = zkreg_circuits::grant::Grant {
        owner_id: w.alice.owner(),
        inst_id: w.lender.owner(),
        dataset: zkreg_circuits::labels::label_to_field(&req.dataset),
        purpose: zkreg_circuits::labels::label_to_field(&req.purpose),
        expiry: 99,
        gsecret: 5u64.into(),
    };
    store.grants.push(StoredGrant::new(&req, [1; 32], &g));
    store.save().expect("save");
    assert_eq!(
        OwnerStore::load(&path).expect("reload").grants,
        store.grants
    );
    let text = std::fs::read_to_string(&path).expect("read");
    let mut v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    v["grants"][0]["gsecret"] = serde_json::Value::from(format!("06{}", "0".repeat(62)));
    std::fs::write(&path, v.to_string()).expect("write");
    let text = expect_corrupt(OwnerStore::load(&path).expect_err("tampered").into(), &path);
    assert!(text.contains("does not open its commitment"), "{text}");

    // An oversized file is refused before it is parsed.
    let f = std::fs::File::create(&path).expect("create");
    f.set_len(MAX_STORE_BYTES + 1).expect("grow");
    let e = log(&w.dir, &w.ledger, alice).expect_err("oversized");
    assert!(
        matches!(&e, ConsentError::File(FileError::TooLarge { path: p, .. }) if p == &path),
        "{e}"
    );

    // A name that cannot be a file name is refused.
    assert!(matches!(
        w.dir.owner_store_path("../evil"),
        Err(FileError::InvalidName(_))
    ));
}
