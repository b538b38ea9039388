//! The ledger workload: a funding block of issuer-signed deposits, then blocks of private
//! payments, the first spending those notes and each later one the notes the previous paid. Every transaction carries a real proof, so the ledger does
//! exactly the work it would do on a live chain: decode, batched verification, nullifier and
//! anchor checks, tree appends, one synced write.
//!
//! Proving the workload takes minutes (`n/2 + n` payment proofs), so it is cached on disk,
//! keyed by the payment verifying key and the block size; dev parameters are deterministic, so
//! the cache stays valid until a circuit changes.

use crate::BenchError;
use ark_bls12_381::Bls12_381;
use ark_groth16::VerifyingKey;
use ark_serialize::CanonicalSerialize;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::path::{Path, PathBuf};
use zkreg_circuits::{
    audit::RegulatorSecretKey,
    labels::label_to_field,
    merkle::{MerkleTree, TreeKind},
};
use zkreg_ledger::{
    genesis::{IssuerEntry, RegulatorKeyEntry},
    BlockSummary, ChainConfig, Genesis, Ledger, PreparedBlock,
};
use zkreg_prover::{
    builder::{
        build_access, build_grant, build_payment, build_revoke, GrantRequest, PaymentRequest,
    },
    keys::{point_to_hex, regulator_from_seed, WalletKeys},
    params::{ProvingKeys, SetupMode},
    prove::{ProveEvent, Prover, UnprovenTx},
    wallet::{LedgerOutput, Wallet},
};
use zkreg_verifier::{params::blake2b_256_hex, ChainId, Transaction, TxKind};

/// Dev-parameter seed of every benchmark (public: these keys are insecure by construction).
pub const DEV_SEED: u64 = 7;
/// Height and time of the funding block.
pub const FUNDING: (u64, u64) = (1, 1_000);
/// Height and time of the first measured payment block (block `k` is at `PAYMENTS + k`, ten
/// seconds apart).
pub const PAYMENTS: (u64, u64) = (2, 1_010);

/// Height and time of payment block `k` (from 0).
pub fn payment_block_at(k: usize) -> (u64, u64) {
    (PAYMENTS.0 + k as u64, PAYMENTS.1 + 10 * k as u64)
}

/// The regulator of the benchmark chain.
pub fn regulator() -> RegulatorSecretKey {
    regulator_from_seed(&[9; 32])
}

/// The issuer of the benchmark asset.
pub fn issuer() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[3; 32])
}

/// Dev proving and verifying keys of all four circuits, generated in memory.
pub struct Keys {
    /// The prover.
    pub prover: Prover,
    /// Verifying keys in [`TxKind::STATEMENTS`] order.
    pub vks: [VerifyingKey<Bls12_381>; 4],
    /// Compressed size of the payment proving key.
    pub payment_pk_bytes: usize,
    /// The validators the benchmark chain's genesis names (empty for the single-process
    /// ledger benchmark; the cluster benchmark sets its network's). Part of the chain hash,
    /// so of every workload transaction.
    pub validators: Vec<String>,
    /// The genesis anchor window in blocks (`None`: the genesis default, as the
    /// single-process chain has); the cluster benchmark widens it (see
    /// [`crate::cluster::ANCHOR_WINDOW`]).
    pub anchor_window: Option<u64>,
}

impl Keys {
    /// Runs the dev setup (seconds: four circuit-specific Groth16 setups).
    pub fn dev() -> Result<Self, BenchError> {
        let (pks, vks) = ProvingKeys::generate(SetupMode::DevSeed(DEV_SEED))
            .map_err(|e| BenchError::Setup(e.to_string()))?;
        let payment_pk_bytes = pks.payment.compressed_size();
        Ok(Keys {
            prover: Prover::new(pks),
            vks,
            payment_pk_bytes,
            validators: Vec::new(),
            anchor_window: None,
        })
    }

