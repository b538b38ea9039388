//! Groth16 round trips with test parameters: honest proofs verify; changing any single public
//! input makes verification fail. Parameters are generated once per test binary.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at the first failure

use ark_bls12_381::{Bls12_381, Fr};
use ark_groth16::{Groth16, PreparedVerifyingKey, ProvingKey};
use ark_relations::gr1cs::ConstraintSynthesizer;
use ark_snark::SNARK;
use rand::SeedableRng;
use std::sync::OnceLock;
use zkreg_circuits::{
    access::constraints::AccessCircuit,
    grant::constraints::GrantCircuit,
    payment::{constraints::PaymentCircuit, layout},
    revoke::constraints::RevokeCircuit,
    testing::{consent_case, payment_case, PaymentSpec},
};

type Keys = (ProvingKey<Bls12_381>, PreparedVerifyingKey<Bls12_381>);

fn keys<C: ConstraintSynthesizer<Fr>>(blank: C, seed: u64) -> Keys {
    let (pk, vk) =
        Groth16::<Bls12_381>::circuit_specific_setup(blank, &mut rng(seed)).expect("setup");
    let pvk = Groth16::<Bls12_381>::process_vk(&vk).expect("prepare vk");
    (pk, pvk)
}

fn prove_and_check<C: ConstraintSynthesizer<Fr>>(keys: &Keys, circuit: C, inputs: &[Fr]) {
    let proof = Groth16::<Bls12_381>::prove(&keys.0, circuit, &mut rng(99)).expect("prove");
    assert_every_input_is_bound(&keys.1, &proof, inputs);
}

#[test]
fn grant_access_revoke_round_trips() {
    let mut r = rng(5);
    let case = consent_case(&mut r);
    let rpk = case.rsk.public_key();

    let gw = case.grant_witness(&mut r);
    let gp = gw.statement(rpk, Fr::from(1u64));
    prove_and_check(
        &keys(GrantCircuit::blank(), 2),
        GrantCircuit::new(gp, gw),
        &gp.to_field_elements(),
    );

    let aw = case.access_witness(&mut r);
    let ap = aw.statement(case.tree.root(), case.now, rpk, Fr::from(2u64));
    prove_and_check(
        &keys(AccessCircuit::blank(), 3),
        AccessCircuit::new(ap, aw),
        &ap.to_field_elements(),
    );

    let (rp, rw) = case.revoke(Fr::from(3u64));
    prove_and_check(
        &keys(RevokeCircuit::blank(), 4),
        RevokeCircuit::new(rp, rw),
        &rp.to_field_elements(),
    );
}

fn rng(seed: u64) -> rand_chacha::ChaCha20Rng {
    rand_chacha::ChaCha20Rng::seed_from_u64(seed)
}

fn payment_keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let (pk, vk) =
            Groth16::<Bls12_381>::circuit_specific_setup(PaymentCircuit::blank(), &mut rng(1))
                .expect("setup");
        let pvk = Groth16::<Bls12_381>::process_vk(&vk).expect("prepare vk");
        (pk, pvk)
    })
}

fn assert_every_input_is_bound(
    pvk: &PreparedVerifyingKey<Bls12_381>,
    proof: &ark_groth16::Proof<Bls12_381>,
    inputs: &[Fr],
) {
    assert!(Groth16::<Bls12_381>::verify_with_processed_vk(pvk, inputs, proof).expect("verify"));
    for i in 0..inputs.len() {
        let mut changed = inputs.to_vec();
        changed[i] += Fr::from(1u64);
        assert!(
            !Groth16::<Bls12_381>::verify_with_processed_vk(pvk, &changed, proof).expect("verify"),
            "public input {i} is not bound by the proof"
        );
    }
}

#[test]
fn payment_round_trip() {
    let (pk, pvk) = payment_keys();
    for spec in [
        PaymentSpec::default(),
        PaymentSpec {
            value_in: [40, 0],
            value_out: [10, 5],
            public: [0, 20, 5],
            ..Default::default()
        },
    ] {
        let case = payment_case(&spec, &mut rng(7));
        let circuit = PaymentCircuit::new(case.public, case.witness.clone());
        let proof = Groth16::<Bls12_381>::prove(pk, circuit, &mut rng(8)).expect("prove");
        let inputs = case.public.to_field_elements();
        assert_eq!(inputs.len(), layout::LEN);
        assert_every_input_is_bound(pvk, &proof, &inputs);
    }
}
