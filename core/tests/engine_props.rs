//! Model-free property test of the engine: any sequence of host inputs —
//! starts, responses with any status and hostile headers, transport
//! failures, timers, cancellations, answers for the wrong attempt, time going
//! backwards — never panics, and every call ends exactly once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::collections::{HashMap, HashSet};

use proptest::prelude::*;
use steadfast_core::engine::{CallId, Engine, EngineConfig, Output, RequestMeta, ResponseMeta};
use steadfast_core::{Method, Millis, TransportFailure, UnixMillis};

#[derive(Clone, Debug)]
enum Step {
    Start {
        post: bool,
        keyed: bool,
        deadline: Option<u64>,
    },
    Respond {
        pick: usize,
        status: u16,
        header: usize,
        stale: bool,
    },
    Fail {
        pick: usize,
        kind: usize,
    },
    Cancel {
        pick: usize,
    },
    Advance {
        ms: u64,
    },
    Rewind {
        ms: u64,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (
            any::<bool>(),
            any::<bool>(),
            prop::option::of(1u64..200_000)
        )
            .prop_map(|(post, keyed, deadline)| Step::Start {
                post,
                keyed,
                deadline
            }),
        (
            0usize..8,
            prop_oneof![
                Just(200u16),
                Just(404),
                Just(429),
                Just(500),
                Just(503),
                100u16..600
            ],
            0usize..6,
            any::<bool>()
        )
            .prop_map(|(pick, status, header, stale)| Step::Respond {
                pick,
                status,
                header,
                stale
            }),
        (0usize..8, 0usize..5).prop_map(|(pick, kind)| Step::Fail { pick, kind }),
        (0usize..8).prop_map(|pick| Step::Cancel { pick }),
        (0u64..120_000).prop_map(|ms| Step::Advance { ms }),
        (0u64..5_000).prop_map(|ms| Step::Rewind { ms }),
    ]
}

const HEADERS: [&[(&str, &str)]; 6] = [
    &[],
    &[("Retry-After", "2")],
    &[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")],
    &[
        ("Retry-After", "99999999999999999999"),
        ("x-remaining-today", "0"),
    ],
    &[
        ("x-limit-per-second", "-1"),
        ("RateLimit", "\"p\";r=0;t=5"),
        ("x-remaining-today", "lots"),
    ],
    &[
        ("X-RateLimit-Remaining", "0"),
        ("X-RateLimit-Reset", "1800000000"),
    ],
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn any_input_sequence_settles_every_call_exactly_once(steps in prop::collection::vec(step(), 1..120)) {
        let mut engine = Engine::new(EngineConfig::default(), Millis(0)).unwrap();
        let mut now = 0u64;
        let mut started: Vec<CallId> = Vec::new();
        let mut attempts: HashMap<CallId, u32> = HashMap::new();
        let mut done: HashSet<CallId> = HashSet::new();
        let drain = |engine: &mut Engine, attempts: &mut HashMap<CallId, u32>, done: &mut HashSet<CallId>| -> Result<(), TestCaseError> {
            while let Some(o) = engine.poll_output() {
                match o {
                    Output::Send { call, attempt, .. } => {
                        prop_assert!(!done.contains(&call), "no send after the end");
                        attempts.insert(call, attempt);
                    }
                    Output::Done { call, .. } => prop_assert!(done.insert(call), "ended twice"),
                    _ => {}
                }
            }
            Ok(())
        };
        for s in steps {
            match s {
                Step::Start { post, keyed, deadline } => {
                    let id = engine.start(RequestMeta {
                        method: if post { Method::Post } else { Method::Get },
                        endpoint: "/v3/application/listings/123?api_key=k",
                        idempotency_key: keyed,
                        timeout_ms: None,
                        deadline_ms: deadline,
                    }, Millis(now));
                    started.push(id);
                }
                Step::Respond { pick, status, header, stale } => {
                    if let Some(&id) = started.get(pick % started.len().max(1)) {
                        let attempt = attempts.get(&id).copied().unwrap_or(1);
                        let attempt = if stale { attempt.saturating_sub(1) } else { attempt };
                        engine.handle_response(id, attempt, ResponseMeta {
                            status,
                            headers: HEADERS[header],
                            body: Some("{\"error\": \"x\"}"),
                            wall: Some(UnixMillis(1_700_000_000_000 + now)),
                        }, Millis(now));
                    }
                }
                Step::Fail { pick, kind } => {
                    if let Some(&id) = started.get(pick % started.len().max(1)) {
                        let kinds = [TransportFailure::ConnectRefused, TransportFailure::Dns, TransportFailure::Reset, TransportFailure::Timeout, TransportFailure::Aborted];
                        let attempt = attempts.get(&id).copied().unwrap_or(1);
                        engine.handle_failure(id, attempt, kinds[kind], Millis(now));
                    }
                }
                Step::Cancel { pick } => {
                    if let Some(&id) = started.get(pick % started.len().max(1)) {
                        engine.cancel(id, Millis(now));
                    }
                }
                Step::Advance { ms } => {
                    now += ms;
                    engine.handle_timeout(Millis(now));
                }
                Step::Rewind { ms } => {
                    // A wrong host: time goes backwards. Tolerated, never a panic.
                    engine.handle_timeout(Millis(now.saturating_sub(ms)));
                }
            }
            drain(&mut engine, &mut attempts, &mut done)?;
        }
        // Let every timer run out, answering nothing: every call must end.
        for _ in 0..10_000 {
            let Some(t) = engine.poll_timeout() else { break };
            now = now.max(t.as_u64());
            engine.handle_timeout(Millis(now));
            drain(&mut engine, &mut attempts, &mut done)?;
        }
        for id in &started {
            prop_assert!(done.contains(id), "call {id:?} never ended");
        }
        prop_assert_eq!(engine.health(Millis(now)).active_calls, 0);
    }
}
