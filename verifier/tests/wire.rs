//! The wire format: round trips on random transactions of every kind, and every way a
//! malformed encoding must be refused.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at the first failure

mod common;

use ark_bls12_381::{Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{BigInteger, One, PrimeField, Zero};
use ark_serialize::CanonicalSerialize;
use common::{byte_fields, length_prefix_offsets, random_tx, rng, KINDS};
use proptest::prelude::*;
use zkreg_circuits::ecc::{generator, JubjubAffine, PointError};
use zkreg_verifier::{
    wire::PROOF_BYTES, DecodeError, Transaction, TxKind, MAX_TX_BYTES, TX_VERSION,
};

fn kind_strategy() -> impl Strategy<Value = TxKind> {
    prop::sample::select(KINDS.to_vec())
}

proptest! {
    #[test]
    fn round_trip(kind in kind_strategy(), seed in any::<u64>()) {
        let tx = random_tx(kind, &mut rng(seed));
        let bytes = tx.encode();
        prop_assert!(bytes.len() <= MAX_TX_BYTES);
        prop_assert_eq!(Transaction::decode(&bytes), Ok(tx.clone()));
        prop_assert_eq!(tx.kind(), kind);
        prop_assert_eq!(bytes.get(..2), Some(&[TX_VERSION, kind as u8][..]));
        // The body is a prefix of the encoding; the proof is its last PROOF_BYTES.
        let body = tx.body_bytes();
        prop_assert_eq!(bytes.get(..body.len()), Some(&body[..]));
        prop_assert!(bytes.len() >= body.len() + PROOF_BYTES);
        prop_assert_eq!(tx.public_inputs(&[0; 32]).len(), kind.public_inputs());
    }
}

/// Two of each kind, fixed seeds.
fn samples() -> Vec<Transaction> {
    let mut r = rng(1);
    KINDS
        .iter()
        .flat_map(|k| [random_tx(*k, &mut r), random_tx(*k, &mut r)])
        .collect()
}

fn with(bytes: &[u8], offset: usize, patch: &[u8]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[offset..offset + patch.len()].copy_from_slice(patch);
    b
}

#[test]
fn every_truncation_is_rejected() {
    for tx in samples() {
        let bytes = tx.encode();
        for len in 0..bytes.len() {
            let err = Transaction::decode(&bytes[..len]).unwrap_err();
            assert!(
                matches!(err, DecodeError::Truncated { .. }),
                "{:?} truncated to {len}: {err:?}",
                tx.kind()
            );
        }
    }
}

#[test]
fn length_prefix_bit_flips_are_rejected_or_decode_to_another_canonical_tx() {
    for tx in samples() {
        let bytes = tx.encode();
        for (name, offset) in length_prefix_offsets(&tx) {
            for bit in 0..16 {
                let mut b = bytes.clone();
                b[offset + bit / 8] ^= 1 << (bit % 8);
                match Transaction::decode(&b) {
                    Err(_) => {}
                    Ok(other) => {
                        assert_ne!(other, tx, "{name} bit {bit}");
                        assert_eq!(other.encode(), b, "{name} bit {bit}");
                    }
                }
            }
        }
    }
}

#[test]
fn field_elements_at_or_above_the_modulus_are_rejected() {
    let tx = random_tx(TxKind::Grant, &mut rng(2));
    let bytes = tx.encode();
    let modulus = Fr::MODULUS.to_bytes_le();
    let mut above = modulus.clone();
    above[0] += 1;
    // gcm at 2; audit.c[0] after gcm, rpk and audit.r.
    for offset in [2, 2 + 32 + 32 + 32] {
        for bad in [&modulus[..], &above[..], &[0xff; 32][..]] {
            assert!(matches!(
                Transaction::decode(&with(&bytes, offset, bad)),
                Err(DecodeError::NonCanonicalField { offset: o, .. }) if o == offset
            ));
        }
    }
    // r − 1 is fine (and re-encodes identically).
    let top = (-Fr::one()).into_bigint().to_bytes_le();
    let ok = Transaction::decode(&with(&bytes, 2, &top)).unwrap();
    assert_eq!(ok.encode(), with(&bytes, 2, &top));
}

fn jubjub_bytes(p: &JubjubAffine) -> Vec<u8> {
    let mut b = Vec::new();
    p.serialize_compressed(&mut b).unwrap();
    b
}

#[test]
fn bad_jubjub_points_are_rejected() {
    let off_curve_y = (2u64..)
        .map(Fr::from)
        .find(|y| JubjubAffine::get_point_from_y_unchecked(*y, false).is_none())
        .unwrap();
    let two_torsion = JubjubAffine::new_unchecked(Fr::zero(), -Fr::one());
    let mixed = (generator().into_group() + two_torsion).into_affine();
    let cases: [(&str, Vec<u8>, PointError); 5] = [
        (
            "off curve",
            off_curve_y.into_bigint().to_bytes_le(),
            PointError::NotOnCurve,
        ),
        ("y ≥ p", Fr::MODULUS.to_bytes_le(), PointError::NotOnCurve),
        (
            "small order (0, −1)",
            jubjub_bytes(&two_torsion),
            PointError::NotInSubgroup,
        ),
        (
            "G + (0, −1)",
            jubjub_bytes(&mixed),
            PointError::NotInSubgroup,
        ),
        (
            "identity",
            jubjub_bytes(&JubjubAffine::zero()),
            PointError::Identity,
        ),
    ];
    // A grant's rpk sits at 34, its audit R at 66; a payment's rpk at 218.
    let grant = random_tx(TxKind::Grant, &mut rng(3)).encode();
    let payment = random_tx(TxKind::Payment, &mut rng(3)).encode();
    for (bytes, offset, field) in [
        (&grant, 34, "rpk"),
        (&grant, 66, "audit.r"),
        (&payment, 218, "rpk"),
    ] {
        for (what, bad, expected) in &cases {
            let got = Transaction::decode(&with(bytes, offset, bad));
            assert_eq!(
                got,
                Err(DecodeError::InvalidPoint {
                    field,
                    offset,
                    reason: *expected
                }),
                "{what} at {field}"
            );
        }
    }
}

fn g1_bytes(p: &G1Affine) -> Vec<u8> {
    let mut b = Vec::new();
    p.serialize_compressed(&mut b).unwrap();
    b
}

fn g2_bytes(p: &G2Affine) -> Vec<u8> {
    let mut b = Vec::new();
    p.serialize_compressed(&mut b).unwrap();
    b
}

#[test]
fn bad_proof_points_are_rejected() {
    // x with no point: x³ + 4 is not a square.
    let off_curve_x = (1u64..)
        .map(Fq::from)
        .find(|x| G1Affine::get_point_from_x_unchecked(*x, false).is_none())
        .unwrap();
    let mut off_curve = off_curve_x.into_bigint().to_bytes_be();
    off_curve[0] |= 0x80; // compressed flag
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

    for tx in samples() {
        let bytes = tx.encode();
        let a = bytes.len() - PROOF_BYTES;
        let (b, c) = (a + 48, a + 144);
        let mut uncompressed = bytes[a..a + 48].to_vec();
        uncompressed[0] &= 0x7f;
        let cases: Vec<(usize, Vec<u8>, &str)> = vec![
            (a, off_curve.clone(), "proof.a"),
            (c, off_curve.clone(), "proof.c"),
            (a, g1_bytes(&g1_outside), "proof.a"),
            (c, g1_bytes(&g1_outside), "proof.c"),
            (b, g2_bytes(&g2_outside), "proof.b"),
            (a, uncompressed, "proof.a"),
            (a, Fq::MODULUS.to_bytes_be(), "proof.a"),
        ];
        for (offset, bad, field) in cases {
            assert_eq!(
                Transaction::decode(&with(&bytes, offset, &bad)),
                Err(DecodeError::InvalidProofPoint { field, offset }),
                "{field}"
            );
        }
        for (offset, bad, field) in [
            (a, g1_bytes(&G1Affine::zero()), "proof.a"),
            (b, g2_bytes(&G2Affine::zero()), "proof.b"),
            (c, g1_bytes(&G1Affine::zero()), "proof.c"),
        ] {
            assert_eq!(
                Transaction::decode(&with(&bytes, offset, &bad)),
                Err(DecodeError::ProofIdentity { field, offset })
            );
        }
    }
}

#[test]
fn trailing_bytes_are_rejected() {
    for tx in samples() {
        let mut bytes = tx.encode();
        let len = bytes.len();
        bytes.push(0);
        assert_eq!(
            Transaction::decode(&bytes),
            Err(DecodeError::TrailingBytes {
                offset: len,
                count: 1
            })
        );
    }
}

#[test]
fn unknown_version_and_kind_are_rejected() {
    for tx in samples() {
        let bytes = tx.encode();
        for v in [0, 2, 0xff] {
            assert_eq!(
                Transaction::decode(&with(&bytes, 0, &[v])),
                Err(DecodeError::UnknownVersion { found: v })
            );
        }
        for k in [0, 6, 0xff] {
            assert_eq!(
                Transaction::decode(&with(&bytes, 1, &[k])),
                Err(DecodeError::UnknownKind { found: k })
            );
        }
    }
}

#[test]
fn over_long_byte_strings_and_inputs_are_rejected() {
    for tx in samples() {
        for (i, (field, offset)) in length_prefix_offsets(&tx).into_iter().enumerate() {
            let max = byte_fields(&tx)[i].2;
            let mut long = tx.clone();
            match &mut long {
                Transaction::Payment(p) => {
                    let [d0, d1] = &mut p.deliveries;
                    [d0, d1, &mut p.destination, &mut p.memo][i].resize(max + 1, 7)
                }
                Transaction::Grant(g) => [&mut g.delivery, &mut g.memo][i].resize(max + 1, 7),
                Transaction::Access(a) => a.request.resize(max + 1, 7),
                Transaction::Revoke(r) => r.memo.resize(max + 1, 7),
                Transaction::Rotate(_) => {} // no byte strings
            }
            assert_eq!(
                Transaction::decode(&long.encode()),
                Err(DecodeError::TooLong {
                    field,
                    offset,
                    len: max + 1,
                    max
                })
            );
        }
    }
    assert_eq!(
        Transaction::decode(&vec![1; MAX_TX_BYTES + 1]),
        Err(DecodeError::TooLarge {
            len: MAX_TX_BYTES + 1,
            max: MAX_TX_BYTES
        })
    );
    // An over-long string that no u16 can hold still encodes to something decode refuses.
    let mut huge = samples()[0].clone();
    if let Transaction::Payment(p) = &mut huge {
        p.memo = vec![0; 70_000];
    }
    assert!(Transaction::decode(&huge.encode()).is_err());
}

#[test]
fn signature_presence_byte_is_zero_or_one() {
    let mut r = rng(4);
    let tx = loop {
        let tx = random_tx(TxKind::Payment, &mut r);
        if matches!(&tx, Transaction::Payment(p) if p.issuer_signature.is_none()) {
            break tx;
        }
    };
    let bytes = tx.encode();
    let offset = tx.body_bytes().len();
    for found in [2, 0x80, 0xff] {
        assert_eq!(
            Transaction::decode(&with(&bytes, offset, &[found])),
            Err(DecodeError::InvalidPresence { offset, found })
        );
    }
}

#[test]
fn id_and_binding_cover_the_body_only() {
    let chain = [1u8; 32];
    for tx in samples() {
        let (id, binding) = (tx.id(), tx.binding(&chain));
        let mut other_proof = tx.clone();
        match &mut other_proof {
            Transaction::Payment(p) => {
                p.proof.a = (p.proof.a + p.proof.a).into_affine();
                p.issuer_signature = None;
            }
            Transaction::Grant(g) => g.proof.a = (g.proof.a + g.proof.a).into_affine(),
            Transaction::Access(a) => a.proof.a = (a.proof.a + a.proof.a).into_affine(),
            Transaction::Revoke(r) => r.proof.a = (r.proof.a + r.proof.a).into_affine(),
            Transaction::Rotate(_) => continue, // no proof; see `rotation_encoding`
        }
        assert_eq!(
            (other_proof.id(), other_proof.binding(&chain)),
            (id, binding)
        );

        let mut other_memo = tx.clone();
        match &mut other_memo {
            Transaction::Payment(p) => p.memo.push(1),
            Transaction::Grant(g) => g.memo.push(1),
            Transaction::Access(a) => a.request.push(1),
            Transaction::Revoke(r) => r.memo.push(1),
            Transaction::Rotate(_) => continue,
        }
        assert_ne!(other_memo.id(), id);
        assert_ne!(other_memo.binding(&chain), binding);
        assert_eq!(
            other_memo.public_inputs(&chain).last(),
            Some(&other_memo.binding(&chain))
        );
        // The same body on another chain has the same id (it names bytes) but another binding.
        let mut elsewhere = chain;
        elsewhere[31] ^= 0x80;
        assert_ne!(tx.binding(&elsewhere), binding);
        assert_eq!(
            tx.public_inputs(&elsewhere).last(),
            Some(&tx.binding(&elsewhere))
        );
    }
}

#[test]
fn access_binding_leaves_out_the_tag() {
    let tx = random_tx(TxKind::Access, &mut rng(5));
    let mut other = tx.clone();
    if let Transaction::Access(a) = &mut other {
        a.tag += Fr::one();
    }
    assert_eq!(other.binding(&[0; 32]), tx.binding(&[0; 32]));
    assert_ne!(other.id(), tx.id());
}

/// Pins the encoding, id and binding of a fixed transaction: any change to the format or the
/// hashes shows up here.
#[test]
fn test_vector() {
    use ark_bls12_381::{G1Projective, G2Projective};
    use ark_ec::PrimeGroup;
    let tx = Transaction::Revoke(zkreg_verifier::RevokeTx {
        pos: 5,
        gcm: Fr::from(7u64),
        memo: b"zkreg".to_vec(),
        proof: zkreg_verifier::Groth16Proof {
            a: G1Projective::generator().into_affine(),
            b: G2Projective::generator().into_affine(),
            c: (G1Projective::generator() * Fr::from(2u64)).into_affine(),
        },
    });
    let bytes = tx.encode();
    assert_eq!(
        hex::encode(tx.body_bytes()),
        "01040500000000000000070000000000000000000000000000000000000000000000000000000000000005007a6b726567"
    );
    assert_eq!(bytes.len(), 2 + 8 + 32 + 2 + 5 + PROOF_BYTES);
    assert_eq!(Transaction::decode(&bytes), Ok(tx.clone()));
    // Cross-checked with Python's hashlib.blake2b(digest_size=32 / 64).
    assert_eq!(
        hex::encode(tx.id()),
        "d81ab0161a17ea25cf26473aec3e1fafd8c0e2e3cc5b9e16cf057fc82b8f92fe"
    );
    // Binding on the chain [7; 32]: BLAKE2b-512("zkreg/v1/binding" ‖ chain ‖ body) mod r.
    assert_eq!(
        hex::encode(tx.binding(&[7; 32]).into_bigint().to_bytes_le()),
        "543adb5c2eced4a09f67004fc4d467a84a73cf45cfbbce3a4ff97fdea31eae06"
    );
    assert_eq!(
        zkreg_verifier::wire::issuer_message(&[7; 32], &tx.id()),
        [&b"zkreg/v1/issuer"[..], &[7; 32], &tx.id()].concat()
    );
}

/// Rotations: the one kind without a proof. Round trips, the whole encoding is the body (the id
/// covers the signers), and the signer list is bounded, its scalars canonical and its keys
/// checked points.
#[test]
fn rotation_encoding() {
    use zkreg_verifier::rotation::MAX_ROTATION_SIGNERS;
    for seed in 0..8 {
        let tx = random_tx(TxKind::Rotate, &mut rng(seed));
        let bytes = tx.encode();
        assert_eq!(Transaction::decode(&bytes), Ok(tx.clone()));
        assert_eq!(tx.body_bytes(), bytes);
        assert_eq!(tx.proof(), None);
        assert!(tx.public_inputs(&[0; 32]).is_empty());
        for len in 0..bytes.len() {
            assert!(matches!(
                Transaction::decode(&bytes[..len]),
                Err(DecodeError::Truncated { .. })
            ));
        }
    }
    let Transaction::Rotate(base) = random_tx(TxKind::Rotate, &mut rng(1)) else {
        unreachable!()
    };
    // old (32) new (32) from (8) sequence (8) after version and kind: the count is at 82.
    let count_at = 2 + 32 + 32 + 8 + 8;
    for n in [0usize, MAX_ROTATION_SIGNERS + 1] {
        let mut tx = base.clone();
        tx.signers = (0..n)
            .map(|i| base.signers[i % base.signers.len()])
            .collect();
        assert_eq!(
            Transaction::decode(&Transaction::Rotate(tx).encode()),
            Err(DecodeError::SignerCount {
                offset: count_at,
                found: n as u8,
                max: MAX_ROTATION_SIGNERS
            })
        );
    }
    // Each signer: index (2), key (32), e (32), z (32).
    let bytes = Transaction::Rotate(base.clone()).encode();
    let key_at = count_at + 1 + 2;
    let e_at = key_at + 32;
    let modulus = {
        use zkreg_circuits::ecc::JubjubScalar;
        let mut m = JubjubScalar::MODULUS.to_bytes_le();
        m.resize(32, 0);
        m
    };
    assert_eq!(
        Transaction::decode(&with(&bytes, e_at, &modulus)),
        Err(DecodeError::NonCanonicalField {
            field: "signers.e",
            offset: e_at
        })
    );
    assert_eq!(
        Transaction::decode(&with(&bytes, e_at + 32, &modulus)),
        Err(DecodeError::NonCanonicalField {
            field: "signers.z",
            offset: e_at + 32
        })
    );
    let identity = jubjub_bytes(&JubjubAffine::zero());
    assert_eq!(
        Transaction::decode(&with(&bytes, key_at, &identity)),
        Err(DecodeError::InvalidPoint {
            field: "signers.key",
            offset: key_at,
            reason: PointError::Identity
        })
    );
    // Another signature is another transaction.
    let mut other = base.clone();
    other.signers[0].signature.response += zkreg_circuits::ecc::JubjubScalar::one();
    assert_ne!(
        Transaction::Rotate(other).id(),
        Transaction::Rotate(base).id()
    );
}
