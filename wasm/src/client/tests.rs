//! `close()` and what a closed client answers, through the tapes the
//! JavaScript writes and reads.

use super::WasmClient;
use crate::io::{output, put};
use std::string::String;
use std::vec::Vec;
use std::{format, vec};

/// A tape as the package's JavaScript writes one.
#[derive(Default)]
struct Tape(Vec<u8>);

impl Tape {
    fn tag(mut self, t: u8) -> Self {
        self.0.push(t);
        self
    }
    fn u32(mut self, n: u32) -> Self {
        self.0.extend_from_slice(&n.to_le_bytes());
        self
    }
    fn raw(self, s: &str) -> Self {
        let mut me = self.u32(u32::try_from(s.len()).unwrap());
        me.0.extend_from_slice(s.as_bytes());
        me
    }
    fn str(self, s: &str) -> Self {
        self.tag(5).raw(s)
    }
    fn num(mut self, n: f64) -> Self {
        self.0.push(4);
        self.0.extend_from_slice(&n.to_le_bytes());
        self
    }
    fn arr(self, n: u32) -> Self {
        self.tag(7).u32(n).u32(n)
    }
    fn obj(self, reference: u32, class: &str, n: u32) -> Self {
        self.tag(6).u32(reference).raw(class).u32(n)
    }
    fn put(self) -> u32 {
        put(&self.0)
    }
}

/// A value of the output tape, as the JavaScript reads it.
#[derive(Clone, Debug, PartialEq)]
enum Out {
    Undefined,
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Obj(Vec<(String, Out)>),
    Arr(Vec<Out>),
}

impl Out {
    fn get(&self, key: &str) -> &Out {
        match self {
            Out::Obj(members) => members
                .iter()
                .find(|(k, _)| k == key)
                .map_or(&Out::Undefined, |(_, v)| v),
            _ => &Out::Undefined,
        }
    }
    fn item(&self, i: usize) -> &Out {
        match self {
            Out::Arr(items) => items.get(i).unwrap_or(&Out::Undefined),
            _ => &Out::Undefined,
        }
    }
    fn str(&self) -> &str {
        match self {
            Out::Str(s) => s,
            other => panic!("not a string: {other:?}"),
        }
    }
}

fn read(bytes: &[u8], at: &mut usize) -> Out {
    let u32_at = |at: &mut usize| {
        let n = u32::from_le_bytes(bytes[*at..*at + 4].try_into().unwrap());
        *at += 4;
        n as usize
    };
    let string = |at: &mut usize| {
        let n = u32_at(at);
        let s = String::from_utf8(bytes[*at..*at + n].to_vec()).unwrap();
        *at += n;
        s
    };
    let tag = bytes[*at];
    *at += 1;
    match tag {
        0 => Out::Undefined,
        1 => Out::Null,
        2 => Out::Bool(false),
        3 => Out::Bool(true),
        4 => {
            let n = f64::from_le_bytes(bytes[*at..*at + 8].try_into().unwrap());
            *at += 8;
            Out::Num(n)
        }
        5 => Out::Str(string(at)),
        6 => {
            let n = u32_at(at);
            Out::Obj(
                (0..n)
                    .map(|_| {
                        let k = string(at);
                        (k, read(bytes, at))
                    })
                    .collect(),
            )
        }
        7 => {
            let n = u32_at(at);
            Out::Arr((0..n).map(|_| read(bytes, at)).collect())
        }
        other => panic!("tag {other}"),
    }
}

/// The records of the last answer.
fn records() -> Vec<Out> {
    let bytes = output();
    let mut at = 0;
    let mut out = vec![];
    while at < bytes.len() {
        out.push(read(&bytes, &mut at));
    }
    out
}

fn op(record: &Out) -> f64 {
    match record.item(0) {
        Out::Num(n) => *n,
        other => panic!("no opcode: {other:?}"),
    }
}

const SEND: f64 = 1.0;
const ABORT: f64 = 2.0;
const OK: f64 = 3.0;
const FAIL: f64 = 4.0;
const STARTED: f64 = 7.0;
const ERROR: f64 = 8.0;
const ABORTED: f64 = 9.0;
const TIMER: f64 = 11.0;
const VALUE: f64 = 13.0;

