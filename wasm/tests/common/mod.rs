//! The checks every host runs (Node, a page, a dedicated worker, a service
//! worker): the same host loop, on that host's own `fetch` types, timers,
//! `AbortController` and `performance.now()`. Each test file includes this
//! module and only says where it runs.
//!
//! The server is a fake `fetch` written in JavaScript (a real `Response`
//! each time, built by the host), so the checks need no network; the real
//! servers are in the package's tests (`tests/js`, `tests/browser`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use js_sys::{Function, Reflect};
use steadfast_wasm::{classify_error, WasmClient};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Runs a JavaScript function body and answers what it returns.
fn js(body: &str) -> JsValue {
    Function::new_no_args(body)
        .call0(&JsValue::UNDEFINED)
        .expect("the test's JavaScript threw")
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).expect("readable")
}

fn call(v: &JsValue, method: &str) -> JsValue {
    get(v, method)
        .unchecked_into::<Function>()
        .call0(v)
        .expect("callable")
}

/// The package's error class in miniature: the fields land on the error.
fn error_class() -> JsValue {
    js("return class E extends Error { constructor(m, f) { super(m); Object.assign(this, f); } };")
}

fn client(options: &JsValue) -> WasmClient {
    WasmClient::new(options.clone(), error_class()).expect("options accepted")
}

async fn get_path(client: &WasmClient, path: &str) -> Result<JsValue, JsValue> {
    JsFuture::from(client.request(
        JsValue::from_str("GET"),
        JsValue::from_str(path),
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
    ))
    .await
}

