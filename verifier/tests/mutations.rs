//! The fuzz target's property (`fuzz/fuzz_targets/decode.rs`) as a test: decoding random
//! mutations of valid encodings never panics, and whatever decodes re-encodes to the input.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at the first failure

mod common;

use common::{random_tx, rng, KINDS};
use rand::Rng;
use std::time::Instant;
use zkreg_verifier::{Transaction, MAX_TX_BYTES};

/// Mutations tried (each one to four edits of a valid encoding).
const MUTATIONS: usize = 20_000;

fn mutate(bytes: &mut Vec<u8>, r: &mut impl Rng) {
    for _ in 0..r.gen_range(1..=4) {
        let len = bytes.len();
        match r.gen_range(0..6) {
            // Flip one bit.
            0 if len > 0 => {
                let i = r.gen_range(0..len);
                bytes[i] ^= 1 << r.gen_range(0..8);
            }
            // Overwrite one byte, with a bias to boundary values.
            1 if len > 0 => {
                let i = r.gen_range(0..len);
                bytes[i] = [0, 1, 0x7f, 0x80, 0xff, r.gen()][r.gen_range(0..6)];
            }
            // Truncate.
            2 => bytes.truncate(r.gen_range(0..=len)),
            // Insert a few random bytes.
            3 => {
                let at = r.gen_range(0..=len);
                let n = r.gen_range(1..=8);
                let new: Vec<u8> = (0..n).map(|_| r.gen()).collect();
                bytes.splice(at..at, new);
            }
            // Delete a range.
            4 if len > 0 => {
                let at = r.gen_range(0..len);
                let end = (at + r.gen_range(1..=8)).min(len);
                bytes.drain(at..end);
            }
            // Duplicate a range (shifts everything after it).
            _ if len > 0 => {
                let at = r.gen_range(0..len);
                let end = (at + r.gen_range(1..=32)).min(len);
                let dup = bytes[at..end].to_vec();
                bytes.splice(at..at, dup);
            }
            _ => {}
        }
    }
}

#[test]
fn decode_survives_mutations_and_is_canonical() {
    let mut r = rng(42);
    let seeds: Vec<Vec<u8>> = (0..32)
        .map(|i| random_tx(KINDS[i % 4], &mut r).encode())
        .collect();
    let start = Instant::now();
    let mut decoded = 0;
    for _ in 0..MUTATIONS {
        let mut bytes = seeds[r.gen_range(0..seeds.len())].clone();
        mutate(&mut bytes, &mut r);
        if let Ok(tx) = Transaction::decode(&bytes) {
            decoded += 1;
            assert!(bytes.len() <= MAX_TX_BYTES);
            assert_eq!(
                tx.encode(),
                bytes,
                "decoded bytes must re-encode to themselves"
            );
            // Derived values must not panic either.
            let _ = (tx.id(), tx.binding(&[0; 32]), tx.public_inputs(&[0; 32]));
        }
    }
    eprintln!(
        "{MUTATIONS} mutations, {decoded} decoded, in {:?}",
        start.elapsed()
    );
}
