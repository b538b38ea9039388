//! Wiring: simplex orders block digests, marshal (standard, inline verification) disseminates,
//! backfills and delivers finalized blocks in order, buffered broadcast carries proposals, and
//! the ledger is the application. Generic over the runtime, so the same engine runs on tokio
//! (`zkreg node run`) and in the deterministic simulator (tests).
//!
//! Channels (one per use, each with its own rate quota):
//!
//! | id | use |
//! |---|---|
//! | 0 | simplex votes |
//! | 1 | simplex certificates |
//! | 2 | simplex resolver |
//! | 3 | block broadcast (buffered) |
//! | 4 | marshal backfill |
//! | 5 | mempool gossip |

use crate::{
    app::{run_commits, App, BuildPolicy, Finalizer},
    block::Block,
    state::NodeState,
};
use commonware_broadcast::buffered;
use commonware_consensus::{
    marshal::{self, core::Actor as Marshal, resolver::p2p as marshal_resolver, standard::Inline},
    simplex::{
        self,
        config::{ForwardPolicy, SkipBudget, SkipPolicy},
        elector::RoundRobin,
        scheme::ed25519::Scheme,
    },
    types::{Epoch, FixedEpocher, ViewDelta},
};
use commonware_cryptography::{
    certificate::{ConstantProvider, Verifier as _},
    ed25519::{PrivateKey, PublicKey},
    Digestible, Signer,
};
use commonware_p2p::{Blocker, Provider, Receiver, Recipients, Sender};
use commonware_parallel::Sequential;
use commonware_runtime::{buffer::paged::CacheRef, Clock, Metrics, Spawner, Storage, Supervisor};
use commonware_storage::archive::immutable;
use commonware_utils::{ordered::Set, NZUsize, NZU16, NZU64};
use rand_core::CryptoRng;
use std::{
    num::{NonZeroU64, NonZeroUsize},
    sync::Arc,
    time::Duration,
};
use tracing::warn;

/// Channel ids.
pub mod channels {
    /// Simplex votes.
    pub const VOTES: u64 = 0;
    /// Simplex certificates.
    pub const CERTIFICATES: u64 = 1;
    /// Simplex resolver.
    pub const RESOLVER: u64 = 2;
    /// Block broadcast.
    pub const BROADCAST: u64 = 3;
    /// Marshal backfill.
    pub const BACKFILL: u64 = 4;
    /// Mempool gossip.
    pub const GOSSIP: u64 = 5;

    /// Messages per second a peer may send on each channel. The p2p layer reports a channel's
    /// capacity as this burst times the peers it keeps, and commonware sizes mailboxes from it,
    /// so it is a memory bound too (the simulator, with 100,000/s, needed 6 GB at 16 validators).
    pub const QUOTA: commonware_runtime::Quota =
        commonware_runtime::Quota::per_second(commonware_utils::NZU32!(10_000));
}

/// The consensus namespace: signatures of one chain never verify on another.
pub fn namespace(chain_hash: &[u8; 32]) -> Vec<u8> {
    let mut n = b"zkreg/v1/consensus/".to_vec();
    n.extend_from_slice(hex::encode(chain_hash).as_bytes());
    n
}

/// Consensus timeouts.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// Wait for a leader's proposal.
    pub leader: Duration,
    /// Wait for certification before voting to skip.
    pub certification: Duration,
    /// Retry of a nullify broadcast.
    pub retry: Duration,
    /// Peer request timeout.
    pub fetch: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            leader: Duration::from_secs(2),
            certification: Duration::from_secs(4),
            retry: Duration::from_secs(5),
            fetch: Duration::from_secs(2),
        }
    }
}

/// What one validator runs with.
pub struct EngineConfig<B, P> {
    /// This validator's key.
    pub signer: PrivateKey,
    /// Every validator's key.
    pub participants: Set<PublicKey>,
    /// The chain hash (namespace and genesis block).
    pub chain_hash: [u8; 32],
    /// Prefix of every storage partition of this validator.
    pub partition: String,
    /// Blocks misbehaving peers.
    pub blocker: B,
    /// Peer sets (for broadcast and backfill).
    pub peers: P,
    /// Consensus timeouts.
    pub timeouts: Timeouts,
}

const PAGE_SIZE: std::num::NonZeroU16 = NZU16!(4096);
const PAGE_CACHE: NonZeroUsize = NZUsize!(1024);
const ITEMS_PER_SECTION: NonZeroU64 = NZU64!(4096);
const REPLAY_BUFFER: NonZeroUsize = NZUsize!(1 << 20);
const WRITE_BUFFER: NonZeroUsize = NZUsize!(1 << 20);
const MAILBOX: NonZeroUsize = NZUsize!(1024);
/// One epoch for the whole chain (the validator set is fixed by the genesis).
const EPOCH_LENGTH: NonZeroU64 = NZU64!(1 << 62);

