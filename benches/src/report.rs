//! The figures `zkreg bench` reports: every goal of the benchmark table, measured the same way
//! each time (medians over several runs, on dev parameters and the cached ledger workload).

use crate::{
    wallet::{measure_pay, measure_sync, SyntheticChain, SYNTHETIC_OUTPUTS},
    workload::{payment_block_at, regulator, Keys, LedgerBench, PaymentBlocks, SampleTxs},
    BenchError,
};
use ark_serialize::CanonicalSerialize;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde::Serialize;
use std::{path::PathBuf, time::Instant};
use zkreg_ledger::PreparedBlock;
use zkreg_prover::{
    keys::WalletKeys,
    params::circuit_shape,
    prove::{ProveEvent, UnprovenTx},
};
use zkreg_verifier::{Backend, Transaction, TxKind, VerifyingKeys};

/// How long to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Fewer samples and a 64-payment block instead of 256.
    pub quick: bool,
    /// Where the proven ledger workload is cached between runs.
    pub cache_dir: PathBuf,
    /// The `zkreg` binary, for `pay_end_to_end_ms` (left out without it).
    pub zkreg: Option<PathBuf>,
}

impl Options {
    fn block_size(&self) -> usize {
        if self.quick {
            64
        } else {
            256
        }
    }

    /// Payment blocks applied per ledger sample (pipelining needs more than one).
    fn blocks(&self) -> usize {
        if self.quick {
            2
        } else {
            3
        }
    }

    fn samples(&self) -> usize {
        if self.quick {
            3
        } else {
            7
        }
    }
}

/// What the run is doing (for a progress display).
#[derive(Clone, Debug)]
pub enum Stage {
    /// A named step started.
    Step(&'static str),
    /// One proof of the ledger workload finished (`done` of `total`).
    WorkloadProof {
        /// Proofs finished.
        done: usize,
        /// Proofs to make.
        total: usize,
    },
}

/// The measured figures (medians). Field names are the JSON keys.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Payment circuit constraints.
    pub payment_constraints: usize,
    /// Grant circuit constraints.
    pub grant_constraints: usize,
    /// Access circuit constraints.
    pub access_constraints: usize,
    /// Revoke circuit constraints.
    pub revoke_constraints: usize,
    /// Proving one payment, ms.
    pub payment_prove_ms: f64,
    /// Proving one grant, ms.
    pub grant_prove_ms: f64,
    /// Proving one access, ms.
    pub access_prove_ms: f64,
    /// Decoding one payment tx (all point and bound checks), ms.
    pub decode_ms: f64,
    /// Verifying one payment alone, ms (the default backend, `blst`).
    pub verify_ms: f64,
    /// Batch-verifying 64 distinct payments, per proof, ms (`blst`).
    pub batch64_verify_ms_per_proof: f64,
    /// `verify_ms` with the arkworks backend.
    pub verify_ms_arkworks: f64,
    /// `batch64_verify_ms_per_proof` with the arkworks backend.
    pub batch64_verify_ms_per_proof_arkworks: f64,
    /// Payments applied per second over `ledger_blocks` blocks of `ledger_block_txs`, durable
    /// commits included, pipelined: block `h + 1` is decoded and verified while block `h` is
    /// checked against state and committed.
    pub ledger_payments_per_s: f64,
    /// The same blocks applied one after another (`Ledger::apply_block`, no overlap).
    pub ledger_sequential_payments_per_s: f64,
    /// Where a block's time goes (first payment block, medians, ms): decoding and verifying it
    /// (`PreparedBlock::prepare`, stateless, both cores)...
    pub ledger_prepare_ms_per_block: f64,
    /// ... the checks against state (`Ledger::verify_prepared`: lookups, trees, the write
    /// batch) ...
    pub ledger_state_checks_ms_per_block: f64,
    /// ... and the synced write (`Ledger::commit`).
    pub ledger_commit_ms_per_block: f64,
    /// Payments per block in the ledger figures.
    pub ledger_block_txs: usize,
    /// Blocks per ledger sample.
    pub ledger_blocks: usize,
    /// Audit records per second through the path `zkreg audit export` runs
    /// (`zkreg_regulator::export::write_export`: streamed in chunks, decrypted on every core,
    /// linked to creating txs, written as JSON lines into memory), over the ledger workload's
    /// funding and payment blocks exported [`AUDIT_PASSES`] times per sample.
    pub audit_records_per_s: f64,
    /// Records exported per `audit_records_per_s` sample: the workload chain's records,
    /// exported [`AUDIT_PASSES`] times.
    pub audit_records_per_sample: u64,
    /// Outputs a wallet scans per second (`Wallet::scan`: trial decryption on every core, then
    /// the frontier and witnesses), over the synthetic chain of `sync_outputs` outputs.
    pub scan_outputs_per_s: f64,
    /// Outputs of the synthetic chain a fresh wallet syncs (blocks of 200, 1 in 1000 its own).
    pub sync_outputs: usize,
    /// That sync, chunk by chunk into the wallet's RocksDB store (every chunk a synced write), ms.
    pub sync_ms: f64,
    /// Outputs per second of that sync.
    pub sync_outputs_per_s: f64,
    /// Notes the sync found (must be `sync_outputs / 1000`).
    pub sync_notes_found: usize,
    /// `zkreg pay` as a process, median wall time once the wallet store and key cache are warm
    /// (load the payment key, sync, build, prove, write), ms; `null` without the binary.
    pub pay_end_to_end_ms: Option<f64>,
    /// The first `zkreg pay` of a fresh wallet (full sync, key decompressed and cached), ms.
    pub pay_first_ms: Option<f64>,
    /// Loading the payment proving key from its uncompressed cache (checked), ms.
    pub payment_pk_load_ms: Option<f64>,
    /// Loading it from the pinned compressed file, ms.
    pub payment_pk_load_compressed_ms: Option<f64>,
    /// Size of a compressed Groth16 proof.
    pub proof_bytes: usize,
    /// Compressed size of the payment proving key.
    pub payment_pk_bytes: usize,
    /// Cores available to this process.
    pub cores: usize,
    /// `release` or `debug`.
    pub profile: &'static str,
    /// CPU features the build may use (`-C target-cpu=native` turns on `adx`, `bmi2`, ...).
    pub target_features: Vec<&'static str>,
    /// Samples behind each median.
    pub samples: usize,
}