    /// The verifying keys' hashes, as a genesis names them.
    pub fn vk_hashes(&self) -> impl Iterator<Item = (TxKind, String)> + '_ {
        TxKind::STATEMENTS
            .into_iter()
            .zip(&self.vks)
            .map(|(c, vk)| {
                let mut bytes = Vec::new();
                let _ = vk.serialize_compressed(&mut bytes);
                (c, blake2b_256_hex(&bytes))
            })
    }

    /// The benchmark chain: this regulator and issuer, these keys, dev keys allowed.
    pub fn genesis(&self) -> Result<ChainConfig, BenchError> {
        let mut g = Genesis::new(
            "zkreg-bench",
            vec![RegulatorKeyEntry {
                from_height: 0,
                rpk: point_to_hex(&regulator().public_key()),
            }],
            vec![IssuerEntry {
                asset: "USD".into(),
                keys: vec![hex::encode(issuer().verifying_key().to_bytes())],
            }],
            self.vk_hashes()
                .map(|(c, h)| (c.name().to_string(), h))
                .collect(),
        );
        g.allow_insecure_keys = true;
        g.validators = self.validators.clone();
        if let Some(w) = self.anchor_window {
            g.anchor_window = w;
        }
        ChainConfig::new(g).map_err(|e| BenchError::Setup(e.to_string()))
    }
}

/// Encoded transactions of the blocks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentBlocks {
    /// `n/2` deposits, each paying two notes of 10 to the sender.
    pub funding: Vec<Vec<u8>>,
    /// Blocks of `n` private payments, each spending one note (plus a dummy input): the first
    /// block the funded notes, every later block the notes the block before it paid.
    pub payments: Vec<Vec<Vec<u8>>>,
}

/// Version 3: several payment blocks (version 2 had one).
const CACHE_MAGIC: &[u8; 8] = b"zkrgwl03";

impl PaymentBlocks {
    /// Builds and proves the funding block and `blocks` blocks of `n` payments (`n` even),
    /// reporting each proof.
    pub fn build(
        keys: &Keys,
        n: usize,
        blocks: usize,
        progress: &mut dyn FnMut(ProveEvent),
    ) -> Result<Self, BenchError> {
        let mut rng = ChaCha20Rng::seed_from_u64(n as u64);
        let usd = label_to_field("USD");
        let rpk = regulator().public_key();
        let chain = keys.genesis()?.hash;
        let minter = Wallet::new(WalletKeys::from_seed([4; 32]));
        let request = |to: Vec<_>, deposit| PaymentRequest {
            asset: usd,
            to,
            deposit,
            withdraw: 0,
            fee: 0,
            destination: vec![],
            memo: vec![],
            rpk,
            chain,
        };
        let me = WalletKeys::from_seed([1; 32]).address();
        let mut unproven: Vec<UnprovenTx> = Vec::with_capacity(n / 2 + blocks * n);
        for _ in 0..n / 2 {
            let req = request(vec![(me, 10), (me, 10)], 20);
            let mut u = build_payment(&minter, &req, &[minter.anchor()], &mut rng)?;
            u.sign_as_issuer(&issuer());
            unproven.push(u);
        }
        // Payer of block k: wallet k (wallet 0 was funded); it learns its notes from the blocks
        // so far, as a wallet would after sync, and pays wallet k + 1.
        for k in 0..blocks {
            let seed = |k: usize| [if k == 0 { 1 } else { 20 + k as u8 }; 32];
            let mut payer = Wallet::new(WalletKeys::from_seed(seed(k)));
            let recipient = WalletKeys::from_seed(seed(k + 1)).address();
            let so_far: Vec<Transaction> = unproven.iter().map(|u| u.preview().clone()).collect();
            payer
                .scan(&ledger_outputs(&so_far), &mut |_| {})
                .map_err(|e| BenchError::Workload(e.to_string()))?;
            for _ in 0..n {
                let req = request(vec![(recipient, 10)], 0);
                let u = build_payment(&payer, &req, &[payer.anchor()], &mut rng)?;
                if let Transaction::Payment(p) = u.preview() {
                    payer.mark_spent(&p.nullifiers);
                }
                unproven.push(u);
            }
        }
        let mut proven = keys
            .prover
            .prove_all(unproven, &mut rng, progress)
            .map_err(|e| BenchError::Workload(e.to_string()))?
            .iter()
            .map(Transaction::encode)
            .collect::<Vec<_>>();
        let rest = proven.split_off(n / 2);
        Ok(PaymentBlocks {
            funding: proven,
            payments: rest.chunks(n.max(1)).map(<[Vec<u8>]>::to_vec).collect(),
        })
    }

