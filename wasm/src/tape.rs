//! The one format values cross the boundary in, both ways: a "tape" of
//! tagged bytes in wasm memory.
//!
//! The package's JavaScript writes what a user passed (options, a call's
//! `path` and `init`, a response's header fields, a failed fetch's error
//! codes) as a tape into the input area and calls one export; the export
//! answers with a tape of records in the output area. No JavaScript object is
//! touched from Rust, no closure or promise crosses, and the JavaScript reads
//! and writes data without deciding anything: what is valid, what a value
//! means and what happens next are decided here and in the core.
//!
//! ```text
//! tag  value          payload (little-endian)
//!  0   undefined
//!  1   null
//!  2   false
//!  3   true
//!  4   number         f64
//!  5   string         u32 byte length, UTF-8
//!  6   object         u32 reference, string class, u32 count, count × (string key, value)
//!  7   array          u32 length, u32 count written, count × value
//!  8   function       u32 reference
//!  9   unreadable     (a getter or a proxy trap threw, or nested too deep)
//! 10   other          string `typeof` (bigint, symbol)
//! 11   json           u8 1 when `JSON.stringify` gave text, u32 reference of the text
//! ```
//!
//! A reference is an index into the array of objects the JavaScript keeps
//! beside the tape: the host objects (functions, signals, bodies) stay on
//! the JavaScript side and are named by number. An object's class is what
//! `Object.prototype.toString` says (`Object`, `AbortSignal`, `Uint8Array`);
//! a plain object carries its own enumerable keys, any other object only the
//! few members a decoder may ask of it (see `PROBE` in `api.js`). A payload
//! (`json`, `body`) is never copied in: only its reference crosses.

use alloc::vec::Vec;

