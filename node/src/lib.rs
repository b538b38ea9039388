//! # zkreg-node
//!
//! A validator of a zkreg consortium: [`zkreg_ledger`] replicated by commonware's `simplex`
//! (ordering block digests) and `marshal` (disseminating, backfilling and delivering finalized
//! blocks in order), with a mempool and an HTTP JSON API.
//!
//! | module | what |
//! |---|---|
//! | [`block`] | the block and its canonical encoding |
//! | [`state`] | a validator's ledger and mempool; build, verify, commit |
//! | [`app`] | the ledger as a commonware application; the finalized-block committer |
//! | [`engine`] | simplex + marshal + broadcast wiring, generic over the runtime |
//! | [`mempool`] | bounded pending transactions |
//! | [`api`], [`api_types`] | the HTTP JSON API (`/v1/`) and its types |
//!
//! The protocol is in docs/PROTOCOL.md, "Node".
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod api;
pub mod api_types;
pub mod app;
pub mod block;
pub mod client;
pub mod engine;
pub mod mempool;
pub mod network;
pub mod state;
