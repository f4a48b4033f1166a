//! The checks every host runs (Node, a page, a dedicated worker, a service
//! worker): the module's boundary — the io header, tapes written into the
//! input area and records read from the output area — in that host's
//! memory. Each test file includes this module and only says where it runs.
//!
//! The tapes are written here as the package's JavaScript writes them; the
//! driver itself (fetch, timers, signals) is tested through the package in
//! every host (`tests/js`, `tests/runtimes`, `tests/browser`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    dead_code
)]

use steadfast_wasm::{io, tables, Settled, WasmBreaker, WasmClient};

/// The io header: input address and capacity, output address and length.
fn header() -> [u32; 4] {
    let at = io() as usize as *const u32;
    // SAFETY: `io()` answers the address of four `u32`s the module keeps
    // for the life of the program.
    unsafe { [*at, *at.add(1), *at.add(2), *at.add(3)] }
}

/// The output area's bytes.
fn output() -> Vec<u8> {
    let [_, _, at, len] = header();
    // SAFETY: the header names the output area the last export wrote.
    unsafe { core::slice::from_raw_parts(at as usize as *const u8, len as usize).to_vec() }
}

/// A tape, as the package's JavaScript writes one.
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
    fn num(self, n: f64) -> Self {
        let mut me = self.tag(4);
        me.0.extend_from_slice(&n.to_le_bytes());
        me
    }
    fn arr(self, n: u32) -> Self {
        self.tag(7).u32(n).u32(n)
    }
    fn obj(self, reference: u32, n: u32) -> Self {
        self.tag(6).u32(reference).raw("Object").u32(n)
    }
    /// Writes it into the input area; answers its length.
    fn put(self) -> u32 {
        steadfast_wasm::grow(u32::try_from(self.0.len()).unwrap());
        let [at, cap, _, _] = header();
        assert!(cap as usize >= self.0.len());
        // SAFETY: the input area is `cap` bytes at `at`.
        unsafe {
            core::ptr::copy_nonoverlapping(self.0.as_ptr(), at as usize as *mut u8, self.0.len());
        }
        u32::try_from(self.0.len()).unwrap()
    }
}

/// The first number of the first record (its opcode), read off the output.
fn first_op(out: &[u8]) -> f64 {
    assert_eq!(out[0], 7, "a record is an array");
    assert_eq!(out[5], 4, "its opcode is a number");
    f64::from_le_bytes(out[6..14].try_into().unwrap())
}

/// `[options, host]` for `WasmClient::open`: a `fetch` given (reference 0).
fn client_options(retry_max: Option<f64>) -> Tape {
    let t = Tape::default().arr(2);
    let t = match retry_max {
        None => t.obj(1, 1).raw("fetch").tag(8).u32(0),
        Some(n) => t
            .obj(1, 2)
            .raw("fetch")
            .tag(8)
            .u32(0)
            .raw("retry")
            .obj(2, 1)
            .raw("maxRetries")
            .num(n),
    };
    t.obj(3, 2).raw("fetch").tag(3).raw("URL").tag(3)
}

pub(crate) fn tables_publish_what_the_driver_needs() {
    let len = tables();
    let out = output();
    assert_eq!(out.len(), len as usize);
    // Out, an array is its tag and its length: five tables, the first of
    // the 13 header fields the core reads, the last two the tape's array
    // bound (a number: its tag, then 1001 as an f64) and how many of a
    // response's header fields the driver reads (256).
    assert_eq!(&out[..9], &[7, 5, 0, 0, 0, 7, 13, 0, 0][..], "five tables");
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("retry-after") && text.contains("stateChange"));
    let mut last = vec![4u8];
    last.extend_from_slice(&1001f64.to_le_bytes());
    last.push(4);
    last.extend_from_slice(&256f64.to_le_bytes());
    assert!(
        out.ends_with(&last),
        "ends with the array bound and the field cap"
    );
}

