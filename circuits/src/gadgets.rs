//! Small shared gadgets.

use ark_bls12_381::Fr;
use ark_r1cs_std::{alloc::AllocVar, boolean::Boolean, fields::fp::FpVar};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

/// Allocates `bits` boolean witnesses of `value` (little-endian).
pub fn alloc_bits(
    cs: ConstraintSystemRef<Fr>,
    bits: usize,
    value: Option<&[bool]>,
) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
    (0..bits)
        .map(|i| {
            Boolean::new_witness(cs.clone(), || {
                value
                    .and_then(|v| v.get(i).copied())
                    .ok_or(SynthesisError::AssignmentMissing)
            })
        })
        .collect()
}

/// Allocates a `u64` as 64 boolean witnesses and returns their packing, so the value is in
/// `[0, 2^64)` by construction (64 constraints, the packing is a free linear combination).
pub fn alloc_u64(
    cs: ConstraintSystemRef<Fr>,
    value: Option<u64>,
) -> Result<FpVar<Fr>, SynthesisError> {
    let bits: Option<Vec<bool>> = value.map(|v| (0..64).map(|i| (v >> i) & 1 == 1).collect());
    let bits = alloc_bits(cs, 64, bits.as_deref())?;
    Boolean::le_bits_to_fp(&bits)
}

/// Enforces `x ∈ [0, 2^64)` for an existing variable (65 constraints).
pub fn enforce_u64(x: &FpVar<Fr>) -> Result<(), SynthesisError> {
    use ark_ff::{BigInteger, PrimeField};
    use ark_r1cs_std::{eq::EqGadget, GR1CSVar};
    let cs = x.cs();
    let value: Option<Vec<bool>> = x.value().ok().map(|v| {
        let bits = v.into_bigint().to_bits_le();
        (0..64).map(|i| bits[i]).collect()
    });
    let bits = alloc_bits(cs, 64, value.as_deref())?;
    Boolean::le_bits_to_fp(&bits)?.enforce_equal(x)
}

/// Allocates a statement's public inputs in layout order (`values` is `None` during setup).
pub fn alloc_inputs(
    cs: ConstraintSystemRef<Fr>,
    values: Option<Vec<Fr>>,
    len: usize,
) -> Result<Vec<FpVar<Fr>>, SynthesisError> {
    (0..len)
        .map(|i| {
            FpVar::new_input(cs.clone(), || {
                values
                    .as_ref()
                    .and_then(|v| v.get(i).copied())
                    .ok_or(SynthesisError::AssignmentMissing)
            })
        })
        .collect()
}

/// Synthesises `circuit` with a tracing [`ConstraintLayer`] installed and names the first
/// unsatisfied constraint from `which_is_unsatisfied()`: the innermost of this crate's namespaces
/// (`ns!(cs, "v_in_pub range")` gives `"v_in_pub range"`), `"unnamed"` if it sits in none, `None`
/// if every constraint holds. Soundness tests assert the rule a witness breaks by name.
///
/// [`ConstraintLayer`]: ark_relations::gr1cs::trace::ConstraintLayer
#[cfg(test)]
pub(crate) fn first_unsatisfied<C: ark_relations::gr1cs::ConstraintSynthesizer<Fr>>(
    circuit: C,
) -> Option<String> {
    use ark_relations::gr1cs::{trace::ConstraintLayer, ConstraintSystem};
    use tracing_subscriber::layer::SubscriberExt;
    // One global subscriber for the whole test binary. A thread-scoped one is not enough:
    // tests run on parallel threads, and tracing caches a callsite's interest (and the maximum
    // level) globally, so a span first reached by a test without a subscriber stays disabled
    // for this one too.
    static GLOBAL: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    GLOBAL.get_or_init(|| {
        let subscriber = tracing_subscriber::registry().with(ConstraintLayer::default());
        if tracing::subscriber::set_global_default(subscriber).is_err() {
            panic!("another global tracing subscriber is set");
        }
        tracing::callsite::rebuild_interest_cache();
    });
    {
        let cs = ConstraintSystem::<Fr>::new_ref();
        circuit
            .generate_constraints(cs.clone())
            .unwrap_or_else(|e| panic!("synthesis: {e}"));
        let trace = cs
            .which_is_unsatisfied()
            .unwrap_or_else(|e| panic!("assigned: {e}"))?;
        // Lines read `   3: zkreg_circuits::payment::constraints::v_in_pub range`.
        let ours = trace
            .lines()
            .filter_map(|l| l.trim().split_once(": ").map(|(_, path)| path))
            .filter(|path| path.starts_with("zkreg_circuits::"))
            .filter_map(|path| path.rsplit("::").next())
            .next(); // frames run from the innermost outward
        Some(ours.unwrap_or("unnamed").to_string())
    }
}
