//! The snapshot's JSON text (`Snapshot::encode` / `Snapshot::decode`):
//! every machine's state survives a round trip and decides as before, the
//! 64-bit generator state included; only what differs from a fresh engine
//! is written; and hostile text — every field of the wrong type, out of
//! range, missing or unknown — gives an error naming the field, never a
//! panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use steadfast_core::breaker::{BreakerConfig, BreakerScope, FailureRateConfig, WindowKind};
use steadfast_core::codec::Problem;
use steadfast_core::engine::{Engine, EngineConfig, Output, RequestMeta, ResponseMeta, Snapshot};
use steadfast_core::limiter::LimiterConfig;
use steadfast_core::retry::RetryBudgetConfig;
use steadfast_core::{Method, Millis, UnixMillis};

fn config(window: WindowKind) -> EngineConfig {
    EngineConfig {
        breaker: BreakerConfig {
            scope: BreakerScope::Endpoint,
            failure_rate: Some(FailureRateConfig {
                threshold: 0.5,
                minimum_calls: 4,
                window,
            }),
            ..BreakerConfig::default()
        },
        limiter: LimiterConfig {
            per_day: Some(1_000),
            ..LimiterConfig::default()
        },
        budget: Some(RetryBudgetConfig::default()),
        seed: u64::MAX - 12_345,
        ..EngineConfig::default()
    }
}

/// An engine with something in every machine: breakers per endpoint (one
/// open), a spent part of the daily quota, the monitor's counts and last
/// error with a message, the budget spent, the generator advanced.
fn busy_engine(window: WindowKind) -> (EngineConfig, Engine) {
    let cfg = config(window);
    let mut engine = Engine::new(cfg, Millis(0)).unwrap();
    for i in 0..40u64 {
        let t = Millis(i * 250);
        let endpoint = ["/a", "/b", "/ünïcode"][(i % 3) as usize];
        let meta = RequestMeta {
            method: Method::Get,
            endpoint,
            idempotency_key: false,
            timeout_ms: None,
            deadline_ms: None,
        };
        engine.start(meta, t);
        engine.handle_timeout(t);
        while let Some(o) = engine.poll_output() {
            if let Output::Send { call, attempt, .. } = o {
                let failing = engine.endpoint_of(call).is_some_and(|e| &**e == "/a");
                let status = if failing { 503 } else { 200 };
                engine.handle_response(
                    call,
                    attempt,
                    ResponseMeta {
                        status,
                        headers: &[("x-remaining-today", "777")],
                        body: Some("{\"error\":\"down \\\"for\\\" now\"}"),
                        wall: None,
                    },
                    t,
                );
            }
        }
    }
    (cfg, engine)
}

fn snapshots() -> Vec<(EngineConfig, Snapshot)> {
    [
        WindowKind::Count { size: 8 },
        WindowKind::Time {
            window_ms: 10_000,
            buckets: 10,
        },
    ]
    .into_iter()
    .map(|w| {
        let (cfg, engine) = busy_engine(w);
        (
            cfg,
            engine.snapshot(Millis(10_000), UnixMillis(1_700_000_000_000)),
        )
    })
    .collect()
}

#[test]
fn every_machine_survives_a_round_trip() {
    for (cfg, saved) in snapshots() {
        assert_eq!(
            saved.circuits.len(),
            1,
            "only the failing endpoint's circuit"
        );
        assert!(saved.budget.is_some());
        let text = saved.encode();
        assert!(
            text.starts_with("{\"format\":3,\"savedAt\":1700000000000,"),
            "{text}"
        );
        let back = Snapshot::decode(&text).unwrap();
        assert_eq!(back, saved);
        // Deterministic: the same state, the same text.
        assert_eq!(back.encode(), text);
        // And it restores, into an engine whose next snapshot (at once, on
        // the same wall clock) says the same.
        let restored =
            Engine::restore(cfg, back, Millis(3), UnixMillis(1_700_000_000_000)).unwrap();
        let again = restored.snapshot(Millis(3), UnixMillis(1_700_000_000_000));
        assert_eq!(again.circuits, saved.circuits);
        // The daily count, each request again at the end of its slice of
        // the new time line: never earlier.
        assert_eq!(again.limiter.sent.len(), saved.limiter.sent.len());
        for (a, s) in again.limiter.sent.iter().zip(&saved.limiter.sent) {
            assert!(a[0] >= s[0] && a[1] == s[1], "{a:?} {s:?}");
        }
        assert_eq!(again.limiter.quota, saved.limiter.quota);
        assert_eq!(again.monitor, saved.monitor);
        assert_eq!(again.rng, saved.rng);
    }
}

