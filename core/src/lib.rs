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
//! | [`auth`] | when expired credentials are refreshed: one refresh for every 401 |
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
//!
//! # The host loop
//!
//! A host starts calls, then loops. First it does what
//! [`poll_output`](engine::Engine::poll_output) asks until it answers `None`:
//! send an attempt (and report its outcome with
//! [`handle_response`](engine::Engine::handle_response) or
//! [`handle_failure`](engine::Engine::handle_failure)), abort one, take a
//! call's one result, pass an event on. Then it arms its one timer at
//! [`poll_timeout`](engine::Engine::poll_timeout) and calls
//! [`handle_timeout`](engine::Engine::handle_timeout) at that instant.
//!
//! Here the clock is a plain variable the loop moves forward (nothing
//! sleeps), and a fake server answers each attempt at once from a script:
//! one call gets a 503, then a connection reset, then a 200; one gets no
//! answer in time, then a 200; one gets a 404; one a 200.
//!
//! ```
//! use std::collections::{HashMap, VecDeque};
//!
//! use steadfast_core::engine::{
//!     CallId, Engine, EngineConfig, Event, FailureKind, Output, RequestMeta, ResponseMeta,
//! };
//! use steadfast_core::retry::GiveUp;
//! use steadfast_core::{Method, Millis, TransportFailure};
//!
//! /// What the fake server does with one attempt.
//! enum Answer {
//!     Status(u16),
//!     Reset,
//!     Silence,
//! }
//! # fn get(endpoint: &str) -> RequestMeta<'_> {
//! #     RequestMeta {
//! #         method: Method::Get,
//! #         endpoint,
//! #         idempotency_key: false,
//! #         timeout_ms: None,
//! #         deadline_ms: None,
//! #     }
//! # }
//!
//! let mut now = 0_u64; // the host's monotonic clock in ms (in JavaScript, `performance.now()`)
//! let mut engine = Engine::new(EngineConfig::default(), Millis(now))?;
//!
//! // Four calls, and what the fake server answers to each of their attempts.
//! let mut server: HashMap<CallId, VecDeque<Answer>> = HashMap::new();
//! let flaky = engine.start(get("/listings/1"), Millis(now));
//! server.insert(flaky, [Answer::Status(503), Answer::Reset, Answer::Status(200)].into());
//! let five_seconds = RequestMeta { timeout_ms: Some(5_000), ..get("/listings/2") };
//! let slow = engine.start(five_seconds, Millis(now));
//! server.insert(slow, [Answer::Silence, Answer::Status(200)].into());
//! let missing = engine.start(get("/listings/3"), Millis(now));
//! server.insert(missing, [Answer::Status(404)].into());
//! let fine = engine.start(get("/shops/4"), Millis(now));
//! server.insert(fine, [Answer::Status(200)].into());
//!
//! let (mut results, mut aborted, mut events) = (HashMap::new(), Vec::new(), Vec::new());
//! loop {
//!     // 1. Do what the engine asks, until it has nothing more to say.
//!     while let Some(output) = engine.poll_output() {
//!         match output {
//!             Output::Send { call, attempt, .. } => {
//!                 // A real host sends the request here and reports its outcome
//!                 // when it comes; this fake server answers at once.
//!                 match server.get_mut(&call).and_then(VecDeque::pop_front) {
//!                     Some(Answer::Status(status)) => {
//!                         let reply = ResponseMeta { status, headers: &[], body: None, wall: None };
//!                         engine.handle_response(call, attempt, reply, Millis(now));
//!                     }
//!                     Some(Answer::Reset) => {
//!                         engine.handle_failure(call, attempt, TransportFailure::Reset, Millis(now));
//!                     }
//!                     // No answer: the engine times the attempt out itself.
//!                     Some(Answer::Silence) | None => {}
//!                 }
//!             }
//!             // The attempt timed out (or its call was cancelled): drop the request.
//!             Output::Abort { call, attempt } => aborted.push((call, attempt)),
//!             // The call's one and only result.
//!             Output::Done { call, result } => assert!(results.insert(call, result).is_none()),
//!             // Retries, pauses, circuit changes, alerts: for logs and users.
//!             Output::Event(event) => {
//!                 println!("{now} ms: {event:?}");
//!                 events.push(event);
//!             }
//!             _ => {} // `Output` is non-exhaustive
//!         }
//!     }
//!     // 2. Arm the one timer, and say when it fired. (A real host also wakes
//!     //    when an answer arrives, and reports it as above.)
//!     let Some(at) = engine.poll_timeout() else { break };
//!     now = now.max(at.as_u64());
//!     engine.handle_timeout(Millis(now));
//! }
//!
//! // Every call ended, exactly once.
//! assert_eq!(results.len(), 4);
//! let success = |call| results[&call].as_ref().map(|s| (s.status, s.attempts)).ok();
//! assert_eq!(success(flaky), Some((200, 3))); // 503, reset, then 200
//! assert_eq!(success(slow), Some((200, 2))); // no answer in 5 s, then 200
//! assert_eq!(success(fine), Some((200, 1)));
//! let failure = results[&missing].as_ref().unwrap_err(); // a 404 is not retried
//! assert_eq!(failure.kind, FailureKind::GaveUp { reason: GiveUp::NotRetryable });
//! assert_eq!((failure.status, failure.retryable), (Some(404), false));
//! assert_eq!(aborted, [(slow, 1)]);
//! let retries = events.iter().filter(|e| matches!(e, Event::Retry { .. })).count();
//! assert_eq!(retries, 3);
//! # Ok::<(), steadfast_core::ConfigError>(())
//! ```
//!
//! # Restarts
//!
//! A host that may be killed (an extension's service worker after 30 s idle)
//! saves [`Engine::snapshot`](engine::Engine::snapshot) with the wall clock,
//! and in the new process calls [`Engine::restore`](engine::Engine::restore)
//! with its new monotonic `now` and the wall clock again. The rule: the
//! restored engine behaves as if exactly the wall-clock time between the two
//! had passed, whatever the new process's monotonic clock says (a wall clock
//! that went backwards counts as no time). Calls in flight are not part of
//! the snapshot: they belonged to the old process.
//!
//! ```
//! use steadfast_core::engine::{Engine, EngineConfig, Output, RequestMeta, ResponseMeta};
//! use steadfast_core::{Method, Millis, UnixMillis};
//!
//! // An hour into the old process, a 429 asks every caller to pause for 40 s.
//! let (config, hour) = (EngineConfig::default(), Millis(3_600_000));
//! let mut engine = Engine::new(config, hour)?;
//! # let request = RequestMeta {
//! #     method: Method::Get,
//! #     endpoint: "/listings",
//! #     idempotency_key: false,
//! #     timeout_ms: None,
//! #     deadline_ms: None,
//! # };
//! let call = engine.start(request, hour);
//! let Some(Output::Send { attempt, .. }) = engine.poll_output() else { unreachable!() };
//! let headers = &[("Retry-After", "40")];
//! let response = ResponseMeta { status: 429, headers, body: None, wall: None };
//! engine.handle_response(call, attempt, response, hour);
//! assert_eq!(engine.health(hour).limiter.held_until, Some(Millis(3_640_000)));
//!
//! // Before it is killed, the host saves a snapshot with the wall clock (`Date.now()`).
//! let saved = engine.snapshot(hour, UnixMillis(1_700_000_000_000));
//! // 30 s later by the wall clock, a new process whose monotonic clock started again near 0.
//! let engine = Engine::restore(config, saved, Millis(5), UnixMillis(1_700_000_030_000))?;
//! assert_eq!(engine.health(Millis(5)).limiter.held_until, Some(Millis(10_005))); // 10 s left
//! # Ok::<(), steadfast_core::ConfigError>(())
//! ```
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

pub mod auth;
pub mod body;
pub mod breaker;
pub mod category_set;
pub mod classify;
pub mod codec;
pub mod decimal;
pub mod engine;
mod error;
pub mod headers;
mod hex;
pub mod json;
pub mod limiter;
pub mod method;
pub mod monitor;
pub mod percent;
pub mod retry;
pub mod rng;
pub mod secrets;
pub mod time;

pub use classify::{
    classify_failure, classify_outcome, classify_response, Category, Classification, Effect,
    FnOutcome, TransportFailure,
};
pub use error::{ConfigError, UnknownName};
pub use method::Method;
pub use rng::{Rng, SplitMix64};
pub use time::{Millis, UnixMillis};
