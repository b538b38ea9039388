//! The ledger workload: a funding block of issuer-signed deposits, then a block of private
//! payments that spend those notes. Every transaction carries a real proof, so the ledger does
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
    BlockSummary, ChainConfig, Genesis, Ledger,
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
/// Height and time of the measured payment block.
pub const PAYMENTS: (u64, u64) = (2, 1_010);

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
    /// Verifying keys in [`TxKind::ALL`] order.
    pub vks: [VerifyingKey<Bls12_381>; 4],
    /// Compressed size of the payment proving key.
    pub payment_pk_bytes: usize,
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
        })
    }

    fn vk_hashes(&self) -> impl Iterator<Item = (TxKind, String)> + '_ {
        TxKind::ALL.into_iter().zip(&self.vks).map(|(c, vk)| {
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
        ChainConfig::new(g).map_err(|e| BenchError::Setup(e.to_string()))
    }
}

/// Encoded transactions of the two blocks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentBlocks {
    /// `n/2` deposits, each paying two notes of 10 to the sender.
    pub funding: Vec<Vec<u8>>,
    /// `n` private payments, each spending one funded note (plus a dummy input).
    pub payments: Vec<Vec<u8>>,
}

/// Version 2: bindings and issuer signatures name the chain, so version-1 proofs are refused.
const CACHE_MAGIC: &[u8; 8] = b"zkrgwl02";

impl PaymentBlocks {
    /// Builds and proves the blocks for `n` payments (`n` even), reporting each proof.
    pub fn build(
        keys: &Keys,
        n: usize,
        progress: &mut dyn FnMut(ProveEvent),
    ) -> Result<Self, BenchError> {
        let mut rng = ChaCha20Rng::seed_from_u64(n as u64);
        let usd = label_to_field("USD");
        let rpk = regulator().public_key();
        let chain = keys.genesis()?.hash;
        let mut sender = Wallet::new(WalletKeys::from_seed([1; 32]));
        let recipient = WalletKeys::from_seed([2; 32]).address();
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
        let me = sender.keys.address();
        let mut unproven: Vec<UnprovenTx> = Vec::with_capacity(n / 2 + n);
        for _ in 0..n / 2 {
            let req = request(vec![(me, 10), (me, 10)], 20);
            let mut u = build_payment(&minter, &req, &[minter.anchor()], &mut rng)?;
            u.sign_as_issuer(&issuer());
            unproven.push(u);
        }
        // The sender learns its notes from the funding block, as a wallet would after sync.
        let funding: Vec<Transaction> = unproven.iter().map(|u| u.preview().clone()).collect();
        let outputs = ledger_outputs(&funding);
        sender
            .scan(&outputs, &mut |_| {})
            .map_err(|e| BenchError::Workload(e.to_string()))?;
        for _ in 0..n {
            let req = request(vec![(recipient, 10)], 0);
            let u = build_payment(&sender, &req, &[sender.anchor()], &mut rng)?;
            if let Transaction::Payment(p) = u.preview() {
                sender.mark_spent(&p.nullifiers);
            }
            unproven.push(u);
        }
        let mut proven = keys
            .prover
            .prove_all(unproven, &mut rng, progress)
            .map_err(|e| BenchError::Workload(e.to_string()))?
            .iter()
            .map(Transaction::encode)
            .collect::<Vec<_>>();
        let payments = proven.split_off(n / 2);
        Ok(PaymentBlocks {
            funding: proven,
            payments,
        })
    }

    /// Loads the blocks for `n` payments from `dir`, or builds and stores them.
    pub fn load_or_build(
        dir: &Path,
        keys: &Keys,
        n: usize,
        progress: &mut dyn FnMut(ProveEvent),
    ) -> Result<Self, BenchError> {
        let path = Self::cache_path(dir, keys, n);
        if let Ok(bytes) = std::fs::read(&path) {
            if let Some(blocks) = Self::decode(&bytes) {
                if blocks.payments.len() == n {
                    return Ok(blocks);
                }
            }
        }
        let blocks = Self::build(keys, n, progress)?;
        let io = |e: std::io::Error| BenchError::Io(path.clone(), e.to_string());
        std::fs::create_dir_all(dir).map_err(io)?;
        std::fs::write(&path, blocks.encode()).map_err(io)?;
        Ok(blocks)
    }

    fn cache_path(dir: &Path, keys: &Keys, n: usize) -> PathBuf {
        let vk = keys
            .vk_hashes()
            .find(|(c, _)| *c == TxKind::Payment)
            .map(|(_, h)| h)
            .unwrap_or_default();
        dir.join(format!(
            "payments-{n}-{}.bin",
            vk.get(..16).unwrap_or("none")
        ))
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = CACHE_MAGIC.to_vec();
        for block in [&self.funding, &self.payments] {
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
        let mut blocks = Vec::new();
        for _ in 0..2 {
            let count = u32::from_le_bytes(take(4)?.try_into().ok()?);
            let mut block = Vec::new();
            for _ in 0..count {
                let len = u32::from_le_bytes(take(4)?.try_into().ok()?) as usize;
                block.push(take(len)?.to_vec());
            }
            blocks.push(block);
        }
        let payments = blocks.pop()?;
        let funding = blocks.pop()?;
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

    /// Applies the payment block (the measured step).
    pub fn apply_payments(
        ledger: &mut Ledger,
        blocks: &PaymentBlocks,
    ) -> Result<BlockSummary, BenchError> {
        Ok(ledger.apply_block(PAYMENTS.0, PAYMENTS.1, &blocks.payments)?)
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
        let blocks = PaymentBlocks::load_or_build(dir.path(), &keys, 2, &mut |_| {})
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((blocks.funding.len(), blocks.payments.len()), (1, 2));
        let again = PaymentBlocks::load_or_build(dir.path(), &keys, 2, &mut |_| {
            panic!("a cached workload must not be proven again")
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again, blocks);

        let bench = LedgerBench::new(&keys, &blocks).unwrap_or_else(|e| panic!("{e}"));
        for _ in 0..2 {
            let (mut ledger, _dir) = bench.fresh().unwrap_or_else(|e| panic!("{e}"));
            let summary =
                LedgerBench::apply_payments(&mut ledger, &blocks).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!((summary.height, summary.txs), (PAYMENTS.0, 2));
            assert_eq!(ledger.status().counts.txs, 3);
        }
    }

    #[test]
    fn a_damaged_cache_is_not_trusted() {
        let blocks = PaymentBlocks {
            funding: vec![vec![1, 2, 3]],
            payments: vec![vec![4], vec![]],
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
