//! The snapshot's text: plain JSON written by `Out` and read back by
//! `parse` into a small tree whose fields `Fields` hands out one by one,
//! each checked, so that every error names the field it is about
//! (`circuits[2].until`). Each machine writes and reads its own part beside
//! its definition (the `saved` modules); the engine's snapshot module puts
//! the whole together with its format version. This module names nothing
//! else in the crate but the decimal writer and JSON's string escapes.
//!
//! Only what JSON and `JSON.parse` / `JSON.stringify` agree on is used:
//! objects, arrays, strings, `true` / `false`, and whole numbers up to
//! 2^53 (a JavaScript number holds them exactly); a 64-bit value that may
//! be larger is a string of digits. Reading never panics: nesting is
//! bounded, every number is parsed by hand, and a value of the wrong type,
//! out of range, missing or unknown is a [`SnapshotError`].

use alloc::string::String;
use alloc::vec::Vec;

use crate::decimal::push_decimal;

/// The largest whole number a JavaScript number holds exactly: the limit of
/// every number in a snapshot (instants, counts).
pub const MAX_NUMBER: u64 = (1 << 53) - 1;

/// What is wrong with one field of a snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// The text is not JSON.
    NotJson,
    /// A snapshot of an older format (`sf1:` / `sf2:` text, `format: 2`):
    /// this version does not read it.
    OldFormat,
    /// A `format` this version does not know.
    Format,
    /// A field that must be there is not.
    Missing,
    /// The value is of another JSON type than the field's (the words say
    /// which it must be).
    Type(&'static str),
    /// A number out of the field's range, or a string not one of its words.
    Range,
    /// A field this format does not have.
    Unknown,
}

impl Problem {
    /// What is wrong, in words that follow the field's name.
    #[must_use]
    pub const fn words(self) -> &'static str {
        match self {
            Problem::NotJson => "is not JSON",
            Problem::OldFormat => {
                "is a snapshot of an older format (sf1/sf2), which this version does not read: take a new snapshot"
            }
            Problem::Format => "must be 3 (the snapshot format this version reads)",
            Problem::Missing => "is missing",
            Problem::Type(what) => what,
            Problem::Range => "is out of range",
            Problem::Unknown => "is not a field of this snapshot format",
        }
    }
}

/// Why a text is not a snapshot this version can restore: the field
/// (a path such as `limiter.quota.remaining`, empty for the whole) and
/// what is wrong with it.
///
/// Boxed: a `Result` that carries it stays two words wide, which keeps
/// every checked read small in the WebAssembly module.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub struct SnapshotError(alloc::boxed::Box<(String, Problem)>);

impl SnapshotError {
    pub(crate) fn new(field: String, problem: Problem) -> Self {
        Self(alloc::boxed::Box::new((field, problem)))
    }

    /// The field at fault (empty: the snapshot as a whole).
    #[must_use]
    pub fn field(&self) -> &str {
        &self.0 .0
    }

    /// What is wrong with it.
    #[must_use]
    pub fn problem(&self) -> Problem {
        self.0 .1
    }

    /// A value out of range (a host's `RangeError`) rather than of the
    /// wrong type or shape (`TypeError`).
    #[must_use]
    pub fn is_range(&self) -> bool {
        matches!(self.0 .1, Problem::Range)
    }

    /// What is wrong, in words, after the field's name if any (written
    /// without `core::fmt`).
    #[must_use]
    pub fn message(&self) -> String {
        let mut out = String::new();
        if !self.field().is_empty() {
            out.push('`');
            out.push_str(self.field());
            out.push_str("` ");
        }
        out.push_str(self.problem().words());
        out
    }
}

/// Writes JSON, commas included: a member is `key(..)` then one value.
#[derive(Debug)]
pub(crate) struct Out {
    s: String,
    /// A container was just opened, or a key written: no comma before the
    /// next value.
    fresh: bool,
}

impl Default for Out {
    /// Room for a small snapshot from the start: a string grown by
    /// doubling leaves a trail of freed blocks behind in a host's heap.
    fn default() -> Self {
        Self {
            s: String::with_capacity(256),
            fresh: false,
        }
    }
}

impl Out {
    /// The text written.
    pub(crate) fn into_string(self) -> String {
        self.s
    }

    fn sep(&mut self) {
        if !self.fresh && !self.s.is_empty() {
            self.s.push(',');
        }
        self.fresh = false;
    }

    /// An object member's name; its value follows.
    pub(crate) fn key(&mut self, key: &str) -> &mut Self {
        self.text(key);
        self.s.push(':');
        self.fresh = true;
        self
    }