const KEY: &str = "sk_live_wasm_close_0042";

/// A client: `fetch` given (reference 0), a credential header, the base URL.
fn client() -> WasmClient {
    let len = Tape::default()
        .arr(2)
        .obj(1, "Object", 3)
        .raw("fetch")
        .tag(8)
        .u32(0)
        .raw("baseUrl")
        .str("https://api.example.com/v3")
        .raw("headers")
        .obj(2, "Object", 1)
        .raw("authorization")
        .str(&format!("Bearer {KEY}"))
        .obj(3, "Object", 2)
        .raw("fetch")
        .tag(3)
        .raw("URL")
        .tag(3)
        .put();
    WasmClient::open(len, 1, 2, 0.0, 1.7e12).expect("options accepted")
}

/// `[method, path, init, json]`, `init` undefined.
fn call(method: &str, path: &str) -> u32 {
    Tape::default()
        .arr(4)
        .str(method)
        .str(path)
        .tag(0)
        .tag(0)
        .put()
}

#[test]
fn close_ends_every_call_once_then_answers_the_last_health_and_snapshot() {
    let mut c = client();
    // One call sent, one waiting for the limiter's next slot.
    WasmClient::start(Some(&mut c), call("GET", "/listings/1"), 1.0);
    let out = records();
    assert_eq!(op(&out[0]), STARTED);
    assert!(out.iter().any(|r| op(r) == SEND), "{out:?}");
    WasmClient::start(Some(&mut c), call("GET", "/listings/2"), 1.0);
    let out = records();
    assert_eq!(op(&out[0]), STARTED);
    assert!(!out.iter().any(|r| op(r) == SEND), "{out:?}");
    c.close(5.0, 1.7e12 + 5.0);
    let out = records();
    let ops: Vec<f64> = out.iter().map(op).collect();
    assert_eq!(
        out.iter().filter(|r| op(r) == ABORT).collect::<Vec<_>>(),
        [&Out::Arr(vec![
            Out::Num(ABORT),
            Out::Num(0.0),
            Out::Num(1.0)
        ])],
        "the attempt in flight aborted: {ops:?}"
    );
    let fails: Vec<&Out> = out.iter().filter(|r| op(r) == FAIL).collect();
    assert_eq!(fails.len(), 2, "each call ends once: {ops:?}");
    for f in &fails {
        assert_eq!(f.item(2).get("kind").str(), "closed");
        assert_eq!(f.item(2).get("endpoint").str(), "/listings/{id}");
        assert_eq!(f.item(2).get("isRetryable"), &Out::Bool(false));
    }
    // Then: no timer, and the client's last health and snapshot, last.
    let n = out.len();
    assert_eq!(
        out[n - 3],
        Out::Arr(vec![Out::Num(TIMER), Out::Num(-1.0), Out::Num(0.0)])
    );
    assert_eq!((op(&out[n - 2]), op(&out[n - 1])), (VALUE, VALUE));
    assert_eq!(out[n - 2].item(1).get("circuit").str(), "closed");
    // The snapshot crosses as the core's JSON text, dated by the wall clock.
    let snapshot = out[n - 1].item(1).str();
    assert!(
        snapshot.starts_with("{\"format\":3,\"savedAt\":1700000000005,"),
        "{snapshot}"
    );
    assert!(
        !String::from_utf8_lossy(&output()).contains("wasm_close"),
        "no secret in what close answers"
    );
}

/// The TIMER record's last item: how many calls are pending.
fn pending(out: &[Out]) -> f64 {
    match out.last().map(|r| (op(r), r.item(2))) {
        Some((TIMER, Out::Num(n))) => *n,
        other => panic!("no TIMER last: {other:?}"),
    }
}

