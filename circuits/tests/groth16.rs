//! Groth16 round trips with test parameters: honest proofs verify; changing any single public
//! input makes verification fail. Parameters are generated once per test binary.

use ark_bls12_381::{Bls12_381, Fr};
use ark_groth16::{Groth16, PreparedVerifyingKey, ProvingKey};
use ark_snark::SNARK;
use rand::SeedableRng;
use std::sync::OnceLock;
use zkreg_circuits::{
    payment::{constraints::PaymentCircuit, layout},
    testing::{payment_case, PaymentSpec},
};

type Keys = (ProvingKey<Bls12_381>, PreparedVerifyingKey<Bls12_381>);

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
