//! The host checks (`common/mod.rs`) in a headless Chromium page.
#![cfg(target_arch = "wasm32")]

mod common;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

common::host_checks!();
