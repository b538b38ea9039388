//! `zkreg bench`: runs the `zkreg-bench` program (package `zkreg-benches`) that sits next to this
//! binary, with the home's `bench/` directory as its workload cache. The CLI does not link the
//! benchmark workloads; see `benches/src/bin/zkreg-bench.rs`.

use crate::home::Home;
use anyhow::{anyhow, bail, Result};
use std::process::Command;

/// Runs `zkreg-bench [--quick] [--json] [--cluster --zkreg THIS] --cache HOME/bench`, passing its output through.
pub fn bench(home: &Home, quick: bool, json: bool, cluster: bool) -> Result<()> {
    let exe = std::env::current_exe().map_err(|e| anyhow!("cannot locate zkreg: {e}"))?;
    let bench = exe.with_file_name(format!("zkreg-bench{}", std::env::consts::EXE_SUFFIX));
    if !bench.exists() {
        bail!(
            "{} not found: build it beside zkreg with `cargo build --release -p zkreg-benches` \
             (it is its own program so the CLI does not link the benchmark workloads)",
            bench.display()
        );
    }
    let mut cmd = Command::new(&bench);
    cmd.arg("--cache").arg(home.root.join("bench"));
    if quick {
        cmd.arg("--quick");
    }
    // The cluster's validators and the `zkreg pay` timings run this very binary.
    cmd.arg("--zkreg").arg(&exe);
    if cluster {
        cmd.arg("--cluster");
    }
    if json {
        cmd.arg("--json");
    }
    let status = cmd
        .status()
        .map_err(|e| anyhow!("cannot run {}: {e}", bench.display()))?;
    if !status.success() {
        // zkreg-bench printed its own one-line error.
        std::process::exit(status.code().unwrap_or(1));
    }
    Ok(())
}
