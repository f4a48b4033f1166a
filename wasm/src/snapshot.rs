//! `client.snapshot()` and `createClient({ restore })`: the core's
//! [`Snapshot`] as plain, JSON-able data and back.
//!
//! The core's serde form is used as is, with one change: the jitter
//! generator's state is a full 64-bit integer, which a JavaScript number
//! cannot hold (and `JSON.stringify` refuses a `BigInt`). The snapshot
//! carries instead a 16-digit hex string under `rng`: a draw of the old
//! generator, which seeds the restored one (so a seeded client stays
//! reproducible across a restart). `format` marks the layout's version.

use serde::{Deserialize, Serialize};
use steadfast_core::engine::Snapshot;
use steadfast_core::rng::{Rng, SplitMix64};
use wasm_bindgen::JsValue;

use crate::js::{self, Obj};

/// The layout's version, checked on restore.
const FORMAT: f64 = 1.0;

/// The snapshot as a plain object.
pub(crate) fn to_js(mut snapshot: Snapshot) -> Result<JsValue, JsValue> {
    let next = snapshot.rng.next_u64();
    snapshot.rng = SplitMix64::new(0);
    let value = snapshot
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|_| js::error("steadfast: the snapshot could not be converted"))?;
    let _ = js_sys::Reflect::set(&value, &"rng".into(), &hex(next).into());
    let _ = js_sys::Reflect::set(&value, &"format".into(), &FORMAT.into());
    Ok(value)
}

/// A saved snapshot back, checked: anything else is a `TypeError` naming
/// `restore`.
pub(crate) fn from_js(value: &JsValue) -> Result<Snapshot, String> {
    let bad = |why: &str| format!("steadfast: `restore` {why}");
    if !value.is_object() {
        return Err(bad("must be an object from client.snapshot()"));
    }
    if js::get(value, "format").as_f64() != Some(FORMAT) {
        return Err(bad("is not a snapshot of this version (format 1)"));
    }
    let seed = js::get(value, "rng")
        .as_string()
        .filter(|s| s.len() == 16)
        .and_then(|s| u64::from_str_radix(&s, 16).ok())
        .ok_or_else(|| bad("has no valid `rng`"))?;
    // A copy with the generator in the core's own form.
    let copy = js_sys::Object::assign(&js_sys::Object::new(), value.unchecked_ref());
    let rng = Obj::new();
    rng.set("state", 0);
    let _ = js_sys::Reflect::set(&copy, &"rng".into(), &rng.build());
    let mut snapshot =
        Snapshot::deserialize(serde_wasm_bindgen::Deserializer::from(JsValue::from(copy)))
            .map_err(|_| bad("is not a snapshot taken by client.snapshot()"))?;
    snapshot.rng = SplitMix64::new(seed);
    Ok(snapshot)
}

fn hex(n: u64) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    (0..16)
        .rev()
        .map(|i| {
            let nibble = usize::try_from((n >> (i * 4)) & 0xF).unwrap_or(0);
            char::from(DIGITS.get(nibble).copied().unwrap_or(b'0'))
        })
        .collect()
}

use wasm_bindgen::JsCast as _;
