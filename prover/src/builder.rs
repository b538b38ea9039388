//! Transaction builders. Each refuses impossible requests with a typed error before any proving,
//! runs the statement's native check, and returns an [`UnprovenTx`] whose `binding` already
//! covers every non-proof field.

use crate::{
    delivery::{seal_grant, seal_note},
    keys::{Address, WalletKeys},
    params::AnyCircuit,
    prove::UnprovenTx,
    wallet::Wallet,
};
use ark_bls12_381::Fr;
use ark_ff::Zero;
use ark_std::UniformRand;
use rand::{CryptoRng, RngCore};
use zkreg_circuits::{
    access::{self, constraints::AccessCircuit, AccessWitness},
    ecc::{JubjubAffine, JubjubScalar},
    grant::{self, constraints::GrantCircuit, Grant, GrantWitness},
    merkle::MerkleTree,
    note::Note,
    payment::{
        self, constraints::PaymentCircuit, dummy_input, PaymentTerms, PaymentWitness, SpentNote,
    },
    revoke::{self, constraints::RevokeCircuit, RevokeWitness},
};
use zkreg_verifier::{
    AccessTx, ChainId, GrantTx, Groth16Proof, PaymentTx, RevokeTx, Transaction,
    MAX_DESTINATION_BYTES, MAX_MEMO_BYTES, MAX_REQUEST_BYTES,
};

/// Why a builder refused a request.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BuildError {
    /// Not enough unspent value in at most two notes.
    #[error("insufficient funds: need {needed}, the two largest spendable notes hold {available}")]
    InsufficientFunds {
        /// Value needed from notes.
        needed: u128,
        /// Value available in the two largest notes.
        available: u128,
    },
    /// A payment has at most two outputs, change included.
    #[error("too many outputs: {0} recipients plus change do not fit in two outputs")]
    TooManyOutputs(usize),
    /// Amounts overflow `u64`.
    #[error("amounts overflow 64 bits")]
    Overflow,
    /// The wallet's tree root is not one the ledger accepts (sync first).
    #[error("the wallet's anchor is not among the ledger's accepted roots; sync the wallet first")]
    UnknownAnchor,
    /// The grant expired before the requested access time.
    #[error("the grant expired at {expiry}, access requested at {now}")]
    Expired {
        /// Grant expiry.
        expiry: u64,
        /// Requested time.
        now: u64,
    },
    /// A withdrawal names no destination (where the issuer should pay the amount out).
    #[error("a withdrawal needs a destination")]
    MissingDestination,
    /// The key is not the grant's data owner.
    #[error("this key is not the grant's data owner")]
    NotOwner,
    /// The key is not the grant's institution.
    #[error("this key is not the grant's institution")]
    NotInstitution,
    /// The grant tree does not hold the grant at this position (revoked or never granted).
    #[error("the grant tree holds no such grant at position {0} (revoked or unknown)")]
    GrantNotInTree(u64),
    /// A byte field exceeds its bound.
    #[error("{field} is {len} bytes, at most {max} allowed")]
    TooLong {
        /// Field name.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// The statement's native check failed (a bug in the builder if it ever happens).
    #[error("internal: statement check failed: {0}")]
    Statement(String),
}

fn bound(field: &'static str, bytes: &[u8], max: usize) -> Result<(), BuildError> {
    if bytes.len() > max {
        return Err(BuildError::TooLong {
            field,
            len: bytes.len(),
            max,
        });
    }
    Ok(())
}

/// A payment request.
#[derive(Clone, Debug)]
pub struct PaymentRequest {
    /// Asset to move.
    pub asset: Fr,
    /// Recipients and amounts (at most two outputs, change included).
    pub to: Vec<(Address, u64)>,
    /// Deposit into the pool (needs an issuer signature).
    pub deposit: u64,
    /// Withdrawal from the pool (needs an issuer signature).
    pub withdraw: u64,
    /// Fee.
    pub fee: u64,
    /// Where a withdrawal goes.
    pub destination: Vec<u8>,
    /// Memo.
    pub memo: Vec<u8>,
    /// Regulator key in force.
    pub rpk: JubjubAffine,
    /// The chain (genesis hash) the payment is for: its binding and issuer signature name it.
    pub chain: ChainId,
}