    /// `{`, `[`: members or items follow, then [`Out::close`].
    pub(crate) fn open(&mut self, bracket: char) -> &mut Self {
        self.sep();
        self.s.push(bracket);
        self.fresh = true;
        self
    }

    /// `}`, `]`.
    pub(crate) fn close(&mut self, bracket: char) -> &mut Self {
        self.s.push(bracket);
        self.fresh = false;
        self
    }

    /// A whole number (at most [`MAX_NUMBER`] when it must survive a
    /// JavaScript number).
    pub(crate) fn num(&mut self, n: u64) -> &mut Self {
        self.sep();
        push_decimal(&mut self.s, n);
        self
    }

    /// A whole number of any size as a string of digits (a JavaScript
    /// number would round it past 2^53).
    pub(crate) fn num_text(&mut self, n: u64) -> &mut Self {
        self.sep();
        self.s.push('"');
        push_decimal(&mut self.s, n);
        self.s.push('"');
        self
    }

    /// A string, escaped as `JSON.stringify` escapes it.
    pub(crate) fn text(&mut self, text: &str) -> &mut Self {
        self.sep();
        self.s.push('"');
        for c in text.chars() {
            crate::json::push_escaped(&mut self.s, c);
        }
        self.s.push('"');
        self
    }

    /// `true` / `false`.
    pub(crate) fn boolean(&mut self, b: bool) -> &mut Self {
        self.sep();
        self.s.push_str(if b { "true" } else { "false" });
        self
    }

    /// A member `key: n`, left out when `n` is 0 (the default of every
    /// count and instant a reader fills in).
    pub(crate) fn num_field(&mut self, key: &str, n: u64) -> &mut Self {
        if n != 0 {
            self.key(key).num(n);
        }
        self
    }
}

/// A JSON value as read.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    /// A number's text, checked against JSON's grammar.
    Num(String),
    Str(String),
    /// An array's items, each with an empty name (one vector type for both
    /// containers keeps the reader small).
    Arr(Vec<(String, Json)>),
    Obj(Vec<(String, Json)>),
}

/// Deeper than any snapshot goes: a hostile text nested deeper is refused
/// before it can use up the stack.
const MAX_DEPTH: u32 = 8;

/// The JSON value of `text`.
///
/// The text is checked and written plainly by [`crate::json::plain`] first
/// (the grammar `JSON.parse` accepts, no white space, strings with the
/// fewest escapes), so the tree is then built from text known to be JSON.
///
/// # Errors
/// [`Problem::NotJson`] for anything `JSON.parse` would refuse, a lone
/// surrogate in a string, or nesting deeper than a snapshot's.
pub(crate) fn parse(text: &str) -> Result<Json, SnapshotError> {
    let plain = crate::json::plain(text).unwrap_or_default();
    let mut p = Parser {
        s: plain.as_bytes(),
        i: 0,
    };
    match p.value(0) {
        Some(v) if p.i == p.s.len() => Ok(v),
        _ => Err(SnapshotError::new(String::new(), Problem::NotJson)),
    }
}