/// A 503 with `Retry-After: 0`, then a 200 with JSON: the call resolves
/// after two attempts with the parsed body.
pub(crate) async fn retries_a_503_then_resolves_with_json() {
    let setup = js(r#"
        let n = 0;
        const fetch = async () => ++n === 1
          ? new Response("busy", { status: 503, headers: { "retry-after": "0" } })
          : new Response('{"ok":true}', { status: 200, headers: { "content-type": "application/json" } });
        return { options: { baseUrl: "https://api.example.test", fetch }, calls: () => n };"#);
    let c = client(&get(&setup, "options"));
    let result = get_path(&c, "/v3/listings/1").await.expect("resolves");
    assert_eq!(get(&result, "status").as_f64(), Some(200.0));
    assert_eq!(get(&result, "attempts").as_f64(), Some(2.0));
    assert_eq!(get(&get(&result, "data"), "ok").as_bool(), Some(true));
    assert_eq!(call(&setup, "calls").as_f64(), Some(2.0));
}

/// Two 500s open a circuit with `failureThreshold: 2`; the third call is
/// refused without reaching `fetch`, and a client restored from the
/// snapshot refuses too. (`maxRetries: 0`: with retries left, a call would
/// wait out the open period instead of failing fast.)
pub(crate) async fn an_open_circuit_fails_fast_and_survives_a_snapshot() {
    let setup = js(r#"
        let n = 0;
        const fetch = async () => { n++; return new Response("down", { status: 500 }); };
        return {
          options: { baseUrl: "https://api.example.test", fetch,
                     retry: { maxRetries: 0 }, breaker: { failureThreshold: 2, openMs: 60000 } },
          calls: () => n,
          restored: (snapshot) => ({ baseUrl: "https://api.example.test", fetch, retry: { maxRetries: 0 },
                                     breaker: { failureThreshold: 2, openMs: 60000 }, restore: snapshot }),
        };"#);
    let c = client(&get(&setup, "options"));
    for _ in 0..2 {
        let e = get_path(&c, "/v3/shops/42").await.expect_err("a 500");
        assert_eq!(get(&e, "status").as_f64(), Some(500.0));
    }
    let e = get_path(&c, "/v3/shops/42").await.expect_err("refused");
    assert_eq!(get(&e, "kind").as_string().as_deref(), Some("circuit_open"));
    assert_eq!(call(&setup, "calls").as_f64(), Some(2.0));
    let health = c.health().expect("health");
    assert_eq!(get(&health, "circuit").as_string().as_deref(), Some("open"));

    let snapshot = c.snapshot().expect("snapshot");
    let json = js_sys::JSON::stringify(&snapshot).expect("plain JSON");
    let again = js_sys::JSON::parse(&String::from(json)).expect("parses");
    let restored_options = get(&setup, "restored")
        .unchecked_into::<Function>()
        .call1(&JsValue::UNDEFINED, &again)
        .expect("options");
    let d = client(&restored_options);
    let e = get_path(&d, "/v3/shops/42").await.expect_err("still open");
    assert_eq!(get(&e, "kind").as_string().as_deref(), Some("circuit_open"));
    assert_eq!(call(&setup, "calls").as_f64(), Some(2.0));
    c.close();
    d.close();
}

/// Aborting the caller's signal while the request is in flight rejects the
/// call with the signal's reason, and the request itself is aborted.
pub(crate) async fn an_abort_in_flight_rejects_with_the_reason() {
    let setup = js(r#"
        let aborted = 0;
        const fetch = (url, init) => new Promise((_, reject) => {
          init.signal.addEventListener("abort", () => { aborted++; reject(init.signal.reason); });
        });
        const controller = new AbortController();
        const reason = new Error("user went away");
        return { options: { baseUrl: "https://api.example.test", fetch },
                 init: { signal: controller.signal },
                 abort: () => controller.abort(reason), reason, aborted: () => aborted };"#);
    let c = client(&get(&setup, "options"));
    let pending = JsFuture::from(c.request(
        JsValue::from_str("GET"),
        JsValue::from_str("/v3/listings/2"),
        get(&setup, "init"),
        JsValue::UNDEFINED,
    ));
    // Let the request reach `fetch` before aborting: one macrotask.
    JsFuture::from(js_sys::Promise::new(&mut |resolve, _| {
        let set_timeout = get(&js_sys::global(), "setTimeout").unchecked_into::<Function>();
        set_timeout
            .call2(&JsValue::UNDEFINED, &resolve, &JsValue::from(0))
            .expect("setTimeout");
    }))
    .await
    .expect("tick");
    call(&setup, "abort");
    let e = pending.await.expect_err("aborted");
    assert!(
        js_sys::Object::is(&e, &get(&setup, "reason")),
        "rejects with the signal's reason"
    );
    assert_eq!(call(&setup, "aborted").as_f64(), Some(1.0));
}

/// Bad options throw the error a user can branch on, naming the option;
/// the module keeps working afterwards.
pub(crate) fn bad_options_throw_named_errors() {
    let e = WasmClient::new(js("return { retry: { maxRetries: -1 } };"), error_class())
        .err()
        .expect("refused");
    assert!(e.is_instance_of::<js_sys::RangeError>());
    let message = String::from(e.unchecked_into::<js_sys::Error>().message());
    assert!(message.contains("retry.maxRetries"), "{message}");

    let e = WasmClient::new(js("return { retyr: {} };"), error_class())
        .err()
        .expect("refused");
    assert!(e.is_instance_of::<js_sys::TypeError>());
    let message = String::from(e.unchecked_into::<js_sys::Error>().message());
    assert!(message.contains("retyr"), "{message}");

    let ok = WasmClient::new(
        js("return { baseUrl: 'https://api.example.test' };"),
        error_class(),
    );
    assert!(ok.is_ok(), "the module still works after thrown errors");
}

/// `classifyError`: a 429 with `Retry-After: 3` is a rate limit to retry
/// no earlier than 3 s; a status out of range is a `RangeError`.
pub(crate) fn classify_error_reads_status_and_headers() {
    let c = classify_error(
        JsValue::from(429),
        JsValue::from_str("slow down"),
        js("return { 'retry-after': '3' };"),
    )
    .expect("classified");
    assert_eq!(
        get(&c, "category").as_string().as_deref(),
        Some("rate_limit")
    );
    assert_eq!(get(&c, "retryAfterMs").as_f64(), Some(3000.0));
    assert_eq!(get(&c, "isRetryable").as_bool(), Some(true));
    let e = classify_error(JsValue::from(42), JsValue::UNDEFINED, JsValue::UNDEFINED)
        .expect_err("refused");
    assert!(e.is_instance_of::<js_sys::RangeError>());
}

/// The checks as `#[wasm_bindgen_test]`s: each host's file says where it
/// runs (`wasm_bindgen_test_configure!`), then expands this.
macro_rules! host_checks {
    () => {
        #[wasm_bindgen_test::wasm_bindgen_test]
        async fn retries_a_503_then_resolves_with_json() {
            common::retries_a_503_then_resolves_with_json().await;
        }

        #[wasm_bindgen_test::wasm_bindgen_test]
        async fn an_open_circuit_fails_fast_and_survives_a_snapshot() {
            common::an_open_circuit_fails_fast_and_survives_a_snapshot().await;
        }

        #[wasm_bindgen_test::wasm_bindgen_test]
        async fn an_abort_in_flight_rejects_with_the_reason() {
            common::an_abort_in_flight_rejects_with_the_reason().await;
        }

        #[wasm_bindgen_test::wasm_bindgen_test]
        fn bad_options_throw_named_errors() {
            common::bad_options_throw_named_errors();
        }

        #[wasm_bindgen_test::wasm_bindgen_test]
        fn classify_error_reads_status_and_headers() {
            common::classify_error_reads_status_and_headers();
        }
    };
}
pub(crate) use host_checks;