/// Builds a payment from `wallet`. `accepted_anchors` are the ledger's current roots.
pub fn build_payment<R: RngCore + CryptoRng>(
    wallet: &Wallet,
    req: &PaymentRequest,
    accepted_anchors: &[Fr],
    rng: &mut R,
) -> Result<UnprovenTx, BuildError> {
    bound("memo", &req.memo, MAX_MEMO_BYTES)?;
    bound("destination", &req.destination, MAX_DESTINATION_BYTES)?;
    // The ledger only refuses a destination without a withdrawal; a withdrawal without a
    // destination is valid on the ledger but useless to the issuer who must pay it out.
    if req.withdraw > 0 && req.destination.is_empty() {
        return Err(BuildError::MissingDestination);
    }
    let sent: u128 = req.to.iter().map(|(_, v)| *v as u128).sum();
    let outflow = sent + req.withdraw as u128 + req.fee as u128;
    let needed = outflow.saturating_sub(req.deposit as u128);
    let spendable = wallet.spendable(req.asset);
    let chosen: Vec<_> = if needed == 0 {
        Vec::new()
    } else if let Some(one) = spendable
        .iter()
        .rev()
        .find(|n| n.note.value as u128 >= needed)
    {
        vec![(*one).clone()] // the smallest single note that covers it
    } else {
        spendable.iter().take(2).map(|n| (*n).clone()).collect()
    };
    let available: u128 = chosen.iter().map(|n| n.note.value as u128).sum();
    if available < needed {
        return Err(BuildError::InsufficientFunds { needed, available });
    }
    if !chosen.is_empty() && !accepted_anchors.contains(&wallet.anchor()) {
        return Err(BuildError::UnknownAnchor);
    }
    let change = available + req.deposit as u128 - outflow;
    let change = u64::try_from(change).map_err(|_| BuildError::Overflow)?;
    let me = wallet.keys.address();
    let mut outs: Vec<(Address, u64)> = req.to.clone();
    if change > 0 {
        outs.push((me, change));
    }
    if outs.len() > 2 {
        return Err(BuildError::TooManyOutputs(req.to.len()));
    }
    while outs.len() < 2 {
        outs.push((me, 0)); // zero-value padding output to ourselves
    }
    let sk = wallet.keys.sk;
    let mut inputs: Vec<SpentNote> = Vec::new();
    for n in &chosen {
        let path = wallet
            .path(n.pos)
            .map_err(|e| BuildError::Statement(e.to_string()))?;
        inputs.push(SpentNote { note: n.note, path });
    }
    while inputs.len() < 2 {
        inputs.push(dummy_input(
            sk,
            req.asset,
            rng.next_u64(),
            Fr::rand(rng),
            Fr::rand(rng),
        ));
    }
    let outputs: Vec<Note> = outs
        .iter()
        .map(|(a, v)| Note::new(req.asset, *v, a.owner, rng))
        .collect();
    let deliveries: Vec<Vec<u8>> = outs
        .iter()
        .zip(&outputs)
        .map(|((a, _), n)| seal_note(&a.pk_d, n, rng))
        .collect();
    let (Ok(inputs), Ok(outputs), Ok(deliveries)) = (
        <[SpentNote; 2]>::try_from(inputs),
        <[Note; 2]>::try_from(outputs),
        <[Vec<u8>; 2]>::try_from(deliveries),
    ) else {
        return Err(BuildError::Statement(
            "a payment has exactly two inputs and two outputs".into(),
        ));
    };
    let public_total = req.deposit as u128 + req.withdraw as u128 + req.fee as u128;
    let mut terms = PaymentTerms {
        anchor: wallet.anchor(),
        v_in_pub: req.deposit,
        v_out_pub: req.withdraw,
        fee: req.fee,
        asset_pub: if public_total > 0 {
            req.asset
        } else {
            Fr::zero()
        },
        rpk: req.rpk,
        binding: Fr::zero(),
    };
    let witness = PaymentWitness {
        sk,
        inputs,
        outputs,
        audit_r: JubjubScalar::rand(rng),
    };
    let public = witness.statement(&terms);
    let tx = Transaction::Payment(PaymentTx {
        anchor: public.anchor,
        nullifiers: public.nullifiers,
        output_commitments: public.output_commitments,
        v_in_pub: public.v_in_pub,
        v_out_pub: public.v_out_pub,
        fee: public.fee,
        asset_pub: public.asset_pub,
        rpk: public.rpk,
        audit: public.audit,
        deliveries,
        destination: req.destination.clone(),
        memo: req.memo.clone(),
        issuer_signature: None,
        proof: Groth16Proof::default(),
    });
    terms.binding = tx.binding(&req.chain);
    let public = witness.statement(&terms);
    payment::check(&public, &witness).map_err(|e| BuildError::Statement(e.to_string()))?;
    Ok(UnprovenTx {
        tx,
        chain: req.chain,
        circuit: AnyCircuit::Payment(PaymentCircuit::new(public, witness)),
    })
}

/// A data owner's approval of an institution's request.
#[derive(Clone, Debug)]
pub struct GrantRequest {
    /// The institution's address (its owner id becomes `inst_id`; the grant is delivered to it).
    pub institution: Address,
    /// Dataset.
    pub dataset: Fr,
    /// Purpose.
    pub purpose: Fr,
    /// Expiry time.
    pub expiry: u64,
    /// Memo (e.g. the request id).
    pub memo: Vec<u8>,
    /// Regulator key in force.
    pub rpk: JubjubAffine,
    /// The chain (genesis hash) the grant is for.
    pub chain: ChainId,
}

