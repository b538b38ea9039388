//! A chain whose regulator becomes a committee: genesis key (one party) → rotation to a 2-of-3
//! committee (DKG) → rotation, signed by 2 of those 3, to a 3-of-5 committee. Each committee
//! decrypts every record of its heights exactly as a single key does; t − 1 shares fail; a share
//! with a wrong proof is rejected and its member named; the old key still opens the old records.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at the first failure

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::sync::OnceLock;
use zkreg_benches::workload::{issuer, regulator, Keys};
use zkreg_circuits::{
    audit::RegulatorSecretKey, ecc::JubjubAffine, ecc::JubjubScalar, labels::label_to_field,
};
use zkreg_ledger::{Ledger, LedgerError, Rule};
use zkreg_prover::{
    builder::{build_grant, build_payment, GrantRequest, PaymentRequest},
    keys::WalletKeys,
    wallet::{LedgerOutput, Wallet},
};
use zkreg_regulator::{
    committee::{
        self, combine_range, interpolate_secret, rotation_terms, shares_for_range, Committee,
        CommitteeError, Deal, MemberKey, MemberShare, RangeError, RotationSignatureFile, ShareFile,
    },
    export::{self, Opener},
    AuditError, Labels, Record,
};
use zkreg_verifier::{Transaction, TxId};

/// A committee after a DKG: its members' shares (all share the committee key).
fn dkg(t: u16, n: u16, seed: u8, r: &mut ChaCha20Rng) -> Vec<MemberShare> {
    let keys: Vec<MemberKey> = (1..=n)
        .map(|i| MemberKey::from_seed([seed + i as u8; 32]))
        .collect();
    let cards = keys
        .iter()
        .zip(1..)
        .map(|(k, i)| k.card(i, &format!("member {i}")))
        .collect();
    let c = Committee::new(t, cards).unwrap();
    let deals: Vec<Deal> = keys
        .iter()
        .zip(1..)
        .map(|(k, i)| committee::deal(&c, k, i, r).unwrap())
        .collect();
    keys.iter()
        .zip(1..)
        .map(|(k, i)| committee::finish(&c, k, i, &deals).unwrap())
        .collect()
}

/// The secret a committee never computes, for the single-key comparison only.
fn secret_of(shares: &[MemberShare]) -> RegulatorSecretKey {
    let t = usize::from(shares[0].key.threshold);
    let xs: Vec<(u16, JubjubScalar)> = shares
        .iter()
        .take(t)
        .map(|s| (s.index, s.secret().unwrap()))
        .collect();
    RegulatorSecretKey(interpolate_secret(&xs).unwrap())
}

struct Chain {
    _dir: tempfile::TempDir,
    ledger: Ledger,
    single: RegulatorSecretKey,
    a: Vec<MemberShare>,
    b: Vec<MemberShare>,
    /// Heights: 1..=2 genesis key, 3..=5 committee A, 6..=7 committee B.
    ranges: [(u64, u64); 3],
}

fn chain() -> &'static Chain {
    static CHAIN: OnceLock<Chain> = OnceLock::new();
    CHAIN.get_or_init(build)
}