/// The median of `samples` runs of `f`, in milliseconds.
/// Times the workload chain is exported per audit sample (896 records per pass on the full
/// workload), so a sample lasts long enough to time at tens of thousands of records/s.
pub const AUDIT_PASSES: usize = 10;

/// The audit export figure.
#[derive(Clone, Debug, Serialize)]
pub struct AuditFigures {
    /// Median records per second.
    pub records_per_s: f64,
    /// Records per sample.
    pub records: u64,
    /// Every sample's records per second, sorted.
    pub samples: Vec<f64>,
}

/// Measures `audit_records_per_s`: a fresh ledger with the workload's blocks, then `samples`
/// samples of [`AUDIT_PASSES`] streamed exports (JSON lines into a `Vec`, as the CLI streams
/// into its file), the regulator key prepared once per export as the CLI does.
pub fn measure_audit(
    bench: &LedgerBench,
    blocks: &PaymentBlocks,
    samples: usize,
) -> Result<AuditFigures, BenchError> {
    use zkreg_regulator::export::{write_export, Format};
    let rsk = regulator();
    let (mut ledger, _dir) = bench.fresh()?;
    LedgerBench::apply_sequential(&mut ledger, blocks)?;
    let height = ledger.status().height;
    let labels = zkreg_regulator::Labels::of_chain(ledger.config());
    let mut records = 0;
    let mut rates = Vec::new();
    for _ in 0..samples.max(1) {
        let t = Instant::now();
        records = 0;
        for _ in 0..AUDIT_PASSES {
            let mut out = Vec::new();
            records += write_export(
                &ledger,
                &zkreg_regulator::Opener::Key(&rsk),
                1,
                height,
                &labels,
                Format::JsonLines,
                None,
                &mut out,
                &mut |_| {},
            )
            .map_err(|e| BenchError::Workload(format!("audit export: {e}")))?;
            std::hint::black_box(out);
        }
        rates.push(records as f64 / t.elapsed().as_secs_f64());
    }
    rates.sort_by(f64::total_cmp);
    Ok(AuditFigures {
        records_per_s: rates[rates.len() / 2],
        records,
        samples: rates,
    })
}

