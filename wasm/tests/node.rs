//! The host checks (`common/mod.rs`) in Node.js (wasm-bindgen-test's default host).
#![cfg(target_arch = "wasm32")]

mod common;

common::host_checks!();
