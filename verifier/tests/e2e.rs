//! End to end with real Groth16 proofs: every kind verifies, bound fields and signatures are
//! enforced, and batch verdicts equal single verdicts. Keys and proofs are made once per binary.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at the first failure

use ark_bls12_381::{Bls12_381, Fr};
use ark_ec::CurveGroup;
use ark_groth16::{Groth16, ProvingKey, VerifyingKey};
use ark_relations::gr1cs::ConstraintSynthesizer;
use ark_snark::SNARK;
use ed25519_dalek::SigningKey;
use rand::{seq::SliceRandom, Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::sync::OnceLock;
use zkreg_circuits::{
    access::constraints::AccessCircuit,
    grant::constraints::GrantCircuit,
    payment::constraints::PaymentCircuit,
    revoke::constraints::RevokeCircuit,
    testing::{consent_case, PaymentSpec},
};
use zkreg_verifier::{
    testing::{access_tx, grant_tx, payment_tx, revoke_tx, sign, TEST_CHAIN},
    Groth16Proof, Transaction, TxKind, VerifyError, VerifyingKeys,
};

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn setup<C: ConstraintSynthesizer<Fr>>(
    blank: C,
    seed: u64,
) -> (ProvingKey<Bls12_381>, VerifyingKey<Bls12_381>) {
    Groth16::<Bls12_381>::circuit_specific_setup(blank, &mut rng(seed)).unwrap()
}

struct Fixture {
    keys: VerifyingKeys,
    vks: [VerifyingKey<Bls12_381>; 4],
    issuer: SigningKey,
    /// Valid: transfer, deposit, withdrawal, grant, access, revoke.
    txs: Vec<Transaction>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let (ppk, pvk) = setup(PaymentCircuit::blank(), 1);
        let (gpk, gvk) = setup(GrantCircuit::blank(), 2);
        let (apk, avk) = setup(AccessCircuit::blank(), 3);
        let (rpk, rvk) = setup(RevokeCircuit::blank(), 4);
        let keys = VerifyingKeys::new(TEST_CHAIN, &pvk, &gvk, &avk, &rvk).unwrap();
        let mut r = rng(7);
        let issuer = SigningKey::generate(&mut r);
        let memo = b"rent, march";
        let transfer = payment_tx(&ppk, &PaymentSpec::default(), b"", memo, None, &mut r);
        let deposit = PaymentSpec {
            value_in: [0, 0],
            value_out: [30, 20],
            public: [50, 0, 0],
            ..Default::default()
        };
        let deposit = payment_tx(&ppk, &deposit, b"", memo, Some(&issuer), &mut r);
        let withdrawal = PaymentSpec {
            value_in: [40, 0],
            value_out: [10, 5],
            public: [0, 20, 5],
            ..Default::default()
        };
        let withdrawal = payment_tx(&ppk, &withdrawal, b"iban:XX00", memo, Some(&issuer), &mut r);
        let case = consent_case(&mut r);
        Fixture {
            keys,
            vks: [pvk, gvk, avk, rvk],
            issuer,
            txs: vec![
                transfer,
                deposit,
                withdrawal,
                grant_tx(&gpk, &case, &mut r),
                access_tx(&apk, &case, &mut r),
                revoke_tx(&rpk, &case, &mut r),
            ],
        }
    })
}

/// The bytes the proof does not cover directly: memo, delivery or request.
fn bound_bytes(tx: &mut Transaction) -> &mut Vec<u8> {
    match tx {
        Transaction::Payment(p) => &mut p.memo,
        Transaction::Grant(g) => &mut g.delivery,
        Transaction::Access(a) => &mut a.request,
        Transaction::Revoke(r) => &mut r.memo,
        Transaction::Rotate(_) => unreachable!("the fixture has no rotations"),
    }
}

