//! # zkreg-benches
//!
//! Criterion benchmarks for zkreg; the code is in `benches/`, the measured figures in this
//! crate's `README.md`. Run `cargo bench -p zkreg-benches --bench verify`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
