//! `zkreg setup`, `zkreg params verify`, `zkreg info`, `zkreg circuits`.

use crate::{home::Home, progress, util};
use anyhow::{anyhow, bail, Result};
use serde_json::json;
use zkreg_prover::params::{
    check_circuits, circuit_shape, setup, CircuitCheck, SetupEvent, SetupMode,
};
use zkreg_verifier::{
    params::{KeyRole, Manifest},
    TxKind,
};

/// Runs the Groth16 setup of the four circuits into `home/params`.
pub fn run_setup(home: &Home, dev_seed: Option<u64>, force: bool, quiet: bool) -> Result<Manifest> {
    home.create()?;
    let dir = home.params();
    if dir.join("manifest.json").exists() && !force {
        bail!(
            "parameters already exist in {} (pass --force to replace them; a ledger initialised with the old keys will then refuse every new proof)",
            dir.display()
        );
    }
    let mode = match dev_seed {
        Some(s) => SetupMode::DevSeed(s),
        None => SetupMode::Secure,
    };
    let pb = if quiet {
        indicatif::ProgressBar::hidden()
    } else {
        progress::bar(4, "Groth16 setup")
    };
    let manifest = setup(&dir, mode, &mut |ev| match ev {
        SetupEvent::Started(c) => pb.set_message(format!("Groth16 setup: {} circuit", c.name())),
        SetupEvent::Finished(_) => pb.inc(1),
    })
    .map_err(|e| anyhow!("{e}"))?;
    pb.finish_and_clear();
    Ok(manifest)
}

/// Prints what setup produced.
pub fn print_setup(home: &Home, m: &Manifest) {
    if m.insecure {
        println!(
            "dev parameters (seed {}) written to {} — INSECURE: anyone who knows the seed can forge proofs; for tests and demos only",
            m.dev_seed.unwrap_or_default(),
            home.params().display()
        );
    } else {
        println!("parameters written to {}", home.params().display());
    }
    for c in TxKind::STATEMENTS {
        let pk = m.entry(c, KeyRole::Proving).ok();
        let vk = m.entry(c, KeyRole::Verifying).ok();
        if let (Some(pk), Some(vk)) = (pk, vk) {
            println!(
                "  {:8} {:>7} constraints  pk {:>9}  vk {:>7}",
                c.name(),
                pk.constraints,
                util::bytes_human(pk.bytes),
                util::bytes_human(vk.bytes)
            );
        }
    }
}

/// `zkreg params verify`: every file against the manifest, and circuit digests against this build.
pub fn verify(home: &Home) -> Result<()> {
    let m = home.manifest()?;
    let dir = home.params();
    let mut failed = 0;
    for e in &m.keys {
        match m.read_checked(&dir, e.circuit, e.role) {
            Ok(_) => println!(
                "ok      {:12} {:>10} bytes  blake2b-256 {}",
                e.file, e.bytes, e.blake2b_256
            ),
            Err(err) => {
                failed += 1;
                println!("FAILED  {:12} {err}", e.file);
            }
        }
    }
    let checks = check_circuits(&m).map_err(|e| anyhow!("cannot synthesize a circuit: {e}"))?;
    for (c, check) in checks {
        match check {
            CircuitCheck::Matches { constraints } => println!(
                "ok      {:12} circuit digest matches this build ({constraints} constraints)",
                c.name()
            ),
            CircuitCheck::NoEntry => {
                failed += 1;
                println!("FAILED  {:12} no entry in the manifest", c.name());
            }
            CircuitCheck::Differs { manifest, build } => {
                failed += 1;
                println!(
                    "FAILED  {:12} the keys were made for another version of this circuit (digest {manifest} ≠ {build}); run `zkreg setup --force`",
                    c.name()
                );
            }
        }
    }
    if m.insecure {
        println!(
            "note    these are INSECURE dev parameters (seed {})",
            m.dev_seed.unwrap_or_default()
        );
    }
    if failed > 0 {
        bail!("{failed} parameter check(s) failed in {}", dir.display());
    }
    println!("all {} files and 4 circuits check out", m.keys.len());
    Ok(())
}

/// `zkreg info`.
pub fn info(home: &Home, as_json: bool) -> Result<()> {
    let m = home.manifest()?;
    let mut rows = Vec::new();
    for c in TxKind::STATEMENTS {
        let pk = m.entry(c, KeyRole::Proving).map_err(|e| anyhow!("{e}"))?;
        let vk = m.entry(c, KeyRole::Verifying).map_err(|e| anyhow!("{e}"))?;
        rows.push((c, pk.clone(), vk.clone()));
    }
    if as_json {
        let circuits: Vec<_> = rows
            .iter()
            .map(|(c, pk, vk)| {
                json!({
                    "circuit": c.name(),
                    "constraints": pk.constraints,
                    "public_inputs": pk.public_inputs,
                    "pk_bytes": pk.bytes,
                    "vk_bytes": vk.bytes,
                    "vk_blake2b_256": vk.blake2b_256,
                    "circuit_digest": pk.circuit_digest,
                })
            })
            .collect();
        let out = json!({
            "params": home.params().display().to_string(),
            "insecure": m.insecure,
            "dev_seed": m.dev_seed,
            "circuits": circuits,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "parameters in {}{}",
        home.params().display(),
        if m.insecure {
            format!(
                " (INSECURE dev keys, seed {})",
                m.dev_seed.unwrap_or_default()
            )
        } else {
            String::new()
        }
    );
    println!(
        "{:8} {:>11} {:>13} {:>10} {:>8}  vk BLAKE2b-256",
        "circuit", "constraints", "public inputs", "pk bytes", "vk bytes"
    );
    for (c, pk, vk) in rows {
        println!(
            "{:8} {:>11} {:>13} {:>10} {:>8}  {}",
            c.name(),
            pk.constraints,
            pk.public_inputs,
            pk.bytes,
            vk.bytes,
            vk.blake2b_256
        );
    }
    Ok(())
}

/// `zkreg circuits`: sizes straight from the constraint code (no parameters needed).
pub fn circuits() -> Result<()> {
    for c in TxKind::STATEMENTS {
        let (constraints, _) = circuit_shape(c)
            .map_err(|e| anyhow!("cannot synthesize the {} circuit: {e}", c.name()))?;
        println!(
            "{:8} {constraints:>6} constraints  {:>3} public inputs",
            c.name(),
            c.public_inputs()
        );
    }
    Ok(())
}
