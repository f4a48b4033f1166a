//! The snapshot's JSON reader, on any text (seed the corpus with real
//! snapshots so that the fuzzer mutates their structure): never a panic; what decodes encodes to text that
//! decodes and encodes the same; it restores or is refused, and a restored
//! engine ends its calls.
#![no_main]

use libfuzzer_sys::fuzz_target;
use steadfast_core::engine::{Engine, EngineConfig, Output, RequestMeta, ResponseMeta, Snapshot};
use steadfast_core::{Method, Millis, UnixMillis};

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let Ok(snap) = Snapshot::decode(text) else {
        return;
    };
    let again = snap.encode();
    assert_eq!(
        Snapshot::decode(&again).map(|s| s.encode()),
        Ok(again),
        "stable"
    );
    let Ok(mut e) = Engine::restore(
        EngineConfig::default(),
        snap,
        Millis(5),
        UnixMillis(1_700_000_000_000),
    ) else {
        return;
    };
    let request = RequestMeta {
        method: Method::Get,
        endpoint: "/a/1",
        idempotency_key: false,
        timeout_ms: None,
        deadline_ms: None,
    };
    let mut now = 5;
    for _ in 0..3 {
        e.start(request, Millis(now));
    }
    let mut ended = 0;
    for _ in 0..1_000 {
        while let Some(o) = e.poll_output() {
            match o {
                Output::Send { call, attempt, .. } => {
                    let ok = ResponseMeta {
                        status: 200,
                        headers: &[],
                        body: None,
                        wall: None,
                    };
                    e.handle_response(call, attempt, ok, Millis(now));
                }
                Output::Done { .. } => ended += 1,
                _ => {}
            }
        }
        let Some(t) = e.poll_timeout() else { break };
        now = now.max(t.as_u64());
        e.handle_timeout(Millis(now));
    }
    assert_eq!(ended, 3, "every call ends after a restore");
});