fn archive_config<C>(
    prefix: &str,
    name: &str,
    page_cache: &CacheRef,
    codec: C,
) -> immutable::Config<C> {
    let p = |part: &str| format!("{prefix}-{name}-{part}");
    immutable::Config {
        metadata_partition: p("metadata"),
        freezer_table_partition: p("freezer-table"),
        freezer_table_initial_size: 64,
        freezer_table_resize_frequency: 4,
        freezer_table_resize_chunk_size: 1 << 10,
        freezer_key_partition: p("freezer-key"),
        freezer_key_page_cache: page_cache.clone(),
        freezer_value_partition: p("freezer-value"),
        freezer_value_target_size: 1 << 28,
        freezer_value_compression: None,
        ordinal_partition: p("ordinal"),
        items_per_section: ITEMS_PER_SECTION,
        codec_config: codec,
        replay_buffer: REPLAY_BUFFER,
        freezer_key_write_buffer: WRITE_BUFFER,
        freezer_value_write_buffer: WRITE_BUFFER,
        ordinal_write_buffer: WRITE_BUFFER,
    }
}

/// A (sender, receiver) pair of one channel.
pub type Channel<S, R> = (S, R);

/// Starts one validator: marshal, broadcast, simplex, the commit task and mempool gossip.
/// Returns when every component has been spawned; they run until the context stops.
///
/// `app` is the application simplex drives: [`App`] over `state` for an honest validator (see
/// [`honest_app`]); tests pass a Byzantine one.
#[allow(clippy::too_many_arguments)]
pub async fn start<E, A, B, P, S, R>(
    context: E,
    state: Arc<NodeState>,
    app: A,
    cfg: EngineConfig<B, P>,
    votes: Channel<S, R>,
    certificates: Channel<S, R>,
    resolver: Channel<S, R>,
    broadcast: Channel<S, R>,
    backfill: Channel<S, R>,
    gossip: Channel<S, R>,
) -> Result<(), String>
where
    E: Clock + CryptoRng + Spawner + Storage + Metrics + Supervisor,
    A: commonware_consensus::Application<
        E,
        SigningScheme = Scheme,
        Context = simplex::types::Context<commonware_cryptography::sha256::Digest, PublicKey>,
        Block = Block,
        Input = (),
    >,
    B: Blocker<PublicKey = PublicKey>,
    P: Provider<PublicKey = PublicKey>,
    S: Sender<PublicKey = PublicKey>,
    R: Receiver<PublicKey = PublicKey>,
{
    let me = cfg.signer.public_key();
    let ns = namespace(&cfg.chain_hash);
    let scheme = Scheme::signer(&ns, cfg.participants.clone(), cfg.signer.clone())
        .ok_or("this validator's key is not in the genesis's validator set")?;
    let page_cache = CacheRef::new(PAGE_SIZE, PAGE_CACHE);
    let prefix = cfg.partition.clone();

    let finalizations = immutable::Archive::init(
        context.child("finalizations"),
        archive_config(
            &prefix,
            "finalizations",
            &page_cache,
            Scheme::certificate_codec_config_unbounded(),
        ),
    )
    .await
    .map_err(|e| format!("finalizations archive: {e}"))?;
    let blocks = immutable::Archive::init(
        context.child("blocks"),
        archive_config(&prefix, "blocks", &page_cache, ()),
    )
    .await
    .map_err(|e| format!("blocks archive: {e}"))?;

    let epocher = FixedEpocher::new(EPOCH_LENGTH);
    let genesis = Block::genesis(cfg.chain_hash);
    let genesis_digest = genesis.digest();
    let genesis = commonware_cryptography::Digested::precomputed(genesis, genesis_digest);
    let (marshal, marshal_mailbox, _floor) = Marshal::init(
        context.child("marshal"),
        finalizations,
        blocks,
        marshal::Config {
            provider: ConstantProvider::new(scheme.clone()),
            epocher: epocher.clone(),
            start: marshal::Start::Genesis(genesis),
            partition_prefix: prefix.clone(),
            mailbox_size: MAILBOX,
            view_retention: ViewDelta::new(256),
            prunable_items_per_section: ITEMS_PER_SECTION,
            page_cache: page_cache.clone(),
            replay_buffer: REPLAY_BUFFER,
            key_write_buffer: WRITE_BUFFER,
            value_write_buffer: WRITE_BUFFER,
            block_codec_config: (),
            max_repair: NZUsize!(32),
            max_pending_acks: NZUsize!(8),
            strategy: Sequential,
        },
    )
    .await;

    let (buffer_engine, buffer) = buffered::Engine::new(
        context.child("buffer"),
        buffered::Config {
            public_key: me.clone(),
            mailbox_size: MAILBOX,
            deque_size: 16,
            priority: false,
            codec_config: (),
            peer_provider: cfg.peers.clone(),
            strategy: Sequential,
        },
    );
    buffer_engine.start(broadcast);

    let resolver_pair = marshal_resolver::init(
        context.child("backfill"),
        marshal_resolver::Config {
            public_key: me.clone(),
            peer_provider: cfg.peers.clone(),
            blocker: cfg.blocker.clone(),
            mailbox_size: MAILBOX,
            fetch_timeout: commonware_utils::NonZeroDuration::new(cfg.timeouts.fetch)
                .ok_or("fetch timeout must be positive")?,
            fetch_retry_delay: Duration::from_millis(100),
            priority_requests: false,
            priority_responses: false,
        },
        backfill,
    );

    let (finalizer, queue) = Finalizer::new(state.clone());
    let commit_state = state.clone();
    context
        .child("commits")
        .spawn(move |_| run_commits(commit_state, queue));
    marshal.start(finalizer, buffer, resolver_pair);

    let inline = Inline::new(context.child("inline"), app, marshal_mailbox, epocher);
    let engine = simplex::Engine::new(
        context.child("simplex"),
        simplex::config::Config {
            scheme,
            elector: RoundRobin::<commonware_cryptography::Sha256>::default(),
            blocker: cfg.blocker,
            automaton: inline.clone(),
            relay: inline.clone(),
            reporter: inline,
            strategy: Sequential,
            partition: format!("{prefix}-simplex"),
            mailbox_size: MAILBOX,
            epoch: Epoch::zero(),
            floor: simplex::config::Floor::Genesis(genesis_digest),
            replay_buffer: REPLAY_BUFFER,
            write_buffer: WRITE_BUFFER,
            page_cache,
            leader_timeout: cfg.timeouts.leader,
            certification_timeout: cfg.timeouts.certification,
            timeout_retry: cfg.timeouts.retry,
            view_retention: ViewDelta::new(256),
            skip: SkipPolicy::Enabled {
                timeout: cfg.timeouts.certification + cfg.timeouts.retry,
                budget: SkipBudget::Participants,
            },
            fetch_timeout: commonware_utils::NonZeroDuration::new(cfg.timeouts.fetch)
                .ok_or("fetch timeout must be positive")?,
            fetch_retry_delay: Duration::from_millis(100),
            forward: ForwardPolicy::SilentLeader,
            track_historical_votes: false,
        },
    );
    engine.start(votes, certificates, resolver);

    let (gossip_out, gossip_in) = gossip;
    let gossip_state = state.clone();
    context
        .child("gossip")
        .spawn(move |ctx| run_gossip_in(ctx, gossip_state, gossip_in));
    state.set_gossip(Box::new(GossipOut(commonware_utils::sync::Mutex::new(
        Box::new(gossip_out),
    ))));
    Ok(())
}

