//! Verification cost of payment proofs: decoding, single verification, and batch verification at
//! N = 1, 16, 64, 256 (criterion reports per-proof throughput; divide the time by N for the
//! per-proof cost).
//!
//! Proving 256 payments would take minutes, so a handful of real proofs is made once and repeated
//! to fill the batches. Repetition saves no verifier work: every entry gets its own random
//! scalar, its own `zᵢ·Aᵢ`, its own prepared `Bᵢ` and Miller-loop pair, exactly as distinct
//! proofs would.
//!
//! `cargo bench -p zkreg-benches --bench verify`
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at the first failure

use ark_bls12_381::{Bls12_381, G1Affine};
use ark_ec::AffineRepr;
use ark_groth16::{Groth16, VerifyingKey};
use ark_snark::SNARK;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::time::Duration;
use zkreg_circuits::{
    access, grant, payment::constraints::PaymentCircuit, revoke, testing::PaymentSpec,
};
use zkreg_verifier::{testing::payment_tx, Transaction, VerifyingKeys};

/// Distinct proofs actually made.
const PROOFS: usize = 4;
/// Batch sizes measured.
const BATCHES: [usize; 4] = [1, 16, 64, 256];

/// A key of the right shape for a circuit the bench never verifies, so that only the payment
/// circuit's setup runs.
fn placeholder(like: &VerifyingKey<Bls12_381>, inputs: usize) -> VerifyingKey<Bls12_381> {
    VerifyingKey {
        gamma_abc_g1: vec![G1Affine::generator(); inputs + 1],
        ..like.clone()
    }
}

fn bench_verify(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let (pk, vk) = Groth16::<Bls12_381>::circuit_specific_setup(PaymentCircuit::blank(), &mut rng)
        .unwrap_or_else(|e| panic!("setup: {e}"));
    let keys = VerifyingKeys::new(
        zkreg_verifier::testing::TEST_CHAIN,
        &vk,
        &placeholder(&vk, grant::layout::LEN),
        &placeholder(&vk, access::layout::LEN),
        &placeholder(&vk, revoke::layout::LEN),
    )
    .unwrap_or_else(|e| panic!("keys: {e}"));
    let spec = PaymentSpec::default();
    let proven: Vec<Transaction> = (0..PROOFS)
        .map(|_| payment_tx(&pk, &spec, b"", b"bench", None, &mut rng))
        .collect();
    let batch: Vec<Transaction> = proven
        .iter()
        .cycle()
        .take(BATCHES[BATCHES.len() - 1])
        .cloned()
        .collect();
    assert!(keys.verify_batch(&batch).iter().all(Result::is_ok));
    let encoded = proven[0].encode();

    let mut group = c.benchmark_group("payment");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(1));
    group.bench_function("decode", |b| {
        b.iter(|| Transaction::decode(&encoded).is_ok())
    });
    group.bench_function("verify", |b| b.iter(|| keys.verify(&proven[0]).is_ok()));
    for n in BATCHES {
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("verify_batch", n), &n, |b, &n| {
            b.iter(|| keys.verify_batch(&batch[..n]))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_verify);
criterion_main!(benches);