fn proof_mut(tx: &mut Transaction) -> &mut Groth16Proof {
    match tx {
        Transaction::Payment(p) => &mut p.proof,
        Transaction::Grant(g) => &mut g.proof,
        Transaction::Access(a) => &mut a.proof,
        Transaction::Revoke(r) => &mut r.proof,
        Transaction::Rotate(_) => unreachable!("the fixture has no rotations"),
    }
}

/// Re-signs a payment that needs a signature, so only the proof can reject it.
fn resign(f: &Fixture, tx: &mut Transaction) {
    let id_tx = tx.clone();
    if let Transaction::Payment(p) = tx {
        if p.issuer_signature.is_some() {
            p.issuer_signature = Some(sign(&f.issuer, &TEST_CHAIN, &id_tx));
        }
    }
}

#[test]
fn every_kind_verifies_from_its_encoding() {
    let f = fixture();
    for tx in &f.txs {
        let decoded = Transaction::decode(&tx.encode()).unwrap();
        assert_eq!(&decoded, tx);
        assert_eq!(f.keys.verify(&decoded), Ok(()), "{:?}", tx.kind());
    }
}

#[test]
fn altering_any_bound_byte_breaks_the_proof() {
    let f = fixture();
    for tx in &f.txs {
        let len = bound_bytes(&mut tx.clone()).len();
        for i in 0..len {
            let mut t = tx.clone();
            bound_bytes(&mut t)[i] ^= 1;
            resign(f, &mut t);
            assert_eq!(
                f.keys.verify(&t),
                Err(VerifyError::ProofRejected { kind: tx.kind() }),
                "{:?} byte {i}",
                tx.kind()
            );
        }
    }
    // Deliveries and the destination are bound too.
    for i in [1, 2] {
        let mut t = f.txs[i].clone();
        if let Transaction::Payment(p) = &mut t {
            p.deliveries[1][0] ^= 1;
        }
        resign(f, &mut t);
        assert!(matches!(
            f.keys.verify(&t),
            Err(VerifyError::ProofRejected { .. })
        ));
    }
    let mut t = f.txs[2].clone();
    if let Transaction::Payment(p) = &mut t {
        p.destination = b"iban:YY11".to_vec();
    }
    resign(f, &mut t);
    assert!(matches!(
        f.keys.verify(&t),
        Err(VerifyError::ProofRejected { .. })
    ));
}

#[test]
fn issuer_signatures_are_required_exactly_for_public_amounts() {
    let f = fixture();
    let strip = |tx: &Transaction| {
        let mut t = tx.clone();
        if let Transaction::Payment(p) = &mut t {
            p.issuer_signature = None;
        }
        t
    };
    let (transfer, deposit, withdrawal) = (&f.txs[0], &f.txs[1], &f.txs[2]);
    assert_eq!(
        f.keys.verify(&strip(deposit)),
        Err(VerifyError::MissingSignature)
    );
    assert_eq!(
        f.keys.verify(&strip(withdrawal)),
        Err(VerifyError::MissingSignature)
    );

    let mut signed_transfer = transfer.clone();
    if let Transaction::Payment(p) = &mut signed_transfer {
        p.issuer_signature = Some(sign(&f.issuer, &TEST_CHAIN, transfer));
    }
    assert_eq!(
        f.keys.verify(&signed_transfer),
        Err(VerifyError::UnexpectedSignature)
    );

    // A signature over another transaction, by another key, or a corrupted one.
    let other = SigningKey::generate(&mut rng(8));
    let mut t = deposit.clone();
    if let Transaction::Payment(p) = &mut t {
        p.issuer_signature = Some(sign(&f.issuer, &TEST_CHAIN, withdrawal));
    }
    assert_eq!(f.keys.verify(&t), Err(VerifyError::BadSignature));
    let mut t = deposit.clone();
    if let Transaction::Payment(p) = &mut t {
        let mut s = sign(&other, &TEST_CHAIN, deposit);
        s.issuer = f.issuer.verifying_key().to_bytes();
        p.issuer_signature = Some(s);
    }
    assert_eq!(f.keys.verify(&t), Err(VerifyError::BadSignature));
    let mut t = deposit.clone();
    if let Transaction::Payment(p) = &mut t {
        if let Some(s) = &mut p.issuer_signature {
            s.signature[10] ^= 1;
        }
    }
    assert_eq!(f.keys.verify(&t), Err(VerifyError::BadSignature));
    // Not a curve point: y = 2 has no x on edwards25519.
    let mut t = deposit.clone();
    if let Transaction::Payment(p) = &mut t {
        if let Some(s) = &mut p.issuer_signature {
            s.issuer = [0; 32];
            s.issuer[0] = 2;
        }
    }
    assert!(matches!(
        f.keys.verify(&t),
        Err(VerifyError::BadIssuerKey | VerifyError::BadSignature)
    ));

    // A destination without a withdrawal.
    let mut t = transfer.clone();
    if let Transaction::Payment(p) = &mut t {
        p.destination = b"iban:XX00".to_vec();
    }
    assert_eq!(
        f.keys.verify(&t),
        Err(VerifyError::DestinationWithoutWithdrawal)
    );
}

