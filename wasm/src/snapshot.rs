//! `client.snapshot()` and `createClient({ restore })`: the core's
//! [`Snapshot`] as its JSON text, both ways.
//!
//! The core writes and reads the text (format 3, every field checked
//! there); the JavaScript parses what `snapshot()` answers into a plain
//! object and hands `restore` back as JSON text (`JSON.stringify` of the
//! object, or the string it was given). Nothing about the layout is decided
//! here.

use alloc::string::String;

use steadfast_core::codec::SnapshotError;
use steadfast_core::engine::Snapshot;

use crate::options::OptionError;
use crate::tape::{Value, Writer};
use crate::text::Text;

/// The snapshot's JSON text on the output tape.
pub(crate) fn write(snapshot: &Snapshot, w: &mut Writer) {
    w.str(&snapshot.encode());
}

/// A saved snapshot back: its text read by the core, or an error naming
/// `restore` (and the field at fault).
pub(crate) fn from_value(value: &Value) -> Result<Snapshot, OptionError> {
    let Value::Str(text) = value else {
        return Err(OptionError::Message {
            type_error: true,
            text: Text::of("`restore` must be what client.snapshot() returned, or its JSON text"),
        });
    };
    Snapshot::decode(text).map_err(|e| refusal(&e))
}

/// The core's refusal as the user reads it: `` `restore.limiter.sent[0]` is
/// out of range ``, a `RangeError` for a value out of range and a
/// `TypeError` for the rest.
fn refusal(e: &SnapshotError) -> OptionError {
    let mut field = String::from("`restore");
    if !e.field().is_empty() {
        field.push('.');
        field.push_str(e.field());
    }
    field.push_str("` ");
    OptionError::Message {
        type_error: !e.is_range(),
        text: Text::of(&field).s(e.problem().words()),
    }
}
