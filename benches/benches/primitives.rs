//! Where validator time goes: the group operations behind decoding and verification, each
//! measured alone so a change to `decode`, `verify` or `verify_batch` can be explained, with
//! arkworks and `blst` side by side (`blst_*`: the verifier's default backend, see
//! `verifier/src/backend.rs`).
//!
//! `cargo bench -p zkreg-benches --bench primitives`
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at the first failure

use ark_bls12_381::{Bls12_381, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{pairing::Pairing, AffineRepr, CurveGroup, PrimeGroup, VariableBaseMSM};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use ark_std::UniformRand;
use criterion::{criterion_group, criterion_main, Criterion};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::time::Duration;
use zkreg_circuits::{
    audit::{decrypt, encrypt, RegulatorSecretKey},
    ecc::{checked_public_key, JubjubAffine, JubjubScalar},
};

type G2Prepared = <Bls12_381 as Pairing>::G2Prepared;

fn compressed<P: CanonicalSerialize>(p: &P) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = p.serialize_compressed(&mut out);
    out
}

fn uncompressed<P: CanonicalSerialize>(p: &P) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = p.serialize_uncompressed(&mut out);
    out
}

fn primitives(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let g1 = (G1Projective::generator() * Fr::rand(&mut rng)).into_affine();
    let g2 = (G2Projective::generator() * Fr::rand(&mut rng)).into_affine();
    let jj = (JubjubAffine::generator() * JubjubScalar::rand(&mut rng)).into_affine();
    let (g1_bytes, g2_bytes) = (compressed(&g1), compressed(&g2));

    let mut g = c.benchmark_group("primitives");
    g.sample_size(20);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));
    g.bench_function("g1_decompress_checked", |b| {
        b.iter(|| G1Affine::deserialize_with_mode(&g1_bytes[..], Compress::Yes, Validate::Yes))
    });
    g.bench_function("g2_decompress_checked", |b| {
        b.iter(|| G2Affine::deserialize_with_mode(&g2_bytes[..], Compress::Yes, Validate::Yes))
    });
    g.bench_function("jubjub_curve_and_subgroup_check", |b| {
        b.iter(|| checked_public_key(jj.x, jj.y))
    });
    let z = Fr::from(u128::MAX - 12345);
    g.bench_function("g1_mul_128bit", |b| b.iter(|| g1 * z));
    g.bench_function("g2_prepare", |b| b.iter(|| G2Prepared::from(g2)));
    let prepared = G2Prepared::from(g2);
    g.bench_function("miller_loop_1_pair", |b| {
        b.iter(|| Bls12_381::multi_miller_loop([g1], [prepared.clone()]))
    });
    let ml = Bls12_381::multi_miller_loop([g1], [prepared.clone()]);
    g.bench_function("final_exponentiation", |b| {
        b.iter(|| Bls12_381::final_exponentiation(ml))
    });
    let bases: Vec<G1Affine> = (0..23)
        .map(|_| (G1Projective::generator() * Fr::rand(&mut rng)).into_affine())
        .collect();
    let scalars: Vec<Fr> = (0..23).map(|_| Fr::rand(&mut rng)).collect();
    g.bench_function("g1_msm_23_full_scalars", |b| {
        b.iter(|| G1Projective::msm(&bases, &scalars))
    });
    g.bench_function("jubjub_decompress", |b| {
        let bytes = compressed(&jj);
        b.iter(|| JubjubAffine::deserialize_with_mode(&bytes[..], Compress::Yes, Validate::No))
    });
    // Uncompressed wire points: no square root, the subgroup check stays.
    let (g1_raw, g2_raw) = (uncompressed(&g1), uncompressed(&g2));
    g.bench_function("g1_uncompressed_checked", |b| {
        b.iter(|| G1Affine::deserialize_with_mode(&g1_raw[..], Compress::No, Validate::Yes))
    });
    g.bench_function("g2_uncompressed_checked", |b| {
        b.iter(|| G2Affine::deserialize_with_mode(&g2_raw[..], Compress::No, Validate::Yes))
    });

    // blst, the same operations.
    let blst_g1 = blst::min_pk::PublicKey::uncompress(&g1_bytes).unwrap();
    let blst_g2 = blst::min_pk::Signature::uncompress(&g2_bytes).unwrap();
    g.bench_function("blst_g1_decompress_checked", |b| {
        b.iter(|| {
            let p = blst::min_pk::PublicKey::uncompress(&g1_bytes).unwrap();
            p.validate().is_ok()
        })
    });
    g.bench_function("blst_g2_decompress_checked", |b| {
        b.iter(|| {
            let p = blst::min_pk::Signature::uncompress(&g2_bytes).unwrap();
            p.validate(true).is_ok()
        })
    });
    let (blst_g1_raw, blst_g2_raw) = (blst_g1.serialize(), blst_g2.serialize());
    g.bench_function("blst_g1_uncompressed_checked", |b| {
        b.iter(|| {
            let p = blst::min_pk::PublicKey::deserialize(&blst_g1_raw).unwrap();
            p.validate().is_ok()
        })
    });
    g.bench_function("blst_g2_uncompressed_checked", |b| {
        b.iter(|| {
            let p = blst::min_pk::Signature::deserialize(&blst_g2_raw).unwrap();
            p.validate(true).is_ok()
        })
    });
    let (p1, p2): (blst::blst_p1_affine, blst::blst_p2_affine) = (blst_g1.into(), blst_g2.into());
    let z_bytes = (u128::MAX - 12345).to_le_bytes();
    g.bench_function("blst_g1_mul_128bit", |b| {
        b.iter(|| blst::MultiPoint::mult(&[p1][..], &z_bytes, 128))
    });
    g.bench_function("blst_miller_loop_1_pair", |b| {
        b.iter(|| blst::blst_fp12::miller_loop(&p2, &p1))
    });
    let pairs = 64;
    let (q64, p64) = (vec![p2; pairs], vec![p1; pairs]);
    g.bench_function("blst_miller_loop_64_pairs", |b| {
        b.iter(|| blst::blst_fp12::miller_loop_n(&q64, &p64))
    });
    let prepared64 = vec![prepared.clone(); pairs];
    g.bench_function("miller_loop_64_pairs_prepared", |b| {
        b.iter(|| Bls12_381::multi_miller_loop(vec![g1; pairs], prepared64.clone()))
    });
    let blst_ml = blst::blst_fp12::miller_loop(&p2, &p1);
    g.bench_function("blst_final_exponentiation", |b| {
        b.iter(|| blst_ml.final_exp())
    });

    let rsk = RegulatorSecretKey(JubjubScalar::rand(&mut rng));
    let ct = encrypt(
        &rsk.public_key(),
        &[Fr::from(7u64); 8],
        &JubjubScalar::rand(&mut rng),
    );
    g.bench_function("audit_decrypt_8", |b| b.iter(|| decrypt(&rsk, &ct)));
    g.bench_function("jubjub_mul", |b| b.iter(|| jj * rsk.0));
    g.finish();
}

criterion_group!(benches, primitives);
criterion_main!(benches);