/// A value read from the input tape.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value<'a> {
    /// `undefined`, or absent.
    Undefined,
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number (any: `NaN` and infinities too).
    Num(f64),
    /// A string (borrowed from the input tape).
    Str(&'a str),
    /// An object.
    Obj(Obj<'a>),
    /// An array: its length, and its first items (at most what the
    /// JavaScript writes, [`MAX_ITEMS`]).
    Arr(u32, Vec<Value<'a>>),
    /// A function, by reference.
    Func(u32),
    /// Could not be read.
    Unreadable,
    /// A `bigint` or `symbol` (its `typeof`).
    Other(&'a str),
    /// A value given to `JSON.stringify`: whether it gave text, and the
    /// text's reference.
    Json(bool, u32),
}

/// Most items of an array the JavaScript writes (a longer one is refused by
/// the option that reads it, which says how long it may be).
pub(crate) const MAX_ITEMS: u32 = 1001;

/// An object: its reference on the JavaScript side, its class and the
/// members written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Obj<'a> {
    /// Its index among the JavaScript side's references.
    pub(crate) reference: u32,
    /// `Object` for a plain object, else what `Object.prototype.toString`
    /// names (`AbortSignal`, `Blob`, `Uint8Array`, ...).
    pub(crate) class: &'a str,
    /// Its members, in order.
    pub(crate) members: Vec<(&'a str, Value<'a>)>,
}

impl<'a> Obj<'a> {
    /// Member `key`, [`Value::Undefined`] when absent.
    pub(crate) fn get(&self, key: &str) -> &Value<'a> {
        self.members
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(&Value::Undefined, |(_, v)| v)
    }

    /// Whether this is a plain object (`{}` or `Object.create(null)`).
    pub(crate) fn is_plain(&self) -> bool {
        self.class == "Object"
    }
}

impl<'a> Value<'a> {
    /// Member `key` of an object; [`Value::Undefined`] for anything else.
    pub(crate) fn get(&self, key: &str) -> &Value<'a> {
        match self {
            Self::Obj(o) => o.get(key),
            _ => &Value::Undefined,
        }
    }

    /// The string, if this is one.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The number, if this is one.
    pub(crate) fn as_num(&self) -> Option<f64> {
        match self {
            Self::Num(n) => Some(*n),
            _ => None,
        }
    }

    /// Item `i` of an array (an export's arguments are one); `Undefined`
    /// past its end or for anything else.
    pub(crate) fn item(&self, i: usize) -> &Value<'a> {
        match self {
            Self::Arr(_, items) => items.get(i).unwrap_or(&Value::Undefined),
            _ => &Value::Undefined,
        }
    }

    /// The strings of an array (anything else in it left out).
    pub(crate) fn strings(&self) -> Vec<&str> {
        match self {
            Self::Arr(_, items) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// Header fields as the driver writes them: `[name, value]` pairs (names
    /// lower-cased, only those the core reads); anything else is none.
    pub(crate) fn pairs(&self) -> Vec<(&str, &str)> {
        let mut out = Vec::new();
        if let Self::Arr(_, items) = self {
            for pair in items {
                if let Self::Arr(_, kv) = pair {
                    if let [Self::Str(k), Self::Str(v)] = kv.as_slice() {
                        out.push((*k, *v));
                    }
                }
            }
        }
        out
    }
}

/// The input tape was not one the package's JavaScript writes (never
/// expected; answered as a `TypeError`, never a trap).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("steadfast: internal error: a malformed input tape")]
pub(crate) struct TapeError;

/// Deepest nesting read (the JavaScript writes nothing deeper).
const MAX_DEPTH: u32 = 64;

/// Reads values from an input tape.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the tape's start.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, at: 0 }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], TapeError> {
        let end = self.at.checked_add(n).ok_or(TapeError)?;
        let out = self.bytes.get(self.at..end).ok_or(TapeError)?;
        self.at = end;
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, TapeError> {
        Ok(*self.take(1)?.first().ok_or(TapeError)?)
    }

    fn u32(&mut self) -> Result<u32, TapeError> {
        let b: [u8; 4] = self.take(4)?.try_into().map_err(|_| TapeError)?;
        Ok(u32::from_le_bytes(b))
    }

    fn f64(&mut self) -> Result<f64, TapeError> {
        let b: [u8; 8] = self.take(8)?.try_into().map_err(|_| TapeError)?;
        Ok(f64::from_le_bytes(b))
    }

    fn string(&mut self) -> Result<&'a str, TapeError> {
        let n = self.u32()? as usize;
        let bytes = self.take(n)?;
        core::str::from_utf8(bytes).map_err(|_| TapeError)
    }

    /// Room for `n` values read next: `n`, but never more than the bytes
    /// left could hold (each value takes at least one), so that a count
    /// read from a bad tape cannot make a huge allocation.
    fn room(&self, n: u32) -> usize {
        (n as usize).min(self.bytes.len().saturating_sub(self.at))
    }

    /// The next value.
    pub(crate) fn value(&mut self) -> Result<Value<'a>, TapeError> {
        self.value_at(0)
    }

    fn value_at(&mut self, depth: u32) -> Result<Value<'a>, TapeError> {
        if depth > MAX_DEPTH {
            return Err(TapeError);
        }
        Ok(match self.u8()? {
            0 => Value::Undefined,
            1 => Value::Null,
            2 => Value::Bool(false),
            3 => Value::Bool(true),
            4 => Value::Num(self.f64()?),
            5 => Value::Str(self.string()?),
            6 => {
                let reference = self.u32()?;
                let class = self.string()?;
                let n = self.u32()?;
                let mut members = Vec::with_capacity(self.room(n));
                for _ in 0..n {
                    let key = self.string()?;
                    members.push((key, self.value_at(depth + 1)?));
                }
                Value::Obj(Obj {
                    reference,
                    class,
                    members,
                })
            }
            7 => {
                let len = self.u32()?;
                let n = self.u32()?;
                let mut items = Vec::with_capacity(self.room(n.min(MAX_ITEMS)));
                for _ in 0..n.min(MAX_ITEMS) {
                    items.push(self.value_at(depth + 1)?);
                }
                Value::Arr(len, items)
            }
            8 => Value::Func(self.u32()?),
            9 => Value::Unreadable,
            10 => Value::Other(self.string()?),
            11 => {
                let ok = self.u8()? == 1;
                Value::Json(ok, self.u32()?)
            }
            _ => return Err(TapeError),
        })
    }
}

