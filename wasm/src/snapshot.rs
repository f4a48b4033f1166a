//! `client.snapshot()` and `createClient({ restore })`: the core's
//! [`Snapshot`] as plain JSON and back.
//!
//! The snapshot is `{ format: 2, state: "sf2:…" }`: `state` is the core's own
//! compact text ([`Snapshot::encode`]), which keeps the jitter generator's
//! full 64-bit state (a JavaScript number could not) and needs no serde in
//! this crate. `format` marks the layout's version.

use steadfast_core::codec::SnapshotError;
use steadfast_core::engine::Snapshot;

use crate::tape::{Value, Writer};

/// The layout's version, checked on restore (the core's).
const FORMAT: f64 = Snapshot::FORMAT as f64;

// The refusal below names the version in words.
const _: () = assert!(Snapshot::FORMAT == 2);

/// The snapshot as a plain object on the output tape.
pub(crate) fn write(snapshot: &Snapshot, w: &mut Writer) {
    w.obj(2).key("format").num(FORMAT);
    w.key("state").str(&snapshot.encode());
}

/// A saved snapshot back, checked: anything else is a `TypeError` naming
/// `restore` (the message says why).
pub(crate) fn from_value(value: &Value) -> Result<Snapshot, &'static str> {
    if !matches!(value, Value::Obj(_)) {
        return Err("must be an object from client.snapshot()");
    }
    if value.get("format").as_num() != Some(FORMAT) {
        return Err("is not a snapshot of this version (format 2)");
    }
    let state = value.get("state").as_str().ok_or("has no `state` string")?;
    Snapshot::decode(state).map_err(|e| match e {
        SnapshotError::Version => "is not a snapshot of this version",
        SnapshotError::Truncated => "is truncated",
        _ => "is not a snapshot taken by client.snapshot()",
    })
}