    /// Loads the funding block and `blocks` blocks of `n` payments from `dir`, or builds and
    /// stores them.
    pub fn load_or_build(
        dir: &Path,
        keys: &Keys,
        n: usize,
        blocks: usize,
        progress: &mut dyn FnMut(ProveEvent),
    ) -> Result<Self, BenchError> {
        let path = Self::cache_path(dir, keys, n, blocks);
        if let Ok(bytes) = std::fs::read(&path) {
            if let Some(cached) = Self::decode(&bytes) {
                if cached.payments.len() == blocks && cached.payments.iter().all(|b| b.len() == n) {
                    return Ok(cached);
                }
            }
        }
        let built = Self::build(keys, n, blocks, progress)?;
        let io = |e: std::io::Error| BenchError::Io(path.clone(), e.to_string());
        std::fs::create_dir_all(dir).map_err(io)?;
        std::fs::write(&path, built.encode()).map_err(io)?;
        Ok(built)
    }

    /// The first payment block (single-block measurements: decode, verify, batch).
    pub fn first(&self) -> &[Vec<u8>] {
        self.payments.first().map(Vec::as_slice).unwrap_or_default()
    }

    fn cache_path(dir: &Path, keys: &Keys, n: usize, blocks: usize) -> PathBuf {
        let vk = keys
            .vk_hashes()
            .find(|(c, _)| *c == TxKind::Payment)
            .map(|(_, h)| h)
            .unwrap_or_default();
        // The single-process chain keeps its historical name; a chain with validators (the
        // cluster benchmark's) adds its hash, which every transaction is bound to.
        let chain = match keys.genesis() {
            Ok(c) if !keys.validators.is_empty() => format!("-{}", &hex::encode(c.hash)[..16]),
            _ => String::new(),
        };
        dir.join(format!(
            "payments-{n}x{blocks}-{}{chain}.bin",
            vk.get(..16).unwrap_or("none")
        ))
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = CACHE_MAGIC.to_vec();
        out.extend_from_slice(&(1 + self.payments.len() as u32).to_le_bytes());
        for block in std::iter::once(&self.funding).chain(&self.payments) {
            out.extend_from_slice(&(block.len() as u32).to_le_bytes());
            for tx in block {
                out.extend_from_slice(&(tx.len() as u32).to_le_bytes());
                out.extend_from_slice(tx);
            }
        }
        out
    }

    /// `None` on anything unexpected: a damaged cache is rebuilt, never trusted.
    fn decode(bytes: &[u8]) -> Option<Self> {
        let mut rest = bytes.strip_prefix(CACHE_MAGIC)?;
        let mut take = |n: usize| -> Option<&[u8]> {
            let (head, tail) = rest.split_at_checked(n)?;
            rest = tail;
            Some(head)
        };
        let count = u32::from_le_bytes(take(4)?.try_into().ok()?);
        let mut blocks = Vec::new();
        for _ in 0..count {
            let count = u32::from_le_bytes(take(4)?.try_into().ok()?);
            let mut block = Vec::new();
            for _ in 0..count {
                let len = u32::from_le_bytes(take(4)?.try_into().ok()?) as usize;
                block.push(take(len)?.to_vec());
            }
            blocks.push(block);
        }
        let mut blocks = blocks.into_iter();
        let funding = blocks.next()?;
        let payments = blocks.collect();
        rest.is_empty()
            .then_some(PaymentBlocks { funding, payments })
    }
}

/// The outputs of `txs` as the ledger lists them, numbered from position 0 in block order.
pub fn ledger_outputs(txs: &[Transaction]) -> Vec<LedgerOutput> {
    txs.iter()
        .filter_map(|t| match t {
            Transaction::Payment(p) => Some(p),
            _ => None,
        })
        .flat_map(|p| p.output_commitments.into_iter().zip(p.deliveries.clone()))
        .enumerate()
        .map(|(pos, (cm, delivery))| LedgerOutput {
            pos: pos as u64,
            cm,
            delivery,
        })
        .collect()
}