/// Builds the tree of plain JSON (see [`parse`]).
struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn next(&mut self) -> Option<u8> {
        let b = *self.s.get(self.i)?;
        self.i += 1;
        Some(b)
    }

    /// Whether the next byte is `b`, taken if so.
    fn eat(&mut self, b: u8) -> bool {
        let yes = self.s.get(self.i) == Some(&b);
        if yes {
            self.i += 1;
        }
        yes
    }

    fn value(&mut self, depth: u32) -> Option<Json> {
        if depth > MAX_DEPTH {
            return None;
        }
        let start = self.i;
        Some(match self.next()? {
            b'"' => Json::Str(self.string()?),
            // Both containers in one loop and one vector type (an array's
            // items with empty names): a smaller reader.
            open @ (b'[' | b'{') => {
                let (object, close) = (open == b'{', open + 2);
                let mut members = Vec::new();
                if !self.eat(close) {
                    loop {
                        let mut key = String::new();
                        if object {
                            if !self.eat(b'"') {
                                return None;
                            }
                            key = self.string()?;
                            if !self.eat(b':') {
                                return None;
                            }
                        }
                        members.push((key, self.value(depth + 1)?));
                        if self.eat(close) {
                            break;
                        }
                        if !self.eat(b',') {
                            return None;
                        }
                    }
                }
                if object {
                    Json::Obj(members)
                } else {
                    Json::Arr(members)
                }
            }
            // Plain JSON: `true`, `false`, `null` as written.
            b't' => self.skip(3, Json::Bool(true))?,
            b'f' => self.skip(4, Json::Bool(false))?,
            b'n' => self.skip(3, Json::Null)?,
            _ => {
                while matches!(
                    self.s.get(self.i),
                    Some(b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                ) {
                    self.i += 1;
                }
                let text = core::str::from_utf8(self.s.get(start..self.i)?).ok()?;
                Json::Num(String::from(text))
            }
        })
    }

    fn skip(&mut self, n: usize, v: Json) -> Option<Json> {
        self.i = self.i.checked_add(n).filter(|&end| end <= self.s.len())?;
        Some(v)
    }

    /// The rest of a string after its opening quote, unescaped. Plain JSON
    /// escapes only `"`, `\\`, control characters and lone surrogates (no
    /// character: refused).
    fn string(&mut self) -> Option<String> {
        let mut out = String::new();
        loop {
            let start = self.i;
            while matches!(self.s.get(self.i), Some(&b) if b != b'"' && b != b'\\') {
                self.i += 1;
            }
            out.push_str(core::str::from_utf8(self.s.get(start..self.i)?).ok()?);
            if self.next()? == b'"' {
                return Some(out);
            }
            out.push(match self.next()? {
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                b'u' => {
                    let n = crate::hex::four(self.s.get(self.i..)?)?;
                    self.i += 4;
                    char::from_u32(n)?
                }
                b => char::from(b), // `"` and `\\`
            });
        }
    }
}

/// The digits of a whole number's text, if it is one: no sign, fraction or
/// exponent (`JSON.stringify` writes whole numbers below 10^21 so).
fn whole(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.bytes().try_fold(0u64, |n, b| {
        n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    })
}

/// `path` then `.key` (or `key` at the top).
pub(crate) fn join(path: &str, key: &str) -> String {
    let mut out = String::from(path);
    if !out.is_empty() {
        out.push('.');
    }
    out.push_str(key);
    out
}

/// `path[i]`.
pub(crate) fn item_path(path: &str, i: usize) -> String {
    let mut out = String::from(path);
    out.push('[');
    push_decimal(&mut out, i as u64);
    out.push(']');
    out
}

const NEED_WHOLE: Problem = Problem::Type("must be a whole number");
const NEED_OBJECT: Problem = Problem::Type("must be an object");
const NEED_ARRAY: Problem = Problem::Type("must be an array");
const NEED_STRING: Problem = Problem::Type("must be a string");
const NEED_BOOL: Problem = Problem::Type("must be true or false");

/// A whole number `0..=max`, or what is wrong with `v` as one.
fn whole_in(v: &Json, max: u64) -> Result<u64, Problem> {
    match v {
        Json::Num(t) => match whole(t) {
            Some(n) if n <= max => Ok(n),
            // A fraction, an exponent or a minus: in JSON still a number,
            // but outside every field's range.
            _ => Err(Problem::Range),
        },
        _ => Err(NEED_WHOLE),
    }
}

/// An array of exactly `N` whole numbers up to `max` at `path`
/// (`[end, calls, errors]`).
pub(crate) fn nums<const N: usize>(
    v: &Json,
    path: String,
    max: u64,
) -> Result<[u64; N], SnapshotError> {
    let mut out = [0; N];
    let items = match v {
        Json::Arr(items) if items.len() == N => items,
        Json::Arr(_) => {
            return Err(SnapshotError::new(
                path,
                Problem::Type("must be an array of the right length"),
            ))
        }
        _ => return Err(SnapshotError::new(path, NEED_ARRAY)),
    };
    for (i, (slot, (_, item))) in out.iter_mut().zip(items).enumerate() {
        *slot = whole_in(item, max).map_err(|p| SnapshotError::new(item_path(&path, i), p))?;
    }
    Ok(out)
}

/// An object's members, taken one by one and checked; [`Fields::done`]
/// refuses any left over.
#[derive(Debug)]
pub(crate) struct Fields {
    path: String,
    members: Vec<(String, Json)>,
}

impl Fields {
    /// The object `v` at `path`.
    pub(crate) fn of(v: Json, path: String) -> Result<Self, SnapshotError> {
        match v {
            Json::Obj(members) => Ok(Self { path, members }),
            _ => Err(SnapshotError::new(path, NEED_OBJECT)),
        }
    }

