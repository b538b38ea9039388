//! Random well-formed transactions for the wire tests (shared by several test binaries).
#![allow(dead_code)]

use ark_bls12_381::{Fr, G1Projective, G2Projective};
use ark_ec::{CurveGroup, PrimeGroup};
use ark_std::UniformRand;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use zkreg_circuits::{
    audit::AuditCiphertext,
    ecc::{mul_generator, JubjubAffine, JubjubScalar},
};
use zkreg_verifier::{
    AccessTx, GrantTx, Groth16Proof, IssuerSignature, PaymentTx, RevokeTx, RotateTx,
    RotationSigner, RotationTerms, SchnorrSignature, Transaction, TxKind, MAX_DELIVERY_BYTES,
    MAX_DESTINATION_BYTES, MAX_MEMO_BYTES, MAX_REQUEST_BYTES,
};

pub const KINDS: [TxKind; 4] = [
    TxKind::Payment,
    TxKind::Grant,
    TxKind::Access,
    TxKind::Revoke,
];

pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// A subgroup point: a random multiple of the generator.
pub fn point(rng: &mut ChaCha20Rng) -> JubjubAffine {
    mul_generator(&JubjubScalar::rand(rng))
}

/// Group elements of the right subgroups (not a valid proof of anything).
pub fn proof(rng: &mut ChaCha20Rng) -> Groth16Proof {
    Groth16Proof {
        a: (G1Projective::generator() * Fr::rand(rng)).into_affine(),
        b: (G2Projective::generator() * Fr::rand(rng)).into_affine(),
        c: (G1Projective::generator() * Fr::rand(rng)).into_affine(),
    }
}

/// Bytes of a length in `0..=max`, empty or full a quarter of the time each.
pub fn bytes(rng: &mut ChaCha20Rng, max: usize) -> Vec<u8> {
    let len = match rng.gen_range(0..4) {
        0 => 0,
        1 => max,
        _ => rng.gen_range(0..=max),
    };
    (0..len).map(|_| rng.gen()).collect()
}

pub fn audit<const N: usize>(rng: &mut ChaCha20Rng) -> AuditCiphertext<N> {
    AuditCiphertext {
        r_point: point(rng),
        c: std::array::from_fn(|_| Fr::rand(rng)),
    }
}

/// A random well-formed transaction of `kind` (random field elements, subgroup points, proof
/// points and bounded byte strings; no proof or signature is valid).
pub fn random_tx(kind: TxKind, rng: &mut ChaCha20Rng) -> Transaction {
    match kind {
        TxKind::Payment => Transaction::Payment(PaymentTx {
            anchor: Fr::rand(rng),
            nullifiers: [Fr::rand(rng), Fr::rand(rng)],
            output_commitments: [Fr::rand(rng), Fr::rand(rng)],
            v_in_pub: rng.gen(),
            v_out_pub: rng.gen(),
            fee: rng.gen(),
            asset_pub: Fr::rand(rng),
            rpk: point(rng),
            audit: audit(rng),
            deliveries: [
                bytes(rng, MAX_DELIVERY_BYTES),
                bytes(rng, MAX_DELIVERY_BYTES),
            ],
            destination: bytes(rng, MAX_DESTINATION_BYTES),
            memo: bytes(rng, MAX_MEMO_BYTES),
            issuer_signature: rng.gen_bool(0.5).then(|| IssuerSignature {
                issuer: rng.gen(),
                signature: std::array::from_fn(|_| rng.gen()),
            }),
            proof: proof(rng),
        }),
        TxKind::Grant => Transaction::Grant(GrantTx {
            gcm: Fr::rand(rng),
            rpk: point(rng),
            audit: audit(rng),
            delivery: bytes(rng, MAX_DELIVERY_BYTES),
            memo: bytes(rng, MAX_MEMO_BYTES),
            proof: proof(rng),
        }),
        TxKind::Access => Transaction::Access(AccessTx {
            grant_root: Fr::rand(rng),
            now: rng.gen(),
            tag: Fr::rand(rng),
            rpk: point(rng),
            audit: audit(rng),
            request: bytes(rng, MAX_REQUEST_BYTES),
            proof: proof(rng),
        }),
        TxKind::Revoke => Transaction::Revoke(RevokeTx {
            pos: rng.gen(),
            gcm: Fr::rand(rng),
            memo: bytes(rng, MAX_MEMO_BYTES),
            proof: proof(rng),
        }),
        TxKind::Rotate => Transaction::Rotate(RotateTx {
            terms: RotationTerms {
                old_rpk: point(rng),
                new_rpk: point(rng),
                from_height: rng.gen(),
                sequence: rng.gen(),
            },
            signers: (1..=rng.gen_range(1u16..=5))
                .map(|index| RotationSigner {
                    index,
                    key: point(rng),
                    signature: SchnorrSignature {
                        challenge: JubjubScalar::rand(rng),
                        response: JubjubScalar::rand(rng),
                    },
                })
                .collect(),
        }),
    }
}

/// Byte strings of a transaction with their bounds, in encoding order (they end every body).
pub fn byte_fields(tx: &Transaction) -> Vec<(&'static str, &[u8], usize)> {
    match tx {
        Transaction::Payment(p) => vec![
            ("deliveries[0]", &p.deliveries[0][..], MAX_DELIVERY_BYTES),
            ("deliveries[1]", &p.deliveries[1][..], MAX_DELIVERY_BYTES),
            ("destination", &p.destination[..], MAX_DESTINATION_BYTES),
            ("memo", &p.memo[..], MAX_MEMO_BYTES),
        ],
        Transaction::Grant(g) => vec![
            ("delivery", &g.delivery[..], MAX_DELIVERY_BYTES),
            ("memo", &g.memo[..], MAX_MEMO_BYTES),
        ],
        Transaction::Access(a) => vec![("request", &a.request[..], MAX_REQUEST_BYTES)],
        Transaction::Revoke(r) => vec![("memo", &r.memo[..], MAX_MEMO_BYTES)],
        Transaction::Rotate(_) => Vec::new(),
    }
}

/// Offsets of the byte strings' length prefixes, computed back from the end of the body.
pub fn length_prefix_offsets(tx: &Transaction) -> Vec<(&'static str, usize)> {
    let mut end = tx.body_bytes().len();
    let mut out: Vec<_> = byte_fields(tx)
        .into_iter()
        .rev()
        .map(|(name, b, _)| {
            end -= b.len() + 2;
            (name, end)
        })
        .collect();
    out.reverse();
    out
}
