//! # steadfast-core
//!
//! Pure, sans-IO state machines that make calls to flaky, rate-limited HTTP
//! APIs survive. Nothing here reads a clock, sleeps, spawns or does I/O:
//! every machine takes the current instant ([`Millis`]) as an argument and
//! answers with a decision. The host — the npm package's WebAssembly glue, the
//! deterministic simulation in `tests/`, or your own Rust code — does the
//! waiting and the sending.
//!
//! | part | decides |
//! |---|---|
//! | [`classify`] | what an outcome means: category, retryable, server delay, effect |
//! | [`headers`] | what `Retry-After` and the rate-limit headers say |
//! | [`retry`] | whether and when to try again: backoff + jitter, budget, idempotency |
//! | [`breaker`] | whether to send at all while the service is failing |
//! | [`limiter`] | when the next request may go: per-second pacing, daily quota |
//! | [`monitor`] | how the error rate looks, and when to alert |
//! | [`engine`] | one call from start to result, composing all of the above |
//!
//! The [`engine`] is what a host drives: it feeds inputs (`start`,
//! `handle_response`, `handle_failure`, `handle_timeout`, `cancel`), drains
//! [`engine::Output`]s (send this attempt, abort that one, this call is done,
//! an event) and arms one timer at `poll_timeout()`. The parts can also be
//! used on their own.
//!
//! Every configuration and state type implements `serde`'s traits with the
//! `serde` feature, so a host can snapshot and restore them.
#![no_std]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod body;
pub mod breaker;
pub mod category_set;
pub mod classify;
pub mod engine;
mod error;
pub mod headers;
pub mod limiter;
pub mod method;
pub mod monitor;
pub mod retry;
pub mod rng;
pub mod time;

pub use classify::{
    classify_failure, classify_response, Category, Classification, Effect, TransportFailure,
};
pub use error::ConfigError;
pub use method::Method;
pub use rng::{Rng, SplitMix64};
pub use time::{Millis, UnixMillis};
