//! A local consortium on files: `zkreg node init` writes it, `zkreg node run` starts one
//! validator of it on the tokio runtime with authenticated p2p (`lookup`: a fixed set of known
//! peers) and the HTTP API.
//!
//! ```text
//! DIR/genesis.json            the chain's genesis, naming the validators
//! DIR/node-I/config.json      addresses, peers, paths
//! DIR/node-I/validator.key    the validator's ed25519 seed (hex), mode 0600
//! DIR/node-I/ledger/          RocksDB (zkreg-ledger)
//! DIR/node-I/storage/         commonware journals and archives (consensus, blocks)
//! ```

use crate::{
    api,
    app::BuildPolicy,
    engine::{self, channels, EngineConfig, Timeouts},
    mempool::Limits,
    state::NodeState,
};
use commonware_codec::{DecodeExt, Encode};
use commonware_cryptography::{
    ed25519::{PrivateKey, PublicKey},
    ChaCha20Poly1305, Signer,
};
use commonware_p2p::{authenticated::lookup, Address, AddressableManager};
use commonware_runtime::{tokio as cw_tokio, Runner, Supervisor};
use commonware_stream::{
    cups::{self, Cups},
    sake::{self, Sake},
};
use commonware_utils::{ordered::Map, ordered::Set, NZUsize};
use serde::{Deserialize, Serialize};
use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};
use zkreg_ledger::{ChainConfig, Genesis, Ledger};

/// Why a network could not be written or a validator not started.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// A file could not be read or written.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        error: std::io::Error,
    },
    /// A configuration or key file is malformed.
    #[error("{path}: {why}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// The ledger could not be opened.
    #[error("ledger: {0}")]
    Ledger(#[from] zkreg_ledger::LedgerError),
    /// Anything else that stops a validator.
    #[error("{0}")]
    Other(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> NetworkError + '_ {
    move |error| NetworkError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// One peer of a validator's configuration.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Peer {
    /// Its ed25519 public key (hex).
    pub public_key: String,
    /// Its p2p address.
    pub p2p: SocketAddr,
    /// Its HTTP API address.
    pub api: SocketAddr,
}

/// A validator's `config.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// Index in the validator set.
    pub index: usize,
    /// P2p listen address.
    pub p2p: SocketAddr,
    /// HTTP API listen address.
    pub api: SocketAddr,
    /// Every validator (this one included).
    pub peers: Vec<Peer>,
    /// The genesis file.
    pub genesis: PathBuf,
    /// The Groth16 parameters directory (verifying keys are read, checked against the genesis).
    pub params: PathBuf,
    /// The validator key file.
    pub key: PathBuf,
    /// The ledger database.
    pub ledger: PathBuf,
    /// Commonware storage (consensus journal, block archives).
    pub storage: PathBuf,
}

