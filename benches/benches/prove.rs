//! Proving time per circuit, proving-key size, regulator audit decryption and wallet scanning.
//!
//! `cargo bench -p zkreg-benches --bench prove`
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at the first failure

use criterion::{criterion_group, criterion_main, Criterion};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use zkreg_benches::workload::{regulator, Keys, SampleTxs};
use zkreg_circuits::payment::AuditedPayment;
use zkreg_prover::wallet::{LedgerOutput, Wallet};
use zkreg_verifier::Transaction;

fn benches(c: &mut Criterion) {
    let keys = Keys::dev().expect("setup");
    eprintln!(
        "payment proving key: {} bytes (compressed)",
        keys.payment_pk_bytes
    );
    let prover = &keys.prover;
    let mut r = ChaCha20Rng::seed_from_u64(1);
    let rsk = regulator();
    let SampleTxs {
        payment,
        grant: grant_tx,
        access,
        revoke,
        recipient,
    } = SampleTxs::build(&[0; 32], &mut r).expect("sample transactions");

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
            let mut w = Wallet::new(recipient.clone());
            w.scan(&outputs, &mut |_| {}).expect("scan")
        })
    });
    g.finish();
}

criterion_group!(group, benches);
criterion_main!(group);
