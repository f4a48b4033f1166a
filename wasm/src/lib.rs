//! # steadfast-wasm
//!
//! The WebAssembly side of the npm package `steadfast`: the core's machines
//! behind one narrow boundary. The package's JavaScript is a thin driver: it
//! runs `fetch`, the timer and the `AbortController`s, reads the clock, and
//! does what the answers say; every decision — retry, breaker, limiter,
//! classification, secrets, what an option or argument may be — is made here
//! or in [`steadfast_core`].
//!
//! Values cross as data ([`tape`]) through one input and one output area in
//! wasm memory ([`io`]); the exports take and give numbers. A one-attempt
//! `client.get` is two calls into the module ([`client`]): no closure,
//! promise, `Reflect` or JavaScript string is made from Rust, and nothing
//! here calls back into JavaScript, so no user code (a getter, a listener,
//! a `fetch`) can run while Rust holds state.
//!
//! Nothing a caller passes may trap the module: options are decoded and
//! checked here (wrong type, NaN, negative, out of range, unknown name →
//! an ERROR record the driver throws as a `TypeError` / `RangeError` naming
//! the option), and the clippy lints below keep panics out.

pub mod blocks;
pub mod client;
pub mod io;
mod options;
mod report;
mod slots;
mod snapshot;
pub mod standalone;
mod tape;
mod text;
mod transport;

pub use blocks::{classify, tables, WasmBreaker};
pub use client::WasmClient;
pub use io::{grow, heap, io};
pub use standalone::{WasmLimiter, WasmMonitor, WasmRetry};
