//! Proving time per circuit, proving-key size, regulator audit decryption and wallet scanning.
//!
//! `cargo bench -p zkreg-benches --bench prove`

use ark_serialize::CanonicalSerialize;
use criterion::{criterion_group, criterion_main, Criterion};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use zkreg_circuits::{labels::label_to_field, payment::AuditedPayment};
use zkreg_prover::{
    builder::{
        build_access, build_grant, build_payment, build_revoke, GrantRequest, PaymentRequest,
    },
    keys::{regulator_from_seed, WalletKeys},
    params::{ProvingKeys, SetupMode},
    prove::Prover,
    wallet::{LedgerOutput, Wallet},
};
use zkreg_verifier::Transaction;

fn benches(c: &mut Criterion) {
    let (pks, _) = ProvingKeys::generate(SetupMode::DevSeed(1)).expect("setup");
    let mut bytes = Vec::new();
    let _ = pks.payment.serialize_compressed(&mut bytes);
    eprintln!("payment proving key: {} bytes (compressed)", bytes.len());
    let prover = Prover::new(pks);
    let mut r = ChaCha20Rng::seed_from_u64(1);
    let rsk = regulator_from_seed(&[9; 32]);
    let rpk = rsk.public_key();
    let usd = label_to_field("USD");
    let issuer = Wallet::new(WalletKeys::random(&mut r));
    let alice = Wallet::new(WalletKeys::random(&mut r));
    let req = PaymentRequest {
        asset: usd,
        to: vec![(alice.keys.address(), 100)],
        deposit: 100,
        withdraw: 0,
        fee: 0,
        destination: vec![],
        memo: vec![],
        rpk,
    };
    let payment = build_payment(&issuer, &req, &[issuer.anchor()], &mut r).expect("build");
    let owner = WalletKeys::random(&mut r);
    let inst = WalletKeys::random(&mut r);
    let greq = GrantRequest {
        institution: inst.address(),
        dataset: label_to_field("d"),
        purpose: label_to_field("p"),
        expiry: 10,
        memo: vec![],
        rpk,
    };
    let (grant_tx, grant) = build_grant(&owner, &greq, &mut r).expect("grant");
    let mut tree =
        zkreg_circuits::merkle::MerkleTree::new(zkreg_circuits::merkle::TreeKind::GRANTS);
    let pos = tree.append(grant.commitment()).expect("room");
    let access = build_access(&inst, &grant, &tree, pos, 5, b"n", rpk, &mut r).expect("access");
    let revoke = build_revoke(&owner, &grant, pos, b"").expect("revoke");

    let mut g = c.benchmark_group("prove");
    g.sample_size(10);
    for (name, u) in [
        ("payment", payment.clone()),
        ("grant", grant_tx),
        ("access", access),
        ("revoke", revoke),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| prover.prove(u.clone(), &mut r).expect("prove"))
        });
    }
    g.finish();

    // Audit decryption and scanning over 200 outputs of real payments.
    let tx = prover.prove(payment, &mut r).expect("prove");
    let Transaction::Payment(p) = &tx else { return };
    let mut g = c.benchmark_group("regulator");
    g.bench_function("audit_decrypt_payment", |b| {
        b.iter(|| AuditedPayment::decrypt(&rsk, &p.audit))
    });
    g.finish();
    let outputs: Vec<LedgerOutput> = (0..200u64)
        .map(|i| LedgerOutput {
            pos: i,
            cm: p.output_commitments[(i % 2) as usize],
            delivery: p.deliveries[(i % 2) as usize].clone(),
        })
        .collect();
    let mut g = c.benchmark_group("wallet");
    g.sample_size(10);
    g.bench_function("scan_200_outputs", |b| {
        b.iter(|| {
            let mut w = Wallet::new(alice.keys.clone());
            w.scan(&outputs, &mut |_| {}).expect("scan")
        })
    });
    g.finish();
}

criterion_group!(group, benches);
criterion_main!(group);
