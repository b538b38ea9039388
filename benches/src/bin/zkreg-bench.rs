//! `zkreg-bench`: the benchmark goals measured on this machine (see `BENCHMARKS.md`).
//!
//! Its own binary so that the `zkreg` CLI does not link the benchmark workloads; `zkreg bench`
//! runs this program (found next to the `zkreg` binary) with the home's cache directory.
//! Build both with `cargo build --release -p zkreg-cli -p zkreg-benches`.
#![forbid(unsafe_code)]

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use std::{path::PathBuf, process::ExitCode, time::Duration};
use zkreg_benches::{
    cluster::{self, ClusterOptions, ClusterStage},
    report::{run, run_audit, Options, Report, Stage},
};

/// Measures proving, verification, ledger throughput, audit decryption, scanning and sizes, and
/// prints each figure beside its goal.
#[derive(Parser)]
#[command(name = "zkreg-bench", version)]
struct Args {
    /// Two 64-payment blocks and 3 samples per median instead of three of 256 and 7.
    #[arg(long)]
    quick: bool,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// Where the proven ledger workload is cached [default: $ZKREG_HOME/bench, else
    /// $HOME/.zkreg/bench].
    #[arg(long, value_name = "DIR")]
    cache: Option<PathBuf>,
    /// Run the cluster benchmark instead: validators started with `zkreg node run` on
    /// 127.0.0.1, payments over HTTP, finality latency and throughput.
    #[arg(long)]
    cluster: bool,
    /// The `zkreg` binary for `--cluster` and `pay_end_to_end_ms` [default: next to this
    /// program].
    #[arg(long, value_name = "ZKREG")]
    zkreg: Option<PathBuf>,
    /// Measure only `audit_records_per_s` (dev setup, the cached workload, the streamed export);
    /// prints every sample.
    #[arg(long)]
    audit: bool,
    /// Validators of the cluster.
    #[arg(long, default_value_t = 4)]
    validators: usize,
    /// Payments per second offered in the cluster's latency phase.
    #[arg(long, default_value_t = 50.0)]
    rate: f64,
}

/// The cluster goals: (key, goal, whether larger is better).
const CLUSTER_GOALS: [(&str, f64, bool); 2] = [
    ("cluster_efficiency", 0.7, true),
    ("cluster_finality_p50_ms", 1_000.0, false),
];

/// The goals of the benchmark table: (key, goal, whether larger is better).
const GOALS: [(&str, f64, bool); 10] = [
    ("payment_constraints", 24_000.0, false),
    ("payment_prove_ms", 800.0, false),
    ("scan_outputs_per_s", 10_000.0, true),
    ("pay_end_to_end_ms", 1_500.0, false),
    ("access_prove_ms", 800.0, false),
    ("verify_ms", 1.5, false),
    ("batch64_verify_ms_per_proof", 0.25, false),
    ("ledger_payments_per_s", 2_500.0, true),
    ("audit_records_per_s", 15_000.0, true),
    ("payment_pk_bytes", 10_000_000.0, false),
];

/// `--zkreg`, else the `zkreg` binary next to this program, if it exists.
fn zkreg_binary(args: &Args) -> Option<PathBuf> {
    args.zkreg
        .clone()
        .or_else(|| {
            std::env::current_exe()
                .ok()
                .map(|e| e.with_file_name(format!("zkreg{}", std::env::consts::EXE_SUFFIX)))
        })
        .filter(|z| z.exists())
}