/// One unproven transaction of each kind, for proving benchmarks: a deposit (it proves the same
/// statement as a private transfer), a grant, an access with it and its revocation.
pub struct SampleTxs {
    /// A deposit of 100 USD to [`SampleTxs::recipient`].
    pub payment: UnprovenTx,
    /// A grant.
    pub grant: UnprovenTx,
    /// An access under that grant.
    pub access: UnprovenTx,
    /// The grant's revocation.
    pub revoke: UnprovenTx,
    /// The payment's recipient (scanning benchmarks).
    pub recipient: WalletKeys,
}

impl SampleTxs {
    /// Builds them with the benchmark regulator key, for `chain`.
    pub fn build(chain: &ChainId, rng: &mut ChaCha20Rng) -> Result<Self, BenchError> {
        let rpk = regulator().public_key();
        let minter = Wallet::new(WalletKeys::from_seed([6; 32]));
        let recipient = WalletKeys::from_seed([7; 32]);
        let req = PaymentRequest {
            asset: label_to_field("USD"),
            to: vec![(recipient.address(), 100)],
            deposit: 100,
            withdraw: 0,
            fee: 0,
            destination: vec![],
            memo: vec![],
            rpk,
            chain: *chain,
        };
        let payment = build_payment(&minter, &req, &[minter.anchor()], rng)?;
        let owner = WalletKeys::from_seed([8; 32]);
        let inst = WalletKeys::from_seed([10; 32]);
        let greq = GrantRequest {
            institution: inst.address(),
            dataset: label_to_field("bank-statements"),
            purpose: label_to_field("credit-check"),
            expiry: 10_000,
            memo: vec![],
            rpk,
            chain: *chain,
        };
        let (grant_tx, grant) = build_grant(&owner, &greq, rng)?;
        let mut tree = MerkleTree::new(TreeKind::GRANTS);
        let pos = tree
            .append(grant.commitment())
            .map_err(|e| BenchError::Workload(e.to_string()))?;
        let access = build_access(chain, &inst, &grant, &tree, pos, 5_000, b"bench", rpk, rng)?;
        let revoke = build_revoke(chain, &owner, &grant, pos, b"")?;
        Ok(SampleTxs {
            payment,
            grant: grant_tx,
            access,
            revoke,
            recipient,
        })
    }
}

/// A funded ledger on disk, copied afresh for every measured application of the payment block.
pub struct LedgerBench {
    config: ChainConfig,
    vks: [VerifyingKey<Bls12_381>; 4],
    base: tempfile::TempDir,
}

impl LedgerBench {
    /// Applies the funding block to a new ledger in a temporary directory.
    pub fn new(keys: &Keys, blocks: &PaymentBlocks) -> Result<Self, BenchError> {
        let base =
            tempfile::tempdir().map_err(|e| BenchError::Io(std::env::temp_dir(), e.to_string()))?;
        let config = keys.genesis()?;
        let mut ledger = Ledger::open_with_keys(base.path(), config.clone(), keys.vks.clone())?;
        ledger.apply_block(FUNDING.0, FUNDING.1, &blocks.funding)?;
        drop(ledger);
        Ok(LedgerBench {
            config,
            vks: keys.vks.clone(),
            base,
        })
    }

    /// A copy of the funded ledger, opened (the returned directory deletes it when dropped).
    pub fn fresh(&self) -> Result<(Ledger, tempfile::TempDir), BenchError> {
        let dir =
            tempfile::tempdir().map_err(|e| BenchError::Io(std::env::temp_dir(), e.to_string()))?;
        let entries = std::fs::read_dir(self.base.path())
            .map_err(|e| BenchError::Io(self.base.path().into(), e.to_string()))?;
        for entry in entries {
            let from = entry
                .map_err(|e| BenchError::Io(self.base.path().into(), e.to_string()))?
                .path();
            if from.is_file() {
                let to = dir.path().join(from.file_name().unwrap_or_default());
                std::fs::copy(&from, &to).map_err(|e| BenchError::Io(from, e.to_string()))?;
            }
        }
        let ledger = Ledger::open_with_keys(dir.path(), self.config.clone(), self.vks.clone())?;
        Ok((ledger, dir))
    }