#[test]
fn a_proof_for_another_statement_is_rejected() {
    let f = fixture();
    // Two valid payments with their proofs swapped.
    let mut t = f.txs[0].clone();
    *proof_mut(&mut t) = f.txs[1].proof().unwrap().clone();
    assert!(matches!(
        f.keys.verify(&t),
        Err(VerifyError::ProofRejected { .. })
    ));
    // A grant proof on a revoke.
    let mut t = f.txs[5].clone();
    *proof_mut(&mut t) = f.txs[3].proof().unwrap().clone();
    assert!(matches!(
        f.keys.verify(&t),
        Err(VerifyError::ProofRejected { .. })
    ));
}

/// Nothing made for one chain verifies on another with the same keys: every proof's binding
/// names the chain, and so does the message an issuer signs.
#[test]
fn transactions_of_one_chain_are_refused_on_another() {
    let f = fixture();
    let [p, g, a, r] = &f.vks;
    let mut other_chain = TEST_CHAIN;
    other_chain[0] ^= 1;
    let elsewhere = VerifyingKeys::new(other_chain, p, g, a, r).unwrap();
    for tx in &f.txs {
        let needs_signature = matches!(tx, Transaction::Payment(p) if p.issuer_signature.is_some());
        let verdict = elsewhere.verify(tx);
        if needs_signature {
            // The signature check runs first and already names the chain.
            assert_eq!(verdict, Err(VerifyError::BadSignature), "{:?}", tx.kind());
        } else {
            assert_eq!(
                verdict,
                Err(VerifyError::ProofRejected { kind: tx.kind() }),
                "{:?}",
                tx.kind()
            );
        }
        assert_eq!(elsewhere.verify_batch(std::slice::from_ref(tx))[0], verdict);
    }
    // A deposit re-signed for the other chain still carries a proof bound to this one.
    let mut t = f.txs[1].clone();
    let id_tx = t.clone();
    if let Transaction::Payment(p) = &mut t {
        p.issuer_signature = Some(sign(&f.issuer, &other_chain, &id_tx));
    }
    assert_eq!(
        elsewhere.verify(&t),
        Err(VerifyError::ProofRejected {
            kind: TxKind::Payment
        })
    );
    assert_eq!(f.keys.verify(&t), Err(VerifyError::BadSignature));
}

#[test]
fn keys_in_the_wrong_slot_are_refused() {
    let f = fixture();
    let [p, g, a, r] = &f.vks;
    assert!(matches!(
        VerifyingKeys::new(TEST_CHAIN, g, p, a, r),
        Err(VerifyError::KeyShape {
            kind: TxKind::Payment,
            ..
        })
    ));
    assert!(matches!(
        VerifyingKeys::new(TEST_CHAIN, p, g, a, g),
        Err(VerifyError::KeyShape {
            kind: TxKind::Revoke,
            ..
        })
    ));
}