#[test]
fn the_timer_record_counts_the_calls_pending() {
    let mut c = client();
    WasmClient::start(Some(&mut c), call("GET", "/listings/1"), 1.0);
    assert_eq!(pending(&records()), 1.0);
    WasmClient::start(Some(&mut c), call("GET", "/listings/2"), 1.0);
    assert_eq!(pending(&records()), 2.0);
    // The first (slot 0, attempt 1) answered: one left.
    let answer = Tape::default().arr(2).arr(0).tag(1).put();
    c.response(0, 1, 200.0, 2.0, 1.7e12, answer);
    let out = records();
    assert!(out.iter().any(|r| op(r) == OK), "{out:?}");
    assert_eq!(pending(&out), 1.0);
    // An answer for a slot that holds nothing changes nothing.
    let answer = Tape::default().arr(2).arr(0).tag(1).put();
    c.response(0, 1, 200.0, 2.0, 1.7e12, answer);
    assert_eq!(pending(&records()), 1.0);
    c.close(3.0, 1.7e12);
}

#[test]
fn a_closed_clients_call_ends_at_once_unsent() {
    let path = format!("https://api.example.com/v3/shops/9/listings?api_key={KEY}");
    WasmClient::start(None, call("POST", &path), f64::NAN);
    let out = records();
    assert_eq!(out.len(), 1, "one record, no timer: {out:?}");
    assert_eq!(op(&out[0]), FAIL);
    assert_eq!(out[0].item(1), &Out::Num(0.0));
    let fields = out[0].item(2);
    assert_eq!(fields.get("kind").str(), "closed");
    assert_eq!(fields.get("category").str(), "unknown");
    assert_eq!(fields.get("method").str(), "POST");
    assert_eq!(fields.get("endpoint").str(), "/v3/shops/{id}/listings");
    assert_eq!(
        fields.get("message").str(),
        "POST /v3/shops/{id}/listings: the client is closed"
    );
    assert_eq!(fields.get("attempts"), &Out::Num(0.0));
    assert_eq!(fields.get("isRetryable"), &Out::Bool(false));
    assert!(!String::from_utf8_lossy(&output()).contains("wasm_close"));
}

#[test]
fn a_closed_clients_call_still_names_a_bad_argument_and_an_aborted_signal() {
    let bad = |tape: Tape, message: &str| {
        WasmClient::start(None, tape.put(), 0.0);
        let out = records();
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(op(&out[0]), ERROR, "{out:?}");
        let text = match out[0].item(2) {
            Out::Arr(words) => words
                .iter()
                .map(|w| match w {
                    Out::Str(s) => s.clone(),
                    Out::Num(n) => format!("{n}"),
                    other => panic!("{other:?}"),
                })
                .collect::<String>(),
            Out::Str(s) => s.clone(),
            other => panic!("{other:?}"),
        };
        assert!(text.starts_with(message), "{text}");
    };
    bad(
        Tape::default().arr(4).str("GET").num(42.0).tag(0).tag(0),
        "steadfast: `path` must be a string",
    );
    bad(
        Tape::default().arr(4).str("BREW").str("/x").tag(0).tag(0),
        "steadfast: `method`",
    );
    bad(
        Tape::default()
            .arr(4)
            .str("GET")
            .str("/x")
            .obj(0, "Object", 1)
            .raw("timeoutMs")
            .num(-1.0)
            .tag(0),
        "steadfast: `init.timeoutMs` must not be negative",
    );
    bad(Tape::default().arr(1).str("GET"), "steadfast: `init`");

    // A signal that had aborted: rejected with its reason (ABORTED), as an
    // open client does.
    let len = Tape::default()
        .arr(4)
        .str("GET")
        .str("/x")
        .obj(0, "Object", 1)
        .raw("signal")
        .obj(1, "AbortSignal", 3)
        .raw("aborted")
        .tag(3)
        .raw("addEventListener")
        .tag(8)
        .u32(0)
        .raw("removeEventListener")
        .tag(8)
        .u32(1)
        .tag(0)
        .put();
    WasmClient::start(None, len, 0.0);
    let out = records();
    assert_eq!(
        out,
        vec![Out::Arr(vec![Out::Num(ABORTED), Out::Num(1.0)])],
        "the signal's reference"
    );
}

#[test]
fn a_listener_is_checked_without_a_client() {
    let ok = Tape::default().arr(2).str("retry").tag(8).u32(0).put();
    WasmClient::listen(ok);
    assert!(records().is_empty());
    let bad = Tape::default().arr(2).str("nope").tag(8).u32(0).put();
    WasmClient::listen(bad);
    assert_eq!(op(&records()[0]), ERROR);
}

