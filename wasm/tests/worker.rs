//! The host checks (`common/mod.rs`) in a dedicated worker in headless Chromium.
#![cfg(target_arch = "wasm32")]

mod common;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_dedicated_worker);

common::host_checks!();