/// Doubles A: still a subgroup point, no longer a valid proof.
fn corrupt(tx: &mut Transaction) {
    let proof = proof_mut(tx);
    proof.a = (proof.a + proof.a).into_affine();
}

fn singles(f: &Fixture, txs: &[Transaction]) -> Vec<Result<(), VerifyError>> {
    txs.iter().map(|t| f.keys.verify(t)).collect()
}

#[test]
fn batch_accepts_a_batch_of_valid_proofs() {
    let f = fixture();
    let batch: Vec<Transaction> = f.txs.iter().chain(&f.txs).cloned().collect();
    assert!(f.keys.verify_batch(&batch).iter().all(Result::is_ok));
    assert!(f.keys.verify_batch(&[]).is_empty());
}

#[test]
fn batch_pinpoints_one_bad_proof() {
    let f = fixture();
    let batch: Vec<Transaction> = f.txs.iter().chain(&f.txs).cloned().collect();
    for bad in 0..batch.len() {
        let mut txs = batch.clone();
        corrupt(&mut txs[bad]);
        let verdicts = f.keys.verify_batch(&txs);
        for (i, v) in verdicts.iter().enumerate() {
            if i == bad {
                assert_eq!(
                    v,
                    &Err(VerifyError::ProofRejected {
                        kind: txs[i].kind()
                    })
                );
            } else {
                assert_eq!(v, &Ok(()), "tx {i} wrongly rejected with {bad} bad");
            }
        }
    }
}

#[test]
fn batch_verdicts_equal_single_verdicts_on_random_mixes() {
    let f = fixture();
    let mut r = rng(11);
    for round in 0..16 {
        let n = r.gen_range(1..=14);
        let mut txs: Vec<Transaction> = (0..n)
            .map(|_| f.txs.choose(&mut r).unwrap().clone())
            .collect();
        for tx in txs.iter_mut() {
            if !r.gen_bool(0.3) {
                continue;
            }
            match r.gen_range(0..4) {
                0 => corrupt(tx),
                1 => {
                    bound_bytes(tx).push(0);
                    resign(f, tx);
                }
                2 => {
                    let other = f.txs.choose(&mut r).unwrap().proof().unwrap().clone();
                    *proof_mut(tx) = other;
                }
                _ => {
                    if let Transaction::Payment(p) = tx {
                        p.issuer_signature = None;
                    }
                }
            }
        }
        assert_eq!(f.keys.verify_batch(&txs), singles(f, &txs), "round {round}");
    }
}

/// Two invalid proofs whose errors cancel in an unweighted product (`A + G` and `A − G` on the
/// same statement) pass a naive batch; the random weights catch them.
#[test]
fn batch_is_not_fooled_by_cancelling_errors() {
    use ark_bls12_381::G1Projective;
    use ark_ec::PrimeGroup;
    let f = fixture();
    let g = G1Projective::generator();
    for tx in &f.txs {
        let (mut plus, mut minus) = (tx.clone(), tx.clone());
        let a = tx.proof().unwrap().a;
        proof_mut(&mut plus).a = (a + g).into_affine();
        proof_mut(&mut minus).a = (a - g).into_affine();
        let rejected = Err(VerifyError::ProofRejected { kind: tx.kind() });
        assert_eq!(
            f.keys.verify_batch(&[plus, tx.clone(), minus]),
            vec![rejected.clone(), Ok(()), rejected]
        );
    }
}

