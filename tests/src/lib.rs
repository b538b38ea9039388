//! Helpers for the end-to-end tests: find the real `zkreg` binary, run it against a home
//! directory, copy homes.
//!
//! The binary is looked up next to the test executable (`target/<profile>/deps/..` →
//! `target/<profile>/zkreg`); `cargo test --workspace` builds it before running any test.
#![forbid(unsafe_code)]

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

/// Path of the `zkreg` binary built alongside the tests.
pub fn zkreg_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let bin = dir.join(format!("zkreg{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} not found: build it first (`cargo test --workspace` does, or `cargo build --profile test -p zkreg-cli`)",
        bin.display()
    );
    bin
}

/// The result of one run.
#[derive(Debug)]
pub struct Run {
    /// Exit status was success.
    pub ok: bool,
    /// Exit code.
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            ok: o.status.success(),
            code: o.status.code(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// Runs `zkreg --home HOME ARGS...` (no terminal, so no progress bars), without `ZKREG_HOME`.
/// An empty `home` passes no `--home` (for commands that take it themselves, like `demo`).
pub fn zkreg(home: &Path, args: &[&str]) -> Run {
    let mut cmd = Command::new(zkreg_bin());
    if !home.as_os_str().is_empty() {
        cmd.arg("--home").arg(home);
    }
    let out = cmd
        .args(args)
        .env_remove("ZKREG_HOME")
        .output()
        .unwrap_or_else(|e| panic!("cannot run zkreg: {e}"));
    out.into()
}

/// Runs and requires success; returns stdout.
pub fn zkreg_ok(home: &Path, args: &[&str]) -> String {
    let r = zkreg(home, args);
    assert!(
        r.ok,
        "zkreg {args:?} failed ({:?}):\nstdout: {}\nstderr: {}",
        r.code, r.stdout, r.stderr
    );
    r.stdout
}

/// Runs and requires a clean failure: non-zero exit, one stderr line starting with `error:`,
/// no panic. Returns that line.
pub fn zkreg_err(home: &Path, args: &[&str]) -> String {
    let r = zkreg(home, args);
    assert!(
        !r.ok,
        "zkreg {args:?} should fail but succeeded:\n{}",
        r.stdout
    );
    assert_ne!(r.code, Some(0));
    assert!(
        r.stderr.starts_with("error:"),
        "zkreg {args:?}: stderr should start with 'error:':\n{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("panicked") && !r.stderr.contains("backtrace"),
        "zkreg {args:?} panicked:\n{}",
        r.stderr
    );
    assert_eq!(
        r.stderr.trim_end().lines().count(),
        1,
        "zkreg {args:?}: the error should be one line:\n{}",
        r.stderr
    );
    r.stderr.trim_end().to_string()
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let target = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy_dir(&e.path(), &target)?;
        } else {
            std::fs::copy(e.path(), target)?;
        }
    }
    Ok(())
}

/// Makes a dev home at `home`: dev-seed parameters (INSECURE, asserted), keys `reg`
/// (regulator), `bank` (issuer of USD), wallets `alice`, `bob`, `lender`, and a ledger at
/// height 0 naming them.
pub fn dev_home(home: &Path) {
    let out = zkreg_ok(home, &["setup", "--dev-seed", "7"]);
    assert!(out.contains("INSECURE"), "{out}");
    for (kind, name) in [
        ("regulator", "reg"),
        ("issuer", "bank"),
        ("wallet", "alice"),
        ("wallet", "bob"),
        ("wallet", "lender"),
    ] {
        zkreg_ok(home, &["keys", "new", "--kind", kind, name]);
    }
    zkreg_ok(
        home,
        &[
            "ledger",
            "init",
            "--regulator",
            "reg",
            "--issuer",
            "USD=bank",
            "--allow-insecure-keys",
        ],
    );
}
