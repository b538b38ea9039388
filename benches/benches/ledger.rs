//! Ledger block application: three blocks of 256 private payments (real proofs), applied with
//! durable commits to a copy of a funded ledger, pipelined (block `h + 1` prepared while block
//! `h` commits) and one after another. Criterion's throughput is payments per second.
//!
//! The first run proves the workload (128 deposits + 256 payments, several minutes) and caches
//! it under the target directory; later runs start in seconds.
//!
//! `cargo bench -p zkreg-benches --bench ledger`
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at the first failure

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::{path::Path, time::Duration};
use zkreg_benches::workload::{Keys, LedgerBench, PaymentBlocks};

/// Payments per block.
const BLOCK: usize = 256;
/// Blocks per sample.
const BLOCKS: usize = 3;

fn bench_ledger(c: &mut Criterion) {
    let keys = Keys::dev().unwrap_or_else(|e| panic!("{e}"));
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("zkreg-bench-workload");
    let blocks = PaymentBlocks::load_or_build(&cache, &keys, BLOCK, BLOCKS, &mut |e| {
        if let zkreg_prover::prove::ProveEvent::Finished { index, total, .. } = e {
            if (index + 1) % 32 == 0 || index + 1 == total {
                eprintln!("workload: {} of {total} proofs", index + 1);
            }
        }
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let bench = LedgerBench::new(&keys, &blocks).unwrap_or_else(|e| panic!("{e}"));

    let mut group = c.benchmark_group("ledger");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements((BLOCK * BLOCKS) as u64));
    for pipelined in [true, false] {
        let name = if pipelined {
            "apply_3_blocks_of_256_pipelined"
        } else {
            "apply_3_blocks_of_256_sequential"
        };
        group.bench_function(name, |b| {
            b.iter_batched(
                || bench.fresh().unwrap_or_else(|e| panic!("{e}")),
                |(mut ledger, dir)| {
                    if pipelined {
                        LedgerBench::apply_pipelined(&mut ledger, &blocks)
                    } else {
                        LedgerBench::apply_sequential(&mut ledger, &blocks)
                    }
                    .unwrap_or_else(|e| panic!("{e}"));
                    (ledger, dir) // dropped outside the measurement
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench_ledger);
criterion_main!(benches);
