//! The binary starts, documents itself, and reports argument errors on stderr. (Also makes
//! `cargo test` build the `zkreg` binary that the workspace's end-to-end tests run.)
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at the first failure

use std::process::Command;

fn zkreg(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_zkreg"))
        .args(args)
        .env_remove("ZKREG_HOME")
        .output()
        .expect("run zkreg")
}

#[test]
fn help_names_the_home_and_every_command() {
    let out = zkreg(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for word in [
        "ZKREG_HOME",
        "setup",
        "params",
        "info",
        "keys",
        "ledger",
        "mint",
        "pay",
        "withdraw",
        "wallet",
        "consent",
        "audit",
        "verify",
        "demo",
    ] {
        assert!(text.contains(word), "--help lacks {word}:\n{text}");
    }
    for sub in [
        &["consent", "access", "--help"][..],
        &["audit", "export", "--help"],
        &["ledger", "submit", "--help"],
    ] {
        let out = zkreg(sub);
        assert!(out.status.success(), "{sub:?}");
    }
}

#[test]
fn unknown_commands_fail_with_an_error_line() {
    let out = zkreg(&["frobnicate"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error:"));
}