/// The honest application over a validator's state.
pub fn honest_app(state: &Arc<NodeState>, policy: BuildPolicy) -> App {
    App::new(state.clone(), policy)
}

/// Most gossiped transactions admitted together.
const GOSSIP_BATCH: usize = 64;

/// Receives transactions other validators admitted and admits them here (no re-gossip).
async fn run_gossip_in<E: Clock, R: Receiver<PublicKey = PublicKey>>(
    clock: E,
    state: Arc<NodeState>,
    mut rx: R,
) {
    while let Ok(first) = rx.recv().await {
        // Everything already waiting is admitted together (one batch check of the proofs).
        let mut batch = vec![first];
        while batch.len() < GOSSIP_BATCH {
            match futures::FutureExt::now_or_never(rx.recv()) {
                Some(Ok(m)) => batch.push(m),
                _ => break,
            }
        }
        let now = crate::app::unix_secs(clock.current());
        let mut by_peer: Vec<(PublicKey, Vec<Vec<u8>>)> = Vec::new();
        for (peer, bytes) in batch {
            let bytes = bytes.as_ref().to_vec();
            match by_peer.iter_mut().find(|(p, _)| *p == peer) {
                Some((_, txs)) => txs.push(bytes),
                None => by_peer.push((peer, vec![bytes])),
            }
        }
        for (peer, txs) in by_peer {
            for r in state.admit_batch(txs, &format!("peer:{peer}"), now) {
                if let Err(e) = r {
                    warn!(%peer, %e, "gossiped transaction not admitted");
                }
            }
        }
    }
}

/// Sends admitted transactions to every other validator.
pub struct GossipOut<S>(commonware_utils::sync::Mutex<Box<S>>);

/// Something that forwards an admitted transaction to peers.
pub trait Gossip: Send + Sync {
    /// Forwards `tx`.
    fn send(&self, tx: &[u8]);
}

impl<S: Sender<PublicKey = PublicKey> + Sync> Gossip for GossipOut<S> {
    fn send(&self, tx: &[u8]) {
        let _ = self.0.lock().send(Recipients::All, tx.to_vec(), false);
    }
}