/// Writes a local network of `n` validators on 127.0.0.1 into `dir`: their keys, a genesis
/// that names them (the base genesis with its validator set replaced), and one config each.
/// P2p ports are `base_port + i`, API ports `base_port + 100 + i`.
pub fn init(
    dir: &Path,
    base: &Genesis,
    params: &Path,
    n: usize,
    base_port: u16,
    seed: Option<u64>,
) -> Result<Vec<NodeConfig>, NetworkError> {
    if n == 0 {
        return Err(NetworkError::Other(
            "a network needs at least one validator".into(),
        ));
    }
    if usize::from(base_port) + 100 + n > usize::from(u16::MAX) {
        return Err(NetworkError::Other(format!(
            "ports from {base_port} do not fit {n} validators"
        )));
    }
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let keys: Vec<PrivateKey> = (0..n)
        .map(|i| match seed {
            Some(s) => Ok(PrivateKey::from_seed(
                s.wrapping_mul(1_000).wrapping_add(i as u64),
            )),
            None => {
                let mut secret = [0u8; 32];
                rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut secret);
                PrivateKey::decode(secret.to_vec())
                    .map_err(|e| NetworkError::Other(format!("key generation: {e}")))
            }
        })
        .collect::<Result<_, _>>()?;
    let mut genesis = base.clone();
    genesis.validators = keys
        .iter()
        .map(|k| hex::encode(k.public_key().encode()))
        .collect();
    let genesis_path = dir.join("genesis.json");
    let text =
        serde_json::to_string_pretty(&genesis).map_err(|e| NetworkError::Other(e.to_string()))?;
    ChainConfig::new(genesis).map_err(NetworkError::Ledger)?;
    std::fs::write(&genesis_path, text).map_err(io(&genesis_path))?;
    let localhost = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));
    let peers: Vec<Peer> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| Peer {
            public_key: hex::encode(k.public_key().encode()),
            p2p: localhost(base_port + i as u16),
            api: localhost(base_port + 100 + i as u16),
        })
        .collect();
    let abs = |p: &Path| std::fs::canonicalize(p).map_err(io(p));
    let params = abs(params)?;
    let genesis_path = abs(&genesis_path)?;
    let mut out = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let home = dir.join(format!("node-{i}"));
        std::fs::create_dir_all(&home).map_err(io(&home))?;
        let home = abs(&home)?;
        let key_path = home.join("validator.key");
        write_secret(&key_path, &hex::encode(key.encode()))?;
        let cfg = NodeConfig {
            index: i,
            p2p: peers[i].p2p,
            api: peers[i].api,
            peers: peers.clone(),
            genesis: genesis_path.clone(),
            params: params.clone(),
            key: key_path,
            ledger: home.join("ledger"),
            storage: home.join("storage"),
        };
        let path = home.join("config.json");
        let text =
            serde_json::to_string_pretty(&cfg).map_err(|e| NetworkError::Other(e.to_string()))?;
        std::fs::write(&path, text).map_err(io(&path))?;
        out.push(cfg);
    }
    Ok(out)
}

fn write_secret(path: &Path, text: &str) -> Result<(), NetworkError> {
    std::fs::write(path, text).map_err(io(path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io(path))?;
    }
    Ok(())
}

/// Reads a validator's `config.json`.
pub fn read_config(path: &Path) -> Result<NodeConfig, NetworkError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    serde_json::from_str(&text).map_err(|e| NetworkError::Malformed {
        path: path.to_path_buf(),
        why: e.to_string(),
    })
}

fn read_key(path: &Path) -> Result<PrivateKey, NetworkError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    let bad = |why: String| NetworkError::Malformed {
        path: path.to_path_buf(),
        why,
    };
    let bytes = hex::decode(text.trim()).map_err(|e| bad(e.to_string()))?;
    PrivateKey::decode(bytes).map_err(|e| bad(e.to_string()))
}

/// Parses a hex ed25519 public key.
pub fn parse_public_key(text: &str) -> Option<PublicKey> {
    let bytes = hex::decode(text).ok()?;
    PublicKey::decode(bytes).ok()
}

/// The validator set a genesis names, in canonical order.
pub fn validator_set(genesis: &Genesis) -> Result<Set<PublicKey>, NetworkError> {
    let keys: Vec<PublicKey> = genesis
        .validators
        .iter()
        .map(|v| {
            parse_public_key(v).ok_or_else(|| {
                NetworkError::Other(format!("validator key {v} is not an ed25519 key"))
            })
        })
        .collect::<Result<_, _>>()?;
    if keys.is_empty() {
        return Err(NetworkError::Other(
            "the genesis names no validators".into(),
        ));
    }
    Set::try_from(keys)
        .map_err(|_| NetworkError::Other("the genesis names a validator twice".into()))
}

/// Largest p2p message: a full block plus framing.
fn max_message_size() -> u32 {
    (crate::block::max_block_bytes() + 64 * 1024) as u32
}

