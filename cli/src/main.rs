//! `zkreg`: the command-line tool of the zkreg regulated privacy ledger.
#![forbid(unsafe_code)]

use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use clap::{Parser, Subcommand};
use std::process::ExitCode;
use zkreg_circuits::{
    access::constraints::AccessCircuit, grant::constraints::GrantCircuit,
    payment::constraints::PaymentCircuit, revoke::constraints::RevokeCircuit, Fr,
};

/// Constraints and public inputs of a blank circuit.
fn size<C: ConstraintSynthesizer<Fr>>(blank: C) -> Result<(usize, usize), String> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_mode(ark_relations::gr1cs::SynthesisMode::Setup);
    blank
        .generate_constraints(cs.clone())
        .map_err(|e| format!("cannot synthesize the circuit: {e}"))?;
    Ok((cs.num_constraints(), cs.num_instance_variables() - 1))
}

/// zkreg — a zero-knowledge regulated privacy ledger.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the size of every circuit (constraints and public inputs).
    Circuits,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Circuits => {
            let sizes = [
                ("payment", size(PaymentCircuit::blank())),
                ("grant", size(GrantCircuit::blank())),
                ("access", size(AccessCircuit::blank())),
                ("revoke", size(RevokeCircuit::blank())),
            ];
            for (name, s) in sizes {
                match s {
                    Ok((constraints, inputs)) => {
                        println!("{name:8} {constraints:>6} constraints  {inputs:>3} public inputs")
                    }
                    Err(e) => {
                        eprintln!("error: {name}: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            }
            ExitCode::SUCCESS
        }
    }
}
