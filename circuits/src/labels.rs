//! Field elements from human labels (asset names, dataset and purpose names).

use ark_bls12_381::Fr;
use ark_ff::PrimeField;
use blake2::{Blake2b512, Digest};

/// `BLAKE2b-512("zkreg/v1/label" ‖ text) mod r`: how names become asset ids, datasets, purposes.
pub fn label_to_field(text: &str) -> Fr {
    let mut h = Blake2b512::new();
    h.update(b"zkreg/v1/label");
    h.update(text.as_bytes());
    Fr::from_le_bytes_mod_order(&h.finalize())
}
