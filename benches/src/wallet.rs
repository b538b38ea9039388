//! Wallet figures (issue #15): trial decryption, incremental sync over a synthetic chain of
//! 100,000 outputs into a wallet store, and `zkreg pay` end to end as a user runs it.

use crate::BenchError;
use ark_bls12_381::Fr;
use ark_std::UniformRand;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};
use zkreg_circuits::note::Note;
use zkreg_prover::{
    delivery::seal_note,
    keys::WalletKeys,
    params::{load_compressed, load_manifest, load_proving_key},
    store::WalletStore,
    sync::{sync, ChunkSource, DEFAULT_CHUNK_OUTPUTS},
    wallet::{LedgerOutput, ScanChunk, Wallet},
};
use zkreg_verifier::TxKind;

/// Outputs of the synthetic chain.
pub const SYNTHETIC_OUTPUTS: usize = 100_000;
/// Outputs per block of the synthetic chain (a 100-payment block has 200).
pub const OUTPUTS_PER_BLOCK: usize = 200;
/// One output in this many is the wallet's own.
pub const OWN_EVERY: usize = 1000;

/// A chain of blocks, each `(outputs, nullifiers)`, heights from 1.
pub struct SyntheticChain {
    blocks: Vec<(Vec<LedgerOutput>, Vec<Fr>)>,
    outputs: u64,
}

impl SyntheticChain {
    /// `outputs` outputs sealed to random recipients, one in [`OWN_EVERY`] to `mine` (with a
    /// real note and commitment), in blocks of [`OUTPUTS_PER_BLOCK`]; each block also publishes
    /// as many random nullifiers as it has outputs / 2 (two-input payments).
    pub fn build(outputs: usize, mine: &WalletKeys, seed: u64) -> Self {
        let addr = mine.address();
        let stranger = WalletKeys::from_seed([0xee; 32]).address();
        let items: Vec<LedgerOutput> = (0..outputs)
            .into_par_iter()
            .map(|i| {
                let mut r = ChaCha20Rng::seed_from_u64(seed ^ (i as u64).wrapping_mul(0x9e37));
                if i % OWN_EVERY == OWN_EVERY / 2 {
                    let note = Note::new(Fr::from(1u64), 5, addr.owner, &mut r);
                    LedgerOutput {
                        pos: i as u64,
                        cm: note.commitment(),
                        delivery: seal_note(&addr.pk_d, &note, &mut r),
                    }
                } else {
                    // A stranger's output: the commitment is not recomputed (the wallet never
                    // opens it), the ciphertext is real.
                    let note = Note::new(Fr::from(1u64), 5, stranger.owner, &mut r);
                    let cm = Fr::rand(&mut r);
                    LedgerOutput {
                        pos: i as u64,
                        cm,
                        delivery: seal_note(&stranger.pk_d, &note, &mut r),
                    }
                }
            })
            .collect();
        let mut r = ChaCha20Rng::seed_from_u64(seed);
        let blocks = items
            .chunks(OUTPUTS_PER_BLOCK)
            .map(|b| {
                let nfs = (0..b.len() / 2).map(|_| Fr::rand(&mut r)).collect();
                (b.to_vec(), nfs)
            })
            .collect();
        SyntheticChain {
            blocks,
            outputs: outputs as u64,
        }
    }
}

/// The synthetic chain as a chunk source (what a local ledger or a node serves).
pub struct ChainChunks<'a>(pub &'a SyntheticChain);

impl ChunkSource for ChainChunks<'_> {
    fn tip(&mut self) -> Result<(u64, u64), String> {
        Ok((self.0.blocks.len() as u64, self.0.outputs))
    }

    fn chunk(&mut self, after: u64, _next: u64, max: usize) -> Result<ScanChunk, String> {
        let mut c = ScanChunk {
            to_height: after,
            ..ScanChunk::default()
        };
        for (outs, nfs) in self.0.blocks.iter().skip(after as usize) {
            c.outputs.extend_from_slice(outs);
            c.nullifiers.extend_from_slice(nfs);
            c.to_height += 1;
            if c.outputs.len() >= max {
                break;
            }
        }
        Ok(c)
    }
}

/// Sync figures.
pub struct SyncFigures {
    /// Outputs trial-decrypted and appended per second by `Wallet::scan` (no store).
    pub scan_outputs_per_s: f64,
    /// A fresh wallet's sync of the whole synthetic chain into its store, ms.
    pub sync_ms: f64,
    /// Notes found by that sync.
    pub found: usize,
}

/// Scans and syncs over `chain` (medians of `samples`).
pub fn measure_sync(
    chain: &SyntheticChain,
    mine: &WalletKeys,
    samples: usize,
) -> Result<SyncFigures, BenchError> {
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let all: Vec<LedgerOutput> = chain.blocks.iter().flat_map(|b| b.0.clone()).collect();
    let mut scan = Vec::new();
    let mut sync_times = Vec::new();
    let mut found = 0;
    for _ in 0..samples.max(1) {
        let mut w = Wallet::new(mine.clone());
        let t = Instant::now();
        w.scan(&all, &mut |_| {})
            .map_err(|e| BenchError::Workload(e.to_string()))?;
        scan.push(all.len() as f64 / t.elapsed().as_secs_f64());

        let dir = tempfile::tempdir().map_err(|e| BenchError::Workload(e.to_string()))?;
        let t = Instant::now();
        let store = WalletStore::open(&dir.path().join("w"))
            .map_err(|e| BenchError::Workload(e.to_string()))?;
        let mut w = store
            .load(mine.clone(), 1)
            .map_err(|e| BenchError::Workload(e.to_string()))?;
        let r = sync(
            &mut w,
            Some(&store),
            &mut ChainChunks(chain),
            DEFAULT_CHUNK_OUTPUTS,
            &mut |_| {},
        )
        .map_err(|e| BenchError::Workload(e.to_string()))?;
        sync_times.push(t.elapsed().as_secs_f64() * 1e3);
        found = r.found;
    }
    Ok(SyncFigures {
        scan_outputs_per_s: median(scan),
        sync_ms: median(sync_times),
        found,
    })
}

