//! The cluster benchmark: a real consortium of `zkreg node run` processes on 127.0.0.1 (this
//! machine's cores shared by all of them), private payments submitted over HTTP, finality read
//! back over HTTP.
//!
//! Two phases over one cached workload (the ledger workload of [`PaymentBlocks`], proven for
//! this network's chain):
//! 1. **Latency**: the first block's payments offered at a fixed rate (default 50/s) to
//!    validator 0 (their order matters: the next block's anchors are the tree after them); for each, the time from its submission to the first poll that finds it in a
//!    finalized block at validator 0 (p50, p99).
//! 2. **Throughput**: the second block's payments submitted all at once, spread over every
//!    validator; finalized payments per second from the first submission to the last
//!    finalization.
//!
//! Every validator verifies every proof (at admission and in the block), so on one machine the
//! CPU bound is about the single-process ledger rate divided by the validator count; the
//! report gives `cluster_efficiency = cluster rate ÷ (single-process rate ÷ validators)`, the
//! single-process rate measured in the same run on the same blocks.

use crate::{
    workload::{Keys, LedgerBench, PaymentBlocks, DEV_SEED},
    BenchError,
};
use serde::Serialize;
use std::{
    collections::HashMap,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};
use zkreg_node::{client::NodeClient, network};
use zkreg_prover::params::{setup, SetupMode};
use zkreg_verifier::{params::Manifest, Transaction};

/// What to run.
#[derive(Clone, Debug)]
pub struct ClusterOptions {
    /// The `zkreg` binary whose `node run` starts each validator.
    pub zkreg: PathBuf,
    /// Where parameters and the proven workload are cached.
    pub cache_dir: PathBuf,
    /// Validators.
    pub validators: usize,
    /// Payments per second offered in the latency phase.
    pub offered_per_s: f64,
    /// Payments per block of the workload (256; 64 for a quick run).
    pub block_txs: usize,
}

/// The figures. Field names are the JSON keys.
#[derive(Clone, Debug, Serialize)]
pub struct ClusterReport {
    /// Validators in the network.
    pub cluster_validators: usize,
    /// Payments per second offered in the latency phase.
    pub cluster_offered_payments_per_s: f64,
    /// Payments in the latency phase.
    pub cluster_latency_payments: usize,
    /// Median submit-to-finality latency in the latency phase, ms.
    pub cluster_finality_p50_ms: f64,
    /// 99th percentile of the same, ms.
    pub cluster_finality_p99_ms: f64,
    /// Payments in the throughput phase.
    pub cluster_throughput_payments: usize,
    /// Finalized payments per second in the throughput phase.
    pub cluster_payments_per_s: f64,
    /// The same payment blocks applied by one process (`Ledger`, pipelined), per second.
    pub single_process_payments_per_s: f64,
    /// `cluster_payments_per_s ÷ (single_process_payments_per_s ÷ cluster_validators)`.
    pub cluster_efficiency: f64,
    /// Blocks finalized during both phases.
    pub cluster_blocks: u64,
    /// Blocks finalized during the throughput phase.
    pub cluster_throughput_blocks: u64,
    /// CPU time (user + system) all validator processes spent in the throughput phase, per
    /// payment and validator, ms (Linux `/proc`; absent elsewhere). Against the single-process
    /// cost per payment (2 cores ÷ its rate) it tells whether the cluster is CPU-bound.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_cpu_ms_per_payment_per_validator: Option<f64>,
    /// How busy the machine's cores were with validators through the throughput phase: their
    /// CPU time ÷ (the phase's wall time × available cores).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_cpu_busy: Option<f64>,
}

/// What the run is doing.
#[derive(Clone, Debug)]
pub enum ClusterStage {
    /// A named step started.
    Step(String),
    /// One proof of the workload finished.
    WorkloadProof {
        /// Proofs finished.
        done: usize,
        /// Proofs to make.
        total: usize,
    },
}