    /// Applies the payment blocks one after another, each verified then committed before the
    /// next is looked at (the path of `Ledger::apply_block`).
    pub fn apply_sequential(
        ledger: &mut Ledger,
        blocks: &PaymentBlocks,
    ) -> Result<BlockSummary, BenchError> {
        let mut last = None;
        for (k, txs) in blocks.payments.iter().enumerate() {
            let (height, time) = payment_block_at(k);
            last = Some(ledger.apply_block(height, time, txs)?);
        }
        last.ok_or_else(|| BenchError::Workload("no payment block".into()))
    }

    /// Applies the payment blocks pipelined: a second thread prepares (decodes, verifies) block
    /// `h + 1` with [`PreparedBlock::prepare`] while this one runs the stateful checks of block
    /// `h` and commits it (`Ledger::verify_prepared`, `Ledger::commit`).
    pub fn apply_pipelined(
        ledger: &mut Ledger,
        blocks: &PaymentBlocks,
    ) -> Result<BlockSummary, BenchError> {
        let keys = ledger.keys();
        std::thread::scope(|scope| {
            // Capacity 1: at most one block waits prepared while the previous one commits.
            let (send, receive) = std::sync::mpsc::sync_channel::<PreparedBlock>(1);
            scope.spawn(move || {
                for txs in &blocks.payments {
                    if send
                        .send(PreparedBlock::prepare(&keys, txs.clone()))
                        .is_err()
                    {
                        return; // the committer stopped on an error
                    }
                }
            });
            let mut last = None;
            for (k, prepared) in receive.iter().enumerate() {
                let (height, time) = payment_block_at(k);
                let verified = ledger.verify_prepared(height, time, prepared)?;
                last = Some(ledger.commit(verified)?);
            }
            last.ok_or_else(|| BenchError::Workload("no payment block".into()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole pipeline on a tiny block: build, cache, reload, fund a ledger, apply.
    #[test]
    fn a_small_workload_is_cached_and_applies() {
        let keys = Keys::dev().unwrap_or_else(|e| panic!("{e}"));
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let blocks = PaymentBlocks::load_or_build(dir.path(), &keys, 2, 2, &mut |_| {})
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(blocks.funding.len(), 1);
        assert_eq!(
            blocks.payments.iter().map(Vec::len).collect::<Vec<_>>(),
            [2, 2]
        );
        let again = PaymentBlocks::load_or_build(dir.path(), &keys, 2, 2, &mut |_| {
            panic!("a cached workload must not be proven again")
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again, blocks);

        let bench = LedgerBench::new(&keys, &blocks).unwrap_or_else(|e| panic!("{e}"));
        let mut dumps = Vec::new();
        for pipelined in [false, true, false, true] {
            let (mut ledger, _dir) = bench.fresh().unwrap_or_else(|e| panic!("{e}"));
            let summary = if pipelined {
                LedgerBench::apply_pipelined(&mut ledger, &blocks)
            } else {
                LedgerBench::apply_sequential(&mut ledger, &blocks)
            }
            .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!((summary.height, summary.txs), (PAYMENTS.0 + 1, 2));
            assert_eq!(ledger.status().counts.txs, 5);
            dumps.push(ledger.dump().unwrap_or_else(|e| panic!("{e}")));
        }
        // Pipelining changes nothing in the state.
        assert!(dumps.windows(2).all(|w| w[0] == w[1]));
    }

    #[test]
    fn a_damaged_cache_is_not_trusted() {
        let blocks = PaymentBlocks {
            funding: vec![vec![1, 2, 3]],
            payments: vec![vec![vec![4], vec![]], vec![vec![5, 6]]],
        };
        let bytes = blocks.encode();
        assert_eq!(PaymentBlocks::decode(&bytes), Some(blocks));
        for cut in 0..bytes.len() {
            assert_eq!(PaymentBlocks::decode(&bytes[..cut]), None, "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(PaymentBlocks::decode(&longer), None);
    }
}
