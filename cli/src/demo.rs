//! `zkreg demo`: the whole story in one process, each step checked.

use crate::{
    audit::{self, Row},
    consent::{self, GrantRef, RevokeRef},
    home::{non_empty_dir, Home, Session},
    keys_cmd, ledger_cmd, params_cmd,
    pay::{self, PayArgs},
    progress, util,
};
use anyhow::{anyhow, bail, Result};
use rand::rngs::OsRng;
use std::{collections::HashMap, path::PathBuf, time::Instant};
use zkreg_circuits::labels::label_to_field;
use zkreg_prover::{
    builder::build_access,
    delivery::open_grant,
    keys::{KeyKind, WalletKeys},
};
use zkreg_regulator::{disclosure, export};
use zkreg_verifier::Transaction;

const DEV_SEED: u64 = 1;
const USD: &str = "USD";
const DATASET: &str = "rent-payments";
const PURPOSE: &str = "credit-underwriting";

fn check(ok: bool, what: impl FnOnce() -> String) -> Result<()> {
    if ok {
        Ok(())
    } else {
        bail!("demo step failed: {}", what())
    }
}

struct Demo {
    s: Session,
    step: usize,
    names: HashMap<String, String>,
}

impl Demo {
    fn say(&mut self, text: &str) {
        self.step += 1;
        println!("\n{}. {text}", self.step);
    }

    fn submit(&mut self, label: &str, tx: &Transaction) -> Result<u64> {
        let bytes = tx.encode();
        let b = ledger_cmd::submit(&mut self.s, &[(label.to_string(), bytes, tx.clone())], None)?;
        println!(
            "   block {} accepted ({} tx {}, state root {})",
            b.height,
            tx.kind().name(),
            util::short(&util::id_hex(&tx.id())),
            util::short(&hex::encode(b.state_root))
        );
        Ok(b.height)
    }

    fn balance(&mut self, name: &str) -> Result<u128> {
        let w = pay::scan(&mut self.s, name, 0, false)?;
        Ok(w.balance(label_to_field(USD)))
    }

    fn who(&self, owner_hex: Option<&serde_json::Value>) -> String {
        let h = audit::cell(owner_hex);
        self.names
            .get(&h)
            .cloned()
            .unwrap_or_else(|| format!("{}…", util::short(&h)))
    }
}

