//! `zkreg bench`: the benchmark goals measured on this machine (see `BENCHMARKS.md`).

use crate::{home::Home, progress};
use anyhow::{anyhow, Result};
use zkreg_benches::report::{run, Options, Report, Stage};

/// The goals of the benchmark table: (key, goal, whether larger is better).
const GOALS: [(&str, f64, bool); 8] = [
    ("payment_constraints", 24_000.0, false),
    ("payment_prove_ms", 1_200.0, false),
    ("access_prove_ms", 800.0, false),
    ("verify_ms", 2.0, false),
    ("batch64_verify_ms_per_proof", 0.35, false),
    ("ledger_payments_per_s", 2_500.0, true),
    ("audit_records_per_s", 5_000.0, true),
    ("payment_pk_bytes", 10_000_000.0, false),
];

/// Runs the benchmarks; the workload cache lives in `<home>/bench/`.
pub fn bench(home: &Home, quick: bool, json: bool) -> Result<()> {
    let opts = Options {
        quick,
        cache_dir: home.root.join("bench"),
    };
    let mut bar: Option<indicatif::ProgressBar> = None;
    let spinner = progress::spinner("benchmarks");
    let report = run(&opts, &mut |stage| match stage {
        Stage::Step(name) => {
            if let Some(b) = bar.take() {
                b.finish_and_clear();
            }
            spinner.set_message(name);
        }
        Stage::WorkloadProof { done, total } => {
            let b = bar.get_or_insert_with(|| {
                progress::bar(
                    total as u64,
                    "proving the ledger workload (cached afterwards)",
                )
            });
            b.set_position(done as u64);
        }
    });
    spinner.finish_and_clear();
    let report = report.map_err(|e| anyhow!("{e}"))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_table(&report)?;
    }
    Ok(())
}

fn print_table(report: &Report) -> Result<()> {
    let value = serde_json::to_value(report)?;
    let obj = value
        .as_object()
        .ok_or_else(|| anyhow!("internal: the report is not an object"))?;
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