/// The curve backends reach the same verdict on every transaction, alone and in batches, on
/// valid proofs and on every kind of invalid one.
#[test]
fn backends_give_the_same_verdicts() {
    use zkreg_verifier::Backend;
    let f = fixture();
    let ark = f.keys.clone().with_backend(Backend::Arkworks);
    let blst = f.keys.clone().with_backend(Backend::Blst);
    let mut r = rng(12);
    for round in 0..12 {
        let n = r.gen_range(1..=10);
        let mut txs: Vec<Transaction> = (0..n)
            .map(|_| f.txs.choose(&mut r).unwrap().clone())
            .collect();
        for tx in txs.iter_mut() {
            if !r.gen_bool(0.3) {
                continue;
            }
            match r.gen_range(0..3) {
                0 => corrupt(tx),
                1 => {
                    bound_bytes(tx).push(0);
                    resign(f, tx);
                }
                _ => {
                    let other = f.txs.choose(&mut r).unwrap().proof().unwrap().clone();
                    *proof_mut(tx) = other;
                }
            }
        }
        let reference: Vec<_> = txs.iter().map(|t| ark.verify(t)).collect();
        let singles: Vec<_> = txs.iter().map(|t| blst.verify(t)).collect();
        assert_eq!(singles, reference, "round {round}: single verdicts");
        assert_eq!(
            ark.verify_batch(&txs),
            reference,
            "round {round}: arkworks batch"
        );
        assert_eq!(
            blst.verify_batch(&txs),
            reference,
            "round {round}: blst batch"
        );
    }
}

/// Bytes of a transaction with `bad` written at `offset`.
fn with(bytes: &[u8], offset: usize, bad: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[offset..offset + bad.len()].copy_from_slice(bad);
    out
}

fn compressed<P: ark_serialize::CanonicalSerialize>(p: &P) -> Vec<u8> {
    let mut b = Vec::new();
    p.serialize_compressed(&mut b).unwrap();
    b
}