/// Reads the whole tape as one value.
pub(crate) fn read(bytes: &[u8]) -> Result<Value<'_>, TapeError> {
    Reader::new(bytes).value()
}

/// Writes the output tape: the records an export answers with.
#[derive(Default)]
pub(crate) struct Writer {
    bytes: Vec<u8>,
}

impl Writer {
    /// An empty tape.
    pub(crate) const fn new() -> Self {
        Self { bytes: Vec::new() }
    }

    /// Forgets what was written (the JavaScript has read it).
    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
    }

    /// What was written.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// `null`.
    pub(crate) fn null(&mut self) -> &mut Self {
        self.bytes.push(1);
        self
    }

    /// A boolean.
    pub(crate) fn bool(&mut self, b: bool) -> &mut Self {
        self.bytes.push(if b { 3 } else { 2 });
        self
    }

    /// A number.
    pub(crate) fn num(&mut self, n: f64) -> &mut Self {
        let [a, b, c, d, e, f, g, h] = n.to_le_bytes();
        self.bytes.extend_from_slice(&[4, a, b, c, d, e, f, g, h]);
        self
    }

    /// A count or an instant (far below 2^53).
    #[allow(clippy::cast_precision_loss)]
    pub(crate) fn int(&mut self, n: u64) -> &mut Self {
        self.num(n as f64)
    }

    /// A number, or `null`.
    pub(crate) fn opt_int(&mut self, n: Option<u64>) -> &mut Self {
        match n {
            Some(n) => self.int(n),
            None => self.null(),
        }
    }

    fn raw_str(&mut self, s: &str) {
        let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
        self.bytes.extend_from_slice(&len.to_le_bytes());
        self.bytes
            .extend_from_slice(s.as_bytes().get(..len as usize).unwrap_or_default());
    }

    /// A string.
    pub(crate) fn str(&mut self, s: &str) -> &mut Self {
        self.bytes.push(5);
        self.raw_str(s);
        self
    }

    /// A string, or `null`.
    pub(crate) fn opt_str(&mut self, s: Option<&str>) -> &mut Self {
        match s {
            Some(s) => self.str(s),
            None => self.null(),
        }
    }

    /// An object of `n` members: each written as [`Writer::key`] then its
    /// value.
    pub(crate) fn obj(&mut self, n: u32) -> &mut Self {
        self.bytes.push(6);
        self.bytes.extend_from_slice(&n.to_le_bytes());
        self
    }

    /// A member's key (its value follows).
    pub(crate) fn key(&mut self, k: &str) -> &mut Self {
        self.raw_str(k);
        self
    }

    /// An array of `n` items (they follow).
    pub(crate) fn arr(&mut self, n: u32) -> &mut Self {
        self.bytes.push(7);
        self.bytes.extend_from_slice(&n.to_le_bytes());
        self
    }

    /// A reference to an object on the JavaScript side (`-1`: none), as a
    /// number.
    pub(crate) fn reference(&mut self, r: Option<u32>) -> &mut Self {
        self.num(r.map_or(-1.0, f64::from))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// A tape as the package's JavaScript writes it.
    struct In(Vec<u8>);
    impl In {
        fn tag(mut self, t: u8) -> Self {
            self.0.push(t);
            self
        }
        fn u32(mut self, n: u32) -> Self {
            self.0.extend_from_slice(&n.to_le_bytes());
            self
        }
        fn raw(self, s: &str) -> Self {
            let mut me = self.u32(u32::try_from(s.len()).unwrap());
            me.0.extend_from_slice(s.as_bytes());
            me
        }
        fn num(self, n: f64) -> Self {
            let mut me = self.tag(4);
            me.0.extend_from_slice(&n.to_le_bytes());
            me
        }
    }

    #[test]
    fn reads_every_kind_of_value() {
        let tape = In(Vec::new())
            .tag(7)
            .u32(9)
            .u32(9)
            .tag(0)
            .tag(1)
            .tag(2)
            .tag(3)
            .num(-1.5)
            .tag(5)
            .raw("é/x")
            .tag(6)
            .u32(7)
            .raw("AbortSignal")
            .u32(1)
            .raw("aborted")
            .tag(3)
            .tag(8)
            .u32(3)
            .tag(11)
            .tag(1)
            .u32(4);
        let v = read(&tape.0).unwrap();
        let Value::Arr(9, items) = v else {
            panic!("{v:?}")
        };
        assert_eq!(
            items[..5],
            [
                Value::Undefined,
                Value::Null,
                Value::Bool(false),
                Value::Bool(true),
                Value::Num(-1.5)
            ]
        );
        assert_eq!(items[5].as_str(), Some("é/x"));
        let Value::Obj(o) = &items[6] else { panic!() };
        assert_eq!(
            (o.reference, o.class, o.is_plain()),
            (7, "AbortSignal", false)
        );
        assert_eq!(o.get("aborted"), &Value::Bool(true));
        assert_eq!(o.get("nope"), &Value::Undefined);
        assert_eq!(items[7], Value::Func(3));
        assert_eq!(items[8], Value::Json(true, 4));
    }

    #[test]
    fn arguments_pairs_and_strings_read_as_the_driver_writes_them() {
        let s = |v: &'static str| Value::Str(v);
        let pair = |k: &'static str, v: &'static str| Value::Arr(2, vec![s(k), s(v)]);
        let fields = Value::Arr(
            3,
            vec![pair("retry-after", "3"), Value::Num(1.0), pair("a", "b")],
        );
        assert_eq!(fields.pairs(), [("retry-after", "3"), ("a", "b")]);
        assert!(Value::Null.pairs().is_empty());
        let args = Value::Arr(
            2,
            vec![Value::Arr(2, vec![s("ECONNRESET"), Value::Null]), fields],
        );
        assert_eq!(args.item(0).strings(), ["ECONNRESET"]);
        assert_eq!(args.item(1).pairs().len(), 2);
        assert_eq!(args.item(2), &Value::Undefined);
        assert_eq!(Value::Null.item(0), &Value::Undefined);
        assert!(Value::Null.strings().is_empty());
    }

    #[test]
    fn a_malformed_tape_is_an_error_not_a_trap() {
        assert_eq!(read(&[]), Err(TapeError));
        assert_eq!(read(&[99]), Err(TapeError));
        assert_eq!(read(&[4, 0, 0]), Err(TapeError));
        assert_eq!(read(&[5, 255, 255, 255, 255]), Err(TapeError));
        assert_eq!(read(&[5, 2, 0, 0, 0, 0xff, 0xfe]), Err(TapeError));
        // Nested deeper than any JavaScript value the package writes.
        let deep: Vec<u8> = core::iter::repeat_n([7u8, 1, 0, 0, 0, 1, 0, 0, 0], 100)
            .flatten()
            .collect();
        assert_eq!(read(&deep), Err(TapeError));
    }

    #[test]
    fn writes_what_the_javascript_reads() {
        let mut w = Writer::default();
        w.arr(3).int(7).str("ok").obj(1).key("a").null();
        assert_eq!(w.bytes()[0], 7);
        assert_eq!(w.bytes().len(), 1 + 4 + 9 + 1 + 4 + 2 + 1 + 4 + 4 + 1 + 1);
        w.clear();
        assert!(w.bytes().is_empty());
    }
}