#[test]
fn instants_are_wall_clock_and_a_fresh_engine_writes_almost_nothing() {
    let cfg = EngineConfig {
        seed: 7,
        budget: None,
        ..EngineConfig::default()
    };
    let fresh = Engine::new(cfg, Millis(0)).unwrap();
    let text = fresh
        .snapshot(Millis(5_000), UnixMillis(1_700_000_000_000))
        .encode();
    assert_eq!(
        text,
        r#"{"format":3,"savedAt":1700000000000,"rng":"7","limiter":{},"monitor":{}}"#
    );
    // The busy engine's open circuit reads until when, by the wall clock:
    // tripped near engine instant 9 750 (snapshot at 10 000, wall 1.7e12),
    // open 60 s.
    let (_, saved) = snapshots().remove(0);
    let open = saved
        .circuits
        .iter()
        .find(|c| c.endpoint.as_deref() == Some("/a"))
        .unwrap();
    let until = open.until.as_u64();
    assert!(
        (1_700_000_040_000..=1_700_000_060_000).contains(&until),
        "{until}"
    );
    assert!(saved
        .encode()
        .contains("\"state\":\"open\",\"until\":17000000"));
}

#[test]
fn the_generator_keeps_all_64_bits() {
    use steadfast_core::rng::{Rng, SplitMix64};
    let (_, mut saved) = snapshots().remove(0);
    for state in [u64::MAX, (1 << 53) + 1, 0] {
        saved.rng = state;
        let back = Snapshot::decode(&saved.encode()).unwrap();
        assert_eq!(
            SplitMix64::new(back.rng).next_u64(),
            SplitMix64::new(state).next_u64()
        );
    }
}

/// `text` with the first `from` replaced by `to`.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from} in {text}");
    text.replacen(from, to, 1)
}