fn err(what: impl std::fmt::Display) -> BenchError {
    BenchError::Workload(what.to_string())
}

/// Validator processes, killed when dropped.
struct Validators(Vec<Child>);

impl Validators {
    /// User + system CPU seconds the validator processes have used, from `/proc/PID/stat`
    /// (fields 14 and 15, in clock ticks of 1/100 s: Linux's `USER_HZ` on every architecture
    /// it ships for); `None` where that is not readable.
    fn cpu_secs(&self) -> Option<f64> {
        let mut ticks = 0u64;
        for c in &self.0 {
            let stat = std::fs::read_to_string(format!("/proc/{}/stat", c.id())).ok()?;
            // The command name (field 2) may hold spaces; fields after its ')' are plain.
            let rest = stat.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            ticks += f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
        }
        Some(ticks as f64 / 100.0)
    }
}

impl Drop for Validators {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn free_base_port(n: usize) -> Result<u16, BenchError> {
    for attempt in 0..500u32 {
        let base = 21_000 + ((std::process::id() * 13 + attempt * 197) % 28_000) as u16;
        let free = (0..n as u16)
            .flat_map(|i| [base + i, base + 100 + i])
            .all(|p| TcpListener::bind(("127.0.0.1", p)).is_ok());
        if free {
            return Ok(base);
        }
    }
    Err(err("no free ports on 127.0.0.1"))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Follows validator 0's finalized blocks and records when each transaction id first appears.
struct Tracker {
    seen: Arc<Mutex<HashMap<String, Instant>>>,
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<Result<u64, BenchError>>>,
}

impl Tracker {
    fn start(url: String, from: u64) -> Self {
        let seen = Arc::new(Mutex::new(HashMap::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (seen.clone(), stop.clone());
        let handle = std::thread::spawn(move || -> Result<u64, BenchError> {
            let client = NodeClient::connect(&url).map_err(err)?;
            let mut next = from + 1;
            while !st.load(Ordering::Relaxed) {
                let tip = client.status().map_err(err)?.height;
                if tip < next {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
                let now = Instant::now();
                for h in next..=tip {
                    let block = client.block(h).map_err(err)?;
                    let mut seen = s.lock().map_err(|_| err("tracker lock"))?;
                    for tx in block.txs {
                        seen.entry(tx.id).or_insert(now);
                    }
                }
                next = tip + 1;
            }
            Ok(next - 1 - from)
        });
        Tracker {
            seen,
            stop,
            handle: Some(handle),
        }
    }

    fn finalized(&self, id: &str) -> Option<Instant> {
        self.seen.lock().ok()?.get(id).copied()
    }

    /// Waits until every id is finalized (or `limit` passes); returns their times.
    fn wait_all(&self, ids: &[String], limit: Duration) -> Result<Vec<Instant>, BenchError> {
        let deadline = Instant::now() + limit;
        loop {
            let got: Vec<Option<Instant>> = ids.iter().map(|id| self.finalized(id)).collect();
            if got.iter().all(Option::is_some) {
                return Ok(got.into_iter().flatten().collect());
            }
            if Instant::now() > deadline {
                let missing = got.iter().filter(|g| g.is_none()).count();
                return Err(err(format!(
                    "{missing} of {} payments not finalized in {limit:?}",
                    ids.len()
                )));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn stop(mut self) -> Result<u64, BenchError> {
        self.stop.store(true, Ordering::Relaxed);
        match self.handle.take().map(|h| h.join()) {
            Some(Ok(r)) => r,
            _ => Err(err("tracker thread failed")),
        }
    }
}

fn id_of(tx: &[u8]) -> Result<String, BenchError> {
    Ok(hex::encode(Transaction::decode(tx).map_err(err)?.id()))
}

/// Dev parameters on disk (the validators read their verifying keys from there), made once.
fn params_dir(cache: &Path, keys: &Keys) -> Result<PathBuf, BenchError> {
    let dir = cache.join(format!("cluster-params-seed{DEV_SEED}"));
    if Manifest::load(&dir).is_err() {
        setup(&dir, SetupMode::DevSeed(DEV_SEED), &mut |_| {}).map_err(err)?;
    }
    let manifest = Manifest::load(&dir).map_err(err)?;
    let on_disk: Vec<(String, String)> = manifest
        .verifying_key_hashes()
        .into_iter()
        .map(|(c, h)| (c.name().to_string(), h))
        .collect();
    let in_memory: Vec<(String, String)> = keys
        .vk_hashes()
        .map(|(c, h)| (c.name().to_string(), h))
        .collect();
    if on_disk != in_memory {
        return Err(err(format!(
            "{}: parameters differ from the dev keys; delete it",
            dir.display()
        )));
    }
    Ok(dir)
}

/// The cluster chain's anchor window, in blocks. Under load the validators finalize a block
/// as soon as one is ready (tens per second on loopback), so the default 64 blocks last a few
/// seconds: the workload's payments, proven ahead against the note tree after funding, were
/// refused ("the anchor is not among the last 64 note-tree roots") a few seconds into the
/// latency phase. A network this fast wants a window measured in time (here about a minute);
/// `zkreg ledger init --anchor-window` sets it, and README says so.
pub const ANCHOR_WINDOW: u64 = 1024;

/// Concurrent submitting clients per validator in the throughput phase.
pub const SUBMITTERS_PER_VALIDATOR: usize = 8;

/// After funding, validator 0's note tree must be the single-process ledger's (the payments'
/// anchor); if not, says how the chain differs: its note count and the order in which the
/// deposits went in.
fn check_funded(
    client: &NodeClient,
    from: u64,
    funding: &[String],
    want: Option<&str>,
) -> Result<(), BenchError> {
    let anchors = client.anchors().map_err(err)?;
    if want.is_some_and(|w| anchors.note_roots.iter().any(|r| r == w)) {
        return Ok(());
    }
    let status = client.status().map_err(err)?;
    let mut order = Vec::new();
    for h in from + 1..=anchors.height {
        let block = client.block(h).map_err(err)?;
        for tx in &block.txs {
            order.push(match funding.iter().position(|f| *f == tx.id) {
                Some(i) => format!("{h}:{i}"),
                None => format!("{h}:other"),
            });
        }
    }
    Err(err(format!(
        "after funding, validator 0 (height {}, {} notes) has no note root {:?} (its newest: {:?}); deposits in chain order: {}",
        anchors.height,
        status.notes,
        want,
        anchors.note_roots.last(),
        order.join(" ")
    )))
}

/// Runs the cluster benchmark.
pub fn run(
    opts: &ClusterOptions,
    progress: &mut dyn FnMut(ClusterStage),
) -> Result<ClusterReport, BenchError> {
    let step = |p: &mut dyn FnMut(ClusterStage), s: &str| p(ClusterStage::Step(s.to_string()));
    step(progress, "dev keys and parameters");
    let mut keys = Keys::dev()?;
    keys.anchor_window = Some(ANCHOR_WINDOW);
    let params = params_dir(&opts.cache_dir, &keys)?;

    // The network: the benchmark chain with this network's (seeded, so cacheable) validators.
    let net =
        tempfile::tempdir().map_err(|e| BenchError::Io(std::env::temp_dir(), e.to_string()))?;
    let port = free_base_port(opts.validators)?;
    let base = keys.genesis()?.genesis;
    let configs = network::init(
        net.path(),
        &base,
        &params,
        opts.validators,
        port,
        Some(DEV_SEED),
    )
    .map_err(err)?;
    let genesis_text = std::fs::read_to_string(net.path().join("genesis.json"))
        .map_err(|e| BenchError::Io(net.path().join("genesis.json"), e.to_string()))?;
    let chain = zkreg_ledger::ChainConfig::from_json(&genesis_text)?;
    keys.validators = chain.genesis.validators.clone();
    if keys.genesis()?.hash != chain.hash {
        return Err(err("the network's genesis is not the benchmark chain"));
    }

    step(progress, "the workload (cached after the first run)");
    let blocks =
        PaymentBlocks::load_or_build(&opts.cache_dir, &keys, opts.block_txs, 2, &mut |e| {
            if let zkreg_prover::prove::ProveEvent::Finished { index, total, .. } = e {
                progress(ClusterStage::WorkloadProof {
                    done: index + 1,
                    total,
                });
            }
        })?;

    step(progress, "the single-process rate on the same blocks");
    let bench = LedgerBench::new(&keys, &blocks)?;
    let mut rates = Vec::new();
    for _ in 0..3 {
        let (mut ledger, _dir) = bench.fresh()?;
        let t = Instant::now();
        LedgerBench::apply_pipelined(&mut ledger, &blocks)?;
        let n: usize = blocks.payments.iter().map(Vec::len).sum();
        rates.push(n as f64 / t.elapsed().as_secs_f64());
    }
    rates.sort_by(f64::total_cmp);
    let single = rates[rates.len() / 2];
    // The note root the payments are anchored to: the single-process ledger's after funding.
    let funded_root = {
        let (ledger, _dir) = bench.fresh()?;
        let roots = ledger.accepted_anchors();
        roots.last().map(zkreg_verifier::fieldhex::fr_hex)
    };
    drop(bench);

    step(progress, "starting the validators");
    let mut children = Validators(Vec::new());
    for i in 0..configs.len() {
        let dir = net.path().join(format!("node-{i}"));
        let log = std::fs::File::create(dir.join("log.txt"))
            .map_err(|e| BenchError::Io(dir.clone(), e.to_string()))?;
        let log2 = log
            .try_clone()
            .map_err(|e| BenchError::Io(dir.clone(), e.to_string()))?;
        let child = Command::new(&opts.zkreg)
            .args(["node", "run", "--config"])
            .arg(dir.join("config.json"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log2))
            .spawn()
            .map_err(|e| BenchError::Io(opts.zkreg.clone(), e.to_string()))?;
        children.0.push(child);
    }
    let urls: Vec<String> = configs
        .iter()
        .map(|c| format!("http://{}", c.api))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    let clients: Vec<NodeClient> = loop {
        let attempt: Result<Vec<NodeClient>, _> =
            urls.iter().map(|u| NodeClient::connect(u)).collect();
        if let Ok(c) = attempt {
            if c.iter().all(|c| c.status().is_ok_and(|s| s.height >= 1)) {
                break c;
            }
        }
        if Instant::now() > deadline {
            return Err(err("the validators did not start finalizing within 120 s"));
        }
        std::thread::sleep(Duration::from_millis(200));
    };

    // Funding, in order through validator 0 (the payments' anchor is the note tree after it).
    step(progress, "funding");
    let start_height = clients[0].status().map_err(err)?.height;
    let tracker = Tracker::start(urls[0].clone(), start_height);
    // Through validator 0 only: the others then receive them in its order, by its gossip (a
    // validator does not re-gossip, so submitting everywhere could let a later deposit reach a
    // proposer first by another validator's gossip). The payments' anchor is the note tree
    // after the deposits in workload order.
    let mut funding_ids = Vec::new();
    for tx in &blocks.funding {
        clients[0].submit(tx).map_err(err)?;
        funding_ids.push(id_of(tx)?);
    }
    tracker.wait_all(&funding_ids, Duration::from_secs(300))?;
    check_funded(
        &clients[0],
        start_height,
        &funding_ids,
        funded_root.as_deref(),
    )?;

    // Phase 1: latency at the offered rate.
    step(progress, "latency phase");
    let first = blocks
        .payments
        .first()
        .ok_or_else(|| err("no payment block"))?;
    let gap = Duration::from_secs_f64(1.0 / opts.offered_per_s.max(0.001));
    let began = Instant::now();
    let mut submitted = Vec::new();
    for (k, tx) in first.iter().enumerate() {
        let at = began + gap * k as u32;
        if let Some(wait) = at.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let t = Instant::now();
        clients[0]
            .submit(tx)
            .map_err(|e| err(format!("latency phase, payment {k}: {e}")))?;
        submitted.push((id_of(tx)?, t));
    }
    let ids: Vec<String> = submitted.iter().map(|(id, _)| id.clone()).collect();
    let done = tracker.wait_all(&ids, Duration::from_secs(300))?;
    let mut latencies: Vec<f64> = submitted
        .iter()
        .zip(&done)
        .map(|((_, s), f)| f.saturating_duration_since(*s).as_secs_f64() * 1e3)
        .collect();
    latencies.sort_by(f64::total_cmp);

    // Phase 2: throughput, the second block's payments at once over every validator.
    step(progress, "throughput phase");
    let second = blocks
        .payments
        .get(1)
        .ok_or_else(|| err("no second payment block"))?;
    let ids: Vec<String> = second
        .iter()
        .map(|tx| id_of(tx))
        .collect::<Result<_, _>>()?;
    // Every validator must have the first block's notes before it admits payments of them.
    let target = clients[0].status().map_err(err)?.height;
    let deadline = Instant::now() + Duration::from_secs(60);
    while !clients
        .iter()
        .all(|c| c.status().is_ok_and(|s| s.height >= target))
    {
        if Instant::now() > deadline {
            return Err(err(
                "validators did not converge before the throughput phase",
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let cpu0 = children.cpu_secs();
    let h0 = clients[0].status().map_err(err)?.height;
    let t0 = Instant::now();
    std::thread::scope(|scope| -> Result<(), BenchError> {
        let mut handles = Vec::new();
        // Many clients, as a loaded network has: a submission waits for its admission, so
        // one client per validator would offer only as much as one admission round-trip allows
        // (106 payments/s measured that way), and the validators' admission batches stay at 1.
        let senders = clients.len() * SUBMITTERS_PER_VALIDATOR;
        for s in 0..senders {
            let client = &clients[s % clients.len()];
            let mine: Vec<&Vec<u8>> = second.iter().skip(s).step_by(senders).collect();
            handles.push(scope.spawn(move || -> Result<(), BenchError> {
                for tx in mine {
                    client.submit(tx).map_err(err)?;
                }
                Ok(())
            }));
        }
        for h in handles {
            h.join().map_err(|_| err("a submitter thread failed"))??;
        }
        Ok(())
    })?;
    let done = tracker.wait_all(&ids, Duration::from_secs(300))?;
    let last = done.iter().max().copied().unwrap_or(t0);
    let phase = last.saturating_duration_since(t0).as_secs_f64().max(1e-9);
    let cluster = ids.len() as f64 / phase;
    let cpu = children.cpu_secs().zip(cpu0).map(|(a, b)| a - b);
    let measured = t0.elapsed().as_secs_f64().max(1e-9);
    let h1 = clients[0].status().map_err(err)?.height;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let blocks_seen = tracker.stop()?;
    drop(children);

    Ok(ClusterReport {
        cluster_validators: opts.validators,
        cluster_offered_payments_per_s: opts.offered_per_s,
        cluster_latency_payments: first.len(),
        cluster_finality_p50_ms: percentile(&latencies, 0.5),
        cluster_finality_p99_ms: percentile(&latencies, 0.99),
        cluster_throughput_payments: ids.len(),
        cluster_payments_per_s: cluster,
        single_process_payments_per_s: single,
        cluster_efficiency: cluster / (single / opts.validators as f64),
        cluster_blocks: blocks_seen,
        cluster_throughput_blocks: h1.saturating_sub(h0),
        cluster_cpu_ms_per_payment_per_validator: cpu
            .map(|c| c * 1e3 / ids.len() as f64 / opts.validators as f64),
        cluster_cpu_busy: cpu.map(|c| c / (measured * cores)),
    })
}