/// `zkreg pay` wall times, ms: the first payment of a fresh wallet (its store synced from
/// nothing, the proving key decompressed and cached, the circuit's matrices built and cached)
/// and the median of later ones (store and caches warm), each a separate process as a user runs
/// it.
pub struct PayFigures {
    /// The first `zkreg pay`.
    pub first_ms: f64,
    /// Median of the later ones.
    pub warm_ms: f64,
    /// Loading the payment proving key in process from its uncompressed cache, ms (median).
    pub pk_load_cached_ms: f64,
    /// Loading it from the pinned compressed file (decompressing every point), ms (median).
    pub pk_load_compressed_ms: f64,
}

fn run(zkreg: &Path, home: &Path, args: &[&str]) -> Result<String, BenchError> {
    let out = Command::new(zkreg)
        .arg("--home")
        .arg(home)
        .args(args)
        .env_remove("ZKREG_HOME")
        .output()
        .map_err(|e| BenchError::Workload(format!("cannot run {}: {e}", zkreg.display())))?;
    if !out.status.success() {
        return Err(BenchError::Workload(format!(
            "zkreg {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Measures `zkreg pay` in a dev home under `cache_dir` (made once: setup, keys, chain, a mint).
pub fn measure_pay(
    zkreg: &Path,
    cache_dir: &Path,
    samples: usize,
) -> Result<PayFigures, BenchError> {
    let home: PathBuf = cache_dir.join("pay-home");
    let ready = home.join("ready");
    if !ready.exists() {
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&home).map_err(|e| BenchError::Workload(e.to_string()))?;
        run(zkreg, &home, &["setup", "--dev-seed", "7"])?;
        for (kind, name) in [
            ("regulator", "reg"),
            ("issuer", "bank"),
            ("wallet", "alice"),
            ("wallet", "bob"),
        ] {
            run(zkreg, &home, &["keys", "new", "--kind", kind, name])?;
        }
        run(
            zkreg,
            &home,
            &[
                "ledger",
                "init",
                "--regulator",
                "reg",
                "--issuer",
                "USD=bank",
                "--allow-insecure-keys",
            ],
        )?;
        let alice = run(zkreg, &home, &["keys", "address", "alice"])?;
        let mint = home.join("mint.tx");
        let mint = mint.to_string_lossy();
        run(
            zkreg,
            &home,
            &[
                "mint",
                "--issuer",
                "bank",
                "--asset",
                "USD",
                "--to",
                alice.trim(),
                "100",
                "--out",
                &mint,
            ],
        )?;
        run(zkreg, &home, &["ledger", "submit", &mint])?;
        std::fs::write(&ready, b"").map_err(|e| BenchError::Workload(e.to_string()))?;
    }
    let bob = run(zkreg, &home, &["keys", "address", "bob"])?;
    let out = home.join("pay.tx");
    let out = out.to_string_lossy();
    let pay = || {
        let t = Instant::now();
        run(
            zkreg,
            &home,
            &[
                "pay",
                "--wallet",
                "alice",
                "--asset",
                "USD",
                "--to",
                bob.trim(),
                "5",
                "--out",
                &out,
            ],
        )?;
        Ok::<f64, BenchError>(t.elapsed().as_secs_f64() * 1e3)
    };
    // Cold: no wallet store, no key or matrices cache.
    let _ = std::fs::remove_dir_all(home.join("wallets"));
    for f in std::fs::read_dir(home.join("params"))
        .map_err(|e| BenchError::Workload(e.to_string()))?
        .flatten()
    {
        if f.path()
            .extension()
            .is_some_and(|x| x == "uncompressed" || x == "matrices")
        {
            let _ = std::fs::remove_file(f.path());
        }
    }
    let first_ms = pay()?;
    let mut warm = Vec::new();
    for _ in 0..samples.max(1) {
        warm.push(pay()?);
    }
    warm.sort_by(f64::total_cmp);
    let params = home.join("params");
    let m = load_manifest(&params, true).map_err(|e| BenchError::Workload(e.to_string()))?;
    let mut cached = Vec::new();
    let mut compressed = Vec::new();
    for _ in 0..samples.max(1) {
        let t = Instant::now();
        load_proving_key(&params, &m, TxKind::Payment)
            .map_err(|e| BenchError::Workload(e.to_string()))?;
        cached.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        load_compressed(&params, &m, TxKind::Payment)
            .map_err(|e| BenchError::Workload(e.to_string()))?;
        compressed.push(t.elapsed().as_secs_f64() * 1e3);
    }
    cached.sort_by(f64::total_cmp);
    compressed.sort_by(f64::total_cmp);
    Ok(PayFigures {
        first_ms,
        warm_ms: warm[warm.len() / 2],
        pk_load_cached_ms: cached[cached.len() / 2],
        pk_load_compressed_ms: compressed[compressed.len() / 2],
    })
}