/// Builds a grant; returns the grant too (the owner keeps it to revoke and to recognise accesses).
pub fn build_grant<R: RngCore + CryptoRng>(
    owner: &WalletKeys,
    req: &GrantRequest,
    rng: &mut R,
) -> Result<(UnprovenTx, Grant), BuildError> {
    bound("memo", &req.memo, MAX_MEMO_BYTES)?;
    let g = Grant {
        owner_id: owner.owner(),
        inst_id: req.institution.owner,
        dataset: req.dataset,
        purpose: req.purpose,
        expiry: req.expiry,
        gsecret: Fr::rand(rng),
    };
    let witness = GrantWitness {
        sk_owner: owner.sk,
        grant: g,
        audit_r: JubjubScalar::rand(rng),
    };
    let public = witness.statement(req.rpk, Fr::zero());
    let tx = Transaction::Grant(GrantTx {
        gcm: public.gcm,
        rpk: public.rpk,
        audit: public.audit,
        delivery: seal_grant(&req.institution.pk_d, &g, rng),
        memo: req.memo.clone(),
        proof: Groth16Proof::default(),
    });
    let public = witness.statement(req.rpk, tx.binding(&req.chain));
    grant::check(&public, &witness).map_err(|e| BuildError::Statement(e.to_string()))?;
    Ok((
        UnprovenTx {
            tx,
            chain: req.chain,
            circuit: AnyCircuit::Grant(GrantCircuit::new(public, witness)),
        },
        g,
    ))
}

/// Builds an access on `chain` for a data service's `request` (service id and nonce) at time
/// `now`, with the grant at `pos` of `grant_tree` (the ledger's current grant tree).
///
/// The ledger accepts it only in a block whose time `t` has `t ≤ now ≤ t + tolerance`: pick
/// `now` at or a little ahead of the time of the block expected to include it.
#[allow(clippy::too_many_arguments)] // each argument is a distinct input of the statement
pub fn build_access<R: RngCore + CryptoRng>(
    chain: &ChainId,
    inst: &WalletKeys,
    grant: &Grant,
    grant_tree: &MerkleTree,
    pos: u64,
    now: u64,
    request: &[u8],
    rpk: JubjubAffine,
    rng: &mut R,
) -> Result<UnprovenTx, BuildError> {
    bound("request", request, MAX_REQUEST_BYTES)?;
    if inst.owner() != grant.inst_id {
        return Err(BuildError::NotInstitution);
    }
    if grant.expiry < now {
        return Err(BuildError::Expired {
            expiry: grant.expiry,
            now,
        });
    }
    if grant_tree.leaf(pos) != Some(grant.commitment()) {
        return Err(BuildError::GrantNotInTree(pos));
    }
    let path = grant_tree
        .path(pos)
        .map_err(|_| BuildError::GrantNotInTree(pos))?;
    let witness = AccessWitness {
        sk_inst: inst.sk,
        grant: *grant,
        path,
        audit_r: JubjubScalar::rand(rng),
    };
    let root = grant_tree.root();
    let public = witness.statement(root, now, rpk, Fr::zero());
    let mut body = AccessTx {
        grant_root: root,
        now,
        tag: public.tag,
        rpk,
        audit: public.audit,
        request: request.to_vec(),
        proof: Groth16Proof::default(),
    };
    let binding = Transaction::Access(body.clone()).binding(chain);
    let public = witness.statement(root, now, rpk, binding);
    body.tag = public.tag; // the tag covers the binding, and the binding does not cover the tag
    let tx = Transaction::Access(body);
    if tx.binding(chain) != binding {
        return Err(BuildError::Statement(
            "the access binding must not depend on the tag".into(),
        ));
    }
    access::check(&public, &witness).map_err(|e| BuildError::Statement(e.to_string()))?;
    Ok(UnprovenTx {
        tx,
        chain: *chain,
        circuit: AnyCircuit::Access(AccessCircuit::new(public, witness)),
    })
}

/// Builds a revocation on `chain` of `grant`, which sits at `pos` of the grant tree.
pub fn build_revoke(
    chain: &ChainId,
    owner: &WalletKeys,
    grant: &Grant,
    pos: u64,
    memo: &[u8],
) -> Result<UnprovenTx, BuildError> {
    bound("memo", memo, MAX_MEMO_BYTES)?;
    if owner.owner() != grant.owner_id {
        return Err(BuildError::NotOwner);
    }
    let witness = RevokeWitness {
        sk_owner: owner.sk,
        grant: *grant,
    };
    let tx = Transaction::Revoke(RevokeTx {
        pos,
        gcm: grant.commitment(),
        memo: memo.to_vec(),
        proof: Groth16Proof::default(),
    });
    let public = revoke::RevokePublic {
        pos,
        gcm: grant.commitment(),
        binding: tx.binding(chain),
    };
    revoke::check(&public, &witness).map_err(|e| BuildError::Statement(e.to_string()))?;
    Ok(UnprovenTx {
        tx,
        chain: *chain,
        circuit: AnyCircuit::Revoke(RevokeCircuit::new(public, witness)),
    })
}
