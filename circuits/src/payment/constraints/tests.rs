//! Soundness tests of the payment circuit: one test per rule, each breaking exactly that rule.

use super::*;
use crate::{
    audit::encrypt,
    ecc::{mul_generator, JubjubScalar},
    keys::nullifier_key_of,
    merkle::MerkleTree,
    note::nullifier,
    payment::{check, AuditedPayment, PaymentRule},
    poseidon::{hash, Domain},
    testing::{payment_case, PaymentCase, PaymentSpec},
};
use ark_ec::{AffineRepr, CurveGroup};
use ark_relations::gr1cs::ConstraintSystem;
use ark_std::UniformRand;
use rand::SeedableRng;

fn rng() -> rand_chacha::ChaCha20Rng {
    rand_chacha::ChaCha20Rng::seed_from_u64(0x2e9)
}

fn satisfied(circuit: PaymentCircuit) -> bool {
    let cs = ConstraintSystem::<Fr>::new_ref();
    circuit.generate_constraints(cs.clone()).expect("synthesis");
    cs.is_satisfied().expect("assigned")
}

fn case(spec: PaymentSpec) -> PaymentCase {
    payment_case(&spec, &mut rng())
}

fn circuit(c: &PaymentCase) -> PaymentCircuit {
    PaymentCircuit::new(c.public, c.witness.clone())
}

#[test]
fn honest_transfer_is_satisfied() {
    let c = case(PaymentSpec::default());
    assert_eq!(check(&c.public, &c.witness), Ok(()));
    assert!(satisfied(circuit(&c)));
}

#[test]
fn honest_deposit_withdraw_fee_and_dummy_input_are_satisfied() {
    for spec in [
        PaymentSpec {
            value_in: [0, 0],
            value_out: [100, 0],
            public: [100, 0, 0],
            ..Default::default()
        },
        PaymentSpec {
            value_in: [40, 0],
            value_out: [10, 5],
            public: [0, 20, 5],
            ..Default::default()
        },
        PaymentSpec {
            value_in: [40, 0],
            value_out: [u64::MAX, 0],
            public: [u64::MAX - 40, 0, 0],
            ..Default::default()
        },
    ] {
        let c = case(spec);
        assert_eq!(check(&c.public, &c.witness), Ok(()));
        assert!(satisfied(circuit(&c)));
    }
}

#[test]
fn rule1_foreign_owner() {
    let c = case(PaymentSpec {
        foreign_input_owner: Some(Fr::from(99u64)),
        ..Default::default()
    });
    assert_eq!(check(&c.public, &c.witness), Err(PaymentRule::Ownership(0)));
    assert!(!satisfied(circuit(&c)));
}

#[test]
fn rule2_forged_path() {
    let mut c = case(PaymentSpec::default());
    c.witness.inputs[1].path.siblings[4][2] += Fr::from(1u64);
    c.restate();
    assert_eq!(
        check(&c.public, &c.witness),
        Err(PaymentRule::Membership(1))
    );
    assert!(!satisfied(circuit(&c)));
}

#[test]
fn rule2_wrong_anchor() {
    let mut c = case(PaymentSpec::default());
    c.terms.anchor = MerkleTree::new(crate::merkle::TreeKind::NOTES).root();
    c.restate();
    assert_eq!(
        check(&c.public, &c.witness),
        Err(PaymentRule::Membership(0))
    );
    assert!(!satisfied(circuit(&c)));
}

#[test]
fn rule3_wrong_nullifier() {
    let mut c = case(PaymentSpec::default());
    let s = &c.witness.inputs[0];
    // The nullifier of the same note at another position.
    c.public.nullifiers[0] = nullifier(
        nullifier_key_of(c.witness.sk),
        s.note.commitment(),
        s.path.pos + 1,
    );
    assert_eq!(check(&c.public, &c.witness), Err(PaymentRule::Nullifier(0)));
    assert!(!satisfied(circuit(&c)));
}

#[test]
fn rule4_wrong_output_commitment() {
    let mut c = case(PaymentSpec::default());
    c.public.output_commitments[1] = c.witness.outputs[0].commitment();
    assert_eq!(
        check(&c.public, &c.witness),
        Err(PaymentRule::OutputCommitment(1))
    );
    assert!(!satisfied(circuit(&c)));
}