fn build() -> Chain {
    let keys = Keys::dev().expect("dev keys");
    let config = keys.genesis().expect("genesis");
    let chain_id = config.hash;
    let dir = tempfile::Builder::new()
        .prefix("zkreg-committee-test-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("tempdir");
    let mut ledger = Ledger::open_with_keys(dir.path(), config, keys.vks.clone()).expect("open");
    let mut r = ChaCha20Rng::seed_from_u64(31);
    let single = regulator();
    let a = dkg(2, 3, 10, &mut r);
    let b = dkg(3, 5, 40, &mut r);
    let (rpk_a, rpk_b) = (a[0].key.rpk().unwrap(), b[0].key.rpk().unwrap());

    let alice_keys = WalletKeys::random(&mut r);
    let bob = WalletKeys::random(&mut r);
    let mut alice = Wallet::new(alice_keys.clone());
    let apply = |l: &mut Ledger, txs: Vec<Transaction>| {
        let h = l.status().height + 1;
        let bytes: Vec<Vec<u8>> = txs.iter().map(Transaction::encode).collect();
        l.apply_block(h, h, &bytes).expect("block applies");
        txs
    };
    let pay = |l: &Ledger,
               w: &Wallet,
               to: &WalletKeys,
               amount: u64,
               deposit: u64,
               rpk: JubjubAffine,
               r: &mut ChaCha20Rng| {
        let req = PaymentRequest {
            asset: label_to_field("USD"),
            to: vec![(to.address(), amount)],
            deposit,
            withdraw: 0,
            fee: 0,
            destination: vec![],
            memo: vec![],
            rpk,
            chain: chain_id,
        };
        let mut u = build_payment(w, &req, &l.accepted_anchors(), r).expect("build");
        if deposit > 0 {
            u.sign_as_issuer(&issuer());
        }
        keys.prover.prove(u, r).expect("prove")
    };
    let minter = Wallet::new(WalletKeys::random(&mut r));
    let rotate = |l: &Ledger,
                  new: JubjubAffine,
                  from: u64,
                  signers: &[(u16, JubjubScalar)],
                  r: &mut ChaCha20Rng| {
        let terms = rotation_terms(l, new, from).expect("terms");
        let files: Vec<RotationSignatureFile> = signers
            .iter()
            .map(|(i, x)| RotationSignatureFile::sign(&chain_id, &terms, *i, x, r))
            .collect();
        committee::assemble_rotation(&files).expect("rotation")
    };

    // 1: a mint to Alice (genesis key); 2: the single key rotates to committee A from height 3.
    let m = pay(
        &ledger,
        &minter,
        &alice_keys,
        100,
        100,
        single.public_key(),
        &mut r,
    );
    let mint = apply(&mut ledger, vec![m]);
    let sync = |l: &Ledger, w: &mut Wallet| {
        let outs: Vec<LedgerOutput> = l
            .outputs_from(w.scanned())
            .unwrap()
            .into_iter()
            .map(|o| LedgerOutput {
                pos: o.pos,
                cm: o.cm,
                delivery: o.delivery,
            })
            .collect();
        w.scan(&outs, &mut |_| {}).unwrap();
        w.mark_spent(&l.nullifiers().unwrap());
    };
    let _ = mint;
    sync(&ledger, &mut alice);
    let rot = rotate(&ledger, rpk_a, 3, &[(1, single.0)], &mut r);
    apply(&mut ledger, vec![rot]);
    // 3: Alice pays Bob (committee A); 4: a grant; 5: committee A (members 1 and 3) rotates
    // to committee B from height 6, in the same block as a mint.
    let p = pay(&ledger, &alice, &bob, 30, 0, rpk_a, &mut r);
    apply(&mut ledger, vec![p]);
    sync(&ledger, &mut alice);
    let req = GrantRequest {
        institution: bob.address(),
        dataset: label_to_field("rent-payments"),
        purpose: label_to_field("credit-underwriting"),
        expiry: 1_000,
        memo: vec![],
        rpk: rpk_a,
        chain: chain_id,
    };
    let (u, _) = build_grant(&alice_keys, &req, &mut r).expect("grant");
    apply(
        &mut ledger,
        vec![keys.prover.prove(u, &mut r).expect("prove")],
    );
    let signers: Vec<(u16, JubjubScalar)> = [&a[0], &a[2]]
        .iter()
        .map(|s| (s.index, s.secret().unwrap()))
        .collect();
    let rot = rotate(&ledger, rpk_b, 6, &signers, &mut r);
    let m = pay(&ledger, &minter, &bob, 5, 5, rpk_a, &mut r);
    apply(&mut ledger, vec![rot, m]);
    // 6, 7: payments to committee B.
    let p = pay(&ledger, &alice, &bob, 20, 0, rpk_b, &mut r);
    apply(&mut ledger, vec![p]);
    sync(&ledger, &mut alice);
    let m = pay(&ledger, &minter, &alice_keys, 7, 7, rpk_b, &mut r);
    apply(&mut ledger, vec![m]);
    Chain {
        _dir: dir,
        ledger,
        single,
        a,
        b,
        ranges: [(1, 2), (3, 5), (6, 7)],
    }
}

fn labels() -> Labels {
    Labels::of_chain(chain().ledger.config())
}

/// The export a committee makes from the share files of `members`.
fn committee_export(
    shares: &[MemberShare],
    members: &[usize],
    range: (u64, u64),
) -> Result<Vec<Record>, RangeError> {
    let c = chain();
    let mut r = ChaCha20Rng::seed_from_u64(5);
    let key = &shares[0].key;
    let files: Vec<Vec<(TxId, committee::DecryptionShare)>> = members
        .iter()
        .map(|&m| {
            let f = shares_for_range(&c.ledger, &shares[m], range.0, range.1, &mut r).unwrap();
            ShareFile::parse(&serde_json::to_string(&f).unwrap(), key).unwrap()
        })
        .collect();
    let (points, rejected) = combine_range(&c.ledger, key, &files, range.0, range.1)?;
    assert!(rejected.is_empty());
    let opener = Opener::Points {
        rpk: key.rpk().unwrap(),
        points: &points,
    };
    Ok(export::decrypt_range_with(&c.ledger, &opener, range.0, range.1, &labels()).unwrap())
}

#[test]
fn committees_decrypt_every_record_exactly_as_a_single_key_does() {
    let c = chain();
    let [old, ra, rb] = c.ranges;
    // The genesis key still opens its heights (the rotation does not touch old records).
    let before = export::decrypt_range(&c.ledger, &c.single, old.0, old.1, &labels()).unwrap();
    assert_eq!(before.len(), 1); // the mint; the rotation has no audit record
    for (shares, range, subsets) in [
        (
            &c.a,
            ra,
            vec![vec![0, 1], vec![1, 2], vec![0, 2], vec![0, 1, 2]],
        ),
        (
            &c.b,
            rb,
            vec![
                vec![0, 1, 2],
                vec![2, 3, 4],
                vec![0, 2, 4],
                vec![0, 1, 2, 3, 4],
            ],
        ),
    ] {
        let single =
            export::decrypt_range(&c.ledger, &secret_of(shares), range.0, range.1, &labels())
                .unwrap();
        assert!(!single.is_empty());
        for members in subsets {
            assert_eq!(
                committee_export(shares, &members, range).unwrap(),
                single,
                "members {members:?}"
            );
        }
        // t − 1 members: refused, for that reason.
        let t = usize::from(shares[0].key.threshold);
        let fewer: Vec<usize> = (0..t - 1).collect();
        assert!(matches!(
            committee_export(shares, &fewer, range),
            Err(RangeError::Committee(CommitteeError::NotEnoughShares { valid, needed, .. }))
                if valid == t - 1 && needed == t
        ));
    }
    // A committee's key does not open another key's heights.
    let wrong = export::decrypt_range(&c.ledger, &secret_of(&c.a), rb.0, rb.1, &labels());
    assert!(matches!(wrong, Err(AuditError::WrongKey { .. })));
}

#[test]
fn a_share_with_a_wrong_proof_is_rejected_and_its_member_named() {
    let c = chain();
    let [_, ra, _] = c.ranges;
    let key = &c.a[0].key;
    let mut r = ChaCha20Rng::seed_from_u64(6);
    let mut files: Vec<Vec<(TxId, committee::DecryptionShare)>> =
        c.a.iter()
            .map(|s| {
                let f = shares_for_range(&c.ledger, s, ra.0, ra.1, &mut r).unwrap();
                ShareFile::parse(&serde_json::to_string(&f).unwrap(), key).unwrap()
            })
            .collect();
    // Member 2 answers one record with member 3's point under its own index: its proof fails.
    let (victim, _) = files[1][0];
    files[1][0].1.point = files[2][0].1.point;
    let (points, rejected) = combine_range(&c.ledger, key, &files, ra.0, ra.1).unwrap();
    assert_eq!(rejected, vec![(victim, vec![2])]);
    // With members 1 and 3 left the record still opens, exactly.
    let opener = Opener::Points {
        rpk: key.rpk().unwrap(),
        points: &points,
    };
    let single = export::decrypt_range(&c.ledger, &secret_of(&c.a), ra.0, ra.1, &labels()).unwrap();
    assert_eq!(
        export::decrypt_range_with(&c.ledger, &opener, ra.0, ra.1, &labels()).unwrap(),
        single
    );
    // With only members 1 and 2, that record has one valid share: refused, member 2 named.
    assert!(matches!(
        combine_range(&c.ledger, key, &files[..2], ra.0, ra.1),
        Err(RangeError::Committee(CommitteeError::NotEnoughShares { tx_id, valid: 1, needed: 2, bad }))
            if tx_id == victim && bad == vec![2]
    ));
}

#[test]
fn the_old_committee_cannot_rotate_again_and_the_schedule_is_the_chain_s() {
    let c = chain();
    let s = c.ledger.key_schedule();
    assert_eq!(
        s.entries().iter().map(|e| e.0).collect::<Vec<_>>(),
        vec![0, 3, 6]
    );
    assert_eq!(s.rpk_at(7), Some(c.b[0].key.rpk().unwrap()));
    // Committee A (no longer in force) signs a rotation with the right sequence: refused.
    let mut r = ChaCha20Rng::seed_from_u64(8);
    let mut terms = rotation_terms(&c.ledger, c.single.public_key(), 20).unwrap();
    assert_eq!(terms.sequence, 2);
    terms.old_rpk = c.a[0].key.rpk().unwrap();
    let files: Vec<RotationSignatureFile> = [&c.a[0], &c.a[1]]
        .iter()
        .map(|m| {
            RotationSignatureFile::sign(
                &c.ledger.config().hash,
                &terms,
                m.index,
                &m.secret().unwrap(),
                &mut r,
            )
        })
        .collect();
    let tx = committee::assemble_rotation(&files).unwrap();
    let h = c.ledger.status().height + 1;
    match c.ledger.check_tx(&tx.encode(), h) {
        Err(LedgerError::Rejected(rej)) => assert_eq!(rej.rule, Rule::RotationKey),
        other => panic!("not refused for its key: {other:?}"),
    }
    // Two of committee B's five cannot sign for it (threshold 3).
    let terms = rotation_terms(&c.ledger, c.single.public_key(), 20).unwrap();
    let files: Vec<RotationSignatureFile> = [&c.b[0], &c.b[1]]
        .iter()
        .map(|m| {
            RotationSignatureFile::sign(
                &c.ledger.config().hash,
                &terms,
                m.index,
                &m.secret().unwrap(),
                &mut r,
            )
        })
        .collect();
    assert!(matches!(
        committee::assemble_rotation(&files),
        Err(CommitteeError::Malformed {
            what: "rotation",
            ..
        })
    ));
}

/// A committee discloses one record: the file verifies against the chain's RPK for that
/// height without any key, and each alteration is refused for its reason.
#[test]
fn a_committee_disclosure_verifies_against_the_group_key() {
    use zkreg_regulator::disclosure::{self, DisclosureError};
    let c = chain();
    let [_, ra, _] = c.ranges;
    let key = &c.a[0].key;
    let mut r = ChaCha20Rng::seed_from_u64(9);
    let files: Vec<Vec<(TxId, committee::DecryptionShare)>> = [&c.a[1], &c.a[2]]
        .iter()
        .map(|s| {
            let f = shares_for_range(&c.ledger, s, ra.0, ra.0, &mut r).unwrap();
            ShareFile::parse(&serde_json::to_string(&f).unwrap(), key).unwrap()
        })
        .collect();
    let tx = files[0][0].0;
    let shares: Vec<committee::DecryptionShare> = files.iter().map(|f| f[0].1).collect();
    let d = disclosure::disclose_by_committee(&c.ledger, key, &shares, &tx, &labels()).unwrap();
    assert_eq!(d.committee_shares.len(), 2);
    let record = disclosure::verify(&c.ledger, &labels(), &d).unwrap();
    let single = export::decrypt_range(&c.ledger, &secret_of(&c.a), ra.0, ra.0, &labels()).unwrap();
    assert_eq!(record, single[0]);
    // A share's point swapped for the other's: that member's proof fails.
    let mut bad = d.clone();
    bad.committee_shares[0][2] = d.committee_shares[1][2].clone();
    assert!(matches!(
        disclosure::verify(&c.ledger, &labels(), &bad),
        Err(DisclosureError::ShareRejected { index: 2 })
    ));
    // One share alone: its key is not the RPK.
    let mut one = d.clone();
    one.committee_shares.truncate(1);
    assert!(matches!(
        disclosure::verify(&c.ledger, &labels(), &one),
        Err(DisclosureError::SharesDoNotCombine { what: "keys", .. })
    ));
    // Another S with honest shares: they do not combine to it.
    let mut other_s = d.clone();
    other_s.shared_point = d.rpk.clone();
    assert!(matches!(
        disclosure::verify(&c.ledger, &labels(), &other_s),
        Err(DisclosureError::SharesDoNotCombine { what: "shares", .. })
    ));
    // A committee disclosure carries no single proof.
    let mut both = d.clone();
    both.proof_challenge = "00".into();
    assert!(matches!(
        disclosure::verify(&c.ledger, &labels(), &both),
        Err(DisclosureError::NotCanonical {
            field: "proof_challenge",
            ..
        })
    ));
}
