//! `zkreg`: the command-line tool of the zkreg regulated privacy ledger.
#![forbid(unsafe_code)]

use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use clap::{Parser, Subcommand};
use std::process::ExitCode;
use zkreg_circuits::{payment::constraints::PaymentCircuit, Fr};

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
            let cs = ConstraintSystem::<Fr>::new_ref();
            if let Err(e) = PaymentCircuit::blank().generate_constraints(cs.clone()) {
                eprintln!("error: cannot synthesize the payment circuit: {e}");
                return ExitCode::FAILURE;
            }
            println!(
                "payment: {} constraints, {} public inputs",
                cs.num_constraints(),
                cs.num_instance_variables() - 1
            );
            ExitCode::SUCCESS
        }
    }
}