#[test]
fn rule5_mixed_assets() {
    let c = case(PaymentSpec {
        foreign_output_asset: Some(Fr::from(8u64)),
        ..Default::default()
    });
    assert_eq!(check(&c.public, &c.witness), Err(PaymentRule::MixedAssets));
    assert!(!satisfied(circuit(&c)));
}

#[test]
fn rule5_asset_pub_mismatch_with_public_amount() {
    let c = case(PaymentSpec {
        value_in: [40, 0],
        value_out: [30, 0],
        public: [0, 10, 0],
        asset_pub: Some(Fr::from(8u64)),
        ..Default::default()
    });
    assert_eq!(check(&c.public, &c.witness), Err(PaymentRule::AssetPub));
    assert!(!satisfied(circuit(&c)));
}

#[test]
fn rule5_private_transfer_hides_the_asset() {
    // asset_pub = 0 ≠ a is fine when every public amount is zero.
    let c = case(PaymentSpec::default());
    assert_eq!(c.public.asset_pub, Fr::from(0u64));
    assert!(satisfied(circuit(&c)));
}

/// Rule 6: a note value of 2^64 + 5, with every other rule honest (commitments, paths,
/// nullifier, field balance and ciphertext are all computed over the out-of-range value).
#[test]
fn rule6_value_out_of_range() {
    let mut r = rng();
    let mut c = case(PaymentSpec {
        value_in: [5, 0],
        value_out: [5, 0],
        ..Default::default()
    });
    let big = Fr::from(1u128 << 64) + Fr::from(5u64);
    let w = &c.witness;
    let commit = |n: &crate::note::Note, v: Fr| {
        hash(Domain::NoteCommitment, &[n.asset, v, n.owner, n.rho, n.rcm])
    };
    let cm_in = commit(&w.inputs[0].note, big);
    let cm_out = commit(&w.outputs[0], big);
    let mut tree = MerkleTree::new(crate::merkle::TreeKind::NOTES);
    let pos = tree.append(cm_in).expect("room");
    let mut w = c.witness.clone();
    w.inputs[0].path = tree.path(pos).expect("path");
    let mut public = c.public;
    public.anchor = tree.root();
    public.nullifiers[0] = nullifier(nullifier_key_of(w.sk), cm_in, pos);
    public.output_commitments[0] = cm_out;
    let mut m = w.audited().to_plaintext();
    m[2] = big; // packed (value_in0, value_in1 = 0)
    m[3] = cm_in;
    m[7] = big; // packed (value_out0, value_out1 = 0)
    public.audit = encrypt(&public.rpk, &m, &w.audit_r);
    let mut circ = PaymentCircuit::new(public, w.clone());
    circ.values = Some([big, Fr::from(0u64), big, Fr::from(0u64)]);
    assert!(!satisfied(circ.clone()));
    // The same assignment with in-range values is satisfiable: only the range rule failed.
    c.witness = w;
    let _ = &mut r;
    circ.values = Some([
        Fr::from(5u64),
        Fr::from(0u64),
        Fr::from(5u64),
        Fr::from(0u64),
    ]);
    assert!(!satisfied(circ)); // commitments were over `big`, so this must fail too
}

#[test]
fn rule7_unbalanced() {
    let c = case(PaymentSpec {
        value_out: [25, 18],
        ..Default::default()
    });
    assert_eq!(check(&c.public, &c.witness), Err(PaymentRule::Balance));
    assert!(!satisfied(circuit(&c)));
}

#[test]
fn rule8_changed_ciphertext_element() {
    for i in 0..AUDIT_FIELDS {
        let mut c = case(PaymentSpec::default());
        c.public.audit.c[i] += Fr::from(1u64);
        assert_eq!(
            check(&c.public, &c.witness),
            Err(PaymentRule::AuditCiphertext)
        );
        assert!(!satisfied(circuit(&c)), "element {i}");
    }
}

