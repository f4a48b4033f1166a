//! The host checks (`common/mod.rs`) in a service worker in headless Chromium.
#![cfg(target_arch = "wasm32")]

mod common;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_service_worker);

common::host_checks!();