/// Every kind of invalid point, at every point position of every kind of transaction: the
/// validator's block path (`decode_and_verify`: pinned regulator keys, the audit `R` left to its
/// proof, `blst` or arkworks) refuses it exactly as `Transaction::decode` does — same index,
/// same field, same reason — and agrees with decode-then-verify on valid and invalid proofs.
#[test]
fn block_path_refuses_a_bad_point_in_any_position_for_the_same_reason() {
    use ark_bls12_381::{Fq, Fq2, G1Affine, G2Affine};
    use ark_ec::AffineRepr;
    use ark_ff::{BigInteger, PrimeField, Zero};
    use zkreg_circuits::ecc::{generator, JubjubAffine};
    use zkreg_verifier::{wire::PROOF_BYTES, Backend, DecodeError};
    let f = fixture();
    // Jubjub: off the curve, small order, a subgroup point plus a 2-torsion point, identity.
    let off_curve_y = (2u64..)
        .map(Fr::from)
        .find(|y| JubjubAffine::get_point_from_y_unchecked(*y, false).is_none())
        .unwrap();
    let two_torsion = JubjubAffine::new_unchecked(Fr::zero(), -Fr::from(1u64));
    let mixed = (generator().into_group() + two_torsion).into_affine();
    let jubjub_bad = [
        off_curve_y.into_bigint().to_bytes_le(),
        compressed(&two_torsion),
        compressed(&mixed),
        compressed(&JubjubAffine::zero()),
    ];
    // G1/G2: off the curve, outside the subgroup, identity.
    let mut off_curve = (1u64..)
        .map(Fq::from)
        .find(|x| G1Affine::get_point_from_x_unchecked(*x, false).is_none())
        .unwrap()
        .into_bigint()
        .to_bytes_be();
    off_curve[0] |= 0x80;
    let g1_outside = (1u64..)
        .filter_map(|x| G1Affine::get_point_from_x_unchecked(Fq::from(x), false))
        .find(|p| !p.is_in_correct_subgroup_assuming_on_curve())
        .unwrap();
    let g2_outside = (1u64..)
        .filter_map(|x| {
            G2Affine::get_point_from_x_unchecked(Fq2::new(Fq::from(x), Fq::zero()), false)
        })
        .find(|p| !p.is_in_correct_subgroup_assuming_on_curve())
        .unwrap();
    let g1_bad = [
        off_curve,
        compressed(&g1_outside),
        compressed(&G1Affine::zero()),
    ];
    let g2_bad = [compressed(&g2_outside), compressed(&G2Affine::zero())];

    // Point positions: (offset, bad encodings) per transaction.
    let positions = |tx: &Transaction, bytes: &[u8]| -> Vec<(usize, Vec<Vec<u8>>)> {
        let a = bytes.len() - PROOF_BYTES;
        let mut out = vec![
            (a, g1_bad.to_vec()),
            (a + 48, g2_bad.to_vec()),
            (a + 144, g1_bad.to_vec()),
        ];
        let rpk = match tx.kind() {
            TxKind::Payment => Some(218),
            TxKind::Grant => Some(34),
            TxKind::Access => Some(74),
            TxKind::Revoke | TxKind::Rotate => None,
        };
        if let Some(rpk) = rpk {
            out.push((rpk, jubjub_bad.to_vec())); // rpk
            out.push((rpk + 32, jubjub_bad.to_vec())); // audit.r
        }
        out
    };
    // The reference: decode each with `Transaction::decode`, then verify the batch.
    let reference = |keys: &VerifyingKeys, block: &[Vec<u8>]| {
        let mut txs = Vec::new();
        for (i, b) in block.iter().enumerate() {
            match Transaction::decode(b) {
                Ok(t) => txs.push(t),
                Err(e) => return Err((i, e)),
            }
        }
        Ok(keys.verify_batch(&txs))
    };
    let rpks: Vec<JubjubAffine> = f
        .txs
        .iter()
        .filter_map(|t| match t {
            Transaction::Payment(p) => Some(p.rpk),
            Transaction::Grant(g) => Some(g.rpk),
            Transaction::Access(a) => Some(a.rpk),
            Transaction::Revoke(_) | Transaction::Rotate(_) => None,
        })
        .collect();
    let mut checked = 0;
    for backend in [Backend::Blst, Backend::Arkworks] {
        for pinned in [false, true] {
            let mut keys = f.keys.clone().with_backend(backend);
            if pinned {
                keys = keys.with_pinned_points(&rpks).unwrap();
            }
            let valid: Vec<Vec<u8>> = f.txs.iter().map(Transaction::encode).collect();
            for (j, tx) in f.txs.iter().enumerate() {
                let bytes = tx.encode();
                for (offset, bads) in positions(tx, &bytes) {
                    for bad in bads {
                        let mut block = valid.clone();
                        block[j] = with(&bytes, offset, &bad);
                        let expected = reference(&keys, &block);
                        let Err((index, error)) = &expected else {
                            panic!("a bad point at {offset} of a {:?} decodes", tx.kind());
                        };
                        assert_eq!(*index, j);
                        assert!(matches!(
                            error,
                            DecodeError::InvalidPoint { .. }
                                | DecodeError::InvalidProofPoint { .. }
                                | DecodeError::ProofIdentity { .. }
                        ));
                        let got = keys.decode_and_verify(&block, |_| true).map(|c| c.verdicts);
                        assert_eq!(got.map(|v| v.unwrap()), expected, "{backend:?} at {offset}");
                        // Also when the caller says the proofs are not needed.
                        let got = keys
                            .decode_and_verify(&block, |_| false)
                            .map(|c| c.verdicts);
                        assert_eq!(got.err(), expected.err());
                        checked += 1;
                    }
                }
            }
            // Valid and invalid proofs: the same verdicts as decode-then-verify.
            let mut block = valid.clone();
            let mut bad = f.txs[0].clone();
            corrupt(&mut bad);
            block.push(bad.encode());
            let got = keys.decode_and_verify(&block, |_| true).unwrap();
            assert_eq!(Ok(got.verdicts.unwrap()), reference(&keys, &block));
            assert_eq!(
                got.ids,
                f.txs
                    .iter()
                    .chain([&bad])
                    .map(Transaction::id)
                    .collect::<Vec<_>>()
            );
        }
    }
    assert!(checked > 100);
}