    /// The path of member `key`.
    pub(crate) fn path(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// The error `problem` about member `key`.
    pub(crate) fn error(&self, key: &str, problem: Problem) -> SnapshotError {
        SnapshotError::new(self.path(key), problem)
    }

    /// Member `key`, taken out (`null` counts as absent).
    pub(crate) fn take(&mut self, key: &str) -> Option<Json> {
        let i = self.members.iter().position(|(k, _)| k == key)?;
        match self.members.remove(i).1 {
            Json::Null => None,
            v => Some(v),
        }
    }

    /// A whole number `0..=max`, if present.
    pub(crate) fn num(&mut self, key: &str, max: u64) -> Result<Option<u64>, SnapshotError> {
        match self.take(key) {
            None => Ok(None),
            Some(v) => whole_in(&v, max).map(Some).map_err(|p| self.error(key, p)),
        }
    }

    /// [`Fields::num`], which must be present.
    pub(crate) fn required_num(&mut self, key: &str, max: u64) -> Result<u64, SnapshotError> {
        self.num(key, max)?
            .ok_or_else(|| self.error(key, Problem::Missing))
    }

    /// [`Fields::num`], 0 when absent.
    pub(crate) fn num_or_0(&mut self, key: &str, max: u64) -> Result<u64, SnapshotError> {
        Ok(self.num(key, max)?.unwrap_or(0))
    }

    /// [`Fields::num`] for a `u32` count, 0 when absent.
    pub(crate) fn count(&mut self, key: &str) -> Result<u32, SnapshotError> {
        let n = self.num_or_0(key, u64::from(u32::MAX))?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// A string, if present.
    pub(crate) fn text(&mut self, key: &str) -> Result<Option<String>, SnapshotError> {
        match self.take(key) {
            None => Ok(None),
            Some(Json::Str(s)) => Ok(Some(s)),
            Some(_) => Err(self.error(key, NEED_STRING)),
        }
    }

    /// A boolean, `false` when absent.
    pub(crate) fn flag(&mut self, key: &str) -> Result<bool, SnapshotError> {
        match self.take(key) {
            None => Ok(false),
            Some(Json::Bool(b)) => Ok(b),
            Some(_) => Err(self.error(key, NEED_BOOL)),
        }
    }

    /// A nested object, if present.
    pub(crate) fn obj(&mut self, key: &str) -> Result<Option<Fields>, SnapshotError> {
        let path = self.path(key);
        self.take(key).map(|v| Fields::of(v, path)).transpose()
    }

    /// An array's items, empty when absent.
    pub(crate) fn items(&mut self, key: &str) -> Result<Vec<(String, Json)>, SnapshotError> {
        match self.take(key) {
            None => Ok(Vec::new()),
            Some(Json::Arr(items)) => Ok(items),
            Some(_) => Err(self.error(key, NEED_ARRAY)),
        }
    }

    /// The items of array `key` (none when absent, at most `max`), each
    /// read by `read` with its path (`key[i]`).
    pub(crate) fn list<T>(
        &mut self,
        key: &str,
        max: usize,
        mut read: impl FnMut(Json, String) -> Result<T, SnapshotError>,
    ) -> Result<Vec<T>, SnapshotError> {
        let path = self.path(key);
        let items = self.items(key)?;
        if items.len() > max {
            return Err(self.error(key, Problem::Range));
        }
        let mut out = Vec::with_capacity(items.len());
        for (i, (_, v)) in items.into_iter().enumerate() {
            out.push(read(v, item_path(&path, i))?);
        }
        Ok(out)
    }

    /// The members left, for a map keyed by name (a monitor's endpoints).
    pub(crate) fn rest(&mut self) -> Vec<(String, Json)> {
        core::mem::take(&mut self.members)
    }

    /// Every member was taken: one left over is not of this format.
    pub(crate) fn done(self) -> Result<(), SnapshotError> {
        match self.members.first() {
            None => Ok(()),
            Some((k, _)) => Err(self.error(k, Problem::Unknown)),
        }
    }
}

/// A ratio ≥ 1 with up to three decimals (`2.5`), as [`Out::ratio`] writes.
pub(crate) fn ratio_at(v: &Json, path: &str, max: u64) -> Result<f64, SnapshotError> {
    let bad = |p| SnapshotError::new(String::from(path), p);
    let Json::Num(t) = v else {
        return Err(bad(Problem::Type("must be a number")));
    };
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    let int = whole(int).ok_or_else(|| bad(Problem::Range))?;
    if frac.len() > 3 || (!frac.is_empty() && whole(frac).is_none()) {
        return Err(bad(Problem::Range));
    }
    let mut milli = whole(frac).unwrap_or(0);
    for _ in frac.len()..3 {
        milli *= 10;
    }
    let x = int as f64 + milli as f64 / 1000.0;
    if (1.0..=max as f64).contains(&x) {
        Ok(x)
    } else {
        Err(bad(Problem::Range))
    }
}

impl Out {
    /// A ratio ≥ 0 with three decimals at most, rounded up (a slow-down
    /// read back is never faster than the one written).
    pub(crate) fn ratio(&mut self, x: f64) -> &mut Self {
        let m = x * 1000.0;
        // Saturating: a ratio is at most a few thousand.
        let mut milli = m as u64;
        if (milli as f64) < m {
            milli += 1;
        }
        self.num(milli / 1000);
        let mut frac = milli % 1000;
        if frac != 0 {
            self.s.push('.');
            // The digits down to the last that is not 0.
            let mut unit = 100;
            while frac != 0 {
                let digit = u8::try_from(frac / unit).unwrap_or(0);
                self.s.push(char::from(b'0' + digit));
                frac %= unit;
                unit /= 10;
            }
        }
        self
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn what_is_written_reads_back() {
        let mut o = Out::default();
        o.open('{')
            .key("a")
            .num(MAX_NUMBER)
            .key("b")
            .text("x\"\\\n\u{1}é");
        o.key("c")
            .open('[')
            .boolean(true)
            .ratio(2.5)
            .ratio(1.0)
            .ratio(1.0001)
            .close(']');
        o.close('}');
        let text = o.into_string();
        assert_eq!(
            text,
            "{\"a\":9007199254740991,\"b\":\"x\\\"\\\\\\n\\u0001é\",\"c\":[true,2.5,1,1.001]}"
        );
        let mut f = Fields::of(parse(&text).unwrap(), String::new()).unwrap();
        assert_eq!(f.num("a", MAX_NUMBER).unwrap(), Some(MAX_NUMBER));
        assert_eq!(f.text("b").unwrap().as_deref(), Some("x\"\\\n\u{1}é"));
        let c = f.items("c").unwrap();
        assert_eq!(ratio_at(&c[1].1, "c[1]", 10).unwrap(), 2.5);
        assert_eq!(ratio_at(&c[3].1, "c[3]", 10).unwrap(), 1.001);
        f.done().unwrap();
    }

    #[test]
    fn json_parse_refusals_are_refused() {
        for text in crate::json::tests::NOT_JSON.iter().chain(&["\"\\ud800\""]) {
            assert_eq!(
                parse(text).unwrap_err().problem(),
                Problem::NotJson,
                "{text:?}"
            );
        }
        assert!(parse("\"\\ud83d\\ude00\"").is_ok());
        let deep = "[".repeat(50) + &"]".repeat(50);
        assert!(parse(&deep).is_err(), "deeper than a snapshot");
    }

    #[test]
    fn every_field_error_names_its_field() {
        let text = r#"{"n":-1,"f":1.5,"s":1,"o":[],"b":0,"x":1,"big":9007199254740992}"#;
        let mut f = Fields::of(parse(text).unwrap(), String::from("limiter")).unwrap();
        let e = f.num("n", 10).unwrap_err();
        assert_eq!(e.message(), "`limiter.n` is out of range");
        assert!(e.is_range());
        assert!(f.num("f", 10).unwrap_err().is_range());
        assert!(f.num("big", MAX_NUMBER).unwrap_err().is_range());
        assert_eq!(
            f.text("s").unwrap_err().message(),
            "`limiter.s` must be a string"
        );
        assert_eq!(f.obj("o").unwrap_err().problem(), NEED_OBJECT);
        assert_eq!(f.flag("b").unwrap_err().problem(), NEED_BOOL);
        assert_eq!(
            f.error("gone", Problem::Missing).message(),
            "`limiter.gone` is missing"
        );
        assert_eq!(
            f.done().unwrap_err().message(),
            "`limiter.x` is not a field of this snapshot format"
        );
        assert_eq!(
            nums::<2>(&parse("[1]").unwrap(), "p".into(), 9)
                .unwrap_err()
                .problem(),
            Problem::Type("must be an array of the right length")
        );
        assert_eq!(
            nums::<2>(&parse("[1,\"2\"]").unwrap(), "p".into(), 9)
                .unwrap_err()
                .field(),
            "p[1]"
        );
        for bad in ["0.5", "1.0001", "x", "11", "1e0"] {
            let v = parse(bad).unwrap_or(Json::Str(String::new()));
            assert!(ratio_at(&v, "r", 10).is_err(), "{bad}");
        }
    }
}