/// Only the audit figure: dev keys, the cached workload, [`measure_audit`].
pub fn run_audit(
    opts: &Options,
    progress: &mut dyn FnMut(Stage),
) -> Result<AuditFigures, BenchError> {
    progress(Stage::Step("dev setup"));
    let keys = Keys::dev()?;
    progress(Stage::Step("ledger workload"));
    let n = opts.block_size();
    let blocks =
        PaymentBlocks::load_or_build(&opts.cache_dir, &keys, n, opts.blocks(), &mut |_| {})?;
    let bench = LedgerBench::new(&keys, &blocks)?;
    progress(Stage::Step("audit export"));
    measure_audit(&bench, &blocks, opts.samples())
}

fn median_ms(
    samples: usize,
    mut f: impl FnMut() -> Result<(), BenchError>,
) -> Result<f64, BenchError> {
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples.max(1) {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

/// The compile-time CPU features that matter to arkworks' field arithmetic.
pub fn target_features() -> Vec<&'static str> {
    let mut out = Vec::new();
    if cfg!(target_feature = "bmi2") {
        out.push("bmi2");
    }
    if cfg!(target_feature = "adx") {
        out.push("adx");
    }
    if cfg!(target_feature = "avx2") {
        out.push("avx2");
    }
    if cfg!(target_feature = "avx512f") {
        out.push("avx512f");
    }
    out
}

/// Runs every measurement. Takes a few minutes once the workload is cached; building the
/// workload the first time proves `block / 2` deposits and `blocks × block` payments.
pub fn run(opts: &Options, progress: &mut dyn FnMut(Stage)) -> Result<Report, BenchError> {
    let samples = opts.samples();
    let n = opts.block_size();
    let block_count = opts.blocks();
    progress(Stage::Step("counting constraints"));
    let constraints = |c| {
        circuit_shape(c)
            .map(|(n, _)| n)
            .map_err(|e| BenchError::Setup(e.to_string()))
    };
    let (payment_constraints, grant_constraints, access_constraints, revoke_constraints) = (
        constraints(TxKind::Payment)?,
        constraints(TxKind::Grant)?,
        constraints(TxKind::Access)?,
        constraints(TxKind::Revoke)?,
    );

    progress(Stage::Step("dev setup"));
    let keys = Keys::dev()?;
    progress(Stage::Step("ledger workload"));
    let blocks = PaymentBlocks::load_or_build(&opts.cache_dir, &keys, n, block_count, &mut |e| {
        if let ProveEvent::Finished { index, total, .. } = e {
            progress(Stage::WorkloadProof {
                done: index + 1,
                total,
            })
        }
    })?;
    let payments: Vec<Transaction> = blocks
        .first()
        .iter()
        .map(|b| Transaction::decode(b))
        .collect::<Result<_, _>>()
        .map_err(|e| BenchError::Workload(format!("cached payment does not decode: {e}")))?;

    progress(Stage::Step("proving"));
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let chain = keys.genesis()?.hash;
    let sample = SampleTxs::build(&chain, &mut rng)?;
    let (payment_tx, grant_tx, access_tx) = (&sample.payment, &sample.grant, &sample.access);
    let mut prove_ms = |u: &UnprovenTx| {
        median_ms(samples, || {
            keys.prover
                .prove(u.clone(), &mut rng)
                .map(drop)
                .map_err(|e| BenchError::Workload(e.to_string()))
        })
    };
    let payment_prove_ms = prove_ms(payment_tx)?;
    let grant_prove_ms = prove_ms(grant_tx)?;
    let access_prove_ms = prove_ms(access_tx)?;

    progress(Stage::Step("verifying"));
    let [p, g, a, r] = &keys.vks;
    let vks =
        VerifyingKeys::new(chain, p, g, a, r).map_err(|e| BenchError::Setup(e.to_string()))?;
    let reps = 20 * samples;
    let first = blocks
        .first()
        .first()
        .ok_or_else(|| BenchError::Workload("empty payment block".into()))?;
    let decode_ms = median_ms(reps, || {
        Transaction::decode(first)
            .map(drop)
            .map_err(|e| BenchError::Workload(e.to_string()))
    })?;
    let batch = &payments[..64.min(payments.len())];
    let verify = |backend: Backend| -> Result<(f64, f64), BenchError> {
        let vks = vks.clone().with_backend(backend);
        let single = median_ms(reps, || {
            vks.verify(&payments[0])
                .map_err(|e| BenchError::Workload(e.to_string()))
        })?;
        let batch64 = median_ms(samples, || {
            match vks.verify_batch(batch).into_iter().find_map(Result::err) {
                Some(e) => Err(BenchError::Workload(e.to_string())),
                None => Ok(()),
            }
        })? / batch.len() as f64;
        Ok((single, batch64))
    };
    let (verify_ms, batch64_verify_ms_per_proof) = verify(Backend::Blst)?;
    let (verify_ms_arkworks, batch64_verify_ms_per_proof_arkworks) = verify(Backend::Arkworks)?;

    progress(Stage::Step("ledger blocks"));
    let bench = LedgerBench::new(&keys, &blocks)?;
    let payments_per_sample = (n * blocks.payments.len()) as f64;
    // Pipelined and sequential samples interleaved, so both see the same machine.
    let (mut pipelined_ms, mut sequential_ms) = (Vec::new(), Vec::new());
    for _ in 0..samples {
        for (pipelined, times) in [(true, &mut pipelined_ms), (false, &mut sequential_ms)] {
            let (mut ledger, _dir) = bench.fresh()?;
            let t = Instant::now();
            if pipelined {
                LedgerBench::apply_pipelined(&mut ledger, &blocks)?;
            } else {
                LedgerBench::apply_sequential(&mut ledger, &blocks)?;
            }
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (mut prepare_ms, mut state_ms, mut commit_ms) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..samples {
        let (mut ledger, _dir) = bench.fresh()?;
        let (height, time) = payment_block_at(0);
        let t = Instant::now();
        let prepared = PreparedBlock::prepare(&ledger.keys(), blocks.first().to_vec());
        prepare_ms.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let verified = ledger.verify_prepared(height, time, prepared)?;
        state_ms.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        ledger.commit(verified)?;
        commit_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let ledger_payments_per_s = payments_per_sample / (median(pipelined_ms) / 1e3);
    let ledger_sequential_payments_per_s = payments_per_sample / (median(sequential_ms) / 1e3);

    progress(Stage::Step("audit export and scanning"));
    let audit = measure_audit(&bench, &blocks, samples)?;
    progress(Stage::Step("wallet: scanning and syncing 100,000 outputs"));
    let mine = WalletKeys::from_seed([5; 32]);
    let chain = SyntheticChain::build(SYNTHETIC_OUTPUTS, &mine, 15);
    let sync = measure_sync(&chain, &mine, samples.min(3))?;
    drop(chain);
    progress(Stage::Step("wallet: zkreg pay end to end"));
    let pay = match &opts.zkreg {
        Some(z) => Some(measure_pay(z, &opts.cache_dir, samples.min(5))?),
        None => None,
    };

    Ok(Report {
        payment_constraints,
        grant_constraints,
        access_constraints,
        revoke_constraints,
        payment_prove_ms,
        grant_prove_ms,
        access_prove_ms,
        decode_ms,
        verify_ms,
        batch64_verify_ms_per_proof,
        verify_ms_arkworks,
        batch64_verify_ms_per_proof_arkworks,
        ledger_payments_per_s,
        ledger_sequential_payments_per_s,
        ledger_prepare_ms_per_block: median(prepare_ms),
        ledger_state_checks_ms_per_block: median(state_ms),
        ledger_commit_ms_per_block: median(commit_ms),
        ledger_block_txs: n,
        ledger_blocks: blocks.payments.len(),
        audit_records_per_s: audit.records_per_s,
        audit_records_per_sample: audit.records,
        scan_outputs_per_s: sync.scan_outputs_per_s,
        sync_outputs: SYNTHETIC_OUTPUTS,
        sync_ms: sync.sync_ms,
        sync_outputs_per_s: SYNTHETIC_OUTPUTS as f64 / (sync.sync_ms / 1e3),
        sync_notes_found: sync.found,
        pay_end_to_end_ms: pay.as_ref().map(|p| p.warm_ms),
        pay_first_ms: pay.as_ref().map(|p| p.first_ms),
        payment_pk_load_ms: pay.as_ref().map(|p| p.pk_load_cached_ms),
        payment_pk_load_compressed_ms: pay.as_ref().map(|p| p.pk_load_compressed_ms),
        proof_bytes: payments[0].proof().compressed_size(),
        payment_pk_bytes: keys.payment_pk_bytes,
        cores: std::thread::available_parallelism().map_or(1, usize::from),
        profile: if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        target_features: target_features(),
        samples,
    })
}
