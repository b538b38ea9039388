//! `zkreg`: the command-line tool of the zkreg regulated privacy ledger.
//!
//! Every failure is one line on stderr starting with `error:` and a non-zero exit code.
#![forbid(unsafe_code)]

/// `println!` for the whole binary (defined before the modules, so it shadows std's in all of
/// them): output to a closed pipe (`zkreg verify x.tx | head -c 10`) ends the command quietly
/// with status 0 instead of std's panic on `EPIPE`; any other write failure is one `error:`
/// line and status 1.
macro_rules! println {
    () => {
        $crate::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` with [`println!`]'s handling of a closed pipe.
#[allow(unused_macros)]
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::write_stdout(format_args!($($arg)*))
    };
}

mod audit;
mod bench_cmd;
mod committee_cmd;
mod consent;
mod demo;
mod home;
mod keys_cmd;
mod ledger_cmd;
mod node_cmd;
mod params_cmd;
mod pay;
mod progress;
mod util;

use anyhow::{anyhow, bail, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use home::{Home, Session};
use std::{path::PathBuf, process::ExitCode};
use zkreg_prover::keys::{Address, KeyKind};

const HOME_HELP: &str = "The zkreg home directory [default: $ZKREG_HOME, else $HOME/.zkreg]. \
It holds params/ (Groth16 keys and manifest.json), genesis.json, ledger/ (the RocksDB state), \
keys/NAME.json (key files) and consent/ (consent requests, decisions and grants).";

/// zkreg — a zero-knowledge regulated privacy ledger.
///
/// Payments and data-access authorisations are private, yet each carries an audit ciphertext,
/// proven correct in the same Groth16 proof, that only the regulator can open.
///
/// Start with `zkreg demo` to watch the whole story on a temporary home, or:
///   zkreg setup --dev-seed 1
///   zkreg keys new --kind regulator reg
///   zkreg keys new --kind issuer bank
///   zkreg keys new --kind wallet alice
///   zkreg ledger init --regulator reg --issuer USD=bank --allow-insecure-keys
///   zkreg mint --issuer bank --asset USD --to "$(zkreg keys address alice)" 100 --out mint.tx
///   zkreg ledger submit mint.tx
///   zkreg wallet balance --wallet alice
#[derive(Parser)]
#[command(name = "zkreg", version, about, long_about, verbatim_doc_comment)]
struct Cli {
    #[arg(long, global = true, value_name = "DIR", long_help = HOME_HELP, help = "The zkreg home directory [default: $ZKREG_HOME, else $HOME/.zkreg]")]
    home: Option<PathBuf>,
    /// Work against a running node's API instead of the local ledger: `ledger submit|status`,
    /// `wallet sync|balance` and `audit export` ask the node; `ledger init` joins its chain
    /// (its genesis); commands that need a witness or the history (pay, mint, withdraw, wallet
    /// history, consent, audit disclose) first sync the local replica from the node.
    #[arg(long, global = true, value_name = "URL", env = "ZKREG_NODE")]
    node: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the Groth16 setup of the four circuits and write params/ (keys + manifest.json).
    ///
    /// Without --dev-seed the keys come from fresh OS randomness (the toxic waste is dropped with
    /// the process). With --dev-seed the keys are deterministic and marked INSECURE in the
    /// manifest: anyone who knows the seed can forge proofs. Use them for tests and demos only.
    Setup {
        /// Deterministic, INSECURE keys from this public seed (tests and demos).
        #[arg(long, value_name = "N")]
        dev_seed: Option<u64>,
        /// Replace existing parameters.
        #[arg(long)]
        force: bool,
    },
    /// Parameter checks.
    #[command(subcommand)]
    Params(ParamsCmd),
    /// Per circuit: constraints, public inputs, key sizes and verifying-key hash (from params/).
    Info {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print each circuit's size from the constraint code (no parameters needed).
    Circuits,
    /// Create and show keys (wallets, regulators, issuers).
    #[command(subcommand)]
    Keys(KeysCmd),
    /// Create, feed and inspect the local ledger.
    #[command(subcommand)]
    Ledger(LedgerCmd),
    /// Issuer: mint (deposit) an asset to an address. Writes a signed, proven transaction.
    ///
    /// The issuer builds the deposit from a throwaway wallet and signs its id with its Ed25519
    /// key; the genesis must list that key as an issuer of the asset.
    Mint {
        /// Issuer key name.
        #[arg(long, value_name = "NAME")]
        issuer: String,
        /// Asset name (as in the genesis, e.g. USD).
        #[arg(long)]
        asset: String,
        /// Recipient address (zkreg1…; see `zkreg keys address NAME`).
        #[arg(long, value_name = "ADDRESS")]
        to: String,
        /// Amount in the asset's smallest unit.
        amount: u64,
        /// Transaction file to write.
        #[arg(long, value_name = "TXFILE")]
        out: PathBuf,
    },
    /// Wallet: pay an address privately. Writes a proven transaction.
    ///
    /// Without a fee nothing about the payment (not even the asset) is public; only the
    /// regulator can read it from the audit ciphertext.
    Pay {
        /// Wallet key name.
        #[arg(long, value_name = "NAME")]
        wallet: String,
        /// Account of the wallet to spend from.
        #[arg(long, default_value_t = 0)]
        account: u32,
        /// Asset name.
        #[arg(long)]
        asset: String,
        /// Recipient address (zkreg1…).
        #[arg(long, value_name = "ADDRESS")]
        to: String,
        /// Amount.
        amount: u64,
        /// Public fee (reveals the asset).
        #[arg(long, default_value_t = 0)]
        fee: u64,
        /// Transaction file to write.
        #[arg(long, value_name = "TXFILE")]
        out: PathBuf,
    },
    /// Wallet + issuer: withdraw (burn) an amount to an off-ledger destination.
    Withdraw {
        /// Wallet key name.
        #[arg(long, value_name = "NAME")]
        wallet: String,
        /// Account of the wallet to spend from.
        #[arg(long, default_value_t = 0)]
        account: u32,
        /// Issuer key name (signs the withdrawal).
        #[arg(long, value_name = "NAME")]
        issuer: String,
        /// Asset name.
        #[arg(long)]
        asset: String,
        /// Amount.
        amount: u64,
        /// Where the issuer pays out (e.g. a bank account), public on the ledger.
        #[arg(long, value_name = "TEXT")]
        destination: String,
        /// Transaction file to write.
        #[arg(long, value_name = "TXFILE")]
        out: PathBuf,
    },
    /// Wallet state, kept in the wallet's store and synced incrementally.
    #[command(subcommand)]
    Wallet(WalletCmd),
    /// Consent to share data: request, approve, deny, access, revoke, log.
    #[command(subcommand)]
    Consent(ConsentCmd),
    /// Regulator: decrypt, export and disclose the audit trail.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// A t-of-n regulator committee (key generation through files, decryption shares) and
    /// regulator-key rotations.
    #[command(subcommand)]
    Committee(CommitteeCmd),
    /// Run a consortium: write a local network, start a validator.
    #[command(subcommand)]
    Node(NodeCmd),
    /// Check a transaction file without ledger state: decoding, signature rules and its proof.
    Verify {
        /// Transaction file.
        txfile: PathBuf,
    },
    /// Run the whole story on a fresh temporary home (or --home DIR, which must be empty).
    ///
    /// Dev parameters, an issuer, Alice, Bob, a lender and a regulator: mint, pay, withdraw,
    /// request / approve / access / revoke / refused access, then the regulator's audit and a
    /// verified disclosure. Exits non-zero if any step does not behave as stated.
    Demo,
    /// Measure the performance goals on this machine (dev parameters; medians of several runs).
    ///
    /// Constraint counts, proving, decoding, single and batch verification, ledger blocks of
    /// private payments with durable commits, audit decryption, wallet scanning, proof and key
    /// sizes. The ledger workload (real proofs) is proven on the first run and cached in
    /// <home>/bench/; later runs take a few minutes. Runs the zkreg-bench program that sits
    /// next to zkreg: build both with `cargo build --release -p zkreg-cli -p zkreg-benches`
    /// (see BENCHMARKS.md).
    Bench {
        /// A 64-payment block and 3 samples per median instead of 256 and 7.
        #[arg(long)]
        quick: bool,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        /// The cluster benchmark: 4 validators (`zkreg node run`) on 127.0.0.1, payments over
        /// HTTP; finality latency at 50 payments/s, throughput and efficiency.
        #[arg(long)]
        cluster: bool,
    },
}

#[derive(Subcommand)]
enum ParamsCmd {
    /// Check every parameter file's size and BLAKE2b-256 against the manifest, and each
    /// circuit's digest against this build. One line per file.
    Verify,
}

#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
    /// A wallet (also a data owner or an institution).
    Wallet,
    /// The regulator's audit key.
    Regulator,
    /// An asset issuer's Ed25519 key.
    Issuer,
}

#[derive(Subcommand)]
enum KeysCmd {
    /// Create keys/NAME.json.
    New {
        /// What the key is for.
        #[arg(long, value_enum)]
        kind: KindArg,
        /// Name (letters, digits, '-', '_', '.').
        name: String,
    },
    /// Print the public part: a wallet's address, a regulator's RPK, an issuer's Ed25519 key (hex).
    Address {
        /// Key name.
        name: String,
    },
    /// List the keys of this home.
    List,
}

#[derive(Subcommand)]
enum LedgerCmd {
    /// Write genesis.json (regulator key, issuers, accepted verifying-key hashes from
    /// params/manifest.json) and create the ledger database.
    Init {
        /// Regulator key name.
        #[arg(long, value_name = "NAME")]
        regulator: Option<String>,
        /// ASSET=ISSUER_KEY_NAME, repeatable (e.g. --issuer USD=bank).
        #[arg(long, value_name = "ASSET=NAME")]
        issuer: Vec<String>,
        /// Accept INSECURE dev parameters (a test chain).
        #[arg(long)]
        allow_insecure_keys: bool,
        /// Join a chain: use this genesis file instead of building one (with --node: the
        /// node's genesis).
        #[arg(long, value_name = "FILE")]
        genesis: Option<PathBuf>,
        /// Chain name.
        #[arg(long, default_value = "zkreg-local")]
        chain_id: String,
        /// How many recent roots an anchor or grant root may be from.
        #[arg(long, default_value_t = 64)]
        anchor_window: u64,
        /// How far (seconds) an access's time may be ahead of block time; it may never be
        /// behind, so no access lands after its grant's expiry. (max_grants_per_block takes
        /// its default, 64; set it in a --genesis file.)
        #[arg(long, default_value_t = 600)]
        time_tolerance: u64,
    },
    /// Apply the transaction files as one block (all or nothing) at the next height.
    Submit {
        /// Transaction files (binary wire encoding).
        #[arg(required = true)]
        txfiles: Vec<PathBuf>,
        /// Block time [default: the previous block's time + 1; never the wall clock].
        #[arg(long, value_name = "T", conflicts_with = "node")]
        time: Option<u64>,
        /// With --node: wait until each transaction is in a block (or refused).
        #[arg(long)]
        wait: bool,
    },
    /// Replicate a node's chain into the local ledger (with --node): fetch each new block,
    /// apply it with every check, and require the node's state root. Local commands (pay,
    /// consent, wallet, audit) then see the network's state.
    Sync,
    /// Height, time, roots and counters.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum NodeCmd {
    /// Write a local network of N validators on 127.0.0.1 (keys, a genesis naming them, one
    /// config each) from this home's genesis and parameters.
    Init {
        /// How many validators.
        #[arg(long, default_value_t = 4)]
        validators: usize,
        /// Directory to write.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// First p2p port; API ports start 100 above.
        #[arg(long, default_value_t = 7000)]
        base_port: u16,
        /// Derive validator keys from this public seed (INSECURE: tests and demos).
        #[arg(long, value_name = "N")]
        dev_seed: Option<u64>,
    },
    /// Run one validator (until stopped).
    Run {
        /// Its config.json (from `zkreg node init`).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
}

#[derive(Args)]
struct WalletArgs {
    /// Wallet key name.
    #[arg(long, value_name = "NAME")]
    wallet: String,
    /// Account (0 is the key file's own; a new index adds an account and rescans).
    #[arg(long, default_value_t = 0)]
    account: u32,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum WalletCmd {
    /// Sync the wallet's store (from where it stopped) and report the notes found.
    Sync(WalletArgs),
    /// Every note of the account: position, asset, value, spent or not.
    Notes(WalletArgs),
    /// The address of an account (account 0 is `zkreg keys address NAME`).
    Address(WalletArgs),
    /// Unspent balance per asset.
    Balance(WalletArgs),
    /// Notes received and spent, with heights and transactions.
    History(WalletArgs),
}

#[derive(Subcommand)]
enum ConsentCmd {
    /// Institution: ask a data owner for access to a dataset (writes a JSON request file).
    Request {
        /// Institution's wallet key name.
        #[arg(long, value_name = "NAME")]
        institution: String,
        /// Data owner's address (zkreg1…).
        #[arg(long, value_name = "ADDRESS")]
        owner: String,
        /// Dataset name (e.g. rent-payments).
        #[arg(long, value_name = "D")]
        dataset: String,
        /// Purpose (e.g. credit-underwriting).
        #[arg(long, value_name = "P")]
        purpose: String,
        /// Why, in words, shown to the owner.
        #[arg(long, value_name = "TEXT")]
        reason: String,
        /// How long the access should last.
        #[arg(long, value_name = "N")]
        days: u64,
        /// Request file to write.
        #[arg(long, value_name = "REQFILE")]
        out: PathBuf,
    },
    /// Data owner: approve a request. Writes the grant transaction and keeps the grant locally.
    Approve {
        /// Owner's wallet key name.
        #[arg(long, value_name = "NAME")]
        owner: String,
        /// The request file.
        reqfile: PathBuf,
        /// Transaction file to write.
        #[arg(long, value_name = "TXFILE")]
        out: PathBuf,
    },
    /// Data owner: deny a request (logged locally; nothing goes on the ledger).
    Deny {
        /// Owner's wallet key name.
        #[arg(long, value_name = "NAME")]
        owner: String,
        /// The request file.
        reqfile: PathBuf,
        /// Why (kept in the owner's log).
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// Institution: prove access with a valid grant (refused when there is none, e.g. revoked).
    ///
    /// The institution finds the grant delivered to it on the ledger, opens it with its key and
    /// proves membership in the current grant tree without revealing which grant it uses.
    Access {
        /// Institution's wallet key name.
        #[arg(long, value_name = "NAME")]
        institution: String,
        /// The grant transaction id.
        #[arg(
            long,
            value_name = "TXID",
            conflicts_with = "request",
            required_unless_present = "request"
        )]
        grant_tx: Option<String>,
        /// The request the grant answers.
        #[arg(long, value_name = "REQFILE")]
        request: Option<PathBuf>,
        /// The data service's request nonce (public; the owner sees it in its log).
        #[arg(long, value_name = "N")]
        nonce: String,
        /// Data service id to put before the nonce (public).
        #[arg(long, value_name = "S")]
        service: Option<String>,
        /// Access time [default: the ledger's time + 1].
        #[arg(long, value_name = "T")]
        now: Option<u64>,
        /// Transaction file to write.
        #[arg(long, value_name = "TXFILE")]
        out: PathBuf,
    },
    /// Data owner: withdraw consent (revokes the grant of REQFILE, or --grant TXID).
    Revoke {
        /// Owner's wallet key name.
        #[arg(long, value_name = "NAME")]
        owner: String,
        /// The request whose grant to revoke.
        #[arg(required_unless_present = "grant", conflicts_with = "grant")]
        reqfile: Option<PathBuf>,
        /// The grant transaction id to revoke.
        #[arg(long, value_name = "TXID")]
        grant: Option<String>,
        /// Transaction file to write.
        #[arg(long, value_name = "TXFILE")]
        out: PathBuf,
    },
    /// Data owner: requests, decisions and on-ledger accesses made with the owner's grants.
    Log {
        /// Owner's wallet key name.
        #[arg(long, value_name = "NAME")]
        owner: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// JSON lines: one object per record.
    Json,
    /// CSV with a fixed header; columns of other kinds are empty.
    Csv,
}

#[derive(Subcommand)]
enum CommitteeCmd {
    /// Create a member key (if NAME has none) and write the member's public card.
    Member {
        /// Key name.
        name: String,
        /// The member's index (1, 2, …: its share is f(index)).
        #[arg(long)]
        index: u16,
        /// A name for people (default: the key name).
        #[arg(long, value_name = "TEXT")]
        display_name: Option<String>,
        /// Card file to write.
        #[arg(long, value_name = "FILE")]
        card: PathBuf,
    },
    /// Assemble a committee file from the members' cards and a threshold.
    New {
        /// Shares needed to decrypt or to sign a rotation.
        #[arg(long)]
        threshold: u16,
        /// Committee file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Member cards.
        #[arg(required = true)]
        cards: Vec<PathBuf>,
    },
    /// DKG round 1: deal this member's secret polynomial (commitments, sealed shares, signed).
    Deal {
        /// Member key name.
        #[arg(long, value_name = "NAME")]
        member: String,
        /// Committee file.
        #[arg(long, value_name = "FILE")]
        committee: PathBuf,
        /// Deal file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// DKG round 2: check every member's deal, keep this member's share, write the committee key.
    Finish {
        /// Member key name.
        #[arg(long, value_name = "NAME")]
        member: String,
        /// Committee file.
        #[arg(long, value_name = "FILE")]
        committee: PathBuf,
        /// Committee key file to write (public: the RPK and every member's verification key).
        #[arg(long, value_name = "FILE")]
        key_out: PathBuf,
        /// Every member's deal.
        #[arg(required = true)]
        deals: Vec<PathBuf>,
    },
    /// This member's decryption shares (S_i = x_i·R, with Chaum–Pedersen proofs) of heights
    /// FROM..=TO.
    DecryptShare {
        /// Member key name.
        #[arg(long, value_name = "NAME")]
        member: String,
        /// First height.
        #[arg(long, value_name = "H")]
        from: u64,
        /// Last height.
        #[arg(long, value_name = "H")]
        to: u64,
        /// Share file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Sign a rotation of the regulator key in force, as a member (its share) or as a single
    /// regulator key.
    SignRotation {
        /// Member key name (a committee's key).
        #[arg(long, value_name = "NAME", conflicts_with = "regulator")]
        member: Option<String>,
        /// Regulator key name (a single key).
        #[arg(long, value_name = "NAME")]
        regulator: Option<String>,
        /// The new key: a committee key file, or an RPK in hex.
        #[arg(long, value_name = "FILE|HEX")]
        new_key: String,
        /// First height at which the new key is in force (after the block the rotation lands in).
        #[arg(long, value_name = "H")]
        from_height: u64,
        /// Signature file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Build the rotation transaction from enough signature files (checked here).
    Rotate {
        /// Transaction file to write (submit it with `zkreg ledger submit`).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Signature files.
        #[arg(required = true)]
        signatures: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
enum AuditCmd {
    /// Decrypt every record of heights FROM..=TO: height, tx id, kind and every audited field.
    ///
    /// Payments: asset, owner_in, value_in_0/1, cm_in_0/1 with the tx that created each spent
    /// note (cm_in_*_tx), owner_out_0/1, value_out_0/1, plus public deposit, withdrawal, fee and
    /// destination. Grants: owner_id, inst_id, dataset, purpose, expiry, gcm, grant_pos. Accesses:
    /// owner_id, inst_id, dataset, purpose, gcm (and grant_tx), now, request. Revocations:
    /// grant_pos, gcm, grant_tx. Owner ids are hex field elements; labels show by name when known.
    Export {
        /// Regulator key name (a single key).
        #[arg(long, value_name = "NAME", required_unless_present = "committee")]
        regulator: Option<String>,
        /// A committee's key file (from `zkreg committee finish`): combine the members'
        /// decryption shares (--shares) instead of using a key.
        #[arg(
            long,
            value_name = "FILE",
            conflicts_with = "regulator",
            requires = "shares"
        )]
        committee: Option<PathBuf>,
        /// Decryption-share files of the members (at least the threshold), repeatable.
        #[arg(long, value_name = "FILE")]
        shares: Vec<PathBuf>,
        /// First height.
        #[arg(long, value_name = "H")]
        from: u64,
        /// Last height (at most the ledger's height).
        #[arg(long, value_name = "H")]
        to: u64,
        /// Output format.
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
        /// Write to FILE instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Extra label names (datasets, purposes, assets) to show by name, repeatable.
        #[arg(long, value_name = "NAME")]
        label: Vec<String>,
        /// Name parties from this directory (CSV "owner_id,name"): adds owner_in_name,
        /// owner_out_0_name, owner_out_1_name, owner_id_name and inst_id_name beside the ids.
        #[arg(long, value_name = "FILE")]
        directory: Option<PathBuf>,
    },
    /// Payments per asset and per party per period of N heights: count, volume (value paid to
    /// others), deposits, withdrawals and fees per (period, asset); sent and received per
    /// (period, asset, party). Streams the records like `export`.
    Summary {
        /// Regulator key name.
        #[arg(long, value_name = "NAME")]
        regulator: String,
        /// First height.
        #[arg(long, value_name = "H")]
        from: u64,
        /// Last height (at most the ledger's height).
        #[arg(long, value_name = "H")]
        to: u64,
        /// Heights per period: period k holds heights k·N ..= (k+1)·N − 1.
        #[arg(long, value_name = "N", default_value_t = 1000)]
        period_blocks: u64,
        /// Output format.
        #[arg(long, value_enum, default_value = "csv")]
        format: Format,
        /// Write to FILE instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Extra label names to show by name, repeatable.
        #[arg(long, value_name = "NAME")]
        label: Vec<String>,
        /// Name parties from this directory (CSV "owner_id,name").
        #[arg(long, value_name = "FILE")]
        directory: Option<PathBuf>,
    },
    /// The spent-note graph as a CSV edge list: one edge per non-zero payment output, payer →
    /// payee, with asset, value, the paying tx and the txs that created the spent notes.
    Graph {
        /// Regulator key name.
        #[arg(long, value_name = "NAME")]
        regulator: String,
        /// First height.
        #[arg(long, value_name = "H")]
        from: u64,
        /// Last height (at most the ledger's height).
        #[arg(long, value_name = "H")]
        to: u64,
        /// Write to FILE instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Extra label names to show by name, repeatable.
        #[arg(long, value_name = "NAME")]
        label: Vec<String>,
        /// Name parties from this directory (CSV "owner_id,name").
        #[arg(long, value_name = "FILE")]
        directory: Option<PathBuf>,
    },
    /// Decrypt one transaction and prove the decryption honest (Chaum–Pedersen proof that
    /// S = rsk·R for the RPK in the genesis). Anyone with the ledger can check the file.
    Disclose {
        /// Regulator key name (a single key).
        #[arg(long, value_name = "NAME", required_unless_present = "committee")]
        regulator: Option<String>,
        /// A committee's key file: disclose with the members' decryption shares (--shares).
        #[arg(
            long,
            value_name = "FILE",
            conflicts_with = "regulator",
            requires = "shares"
        )]
        committee: Option<PathBuf>,
        /// Decryption-share files of the members, repeatable.
        #[arg(long, value_name = "FILE")]
        shares: Vec<PathBuf>,
        /// Transaction id (hex).
        #[arg(long, value_name = "TXID")]
        tx: String,
        /// Disclosure file to write (JSON).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Check a disclosure without the regulator key: the proof, that its RPK is the genesis key,
    /// and that S decrypts the ledger's ciphertext to exactly the disclosed fields.
    VerifyDisclosure {
        /// Disclosure file.
        file: PathBuf,
        /// Name parties from this directory (CSV "owner_id,name").
        #[arg(long, value_name = "FILE")]
        directory: Option<PathBuf>,
    },
}

fn address(text: &str) -> Result<Address> {
    Address::decode(text).map_err(|e| anyhow!("invalid address {:?}: {e}", text.trim()))
}

fn run(cli: Cli) -> Result<()> {
    let Cli {
        home,
        node,
        command,
    } = cli;
    if matches!(command, Command::Demo) {
        return demo::run(home);
    }
    if let Command::Node(NodeCmd::Run { config }) = &command {
        return node_cmd::cmd_run(config);
    }
    let route = match node.as_deref() {
        Some(url) => run_on_node(url, &command)?,
        None => OnNode::Local,
    };
    if let OnNode::Done = route {
        return Ok(());
    }
    let mut s = Session::new(Home::resolve(home)?);
    if let (OnNode::SyncFirst, Some(url)) = (&route, node.as_deref()) {
        node_cmd::cmd_sync(&mut s, url)?;
    }
    match command {
        Command::Demo => {}
        Command::Setup { dev_seed, force } => {
            let m = params_cmd::run_setup(&s.home, dev_seed, force, false)?;
            params_cmd::print_setup(&s.home, &m);
        }
        Command::Params(ParamsCmd::Verify) => params_cmd::verify(&s.home)?,
        Command::Info { json } => params_cmd::info(&s.home, json)?,
        Command::Circuits => params_cmd::circuits()?,
        Command::Bench {
            quick,
            json,
            cluster,
        } => bench_cmd::bench(&s.home, quick, json, cluster)?,
        Command::Keys(k) => match k {
            KeysCmd::New { kind, name } => {
                let kind = match kind {
                    KindArg::Wallet => KeyKind::Wallet,
                    KindArg::Regulator => KeyKind::Regulator,
                    KindArg::Issuer => KeyKind::Issuer,
                };
                keys_cmd::cmd_new(&s.home, kind, &name)?
            }
            KeysCmd::Address { name } => keys_cmd::cmd_address(&s.home, &name)?,
            KeysCmd::List => keys_cmd::cmd_list(&s.home)?,
        },
        Command::Ledger(l) => match l {
            LedgerCmd::Init {
                regulator,
                issuer,
                allow_insecure_keys,
                genesis,
                chain_id,
                anchor_window,
                time_tolerance,
            } => {
                let c = ledger_cmd::init(
                    &s.home,
                    &ledger_cmd::InitOptions {
                        regulator,
                        issuers: issuer,
                        allow_insecure_keys,
                        genesis,
                        node: node.clone(),
                        chain_id,
                        anchor_window,
                        time_tolerance,
                    },
                )?;
                ledger_cmd::print_init(&s.home, &c);
            }
            LedgerCmd::Submit { txfiles, time, .. } => {
                ledger_cmd::cmd_submit(&mut s, &txfiles, time)?
            }
            LedgerCmd::Status { json } => ledger_cmd::cmd_status(&mut s, json)?,
            LedgerCmd::Sync => match node.as_deref() {
                Some(url) => node_cmd::cmd_sync(&mut s, url)?,
                None => bail!("ledger sync needs --node URL (the node to replicate)"),
            },
        },
        Command::Mint {
            issuer,
            asset,
            to,
            amount,
            out,
        } => {
            let key = s.home.issuer(&issuer)?;
            let to = address(&to)?;
            if amount == 0 {
                bail!("the amount must be positive");
            }
            let throwaway = zkreg_prover::keys::WalletKeys::random(&mut rand::rngs::OsRng);
            let b = pay::build(
                &mut s,
                pay::From::Keys(throwaway),
                &pay::PayArgs {
                    asset: &asset,
                    to: Some(to),
                    amount,
                    deposit: amount,
                    withdraw: 0,
                    fee: 0,
                    destination: Vec::new(),
                    issuer: Some(&key),
                },
                false,
            )?;
            let bytes = ledger_cmd::write_tx(&out, &b.tx)?;
            println!("mint of {amount} {asset} to {to} signed by {issuer}");
            pay::print_written(&out, &b.tx, bytes.len(), b.prove_secs, node.as_deref());
        }
        Command::Pay {
            wallet,
            account,
            asset,
            to,
            amount,
            fee,
            out,
        } => {
            let to = address(&to)?;
            if amount == 0 {
                bail!("the amount must be positive");
            }
            let b = pay::build(
                &mut s,
                pay::From::Wallet {
                    name: &wallet,
                    account,
                },
                &pay::PayArgs {
                    asset: &asset,
                    to: Some(to),
                    amount,
                    deposit: 0,
                    withdraw: 0,
                    fee,
                    destination: Vec::new(),
                    issuer: None,
                },
                true,
            )?;
            let bytes = ledger_cmd::write_tx(&out, &b.tx)?;
            println!("payment of {amount} {asset} from {wallet} to {to} (fee {fee})");
            pay::print_written(&out, &b.tx, bytes.len(), b.prove_secs, node.as_deref());
        }
        Command::Withdraw {
            wallet,
            account,
            issuer,
            asset,
            amount,
            destination,
            out,
        } => {
            let key = s.home.issuer(&issuer)?;
            if amount == 0 {
                bail!("the amount must be positive");
            }
            let b = pay::build(
                &mut s,
                pay::From::Wallet {
                    name: &wallet,
                    account,
                },
                &pay::PayArgs {
                    asset: &asset,
                    to: None,
                    amount: 0,
                    deposit: 0,
                    withdraw: amount,
                    fee: 0,
                    destination: destination.into_bytes(),
                    issuer: Some(&key),
                },
                true,
            )?;
            let bytes = ledger_cmd::write_tx(&out, &b.tx)?;
            println!("withdrawal of {amount} {asset} by {wallet}, signed by {issuer}");
            pay::print_written(&out, &b.tx, bytes.len(), b.prove_secs, node.as_deref());
        }
        Command::Wallet(w) => match w {
            WalletCmd::Sync(a) => {
                pay::cmd_balance(&mut s, node.as_deref(), &a.wallet, a.account, a.json, true)?
            }
            WalletCmd::Balance(a) => {
                pay::cmd_balance(&mut s, node.as_deref(), &a.wallet, a.account, a.json, false)?
            }
            WalletCmd::Notes(a) => pay::cmd_notes(&mut s, &a.wallet, a.account, a.json)?,
            WalletCmd::Address(a) => {
                let address = s
                    .home
                    .wallet(&a.wallet)?
                    .account(a.account)
                    .address()
                    .encode();
                if a.json {
                    println!(
                        "{}",
                        serde_json::json!({"wallet": a.wallet, "account": a.account, "address": address})
                    );
                } else {
                    println!("{address}");
                }
            }
            WalletCmd::History(a) => pay::cmd_history(&mut s, &a.wallet, a.account, a.json)?,
        },
        Command::Consent(c) => run_consent(&mut s, c, node.as_deref())?,
        Command::Audit(a) => match a {
            AuditCmd::Export {
                regulator,
                committee,
                shares,
                from,
                to,
                format,
                out,
                label,
                directory,
            } => audit::cmd_export(
                &mut s,
                &audit::AuditRange {
                    node: node.as_deref(),
                    key: &match (regulator, committee) {
                        (Some(r), _) => audit::ExportKey::Regulator(r),
                        (None, Some(c)) => audit::ExportKey::Committee { key: c, shares },
                        (None, None) => {
                            bail!("give --regulator NAME or --committee FILE --shares FILE...")
                        }
                    },
                    from,
                    to,
                    extra_labels: &label,
                    directory: directory.as_deref(),
                },
                matches!(format, Format::Csv),
                out.as_deref(),
            )?,
            AuditCmd::Summary {
                regulator,
                from,
                to,
                period_blocks,
                format,
                out,
                label,
                directory,
            } => audit::cmd_summary(
                &mut s,
                &audit::AuditRange {
                    node: node.as_deref(),
                    key: &audit::ExportKey::Regulator(regulator),
                    from,
                    to,
                    extra_labels: &label,
                    directory: directory.as_deref(),
                },
                period_blocks,
                matches!(format, Format::Csv),
                out.as_deref(),
            )?,
            AuditCmd::Graph {
                regulator,
                from,
                to,
                out,
                label,
                directory,
            } => audit::cmd_graph(
                &mut s,
                &audit::AuditRange {
                    node: node.as_deref(),
                    key: &audit::ExportKey::Regulator(regulator),
                    from,
                    to,
                    extra_labels: &label,
                    directory: directory.as_deref(),
                },
                out.as_deref(),
            )?,
            AuditCmd::Disclose {
                regulator,
                committee,
                shares,
                tx,
                out,
            } => {
                let key = match (regulator, committee) {
                    (Some(r), _) => audit::ExportKey::Regulator(r),
                    (None, Some(c)) => audit::ExportKey::Committee { key: c, shares },
                    (None, None) => {
                        bail!("give --regulator NAME or --committee FILE --shares FILE...")
                    }
                };
                audit::cmd_disclose(&mut s, &key, &tx, &out)?
            }
            AuditCmd::VerifyDisclosure { file, directory } => {
                audit::cmd_verify_disclosure(&mut s, &file, directory.as_deref())?
            }
        },
        Command::Committee(c) => match c {
            CommitteeCmd::Member {
                name,
                index,
                display_name,
                card,
            } => committee_cmd::cmd_member(&mut s, &name, index, display_name.as_deref(), &card)?,
            CommitteeCmd::New {
                threshold,
                out,
                cards,
            } => committee_cmd::cmd_new(threshold, &cards, &out)?,
            CommitteeCmd::Deal {
                member,
                committee,
                out,
            } => committee_cmd::cmd_deal(&mut s, &member, &committee, &out)?,
            CommitteeCmd::Finish {
                member,
                committee,
                key_out,
                deals,
            } => committee_cmd::cmd_finish(&mut s, &member, &committee, &deals, &key_out)?,
            CommitteeCmd::DecryptShare {
                member,
                from,
                to,
                out,
            } => {
                committee_cmd::cmd_decrypt_share(&mut s, node.as_deref(), &member, from, to, &out)?
            }
            CommitteeCmd::SignRotation {
                member,
                regulator,
                new_key,
                from_height,
                out,
            } => committee_cmd::cmd_sign_rotation(
                &mut s,
                node.as_deref(),
                member.as_deref(),
                regulator.as_deref(),
                &new_key,
                from_height,
                &out,
            )?,
            CommitteeCmd::Rotate { out, signatures } => {
                committee_cmd::cmd_rotate(&signatures, &out)?
            }
        },
        Command::Verify { txfile } => verify_tx(&s.home, &txfile)?,
        Command::Node(NodeCmd::Init {
            validators,
            out,
            base_port,
            dev_seed,
        }) => node_cmd::cmd_init(&mut s, validators, &out, base_port, dev_seed)?,
        Command::Node(NodeCmd::Run { .. }) => {}
    }
    Ok(())
}

/// How a command runs with `--node URL`.
enum OnNode {
    /// Answered by the node itself (submit, status).
    Done,
    /// Runs as usual: it does not touch the ledger, or it has its own node path (`ledger
    /// sync`, `wallet sync|balance`, `audit export`).
    Local,
    /// Needs the chain's trees (a note's or a grant's witness, a spend's history): the home's
    /// replica is first brought to the node's tip by `ledger sync` (every block re-verified,
    /// its state root compared with the node's), then the command runs on it. A wallet never
    /// asks the node for a Merkle path, which would tell the node which note it spends.
    SyncFirst,
}

/// How each command runs with `--node URL`. The match names every command, so a new one must
/// choose its route rather than silently run against the local ledger.
fn run_on_node(url: &str, command: &Command) -> Result<OnNode> {
    match command {
        Command::Ledger(LedgerCmd::Submit { txfiles, wait, .. }) => {
            node_cmd::cmd_submit(url, txfiles, *wait)?
        }
        Command::Ledger(LedgerCmd::Status { json }) => node_cmd::cmd_status(url, *json)?,
        Command::Ledger(LedgerCmd::Sync) => return Ok(OnNode::Local),
        Command::Wallet(WalletCmd::Sync(_) | WalletCmd::Balance(_))
        | Command::Audit(
            AuditCmd::Export { .. } | AuditCmd::Summary { .. } | AuditCmd::Graph { .. },
        )
        | Command::Committee(
            CommitteeCmd::DecryptShare { .. } | CommitteeCmd::SignRotation { .. },
        ) => return Ok(OnNode::Local),
        // Files only.
        Command::Committee(
            CommitteeCmd::Member { .. }
            | CommitteeCmd::New { .. }
            | CommitteeCmd::Deal { .. }
            | CommitteeCmd::Finish { .. }
            | CommitteeCmd::Rotate { .. },
        ) => return Ok(OnNode::Local),
        // Derived from the key file alone.
        Command::Wallet(WalletCmd::Address(_)) => return Ok(OnNode::Local),
        Command::Mint { .. }
        | Command::Pay { .. }
        | Command::Withdraw { .. }
        | Command::Wallet(WalletCmd::History(_) | WalletCmd::Notes(_))
        | Command::Consent(
            ConsentCmd::Approve { .. }
            | ConsentCmd::Access { .. }
            | ConsentCmd::Revoke { .. }
            | ConsentCmd::Log { .. },
        )
        | Command::Audit(AuditCmd::Disclose { .. } | AuditCmd::VerifyDisclosure { .. }) => {
            return Ok(OnNode::SyncFirst)
        }
        Command::Setup { .. }
        | Command::Params(_)
        | Command::Info { .. }
        | Command::Circuits
        | Command::Keys(_)
        | Command::Verify { .. }
        | Command::Bench { .. }
        | Command::Demo
        | Command::Consent(ConsentCmd::Request { .. } | ConsentCmd::Deny { .. })
        | Command::Node(_) => return Ok(OnNode::Local),
        // Joins the node's chain: a local replica started from the node's genesis.
        Command::Ledger(LedgerCmd::Init { .. }) => return Ok(OnNode::Local),
    }
    Ok(OnNode::Done)
}

fn run_consent(s: &mut Session, c: ConsentCmd, node: Option<&str>) -> Result<()> {
    match c {
        ConsentCmd::Request {
            institution,
            owner,
            dataset,
            purpose,
            reason,
            days,
            out,
        } => {
            let r = consent::request(s, &institution, &owner, &dataset, &purpose, &reason, days)?;
            util::write(&out, serde_json::to_string_pretty(&r)?.as_bytes())?;
            println!(
                "request {} by {institution}: {} for {}, {days} day(s); written to {}",
                r.id,
                r.dataset,
                r.purpose,
                out.display()
            );
            println!("hand it to the data owner, who runs: zkreg consent approve --owner NAME {} --out grant.tx", out.display());
        }
        ConsentCmd::Approve {
            owner,
            reqfile,
            out,
        } => {
            let r = consent::ConsentRequest::read(&reqfile)?;
            let b = consent::approve(s, &owner, &r)?;
            let bytes = ledger_cmd::write_tx(&out, &b.tx)?;
            println!(
                "{owner} approved request {}: {} may use {} for {} for {} day(s)",
                r.id, r.institution_name, r.dataset, r.purpose, r.days
            );
            pay::print_written(&out, &b.tx, bytes.len(), b.prove_secs, node);
        }
        ConsentCmd::Deny {
            owner,
            reqfile,
            reason,
        } => {
            let r = consent::ConsentRequest::read(&reqfile)?;
            consent::deny(s, &owner, &r, reason)?;
            println!(
                "{owner} denied request {} ({} asked for {}); logged locally, nothing goes on the ledger",
                r.id, r.institution_name, r.dataset
            );
        }
        ConsentCmd::Access {
            institution,
            grant_tx,
            request,
            nonce,
            service,
            now,
            out,
        } => {
            let which = match (grant_tx, request) {
                (Some(id), None) => consent::GrantRef::Tx(util::id_from_hex(&id)?),
                (None, Some(p)) => {
                    consent::GrantRef::Request(Box::new(consent::ConsentRequest::read(&p)?))
                }
                _ => bail!("give --grant-tx TXID or --request REQFILE"),
            };
            let b = consent::access(s, &institution, &which, &nonce, now, service.as_deref())?;
            let bytes = ledger_cmd::write_tx(&out, &b.tx)?;
            println!("{institution} proved a valid grant (which one stays hidden) for request nonce {nonce}");
            pay::print_written(&out, &b.tx, bytes.len(), b.prove_secs, node);
        }
        ConsentCmd::Revoke {
            owner,
            reqfile,
            grant,
            out,
        } => {
            let which = match (reqfile, grant) {
                (Some(p), None) => {
                    consent::RevokeRef::Request(consent::ConsentRequest::read(&p)?.id)
                }
                (None, Some(g)) => consent::RevokeRef::GrantTx(g),
                _ => bail!("give REQFILE or --grant TXID"),
            };
            let b = consent::revoke(s, &owner, &which)?;
            let bytes = ledger_cmd::write_tx(&out, &b.tx)?;
            println!("{owner} withdrew consent; once submitted, the grant can no longer be used");
            pay::print_written(&out, &b.tx, bytes.len(), b.prove_secs, node);
        }
        ConsentCmd::Log { owner, json } => consent::cmd_log(s, &owner, json)?,
    }
    Ok(())
}

/// `zkreg verify`: stateless checks of a transaction file.
fn verify_tx(home: &Home, path: &std::path::Path) -> Result<()> {
    let (bytes, tx) = util::read_tx(path)?;
    let manifest = home.manifest()?;
    // Proofs and issuer signatures are bound to a chain: verify for this home's chain, with the
    // keys its genesis accepts (dev keys only if the genesis allows them).
    let genesis = std::fs::read_to_string(home.genesis()).map_err(|e| {
        anyhow!(
            "{}: {e} (verification needs this home's chain: run `zkreg ledger init` first)",
            home.genesis().display()
        )
    })?;
    let config = zkreg_ledger::ChainConfig::from_json(&genesis)
        .map_err(|e| anyhow!("{}: {e}", home.genesis().display()))?;
    let (_, [p, g, a, r]) = zkreg_verifier::params::load_verifying_keys(
        &home.params(),
        config.genesis.allow_insecure_keys,
    )
    .map_err(|e| anyhow!("{e}"))?;
    let vks = zkreg_verifier::VerifyingKeys::new(config.hash, &p, &g, &a, &r)
        .map_err(|e| anyhow!("{e}"))?;
    vks.verify(&tx)
        .map_err(|e| anyhow!("{}: invalid transaction: {e}", path.display()))?;
    println!(
        "valid {} transaction {} ({} bytes): encoding, signature rules and proof check out",
        tx.kind().name(),
        util::id_hex(&tx.id()),
        bytes.len()
    );
    if let zkreg_verifier::Transaction::Payment(pt) = &tx {
        if pt.v_in_pub > 0 || pt.v_out_pub > 0 {
            println!(
                "  deposit {}, withdrawal {}, signed by issuer {}",
                pt.v_in_pub,
                pt.v_out_pub,
                pt.issuer_signature
                    .as_ref()
                    .map(|s| hex::encode(s.issuer))
                    .unwrap_or_default()
            );
        }
    }
    println!("  ledger state (anchor, nullifiers, issuer authorisation) is not checked here: `zkreg ledger submit` does that");
    if manifest.insecure {
        println!("  note: checked against INSECURE dev parameters");
    }
    Ok(())
}

/// Writes to standard output; see [`println!`].
fn write_stdout(args: std::fmt::Arguments) {
    use std::io::Write;
    if let Err(e) = std::io::stdout().lock().write_fmt(args) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to standard output: {e}");
        std::process::exit(1);
    }
}

/// Parses the command line. Help and version print as clap prints them; a usage error is one
/// `error:` line (clap's first line, plus a pointer to `--help`) and exit status 2.
fn parse_args() -> Result<Cli, ExitCode> {
    use clap::error::ErrorKind;
    match Cli::try_parse() {
        Ok(cli) => Ok(cli),
        Err(e) => match e.kind() {
            ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                let _ = e.print();
                Err(ExitCode::from(if e.use_stderr() { 2 } else { 0 }))
            }
            _ => {
                let rendered = e.render().to_string();
                let first = rendered
                    .lines()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("error: invalid arguments");
                let first = first.strip_prefix("error: ").unwrap_or(first);
                eprintln!("error: {first} (see --help)");
                Err(ExitCode::from(2))
            }
        },
    }
}

fn main() -> ExitCode {
    // A bug must still end in one line, not a panic message with a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".into());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("error: internal error{at}: {}", msg.replace('\n', " "));
    }));
    let cli = match parse_args() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(cli))) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::FAILURE
        }
        Err(_) => ExitCode::from(101),
    }
}