// ----- what a closed client gives back ---------------------------------------

/// Native only: the recording allocator ([`crate::alloc_trace`]) is the
/// native test build's.
#[cfg(not(target_arch = "wasm32"))]
mod gives_back {
    use super::*;
    use crate::alloc_trace::{live_bytes, record, replay, Step};
    use crate::handles::Handles;
    use crate::heap::tests::Arena;
    use crate::heap::Heap;

    /// A client's life as the package lives it: opened and kept under a handle
    /// (as the module keeps it), `calls` calls answered (a 200, or a 503 with a
    /// body the core reads), then closed: taken out of its handle and freed.
    fn one_life(clients: &mut Handles<WasmClient>, calls: &[(&str, f64)]) {
        let h = clients.insert(Some(client()));
        for (i, (path, status)) in calls.iter().enumerate() {
            WasmClient::start(clients.get_mut(h), call("GET", path), 1.0);
            let slot = u32::try_from(i).unwrap();
            let answer = Tape::default()
                .arr(2)
                .arr(0)
                .str("{\"error\":\"busy\"}")
                .put();
            let c = clients.get_mut(h).unwrap();
            c.response(slot, 1, *status, 2.0, 1.7e12, answer);
        }
        let c = clients.take(h).unwrap();
        c.close(3.0, 1.7e12);
    }

    const ONE_CALL: &[(&str, f64)] = &[("/listings/1", 200.0)];
    const FIVE_ENDPOINTS: &[(&str, f64)] = &[
        ("/shops/1", 200.0),
        ("/shops/2/listings", 503.0),
        ("/users/me", 200.0),
        ("/listings/9/images", 404.0),
        ("/taxonomy/nodes", 200.0),
    ];

    #[test]
    fn a_closed_client_gives_back_every_byte_it_took() {
        let mut clients = Handles::new();
        // The module's own areas (input, output) reach their size once.
        one_life(&mut clients, FIVE_ENDPOINTS);
        for calls in [ONE_CALL, FIVE_ENDPOINTS] {
            let steps = record(|| one_life(&mut clients, calls));
            let allocated: usize = steps
                .iter()
                .map(|s| match s {
                    Step::Alloc(_, l) => l.size(),
                    _ => 0,
                })
                .sum();
            assert!(
                allocated > 10_000,
                "a client takes memory: {allocated} bytes"
            );
            assert_eq!(live_bytes(&steps), 0, "kept after close()");
        }
    }

    #[test]
    fn the_next_client_takes_the_blocks_the_last_one_gave_back() {
        let mut clients = Handles::new();
        one_life(&mut clients, FIVE_ENDPOINTS);
        let one = record(|| one_life(&mut clients, ONE_CALL));
        let five = record(|| one_life(&mut clients, FIVE_ENDPOINTS));

        // One after the other, 1,000 times: the heap's memory is what the first
        // took.
        let mut heap = Heap::new(Arena::new(64));
        let first = replay(&one, &mut heap);
        for _ in 1..1000 {
            assert_eq!(replay(&one, &mut heap), first);
        }

        // Clients of two shapes, in turn: the blocks of one serve the other.
        let mut heap = Heap::new(Arena::new(64));
        replay(&one, &mut heap);
        let both = replay(&five, &mut heap);
        for _ in 0..200 {
            replay(&one, &mut heap);
            assert_eq!(replay(&five, &mut heap), both);
        }

        // 100 open at once, each with a call in flight, then all closed; then
        // the same again, and again: each round fits in the memory of the first.
        let hundred = record(|| {
            let hs: Vec<u32> = (0..100)
                .map(|i| {
                    let h = clients.insert(Some(client()));
                    let path = format!("/listings/{i}");
                    WasmClient::start(clients.get_mut(h), call("GET", &path), 1.0);
                    h
                })
                .collect();
            for h in hs {
                clients.take(h).unwrap().close(2.0, 1.7e12);
            }
        });
        assert_eq!(live_bytes(&hundred), 0);
        let mut heap = Heap::new(Arena::new(512));
        let first = replay(&hundred, &mut heap);
        assert!(first > 100 * 10_000, "100 clients at once: {first} bytes");
        // The heap settles: at most one 64 KiB page more than the first
        // round (the blocks freed by a round's small snapshot texts do not
        // always fall where the next round's clients want them), then flat.
        let rounds: Vec<_> = (0..10).map(|_| replay(&hundred, &mut heap)).collect();
        assert!(
            rounds.iter().all(|r| *r <= first + 65_536),
            "{first} {rounds:?}"
        );
        assert!(
            rounds[5..].iter().all(|r| *r == rounds[9]),
            "{first} {rounds:?}"
        );
    }
}