/// Runs one validator until the process is stopped.
pub fn run(cfg: NodeConfig) -> Result<(), NetworkError> {
    let genesis_text = std::fs::read_to_string(&cfg.genesis).map_err(io(&cfg.genesis))?;
    let chain = ChainConfig::from_json(&genesis_text)?;
    let participants = validator_set(&chain.genesis)?;
    let signer = read_key(&cfg.key)?;
    if participants.position(&signer.public_key()).is_none() {
        return Err(NetworkError::Other(
            "this validator's key is not in the genesis".into(),
        ));
    }
    let chain_hash = chain.hash;
    let ledger = Ledger::open(&cfg.ledger, chain, &cfg.params)?;
    let state = Arc::new(NodeState::new(ledger, Limits::default()));
    let mut peers = Vec::new();
    for p in &cfg.peers {
        let key = parse_public_key(&p.public_key).ok_or_else(|| {
            NetworkError::Other(format!("peer key {} is malformed", p.public_key))
        })?;
        peers.push((key, Address::Symmetric(p.p2p)));
    }
    let peers: Map<PublicKey, Address> =
        Map::try_from(peers).map_err(|_| NetworkError::Other("a peer is listed twice".into()))?;
    std::fs::create_dir_all(&cfg.storage).map_err(io(&cfg.storage))?;
    let api_listener = std::net::TcpListener::bind(cfg.api)
        .map_err(|e| NetworkError::Other(format!("API address {}: {e}", cfg.api)))?;
    api_listener
        .set_nonblocking(true)
        .map_err(|e| NetworkError::Other(e.to_string()))?;

    let runtime = cw_tokio::Config::new()
        .with_storage_directory(cfg.storage.clone())
        .with_catch_panics(false);
    let runner = cw_tokio::Runner::new(runtime);
    let namespace = engine::namespace(&chain_hash);
    runner.start(|context| async move {
        let p2p_cfg = lookup::Config::local(
            Cups::<_, ChaCha20Poly1305>::new(
                Sake {
                    signer: signer.clone(),
                    synchrony_bound: Duration::from_secs(5),
                    max_handshake_age: Duration::from_secs(10),
                    version: sake::Version::V1,
                },
                cups::Version::V1,
            ),
            &namespace,
            cfg.p2p,
            NZUsize!(cfg.peers.len().max(1)),
            max_message_size(),
            NZUsize!(1024),
        );
        let (mut network, mut oracle) = lookup::Network::new(context.child("p2p"), p2p_cfg);
        oracle.track(0, peers);
        let quota = channels::QUOTA;
        let votes = network.register(channels::VOTES, quota);
        let certificates = network.register(channels::CERTIFICATES, quota);
        let resolver = network.register(channels::RESOLVER, quota);
        let broadcast = network.register(channels::BROADCAST, quota);
        let backfill = network.register(channels::BACKFILL, quota);
        let gossip = network.register(channels::GOSSIP, quota);
        network.start();
        let api_state = state.clone();
        tokio::spawn(async move {
            match tokio::net::TcpListener::from_std(api_listener) {
                Ok(l) => {
                    if let Err(e) = api::serve(l, api_state).await {
                        tracing::error!(%e, "API server stopped");
                    }
                }
                Err(e) => tracing::error!(%e, "API listener"),
            }
        });
        let app = engine::honest_app(&state, BuildPolicy::default());
        let result = engine::start(
            context.child("engine"),
            state,
            app,
            EngineConfig {
                signer,
                participants,
                chain_hash,
                partition: "zkreg".into(),
                blocker: oracle.clone(),
                peers: oracle,
                timeouts: Timeouts::default(),
            },
            votes,
            certificates,
            resolver,
            broadcast,
            backfill,
            gossip,
        )
        .await;
        if let Err(e) = result {
            return Err(NetworkError::Other(e));
        }
        // Run until the process is stopped.
        futures::future::pending::<()>().await;
        Ok(())
    })
}
