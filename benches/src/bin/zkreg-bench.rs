//! `zkreg-bench`: the benchmark goals measured on this machine (see `BENCHMARKS.md`).
//!
//! Its own binary so that the `zkreg` CLI does not link the benchmark workloads; `zkreg bench`
//! runs this program (found next to the `zkreg` binary) with the home's cache directory.
//! Build both with `cargo build --release -p zkreg-cli -p zkreg-benches`.
#![forbid(unsafe_code)]

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use std::{path::PathBuf, process::ExitCode, time::Duration};
use zkreg_benches::report::{run, Options, Report, Stage};

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
}

/// The goals of the benchmark table: (key, goal, whether larger is better).
const GOALS: [(&str, f64, bool); 8] = [
    ("payment_constraints", 24_000.0, false),
    ("payment_prove_ms", 1_200.0, false),
    ("access_prove_ms", 800.0, false),
    ("verify_ms", 1.5, false),
    ("batch64_verify_ms_per_proof", 0.25, false),
    ("ledger_payments_per_s", 2_500.0, true),
    ("audit_records_per_s", 5_000.0, true),
    ("payment_pk_bytes", 10_000_000.0, false),
];

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
    let opts = Options {
        quick: args.quick,
        cache_dir: args.cache.unwrap_or_else(default_cache),
    };
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
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    let obj = value
        .as_object()
        .ok_or("internal: the report is not an object")?;
    println!(
        "{} build, {} cores, CPU features [{}], {} samples per median",
        report.profile,
        report.cores,
        report.target_features.join(", "),
        report.samples
    );
    println!("{:<30} {:>14}  goal", "figure", "measured");
    for (key, v) in obj {
        let Some(x) = v.as_f64() else { continue };
        if matches!(key.as_str(), "cores" | "samples") {
            continue;
        }
        let goal = GOALS
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
        println!("{key:<30} {shown:>14}  {}", goal.unwrap_or_default());
    }
    Ok(())
}