/// A client whose `authorization` is a function (reference 2) and with
/// `auth.refresh` (reference 4).
fn expiring_client() -> WasmClient {
    let len = Tape::default()
        .arr(2)
        .obj(0, "Object", 4)
        .raw("fetch")
        .tag(8)
        .u32(1)
        .raw("baseUrl")
        .str("https://api.example.com/v3")
        .raw("headers")
        .obj(3, "Object", 1)
        .raw("authorization")
        .tag(8)
        .u32(2)
        .raw("auth")
        .obj(5, "Object", 1)
        .raw("refresh")
        .tag(8)
        .u32(4)
        .obj(6, "Object", 2)
        .raw("fetch")
        .tag(3)
        .raw("URL")
        .tag(3)
        .put();
    WasmClient::open(len, 1, 2, 0.0, 1.7e12).expect("options accepted")
}

#[test]
fn a_header_function_s_value_is_a_secret_and_a_401_asks_for_one_refresh() {
    const OLD: &str = "tok_wasm_old_123456";
    const NEW: &str = "tok_wasm_new_654321";
    let mut c = expiring_client();
    // READY: the function's field as its reference, then `auth.refresh`'s.
    let ready = records().remove(0);
    assert_eq!(
        ready.item(4),
        &Out::Arr(vec![Out::Arr(vec![
            Out::Str("authorization".into()),
            Out::Num(2.0)
        ])])
    );
    assert_eq!(ready.item(5), &Out::Num(4.0));
    WasmClient::start(Some(&mut c), call("GET", "/users/me"), 1.0);
    assert!(records().iter().any(|r| op(r) == SEND));
    // The function gave the old token: nothing but the timer, then send.
    let values = Tape::default().arr(1).str(&format!("Bearer {OLD}")).put();
    c.header_values(0, 1, 2.0, values);
    assert_eq!(records().iter().map(op).collect::<Vec<_>>(), [TIMER]);
    // Refused, the token echoed: scrubbed, and one refresh asked for.
    let body = format!("{{\"error\":\"token {OLD} expired\"}}");
    let answer = Tape::default().arr(2).arr(0).str(&body).put();
    c.response(0, 1, 401.0, 10.0, 1.7e12, answer);
    let out = records();
    assert!(
        out.contains(&Out::Arr(vec![Out::Num(15.0), Out::Num(1.0)])),
        "{out:?}"
    );
    assert!(!String::from_utf8_lossy(&output()).contains(OLD));
    // Refreshed: the call is sent again; the new token is a secret too.
    c.refreshed(1, true, 20.0, Tape::default().str(NEW).put());
    // (After the limiter's next slot: 10 per second, a burst of 1.)
    assert!(!records().iter().any(|r| op(r) == FAIL));
    c.fire(101.0);
    let out = records();
    assert!(
        out.contains(&Out::Arr(vec![
            Out::Num(SEND),
            Out::Num(0.0),
            Out::Num(2.0)
        ])),
        "{out:?}"
    );
    // The function throws this time: the call ends unsent, category auth.
    c.header_values(0, 2, 102.0, Tape::default().arr(1).tag(9).put());
    let out = records();
    let fail = out.iter().find(|r| op(r) == FAIL).expect("a FAIL");
    assert_eq!(fail.item(2).get("kind").str(), "header_failed");
    assert_eq!(fail.item(2).get("category").str(), "auth");
    let mut text = String::from_utf8_lossy(&output()).into_owned();
    c.health(102.0);
    text += &String::from_utf8_lossy(&output());
    c.snapshot(102.0, 1.7e12);
    text += &String::from_utf8_lossy(&output());
    assert!(!text.contains(OLD) && !text.contains(NEW), "{text}");
}
