//! `client.snapshot()` and `createClient({ restore })`: the core's
//! [`Snapshot`] as plain JSON and back.
//!
//! The snapshot is `{ format: 2, state: "sf2:…" }`: `state` is the core's own
//! compact text ([`Snapshot::encode`]), which keeps the jitter generator's
//! full 64-bit state (a JavaScript number could not) and needs no serde in
//! this crate. `format` marks the layout's version.

use steadfast_core::codec::SnapshotError;
use steadfast_core::engine::Snapshot;
use wasm_bindgen::JsValue;

use crate::js::{self, Obj};

/// The layout's version, checked on restore.
const FORMAT: f64 = 2.0;

/// The snapshot as a plain object.
pub(crate) fn to_js(snapshot: &Snapshot) -> JsValue {
    let out = Obj::new();
    out.set("format", FORMAT);
    out.set("state", snapshot.encode());
    out.build()
}

/// A saved snapshot back, checked: anything else is a `TypeError` naming
/// `restore` (the message says why).
pub(crate) fn from_js(value: &JsValue) -> Result<Snapshot, &'static str> {
    if !value.is_object() {
        return Err("must be an object from client.snapshot()");
    }
    if js::get(value, "format").as_f64() != Some(FORMAT) {
        return Err("is not a snapshot of this version (format 2)");
    }
    let state = js::get(value, "state")
        .as_string()
        .ok_or("has no `state` string")?;
    Snapshot::decode(&state).map_err(|e| match e {
        SnapshotError::Version => "is not a snapshot of this version",
        SnapshotError::Truncated => "is truncated",
        _ => "is not a snapshot taken by client.snapshot()",
    })
}
