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
//! wasm memory ([`io`]); the exports ([`abi`], in WebAssembly) take and give
//! numbers, and the module imports nothing: the package loads it with a few
//! lines of its own, no generated glue. A one-attempt
//! `client.get` is two calls into the module ([`client`]): no closure,
//! promise, `Reflect` or JavaScript string is made from Rust, and nothing
//! here calls back into JavaScript, so no user code (a getter, a listener,
//! a `fetch`) can run while Rust holds state.
//!
//! Nothing a caller passes may trap the module: options are decoded and
//! checked here (wrong type, NaN, negative, out of range, unknown name →
//! an ERROR record the driver throws as a `TypeError` / `RangeError` naming
//! the option), and the clippy lints below keep panics out.

// `no_std` so that the package's module has its own panic handler (below);
// std where there are tests: native builds, and wasm32 with `std`.
#![cfg_attr(not(test), no_std)]

extern crate alloc;
#[cfg(all(not(test), any(not(target_arch = "wasm32"), feature = "std")))]
extern crate std;

#[cfg(target_arch = "wasm32")]
pub mod abi;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod alloc_trace;
pub mod blocks;
pub mod client;
mod global;
#[cfg(any(target_arch = "wasm32", test))]
mod handles;
#[cfg(any(all(target_arch = "wasm32", not(feature = "std")), test))]
mod heap;
pub mod io;
mod options;
mod report;
mod settings;
mod slots;
mod snapshot;
pub mod standalone;
mod suggest;
mod tape;
mod text;
mod transport;

pub use blocks::{classify, tables, Settled, WasmBreaker};
pub use client::WasmClient;
pub use io::{grow, io};
pub use standalone::{WasmLimiter, WasmMonitor, WasmRetry};

/// A panic cannot happen here (the lints above keep `unwrap`, `expect`,
/// `panic!` and unchecked indexing out); were one to happen anyway, the
/// module traps, as `panic = "abort"` would, without the formatting a
/// panic message needs (no one would read it: WebAssembly has no stderr).
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[panic_handler]
fn trap(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

/// The module's own allocator ([`heap`]: why not `dlmalloc`).
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[global_allocator]
static ALLOCATOR: heap::Allocator = heap::Allocator::new();
