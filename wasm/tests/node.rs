//! The host checks (`common/mod.rs`) in Node.js (wasm-bindgen-test's default host).
#![cfg(target_arch = "wasm32")]

mod common;

use wasm_bindgen_test::*;

#[wasm_bindgen_test]
async fn retries_a_503_then_resolves_with_json() {
    common::retries_a_503_then_resolves_with_json().await;
}

#[wasm_bindgen_test]
async fn an_open_circuit_fails_fast_and_survives_a_snapshot() {
    common::an_open_circuit_fails_fast_and_survives_a_snapshot().await;
}

#[wasm_bindgen_test]
async fn an_abort_in_flight_rejects_with_the_reason() {
    common::an_abort_in_flight_rejects_with_the_reason().await;
}

#[wasm_bindgen_test]
fn bad_options_throw_named_errors() {
    common::bad_options_throw_named_errors();
}

#[wasm_bindgen_test]
fn classify_error_reads_status_and_headers() {
    common::classify_error_reads_status_and_headers();
}
