//! The ledger as a commonware application: `propose` and `verify` for simplex (through
//! marshal's [`Inline`](commonware_consensus::marshal::standard::Inline) wrapper), and the
//! [`Finalizer`] that commits finalized blocks marshal delivers in order.
//!
//! **Verifying against the parent.** `verify_block` checks a block against the committed
//! ledger, so a block is verified once its parent is committed here. Simplex finalizes view
//! `v` without waiting for view `v+1`, so the wait is about one network round trip; a parent
//! that never finalizes (a dead fork) means the ledger commits a different block at its height,
//! and the child is refused as [`ParentStatus::Conflicts`]. A parent is identified by its
//! claimed state root, a hash chain over all history (see [`crate::block`]).
//!
//! **Time.** A proposer stamps `max(parent time, its clock)`; verifiers never read their clock
//! (the ledger refuses time going backwards).

use crate::{
    block::{Block, MAX_BLOCK_TXS},
    state::{NodeState, ParentStatus},
};
use commonware_actor::Feedback;
use commonware_consensus::{
    marshal::{ancestry::Ancestry, Update},
    simplex::{scheme::ed25519::Scheme, types::Context},
    Reporter,
};
use commonware_cryptography::{ed25519::PublicKey, sha256::Digest, Digested, Digestible};
use commonware_runtime::Clock;
use commonware_utils::{acknowledgement::Exact, Acknowledgement};
use futures::{channel::mpsc, StreamExt};
use std::{
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};
use tracing::{error, info, warn};

/// How a validator builds blocks.
#[derive(Clone, Copy, Debug)]
pub struct BuildPolicy {
    /// Most transactions per block.
    pub max_txs: usize,
    /// How long a proposer waits for transactions before proposing an empty block (bounds the
    /// rate of empty blocks on an idle chain).
    pub idle_wait: Duration,
    /// How often a waiting proposer or verifier looks again.
    pub poll: Duration,
}

impl Default for BuildPolicy {
    fn default() -> Self {
        BuildPolicy {
            max_txs: MAX_BLOCK_TXS,
            idle_wait: Duration::from_millis(500),
            poll: Duration::from_millis(5),
        }
    }
}

/// Seconds since the Unix epoch of a runtime clock reading.
pub fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The application marshal wraps.
#[derive(Clone)]
pub struct App {
    state: Arc<NodeState>,
    policy: BuildPolicy,
}

impl App {
    /// An application over a validator's state.
    pub fn new(state: Arc<NodeState>, policy: BuildPolicy) -> Self {
        App { state, policy }
    }

    /// Waits until the committed ledger reaches `parent`; `None` if it never will (dead fork).
    async fn settle(&self, clock: &impl Clock, parent: &Block) -> Option<ParentStatus> {
        loop {
            match self.state.parent_status(parent.height, &parent.state_root) {
                ParentStatus::Behind => clock.sleep(self.policy.poll).await,
                ParentStatus::Conflicts => return None,
                s => return Some(s),
            }
        }
    }
}

impl<E: Clock + Send + Sync + 'static> commonware_consensus::Application<E> for App {
    type SigningScheme = Scheme;
    type Context = Context<Digest, PublicKey>;
    type Block = Block;
    type Input = ();

    async fn propose(
        &mut self,
        (clock, _): (E, Self::Context),
        mut ancestry: impl Ancestry<Block>,
        _input: (),
    ) -> Option<Digested<Block>> {
        let parent = ancestry.next().await?;
        let parent: &Block = parent.inner();
        if self.settle(&clock, parent).await? != ParentStatus::Tip {
            return None;
        }
        let started = clock.current();
        loop {
            let waited = clock
                .current()
                .duration_since(started)
                .unwrap_or(Duration::ZERO);
            if !self.state.with_mempool(|m| m.is_empty()) || waited >= self.policy.idle_wait {
                break;
            }
            clock.sleep(self.policy.poll).await;
        }
        let height = parent.height + 1;
        let time = parent.time.max(unix_secs(clock.current()));
        let block = self
            .state
            .build(parent.digest(), height, time, self.policy.max_txs)?;
        let digest = block.digest();
        Some(Digested::precomputed(block, digest))
    }

    async fn verify(
        &mut self,
        (clock, _): (E, Self::Context),
        mut ancestry: impl Ancestry<Block>,
    ) -> bool {
        let (Some(block), Some(parent)) = (ancestry.next().await, ancestry.next().await) else {
            return false;
        };
        let (block, parent): (&Block, &Block) = (block.inner(), parent.inner());
        match self.settle(&clock, parent).await {
            None => false,
            // Already committed past the parent: valid only if it is the block committed here.
            Some(ParentStatus::Past(root)) => root == Some(block.state_root),
            Some(_) => match self.state.verify(block) {
                Ok(()) => true,
                Err(why) => {
                    warn!(height = block.height, %why, "refusing proposed block");
                    false
                }
            },
        }
    }
}

type Delivery = (Digested<Block>, Exact);

/// Marshal's reporter: queues finalized blocks for the commit task (marshal's actor must not
/// block on a disk write).
#[derive(Clone)]
pub struct Finalizer {
    state: Arc<NodeState>,
    queue: mpsc::UnboundedSender<Delivery>,
}

impl Finalizer {
    /// A finalizer and the queue its commit task drains with [`run_commits`].
    pub fn new(state: Arc<NodeState>) -> (Self, mpsc::UnboundedReceiver<Delivery>) {
        let (queue, rx) = mpsc::unbounded();
        (Finalizer { state, queue }, rx)
    }
}

impl Reporter for Finalizer {
    type Activity = Update<Block>;

    fn report(&mut self, activity: Update<Block>) -> Feedback {
        match activity {
            Update::Tip(_, height, _) => self.state.set_finalized_tip(height.get()),
            Update::Block(block, ack) => {
                if self.queue.unbounded_send((block, ack)).is_err() {
                    return Feedback::Closed;
                }
            }
        }
        Feedback::Ok
    }
}

/// Commits finalized blocks in delivery order and acknowledges each only after its synced
/// write. If a block does not apply, the node halts: it keeps the acknowledgement (so marshal
/// delivers nothing more) and reports why on the API.
pub async fn run_commits(state: Arc<NodeState>, mut queue: mpsc::UnboundedReceiver<Delivery>) {
    let mut held = Vec::new();
    while let Some((block, ack)) = queue.next().await {
        if state.halted().is_some() {
            held.push(ack);
            continue;
        }
        match state.commit(block.inner()) {
            Ok(Some(s)) => {
                info!(height = s.height, txs = s.txs, root = %hex::encode(s.state_root), "committed");
                ack.acknowledge();
            }
            Ok(None) => ack.acknowledge(),
            Err(e) => {
                error!(%e, "halting: a finalized block does not apply");
                state.halt(e.to_string());
                held.push(ack);
            }
        }
    }
}