#[test]
fn rule8_r_is_not_r_times_g() {
    let mut c = case(PaymentSpec::default());
    let r2 = c.witness.audit_r + JubjubScalar::from(1u64);
    c.public.audit.r_point = mul_generator(&r2);
    assert_eq!(
        check(&c.public, &c.witness),
        Err(PaymentRule::AuditCiphertext)
    );
    assert!(!satisfied(circuit(&c)));
}

#[test]
fn rule8_different_rpk() {
    let mut c = case(PaymentSpec::default());
    let other = mul_generator(&JubjubScalar::rand(&mut rng()));
    c.public.rpk = other;
    assert_eq!(
        check(&c.public, &c.witness),
        Err(PaymentRule::AuditCiphertext)
    );
    assert!(!satisfied(circuit(&c)));
}

#[test]
fn rule8_rpk_off_curve() {
    let mut c = case(PaymentSpec::default());
    c.public.rpk =
        crate::ecc::JubjubAffine::new_unchecked(c.public.rpk.x, c.public.rpk.y + Fr::from(1u64));
    assert!(!satisfied(circuit(&c)));
}

#[test]
fn regulator_decrypts_exactly_the_payment() {
    let c = case(PaymentSpec::default());
    let got = AuditedPayment::decrypt(&c.rsk, &c.public.audit).expect("decrypts");
    assert_eq!(got, c.witness.audited());
    assert_eq!(got.value_in, [30, 12]);
    assert_eq!(got.value_out, [25, 17]);
    let wrong = crate::audit::RegulatorSecretKey(c.rsk.0 + JubjubScalar::from(1u64));
    assert_ne!(AuditedPayment::decrypt(&wrong, &c.public.audit), Some(got));
    let _ = (mul_generator(&c.rsk.0).into_group() * c.rsk.0)
        .into_affine()
        .is_zero();
}

/// The constraint count is pinned: a circuit change must update it consciously.
#[test]
fn constraint_count_is_pinned() {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_mode(ark_relations::gr1cs::SynthesisMode::Setup);
    PaymentCircuit::blank()
        .generate_constraints(cs.clone())
        .expect("synthesis");
    cs.finalize();
    assert_eq!(
        (cs.num_constraints(), cs.num_instance_variables()),
        (16_318, layout::LEN + 1)
    );
    // Groth16's QAP domain covers constraints plus instance variables: still 2^14.
    assert!(cs.num_constraints() + cs.num_instance_variables() <= 1 << 14);
}

/// A payment whose public amount at `index` is the field element −1 (no `u64` holds it) and
/// whose every other rule holds: the notes balance (`in − out` absorbs the −1) and `asset_pub` is
/// the notes' asset. Only the named range check may fail.
fn negative_public_amount(index: usize) -> PaymentCircuit {
    let (value_in, value_out) = if index == layout::V_IN_PUB {
        ([10, 0], [9, 0]) // 10 + (−1) = 9: a hidden withdrawal of 1
    } else {
        ([9, 0], [10, 0]) // 9 = 10 + (−1): a hidden deposit of 1
    };
    let c = case(PaymentSpec {
        value_in,
        value_out,
        ..Default::default()
    });
    let mut circuit = circuit(&c);
    let inputs = circuit.inputs.as_mut().expect("assigned");
    inputs[index] = -Fr::from(1u64);
    inputs[layout::ASSET_PUB] = c.witness.inputs[0].note.asset;
    circuit
}

#[test]
fn rule6_public_amounts_are_range_checked_in_circuit() {
    for (index, name) in [
        (layout::V_IN_PUB, "v_in_pub range"),
        (layout::V_OUT_PUB, "v_out_pub range"),
        (layout::FEE, "fee range"),
    ] {
        let unsatisfied = crate::gadgets::first_unsatisfied(negative_public_amount(index));
        assert_eq!(unsatisfied.as_deref(), Some(name), "{name}: −1");
        // The same witness with the amount at +1 instead breaks only the balance (an unnamed
        // constraint): the range check itself is what refused −1.
        let mut fixed = negative_public_amount(index);
        fixed.inputs.as_mut().expect("assigned")[index] = Fr::from(1u64);
        let unsatisfied = crate::gadgets::first_unsatisfied(fixed);
        assert_eq!(unsatisfied.as_deref(), Some("unnamed"), "{name}: +1");
    }
}
