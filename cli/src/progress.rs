//! Progress display on stderr (hidden automatically when stderr is not a terminal, so scripts and
//! tests see only results and errors).

use anyhow::{anyhow, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rand::{CryptoRng, RngCore};
use std::time::Duration;
use zkreg_prover::prove::{ProveEvent, Prover, UnprovenTx};
use zkreg_verifier::Transaction;

/// A spinner with a message.
pub fn spinner(msg: &str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(msg.to_string());
    pb.enable_steady_tick(Duration::from_millis(100));
    pb
}

/// A bar over `len` items.
pub fn bar(len: u64, msg: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}] {bar:30} {pos}/{len}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb.set_message(msg.to_string());
    pb.enable_steady_tick(Duration::from_millis(100));
    pb
}

/// A bar over `len` items that shows their rate and the time left (wallet sync).
pub fn rate_bar(len: u64, msg: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg} [{elapsed}] {bar:30} {human_pos}/{human_len} outputs, {per_sec}, ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb.set_message(msg.to_string());
    pb.enable_steady_tick(Duration::from_millis(100));
    pb
}

/// A bar over `len` heights whose message the caller sets to records done and records/s (an
/// audit export does not know its record count before it ends).
pub fn records_bar(len: u64, msg: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg} [{elapsed}] {bar:30} {human_pos}/{human_len} heights, ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb.set_message(msg.to_string());
    pb.enable_steady_tick(Duration::from_millis(100));
    pb
}

/// Proves one transaction with a spinner; returns it and the proving time in seconds.
pub fn prove<R: RngCore + CryptoRng>(
    prover: &Prover,
    unproven: UnprovenTx,
    rng: &mut R,
) -> Result<(Transaction, f64)> {
    let pb = spinner("proving");
    let mut secs = 0.0;
    let out = prover.prove_all(vec![unproven], rng, &mut |ev| match ev {
        ProveEvent::Started { circuit, .. } => {
            pb.set_message(format!("proving the {} statement", circuit.name()))
        }
        ProveEvent::Finished { millis, .. } => secs = millis / 1e3,
    });
    pb.finish_and_clear();
    let tx = out
        .map_err(|e| anyhow!("{e}"))?
        .into_iter()
        .next()
        .ok_or_else(|| anyhow!("internal: the prover returned no transaction"))?;
    Ok((tx, secs))
}