pub(crate) fn one_get_crosses_twice() {
    let len = client_options(None).put();
    let mut client = WasmClient::open(len, 1, 2, 1000.0, 1.7e12).expect("options accepted");
    let call = Tape::default()
        .arr(4)
        .str("GET")
        .str("https://api.example.com/x")
        .tag(0)
        .tag(0)
        .put();
    WasmClient::start(Some(&mut client), call, 1000.0);
    let out = output();
    assert_eq!(first_op(&out), 7.0, "STARTED");
    assert!(String::from_utf8_lossy(&out).contains("https://api.example.com/x"));
    let answer = Tape::default().arr(2).arr(0).tag(0).put();
    client.response(0, 1, 200.0, 1005.0, 1.7e12, answer);
    assert_eq!(first_op(&output()), 3.0, "OK");
}

pub(crate) fn a_503_is_retried_and_a_bad_option_named() {
    let len = client_options(Some(1.0)).put();
    let mut client = WasmClient::open(len, 1, 2, 0.0, 1.7e12).expect("options accepted");
    let call = Tape::default()
        .arr(4)
        .str("GET")
        .str("https://h/x")
        .tag(0)
        .tag(0)
        .put();
    WasmClient::start(Some(&mut client), call, 0.0);
    let answer = Tape::default().arr(2).arr(0).str("busy").put();
    client.response(0, 1, 503.0, 1.0, 1.7e12, answer);
    let out = output();
    assert_eq!(first_op(&out), 12.0, "BODY: the error body as scrubbed");
    assert!(
        String::from_utf8_lossy(&out).contains("delayMs"),
        "a retry event (its payload)"
    );

    let len = client_options(Some(-1.0)).put();
    assert!(WasmClient::open(len, 1, 2, 0.0, 0.0).is_none());
    let out = output();
    assert_eq!(first_op(&out), 8.0, "ERROR");
    assert!(String::from_utf8_lossy(&out).contains("`retry.maxRetries` must not be negative"));
}

pub(crate) fn a_breaker_opens_on_failures() {
    let len = Tape::default()
        .arr(1)
        .obj(0, 1)
        .raw("failureThreshold")
        .num(1.0)
        .put();
    let mut b = WasmBreaker::open(len).expect("options accepted");
    // Closed: leave without the time; a success recorded without it.
    let permit = b.acquire(false, f64::NAN);
    assert!(permit >= 0.0);
    assert_eq!(
        b.settle(permit, 0, false, f64::NAN, f64::NAN, 0),
        Settled::Done
    );
    // A failure needs the time: untimed, nothing changes.
    let permit = b.acquire(false, f64::NAN);
    assert_eq!(
        b.settle(permit, 1, false, f64::NAN, f64::NAN, 0),
        Settled::NeedsTime
    );
    assert_eq!(b.state(1.0), "closed");
    // Listened to, the open waits for the listener.
    b.listen(true);
    assert_eq!(b.settle(permit, 1, true, 1.0, 0.0, 0), Settled::Changed);
    let len = b.events();
    let text = String::from_utf8_lossy(&output()[..len as usize]).into_owned();
    assert!(text.contains("closed") && text.contains("open"), "{text}");
    assert!(
        b.acquire(false, f64::NAN).is_nan(),
        "open: the answer needs the time"
    );
    assert!(b.acquire(true, 2.0) < 0.0, "open after one failure");
    assert_eq!(b.state(2.0), "open");
}

/// The checks as `#[wasm_bindgen_test]`s: each host's file says where it
/// runs (`wasm_bindgen_test_configure!`), then expands this.
macro_rules! host_checks {
    () => {
        #[wasm_bindgen_test::wasm_bindgen_test]
        fn tables_publish_what_the_driver_needs() {
            common::tables_publish_what_the_driver_needs();
        }

        #[wasm_bindgen_test::wasm_bindgen_test]
        fn one_get_crosses_twice() {
            common::one_get_crosses_twice();
        }

        #[wasm_bindgen_test::wasm_bindgen_test]
        fn a_503_is_retried_and_a_bad_option_named() {
            common::a_503_is_retried_and_a_bad_option_named();
        }

        #[wasm_bindgen_test::wasm_bindgen_test]
        fn a_breaker_opens_on_failures() {
            common::a_breaker_opens_on_failures();
        }
    };
}
pub(crate) use host_checks;
