//! `cargo +nightly fuzz run decode`: decoding arbitrary bytes never panics, and whatever decodes
//! is canonical (re-encodes to the same bytes). `tests/mutations.rs` runs the same property
//! on stable over mutations of valid encodings.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zkreg_verifier::Transaction;

fuzz_target!(|data: &[u8]| {
    if let Ok(tx) = Transaction::decode(data) {
        assert_eq!(tx.encode(), data);
        let _ = (tx.id(), tx.binding(&[0; 32]), tx.public_inputs(&[0; 32]));
    }
});
