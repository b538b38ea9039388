//! Real, proven transactions for tests and benchmarks (feature `test-utils`).
//!
//! Each builder takes the body from a `zkreg_circuits::testing` fixture's statement, computes the
//! body's binding, restates the witness under that binding and proves: the way a wallet builds a
//! transaction, since the binding hashes the body and the proof must commit to the binding.

use crate::tx::{
    AccessTx, ChainId, GrantTx, Groth16Proof, IssuerSignature, PaymentTx, RevokeTx, Transaction,
};
use ark_bls12_381::{Bls12_381, Fr};
use ark_ff::Zero;
use ark_groth16::{Groth16, ProvingKey};
use ark_snark::SNARK;
use ed25519_dalek::{Signer, SigningKey};
use rand::{CryptoRng, RngCore};
use zkreg_circuits::{
    access::constraints::AccessCircuit,
    grant::constraints::GrantCircuit,
    payment::constraints::PaymentCircuit,
    revoke::constraints::RevokeCircuit,
    testing::{payment_case, ConsentCase, PaymentSpec},
};

/// Test helpers may panic: the fixtures are honest, so a proving failure is a bug in a fixture
/// or a circuit, and the test should stop there.
fn proven(result: Result<Groth16Proof, impl std::fmt::Display>) -> Groth16Proof {
    result.unwrap_or_else(|e| panic!("proving an honest fixture failed: {e}"))
}

/// The chain the fixtures are made for (a fixed stand-in for a genesis hash).
pub const TEST_CHAIN: ChainId = [0xc4; 32];

/// An issuer's signature over `tx`'s id on `chain`.
pub fn sign(issuer: &SigningKey, chain: &ChainId, tx: &Transaction) -> IssuerSignature {
    IssuerSignature {
        issuer: issuer.verifying_key().to_bytes(),
        signature: issuer
            .sign(&crate::wire::issuer_message(chain, &tx.id()))
            .to_bytes(),
    }
}

/// A payment on [`TEST_CHAIN`] following `spec`, with the given destination and memo, signed by
/// `issuer` if given.
pub fn payment_tx<R: RngCore + CryptoRng>(
    pk: &ProvingKey<Bls12_381>,
    spec: &PaymentSpec,
    destination: &[u8],
    memo: &[u8],
    issuer: Option<&SigningKey>,
    rng: &mut R,
) -> Transaction {
    let mut case = payment_case(spec, rng);
    let p = case.public;
    let mut tx = PaymentTx {
        anchor: p.anchor,
        nullifiers: p.nullifiers,
        output_commitments: p.output_commitments,
        v_in_pub: p.v_in_pub,
        v_out_pub: p.v_out_pub,
        fee: p.fee,
        asset_pub: p.asset_pub,
        rpk: p.rpk,
        audit: p.audit,
        deliveries: [vec![1; 120], vec![2; 80]],
        destination: destination.to_vec(),
        memo: memo.to_vec(),
        issuer_signature: None,
        proof: Groth16Proof::default(),
    };
    // The body holds no binding, so restating under the body's binding leaves the body as is.
    let binding = Transaction::Payment(tx.clone()).binding(&TEST_CHAIN);
    case.terms.binding = binding;
    case.restate();
    assert_eq!(case.public, tx.public(binding), "body and statement differ");
    tx.proof = proven(Groth16::<Bls12_381>::prove(
        pk,
        PaymentCircuit::new(case.public, case.witness),
        rng,
    ));
    if let Some(issuer) = issuer {
        tx.issuer_signature = Some(sign(issuer, &TEST_CHAIN, &Transaction::Payment(tx.clone())));
    }
    Transaction::Payment(tx)
}

/// The grant of `case`, with an institution delivery and a memo.
pub fn grant_tx<R: RngCore + CryptoRng>(
    pk: &ProvingKey<Bls12_381>,
    case: &ConsentCase,
    rng: &mut R,
) -> Transaction {
    let rpk = case.rsk.public_key();
    let w = case.grant_witness(rng);
    let unbound = w.statement(rpk, Fr::zero());
    let mut tx = GrantTx {
        gcm: unbound.gcm,
        rpk,
        audit: unbound.audit,
        delivery: vec![3; 200],
        memo: b"approved: study 42".to_vec(),
        proof: Groth16Proof::default(),
    };
    let binding = Transaction::Grant(tx.clone()).binding(&TEST_CHAIN);
    let public = w.statement(rpk, binding);
    assert_eq!(public, tx.public(binding), "body and statement differ");
    tx.proof = proven(Groth16::<Bls12_381>::prove(
        pk,
        GrantCircuit::new(public, w),
        rng,
    ));
    Transaction::Grant(tx)
}

/// An access with `case`'s grant, at `case.now`, for a fixed data-service request.
pub fn access_tx<R: RngCore + CryptoRng>(
    pk: &ProvingKey<Bls12_381>,
    case: &ConsentCase,
    rng: &mut R,
) -> Transaction {
    let rpk = case.rsk.public_key();
    let root = case.tree.root();
    let w = case.access_witness(rng);
    let unbound = w.statement(root, case.now, rpk, Fr::zero());
    let mut tx = AccessTx {
        grant_root: root,
        now: case.now,
        tag: unbound.tag,
        rpk,
        audit: unbound.audit,
        request: b"service=lab1;nonce=8f3a".to_vec(),
        proof: Groth16Proof::default(),
    };
    // The tag derives from the binding, which is why the binding leaves the tag out.
    let binding = Transaction::Access(tx.clone()).binding(&TEST_CHAIN);
    let public = w.statement(root, case.now, rpk, binding);
    tx.tag = public.tag;
    assert_eq!(public, tx.public(binding), "body and statement differ");
    tx.proof = proven(Groth16::<Bls12_381>::prove(
        pk,
        AccessCircuit::new(public, w),
        rng,
    ));
    Transaction::Access(tx)
}

/// The revocation of `case`'s grant.
pub fn revoke_tx<R: RngCore + CryptoRng>(
    pk: &ProvingKey<Bls12_381>,
    case: &ConsentCase,
    rng: &mut R,
) -> Transaction {
    let (unbound, _) = case.revoke(Fr::zero());
    let mut tx = RevokeTx {
        pos: unbound.pos,
        gcm: unbound.gcm,
        memo: b"consent withdrawn".to_vec(),
        proof: Groth16Proof::default(),
    };
    let binding = Transaction::Revoke(tx.clone()).binding(&TEST_CHAIN);
    let (public, w) = case.revoke(binding);
    assert_eq!(public, tx.public(binding), "body and statement differ");
    tx.proof = proven(Groth16::<Bls12_381>::prove(
        pk,
        RevokeCircuit::new(public, w),
        rng,
    ));
    Transaction::Revoke(tx)
}