fn default_cache() -> PathBuf {
    std::env::var_os("ZKREG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".zkreg")))
        .unwrap_or_else(|| PathBuf::from(".zkreg"))
        .join("bench")
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.cluster {
        return cluster(&args);
    }
    let opts = Options {
        quick: args.quick,
        cache_dir: args.cache.clone().unwrap_or_else(default_cache),
        zkreg: zkreg_binary(&args),
    };
    if args.audit {
        return match run_audit(&opts, &mut |_| {}) {
            Ok(a) => {
                println!(
                    "{}",
                    serde_json::json!({
                        "audit_records_per_s": a.records_per_s,
                        "audit_records_per_sample": a.records,
                        "samples_records_per_s": a.samples.iter().map(|x| x.round()).collect::<Vec<_>>(),
                    })
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    // Progress on stderr, hidden when stderr is not a terminal.
    let spinner = ProgressBar::new_spinner();
    spinner.set_style(style("{spinner} {msg} [{elapsed}]"));
    spinner.enable_steady_tick(Duration::from_millis(100));
    let mut bar: Option<ProgressBar> = None;
    let report = run(&opts, &mut |stage| match stage {
        Stage::Step(name) => {
            if let Some(b) = bar.take() {
                b.finish_and_clear();
            }
            spinner.set_message(name);
        }
        Stage::WorkloadProof { done, total } => {
            let b = bar.get_or_insert_with(|| {
                let b = ProgressBar::new(total as u64);
                b.set_style(style("{msg} [{elapsed}] {bar:30} {pos}/{len} ETA {eta}"));
                b.set_message("proving the ledger workload (cached afterwards)");
                b
            });
            b.set_position(done as u64);
        }
    });
    spinner.finish_and_clear();
    let printed = report
        .map_err(|e| e.to_string())
        .and_then(|report| print(&report, args.json));
    match printed {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", e.replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

fn print(report: &Report, json: bool) -> Result<(), String> {
    let value = serde_json::to_value(report).map_err(|e| e.to_string())?;
    if !json {
        println!(
            "{} build, {} cores, CPU features [{}], {} samples per median",
            report.profile,
            report.cores,
            report.target_features.join(", "),
            report.samples
        );
    }
    print_figures(&value, json, &GOALS)
}

/// Prints a report as JSON, or as a table of figures beside their goals.
fn print_figures(
    value: &serde_json::Value,
    json: bool,
    goals: &[(&str, f64, bool)],
) -> Result<(), String> {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(value).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    let obj = value
        .as_object()
        .ok_or("internal: the report is not an object")?;
    println!("{:<32} {:>14}  goal", "figure", "measured");
    for (key, v) in obj {
        let Some(x) = v.as_f64() else { continue };
        if matches!(key.as_str(), "cores" | "samples") {
            continue;
        }
        let goal = goals
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, g, larger)| {
                let met = if *larger { x >= *g } else { x <= *g };
                let cmp = if *larger { "≥" } else { "≤" };
                format!("{cmp} {g}  {}", if met { "met" } else { "NOT MET" })
            });
        let shown = if x.fract() == 0.0 {
            format!("{x:.0}")
        } else if x < 10.0 {
            format!("{x:.3}")
        } else {
            format!("{x:.1}")
        };
        println!("{key:<32} {shown:>14}  {}", goal.unwrap_or_default());
    }
    Ok(())
}

fn cluster(args: &Args) -> ExitCode {
    let zkreg = args.zkreg.clone().or_else(|| {
        std::env::current_exe()
            .ok()
            .map(|e| e.with_file_name(format!("zkreg{}", std::env::consts::EXE_SUFFIX)))
    });
    let Some(zkreg) = zkreg.filter(|z| z.exists()) else {
        eprintln!("error: the zkreg binary was not found next to zkreg-bench; pass --zkreg PATH");
        return ExitCode::FAILURE;
    };
    let opts = ClusterOptions {
        zkreg,
        cache_dir: args.cache.clone().unwrap_or_else(default_cache),
        validators: args.validators,
        offered_per_s: args.rate,
        block_txs: if args.quick { 64 } else { 256 },
    };
    let spinner = ProgressBar::new_spinner();
    spinner.set_style(style("{spinner} {msg} [{elapsed}]"));
    spinner.enable_steady_tick(Duration::from_millis(100));
    let mut bar: Option<ProgressBar> = None;
    let report = cluster::run(&opts, &mut |stage| match stage {
        ClusterStage::Step(name) => {
            if let Some(b) = bar.take() {
                b.finish_and_clear();
            }
            spinner.set_message(name);
        }
        ClusterStage::WorkloadProof { done, total } => {
            let b = bar.get_or_insert_with(|| {
                let b = ProgressBar::new(total as u64);
                b.set_style(style("{msg} [{elapsed}] {bar:30} {pos}/{len} ETA {eta}"));
                b.set_message("proving the cluster workload (cached afterwards)");
                b
            });
            b.set_position(done as u64);
        }
    });
    spinner.finish_and_clear();
    let printed = report.map_err(|e| e.to_string()).and_then(|r| {
        let value = serde_json::to_value(&r).map_err(|e| e.to_string())?;
        print_figures(&value, args.json, &CLUSTER_GOALS)
    });
    match printed {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", e.replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}