#[test]
fn hostile_fields_give_an_error_naming_the_field() {
    let (_, saved) = snapshots().remove(0);
    let text = saved.encode();
    let err = |t: &str| Snapshot::decode(t).unwrap_err();
    // Not JSON, older formats, another format.
    assert_eq!(err("").problem(), Problem::NotJson);
    assert_eq!(err(&text[..text.len() - 1]).problem(), Problem::NotJson);
    assert_eq!(err("sf1:0a0b").problem(), Problem::OldFormat);
    assert_eq!(err("sf2:0a0b").problem(), Problem::OldFormat);
    assert_eq!(
        err(r#"{"format":2,"state":"sf2:00"}"#).problem(),
        Problem::OldFormat
    );
    assert_eq!(
        err(&edit(&text, "\"format\":3", "\"format\":4")).field(),
        "format"
    );
    assert_eq!(
        err(&edit(&text, "\"format\":3", "\"format\":\"3\"")).field(),
        "format"
    );
    assert_eq!(err("[]").problem(), Problem::Type("must be an object"));
    // Each field: the wrong type, out of range, missing, unknown.
    let cases: &[(&str, &str, &str, Problem)] = &[
        (
            "\"savedAt\":1700000000000",
            "\"savedAt\":\"x\"",
            "savedAt",
            Problem::Type("must be a whole number"),
        ),
        (
            "\"savedAt\":1700000000000",
            "\"savedAt\":-1",
            "savedAt",
            Problem::Range,
        ),
        (
            "\"savedAt\":1700000000000",
            "\"savedAt\":9007199254740992",
            "savedAt",
            Problem::Range,
        ),
        (
            "\"savedAt\":1700000000000,",
            "",
            "savedAt",
            Problem::Missing,
        ),
        ("\"rng\":\"", "\"rng\":\"x", "rng", Problem::Range),
        (
            "\"circuits\":[",
            "\"circuits\":[7,",
            "circuits[0]",
            Problem::Type("must be an object"),
        ),
        (
            "\"state\":\"open\"",
            "\"state\":\"ajar\"",
            "circuits[0].state",
            Problem::Range,
        ),
        (
            "\"state\":\"open\"",
            "\"state\":1",
            "circuits[0].state",
            Problem::Type("must be a string"),
        ),
        (
            "\"until\":",
            "\"until\":1.5,\"x\":",
            "circuits[0].until",
            Problem::Range,
        ),
        (
            "\"trips\":1",
            "\"trips\":4294967296",
            "circuits[0].trips",
            Problem::Range,
        ),
        (
            "\"trips\":1",
            "\"trips\":1,\"colour\":\"red\"",
            "circuits[0].colour",
            Problem::Unknown,
        ),
        (
            "\"outcomes\":\"",
            "\"outcomes\":\"x",
            "circuits[0].outcomes",
            Problem::Range,
        ),
        (
            "\"limiter\":{",
            "\"limiter\":{\"slowdown\":0.5,",
            "limiter.slowdown",
            Problem::Range,
        ),
        (
            "\"limiter\":{",
            "\"limiter\":{\"serverPerSecond\":0,",
            "limiter.serverPerSecond",
            Problem::Range,
        ),
        (
            "\"limiter\":{",
            "\"limiter\":{\"slackMs\":true,",
            "limiter.slackMs",
            Problem::Type("must be a whole number"),
        ),
        (
            "\"quota\":{",
            "\"quota\":{\"left\":1,",
            "limiter.quota.left",
            Problem::Unknown,
        ),
        (
            "\"quota\":{\"remaining\":",
            "\"quota\":{\"x\":",
            "limiter.quota.remaining",
            Problem::Missing,
        ),
        (
            "\"sent\":[[",
            "\"sent\":[[1],[",
            "limiter.sent[0]",
            Problem::Type("must be an array of the right length"),
        ),
        (
            "\"sent\":[[",
            "\"sent\":[[1,\"2\"],[",
            "limiter.sent[0][1]",
            Problem::Type("must be a whole number"),
        ),
        (
            "\"monitor\":{",
            "\"monitor\":{\"alerting\":1,",
            "monitor.alerting",
            Problem::Type("must be true or false"),
        ),
        (
            "\"buckets\":[{",
            "\"buckets\":[{\"calls\":1},{",
            "monitor.buckets[0].end",
            Problem::Missing,
        ),
        (
            "\"errors\":",
            "\"errors\":999999,\"x\":",
            "monitor.buckets[0].errors",
            Problem::Range,
        ),
        (
            "\"category\":\"server\"",
            "\"category\":\"gremlins\"",
            "monitor.lastError.category",
            Problem::Range,
        ),
        (
            "\"status\":503",
            "\"status\":42",
            "monitor.lastError.status",
            Problem::Range,
        ),
        (
            "\"budget\":{",
            "\"budget\":{\"balanceMilli\":[],",
            "budget.balanceMilli",
            Problem::Type("must be a whole number"),
        ),
        (
            "\"budget\":{",
            "\"budget\":{\"spare\":1,",
            "budget.spare",
            Problem::Unknown,
        ),
        (
            "\"format\":3,",
            "\"format\":3,\"extra\":1,",
            "extra",
            Problem::Unknown,
        ),
    ];
    for &(from, to, field, problem) in cases {
        let e = err(&edit(&text, from, to));
        assert_eq!(
            (e.field(), e.problem()),
            (field, problem),
            "{to}: {}",
            e.message()
        );
        assert!(
            e.message().starts_with(&format!("`{field}` ")),
            "{}",
            e.message()
        );
        assert_eq!(e.is_range(), problem == Problem::Range);
    }
    // Every cut of the text fails or decodes, never panics.
    for cut in 0..text.len() {
        if text.is_char_boundary(cut) {
            let _ = Snapshot::decode(&text[..cut]);
        }
    }
}

#[test]
fn a_snapshot_of_zeros_restores_and_runs() {
    // Every number at its least, where the format allows it: an edited
    // store must cost only the saved state, never a panic or a division by
    // zero.
    let saved = Snapshot::decode(
        r#"{"format":3,"savedAt":0,"rng":"0","circuits":[{"state":"open","until":1,"trips":0}],
            "limiter":{"slowdown":1,"rateLimits":0,"pausedUntil":0,"paceAt":0,"slackMs":0,
                       "quota":{"remaining":0,"exhaustedAt":0},"second":{"remaining":0,"until":0},
                       "sent":[[0,0]]},
            "monitor":{"buckets":[{"end":0,"calls":0,"errors":0,"endpoints":{"/a":[0,0]}}]},
            "budget":{"balanceMilli":0,"reserveMilli":0,"refilledAt":0}}"#,
    )
    .unwrap();
    let mut engine = Engine::restore(
        EngineConfig::default(),
        saved,
        Millis(5),
        UnixMillis(1_700_000_000_000),
    )
    .unwrap();
    let call = engine.start(
        RequestMeta {
            method: Method::Get,
            endpoint: "/a",
            idempotency_key: false,
            timeout_ms: None,
            deadline_ms: None,
        },
        Millis(5),
    );
    let mut now = 5;
    let mut result = None;
    for _ in 0..100 {
        while let Some(o) = engine.poll_output() {
            match o {
                Output::Send { call, attempt, .. } => {
                    let ok = ResponseMeta {
                        status: 200,
                        headers: &[],
                        body: None,
                        wall: None,
                    };
                    engine.handle_response(call, attempt, ok, Millis(now));
                }
                Output::Done { call: c, result: r } if c == call => result = Some(r.is_ok()),
                _ => {}
            }
        }
        let Some(t) = engine.poll_timeout() else {
            break;
        };
        now = now.max(t.as_u64());
        engine.handle_timeout(Millis(now));
    }
    assert!(result.is_some(), "the call ends");
}

#[test]
fn a_half_open_circuit_reads_back_half_open_with_its_probe_free() {
    use steadfast_core::breaker::CircuitState;
    let text = r#"{"format":3,"savedAt":1700000000000,"rng":"1",
        "circuits":[{"state":"half_open","successes":0,"trips":2}],"limiter":{},"monitor":{}}"#;
    let saved = Snapshot::decode(text).unwrap();
    assert_eq!(saved.circuits[0].state, CircuitState::HalfOpen);
    let engine = Engine::restore(
        EngineConfig::default(),
        saved,
        Millis(0),
        UnixMillis(1_700_000_001_000),
    )
    .unwrap();
    assert_eq!(engine.health(Millis(0)).circuit, CircuitState::HalfOpen);
    // Written back as read: the same names, the same trips.
    let again = engine
        .snapshot(Millis(0), UnixMillis(1_700_000_001_000))
        .encode();
    assert!(
        again.contains(r#""circuits":[{"state":"half_open","trips":2}]"#),
        "{again}"
    );
}