/// Runs the demo on `home` (must be empty or absent) or on a fresh temporary directory.
pub fn run(home_flag: Option<PathBuf>) -> Result<()> {
    let t0 = Instant::now();
    let mut _tmp = None;
    let home = match home_flag {
        Some(root) => {
            if non_empty_dir(&root) {
                bail!(
                    "the demo needs a fresh home, but {} is not empty (omit --home to use a temporary one)",
                    root.display()
                );
            }
            Home { root }
        }
        None => {
            let t = tempfile::Builder::new()
                .prefix("zkreg-demo-")
                .tempdir()
                .map_err(|e| anyhow!("cannot create a temporary directory: {e}"))?;
            let root = t.path().join("home");
            _tmp = Some(t);
            Home { root }
        }
    };
    println!("zkreg demo in {}", home.root.display());

    let mut d = Demo {
        s: Session::new(home.clone()),
        step: 0,
        names: HashMap::new(),
    };

    d.say("Setting up: Groth16 keys for the four circuits (dev seed: INSECURE, for demos only).");
    let t = Instant::now();
    let manifest = params_cmd::run_setup(&home, Some(DEV_SEED), false, false)?;
    let c = |n| {
        manifest
            .keys
            .iter()
            .find(|k| k.file == n)
            .map(|k| k.constraints)
            .unwrap_or(0)
    };
    println!(
        "   done in {:.1} s: payment {} constraints, grant {}, access {}, revoke {}",
        t.elapsed().as_secs_f64(),
        c("payment.pk"),
        c("grant.pk"),
        c("access.pk"),
        c("revoke.pk")
    );
    for (name, kind) in [
        ("regulator", KeyKind::Regulator),
        ("bank", KeyKind::Issuer),
        ("alice", KeyKind::Wallet),
        ("bob", KeyKind::Wallet),
        ("lender", KeyKind::Wallet),
    ] {
        let f = keys_cmd::new_key(&home, kind, name)?;
        if kind == KeyKind::Wallet {
            let w = f.wallet().map_err(|e| anyhow!("{e}"))?;
            d.names.insert(util::fr_hex(&w.owner()), name.to_string());
        }
    }
    println!("   keys: regulator, bank (issuer of USD), alice, bob, lender (an institution)");
    let config = ledger_cmd::init(
        &home,
        &ledger_cmd::InitOptions {
            regulator: Some("regulator".into()),
            issuers: vec![format!("{USD}=bank")],
            allow_insecure_keys: true,
            genesis: None,
            node: None,
            chain_id: "zkreg-demo".into(),
            anchor_window: 64,
            time_tolerance: 600,
        },
    )?;
    println!(
        "   ledger initialised: chain {:?}, genesis {}",
        config.genesis.chain_id,
        util::short(&hex::encode(config.hash))
    );
    let alice_addr = home.wallet("alice")?.address();
    let bob_addr = home.wallet("bob")?.address();
    let bank = home.issuer("bank")?;

    d.say("The issuer (bank) mints 100 USD to Alice.");
    let minter = WalletKeys::random(&mut OsRng);
    d.names
        .insert(util::fr_hex(&minter.owner()), "(issuer)".into());
    let b = pay::build(
        &mut d.s,
        pay::From::Keys(minter),
        &PayArgs {
            asset: USD,
            to: Some(alice_addr),
            amount: 100,
            deposit: 100,
            withdraw: 0,
            fee: 0,
            destination: Vec::new(),
            issuer: Some(&bank),
        },
        false,
    )?;
    println!(
        "   deposit signed by the bank and proved in {:.2} s",
        b.prove_secs
    );
    let mint_id = util::id_hex(&b.tx.id());
    d.submit("mint", &b.tx)?;
    let a = d.balance("alice")?;
    println!("   Alice's wallet scans the ledger and finds {a} USD");
    check(a == 100, || {
        format!("Alice should hold 100 USD, she holds {a}")
    })?;

    d.say("Alice pays Bob 30 USD (private: no amount, asset or party is public).");
    let b = pay::build(
        &mut d.s,
        pay::From::Wallet {
            name: "alice",
            account: 0,
        },
        &PayArgs {
            asset: USD,
            to: Some(bob_addr),
            amount: 30,
            deposit: 0,
            withdraw: 0,
            fee: 0,
            destination: Vec::new(),
            issuer: None,
        },
        false,
    )?;
    println!("   proved in {:.2} s", b.prove_secs);
    let pay_id = util::id_hex(&b.tx.id());
    d.submit("alice pays bob", &b.tx)?;
    let (a, bb) = (d.balance("alice")?, d.balance("bob")?);
    println!("   balances: Alice {a} USD, Bob {bb} USD");
    check(a == 70 && bb == 30, || {
        format!("expected Alice 70 and Bob 30, got {a} and {bb}")
    })?;

    d.say("Bob withdraws 10 USD to his bank account (the bank signs the withdrawal).");
    let b = pay::build(
        &mut d.s,
        pay::From::Wallet {
            name: "bob",
            account: 0,
        },
        &PayArgs {
            asset: USD,
            to: None,
            amount: 0,
            deposit: 0,
            withdraw: 10,
            fee: 0,
            destination: b"IBAN DE00 1234 5678".to_vec(),
            issuer: Some(&bank),
        },
        false,
    )?;
    println!("   proved in {:.2} s", b.prove_secs);
    d.submit("bob withdraws", &b.tx)?;
    let bb = d.balance("bob")?;
    println!("   Bob now holds {bb} USD");
    check(bb == 20, || {
        format!("Bob should hold 20 USD, he holds {bb}")
    })?;

    d.say(&format!(
        "A lender asks Alice for her {DATASET:?} data, for {PURPOSE:?}, for 30 days."
    ));
    let req = consent::request(
        &mut d.s,
        "lender",
        &alice_addr.encode(),
        DATASET,
        PURPOSE,
        "to underwrite a loan from your rent history",
        30,
    )?;
    println!(
        "   request {} (a JSON file the lender hands to Alice)",
        req.id
    );

    d.say("Alice approves: her wallet proves a grant and delivers its secret to the lender.");
    let b = consent::approve(&mut d.s, "alice", &req)?;
    println!("   grant proved in {:.2} s", b.prove_secs);
    let grant_tx = b.tx.clone();
    d.submit("grant", &b.tx)?;

    d.say("The lender accesses the data: it proves it holds a valid grant without showing which.");
    let b = consent::access(
        &mut d.s,
        "lender",
        &GrantRef::Request(Box::new(req.clone())),
        "1",
        None,
        Some("alice-data-api"),
    )?;
    println!("   access proved in {:.2} s", b.prove_secs);
    d.submit("access", &b.tx)?;
    let log = consent::log(&mut d.s, "alice")?;
    let seen = log
        .iter()
        .filter(|e| e.event == zkreg_consent::LogEvent::Access)
        .count();
    println!("   Alice's consent log recognises the access (she recomputes its tag with her grant secret):");
    consent::print_log(&log);
    check(seen == 1, || {
        format!("Alice's log should show 1 access, it shows {seen}")
    })?;

    // Keep the grant tree as it was before the revocation, to show the ledger refuses it too.
    let old_tree = d.s.ledger()?.grant_tree();

    d.say("Alice changes her mind and revokes the grant.");
    let b = consent::revoke(&mut d.s, "alice", &RevokeRef::Request(req.id.clone()))?;
    println!("   revocation proved in {:.2} s", b.prove_secs);
    d.submit("revoke", &b.tx)?;

    d.say("The lender tries to access again and is refused.");
    match consent::access(
        &mut d.s,
        "lender",
        &GrantRef::Request(Box::new(req.clone())),
        "2",
        None,
        Some("alice-data-api"),
    ) {
        Ok(_) => bail!("demo step failed: an access after the revocation was allowed"),
        Err(e) => println!("   refused by the lender's own wallet: {e:#}"),
    }
    // A dishonest lender proves against the grant tree from before the revocation.
    let Transaction::Grant(g) = &grant_tx else {
        bail!("internal: not a grant");
    };
    let lender = home.wallet("lender")?;
    let grant = open_grant(&lender.ivk, &g.gcm, &g.delivery)
        .ok_or_else(|| anyhow!("demo step failed: the lender cannot open its grant"))?;
    let rpk = d.s.next_rpk()?;
    let now = d.s.ledger()?.status().time + 1;
    let pos = (0..old_tree.len())
        .find(|p| old_tree.leaf(*p) == Some(g.gcm))
        .ok_or_else(|| anyhow!("internal: grant not in the old tree"))?;
    let chain = d.s.chain()?;
    let u = build_access(
        &chain, &lender, &grant, &old_tree, pos, now, b"nonce:3", rpk, &mut OsRng,
    )
    .map_err(|e| anyhow!("{e}"))?;
    let (stale, _) = progress::prove(d.s.prover(zkreg_verifier::TxKind::Access)?, u, &mut OsRng)?;
    match ledger_cmd::submit(
        &mut d.s,
        &[("stale access".into(), stale.encode(), stale)],
        None,
    ) {
        Ok(_) => bail!(
            "demo step failed: the ledger accepted an access against a pre-revocation grant root"
        ),
        Err(e) => println!("   a proof against the old grant tree is refused by the ledger: {e:#}"),
    }

    d.say("The regulator decrypts the whole audit trail with its key.");
    let height = d.s.ledger()?.status().height;
    let rsk = home.regulator("regulator")?;
    let labels = audit::home_labels(&mut d.s, &[])?;
    let rows = export::rows(&export::decrypt_range(
        d.s.ledger()?,
        &rsk,
        1,
        height,
        &labels,
    )?);
    print_table(&d, &rows);
    check(rows.len() == 6, || {
        format!("expected 6 audit records, got {}", rows.len())
    })?;
    let pay_row = rows
        .iter()
        .find(|r| audit::cell(r.get("tx_id")) == pay_id)
        .ok_or_else(|| anyhow!("demo step failed: the payment is missing from the audit"))?;
    check(
        audit::cell(pay_row.get("cm_in_0_tx")) == mint_id
            || audit::cell(pay_row.get("cm_in_1_tx")) == mint_id,
        || "the payment's spent note should link to the mint".into(),
    )?;
    check(
        d.who(pay_row.get("owner_in")) == "alice"
            && audit::cell(pay_row.get("value_out_0")) == "30",
        || "the regulator should read Alice paying 30".into(),
    )?;
    println!(
        "   the payment's spent note links to the mint tx {}",
        util::short(&mint_id)
    );

    d.say("The regulator discloses Alice's payment to a court, with a proof that the decryption is honest.");
    let labels = audit::home_labels(&mut d.s, &[])?;
    let disc = disclosure::disclose(
        d.s.ledger()?,
        &rsk,
        &util::id_from_hex(&pay_id)?,
        &labels,
        &mut OsRng,
    )?;
    let path = home.root.join("disclosure.json");
    util::write(&path, serde_json::to_string_pretty(&disc)?.as_bytes())?;
    println!("   written to {}", path.display());
    audit::verify_disclosure(&mut d.s, &disc)?;
    println!("   verified WITHOUT the regulator key: Chaum–Pedersen proof, genesis RPK, and every field re-decrypted from S");
    let mut forged = disc.clone();
    forged
        .record
        .insert("value_out_0".into(), serde_json::json!(3000));
    match audit::verify_disclosure(&mut d.s, &forged) {
        Ok(_) => bail!("demo step failed: a disclosure with an altered amount verified"),
        Err(e) => println!("   a copy with an altered amount is rejected: {e:#}"),
    }

    committee_and_rotation(&mut d, &home, &rsk)?;

    println!(
        "\nAll {} steps behaved as stated ({:.1} s in all).",
        d.step,
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A supervisor, a central bank and a court take over oversight: a 2-of-3 key generation (no
/// one holds the key), a rotation to the committee's key signed by the old key, a payment under
/// the new key, and two of the three members decrypting it (one alone cannot).
fn committee_and_rotation(
    d: &mut Demo,
    home: &Home,
    rsk: &zkreg_circuits::audit::RegulatorSecretKey,
) -> Result<()> {
    use zkreg_regulator::committee::{self, Committee};
    d.say("Oversight passes to a committee: a supervisor, a central bank and a court generate a 2-of-3 key together; no one of them ever holds it.");
    let members = ["supervisor", "central-bank", "court"];
    let mut keys = Vec::new();
    for name in members {
        keys_cmd::new_key(home, KeyKind::Member, name)?;
        keys.push(home.member(name)?);
    }
    let cards = keys
        .iter()
        .zip(1u16..)
        .zip(members)
        .map(|((k, i), name)| k.card(i, name))
        .collect();
    let c = Committee::new(2, cards)?;
    let deals = keys
        .iter()
        .zip(1u16..)
        .map(|(k, i)| committee::deal(&c, k, i, &mut OsRng))
        .collect::<Result<Vec<_>, _>>()?;
    let shares = keys
        .iter()
        .zip(1u16..)
        .map(|(k, i)| committee::finish(&c, k, i, &deals))
        .collect::<Result<Vec<_>, _>>()?;
    let key = shares[0].key.clone();
    check(shares.iter().all(|s| s.key == key), || {
        "every member should derive the same committee key".into()
    })?;
    let rpk_c = key.rpk()?;
    println!(
        "   3 deals exchanged and checked (Feldman commitments, signed); every member derives RPK {}",
        util::short(&key.rpk)
    );

    d.say("The regulator rotates the chain's key to the committee's, from the block after the rotation (a transaction the old key signs).");
    let height = d.s.ledger()?.status().height;
    let from = height + 2;
    let terms = committee::rotation_terms(d.s.ledger()?, rpk_c, from)?;
    let chain = d.s.chain()?;
    let sig = committee::RotationSignatureFile::sign(&chain, &terms, 1, &rsk.0, &mut OsRng);
    let rot = committee::assemble_rotation(&[sig])?;
    d.submit("rotation", &rot)?;
    println!("   from height {from} every transaction must encrypt its audit record to the committee's key; records before stay with the old key");

    d.say("Bob pays Alice 5 USD: his wallet encrypts the audit record to the key in force, the committee's.");
    let alice_addr = home.wallet("alice")?.address();
    let b = pay::build(
        &mut d.s,
        pay::From::Wallet {
            name: "bob",
            account: 0,
        },
        &PayArgs {
            asset: USD,
            to: Some(alice_addr),
            amount: 5,
            deposit: 0,
            withdraw: 0,
            fee: 0,
            destination: Vec::new(),
            issuer: None,
        },
        false,
    )?;
    let h = d.submit("bob pays alice", &b.tx)?;
    check(h == from, || {
        format!("the payment should land at {from}, not {h}")
    })?;
    let labels = audit::home_labels(&mut d.s, &[])?;
    let old = export::decrypt_range(d.s.ledger()?, rsk, h, h, &labels);
    match old {
        Ok(_) => bail!("demo step failed: the old key opened a record of the committee's key"),
        Err(e) => println!("   the old regulator key cannot read it: {e}"),
    }

    d.say("The central bank and the court decrypt it together (2 of 3; the supervisor is away). Each sends decryption shares with a proof; the shares combine.");
    let files = [1usize, 2]
        .iter()
        .map(|&m| {
            let f = committee::shares_for_range(d.s.ledger()?, &shares[m], h, h, &mut OsRng)?;
            let text = serde_json::to_string(&f)?;
            Ok(committee::ShareFile::parse(&text, &key)?)
        })
        .collect::<Result<Vec<_>>>()?;
    let (points, rejected) = committee::combine_range(d.s.ledger()?, &key, &files, h, h)?;
    check(rejected.is_empty(), || "no share should be rejected".into())?;
    let labels = audit::home_labels(&mut d.s, &[])?;
    let opener = export::Opener::Points {
        rpk: rpk_c,
        points: &points,
    };
    let rows = export::rows(&export::decrypt_range_with(
        d.s.ledger()?,
        &opener,
        h,
        h,
        &labels,
    )?);
    print_table(d, &rows);
    check(
        rows.len() == 1
            && d.who(rows[0].get("owner_in")) == "bob"
            && audit::cell(rows[0].get("value_out_0")) == "5",
        || "the committee should read Bob paying 5".into(),
    )?;
    match committee::combine_range(d.s.ledger()?, &key, &files[..1], h, h) {
        Ok(_) => bail!("demo step failed: one member alone decrypted"),
        Err(e) => println!("   one member alone cannot: {e}"),
    }
    Ok(())
}

fn print_table(d: &Demo, rows: &[Row]) {
    println!(
        "   {:>6}  {:8} {:12}  what the regulator reads",
        "height", "kind", "tx"
    );
    for r in rows {
        let kind = audit::cell(r.get("kind"));
        let what = match kind.as_str() {
            "payment" => {
                let mut outs = Vec::new();
                for i in 0..2 {
                    let v = audit::cell(r.get(&format!("value_out_{i}")));
                    if v != "0" {
                        outs.push(format!("{} {v}", d.who(r.get(&format!("owner_out_{i}")))));
                    }
                }
                let mut s = format!(
                    "{} {}: {} → {}",
                    audit::cell(r.get("asset")),
                    "payment",
                    d.who(r.get("owner_in")),
                    if outs.is_empty() {
                        "nobody".into()
                    } else {
                        outs.join(", ")
                    }
                );
                for (k, word) in [("deposit", "deposit"), ("withdrawal", "withdrawal")] {
                    let v = audit::cell(r.get(k));
                    if !v.is_empty() && v != "0" {
                        s.push_str(&format!(" ({word} {v}"));
                        if k == "withdrawal" {
                            s.push_str(&format!(" to {:?}", audit::cell(r.get("destination"))));
                        }
                        s.push(')');
                    }
                }
                s
            }
            "grant" => format!(
                "{} grants {} {} for {} until t={}",
                d.who(r.get("owner_id")),
                d.who(r.get("inst_id")),
                audit::cell(r.get("dataset")),
                audit::cell(r.get("purpose")),
                audit::cell(r.get("expiry"))
            ),
            "access" => format!(
                "{} accesses {}'s {} for {} at t={}",
                d.who(r.get("inst_id")),
                d.who(r.get("owner_id")),
                audit::cell(r.get("dataset")),
                audit::cell(r.get("purpose")),
                audit::cell(r.get("now"))
            ),
            _ => format!(
                "grant #{} revoked (grant tx {})",
                audit::cell(r.get("grant_pos")),
                util::short(&audit::cell(r.get("grant_tx")))
            ),
        };
        println!(
            "   {:>6}  {:8} {:12}  {what}",
            audit::cell(r.get("height")),
            kind,
            util::short(&audit::cell(r.get("tx_id")))
        );
    }
}
