//! JSON text written plainly: what [`crate::secrets::scrub_error_body`] scrubs
//! a second time.
//!
//! A server can write a secret with JSON escapes (`\u0073k_live`, `a\/b`)
//! that a scrub of the raw text misses and a JSON parser undoes. [`plain`]
//! checks the text is JSON (the grammar of RFC 8259, as `JSON.parse` accepts
//! it) and writes it back with every string escaped only where JSON requires,
//! as `JSON.stringify` does, so that a secret inside reads as itself. It
//! keeps numbers as written and needs no tree: one pass, a stack of the open
//! containers, no recursion (a body nested a million deep costs memory for
//! its brackets, not the stack).

use alloc::string::String;
use alloc::vec::Vec;

/// `text` as plain JSON (insignificant white space dropped, strings with
/// the fewest escapes), or `None` if it is not JSON.
#[must_use]
pub fn plain(text: &str) -> Option<String> {
    let mut p = Plain {
        s: text.as_bytes(),
        i: 0,
        out: String::with_capacity(text.len()),
    };
    // The open containers, innermost last: `b'{'` or `b'['`.
    let mut open: Vec<u8> = Vec::new();
    let mut expect = Expect::Value;
    loop {
        expect = match expect {
            Expect::Value => p.value(&mut open)?,
            Expect::Key => {
                p.key()?;
                Expect::Value
            }
            Expect::After => {
                p.skip_ws();
                let Some(&container) = open.last() else {
                    break;
                };
                match (p.next()?, container) {
                    (b',', b'{') => {
                        p.out.push(',');
                        Expect::Key
                    }
                    (b',', _) => {
                        p.out.push(',');
                        Expect::Value
                    }
                    (b'}', b'{') | (b']', b'[') => {
                        p.out.push(char::from(container + 2));
                        open.pop();
                        Expect::After
                    }
                    _ => return None,
                }
            }
        };
    }
    (p.i == p.s.len()).then_some(p.out)
}

/// What the text must hold next.
#[derive(Clone, Copy)]
enum Expect {
    /// A value (a container's first member, or after `,` / `:`).
    Value,
    /// An object member's `"name":`.
    Key,
    /// A `,` or the end of the innermost container (or of the text).
    After,
}

struct Plain<'a> {
    s: &'a [u8],
    i: usize,
    out: String,
}

impl Plain<'_> {
    fn skip_ws(&mut self) {
        while matches!(self.s.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.i += 1;
        Some(b)
    }

    /// `"name":` inside an object.
    fn key(&mut self) -> Option<()> {
        self.skip_ws();
        if self.next()? != b'"' {
            return None;
        }
        self.string()?;
        self.skip_ws();
        if self.next()? != b':' {
            return None;
        }
        self.out.push(':');
        Some(())
    }

    /// One value, or a container's opening (pushed on `open`; its members
    /// follow in [`plain`]'s loop, so nesting never deepens the stack).
    fn value(&mut self, open: &mut Vec<u8>) -> Option<Expect> {
        self.skip_ws();
        let b = self.next()?;
        match b {
            b'"' => self.string()?,
            b'{' | b'[' => {
                self.out.push(char::from(b));
                self.skip_ws();
                // `}` and `]` are two after `{` and `[` in ASCII.
                if self.peek() == Some(b + 2) {
                    self.i += 1;
                    self.out.push(char::from(b + 2));
                } else {
                    open.push(b);
                    return Some(if b == b'{' {
                        Expect::Key
                    } else {
                        Expect::Value
                    });
                }
            }
            b't' => self.literal("rue", "true")?,
            b'f' => self.literal("alse", "false")?,
            b'n' => self.literal("ull", "null")?,
            b => self.number(b)?,
        }
        Some(Expect::After)
    }

    fn literal(&mut self, rest: &str, whole: &str) -> Option<()> {
        let end = self.i.checked_add(rest.len())?;
        if self.s.get(self.i..end)? != rest.as_bytes() {
            return None;
        }
        self.i = end;
        self.out.push_str(whole);
        Some(())
    }

    /// A number, checked against JSON's grammar and kept as written.
    fn number(&mut self, first: u8) -> Option<()> {
        let start = self.i - 1;
        let digits = |p: &mut Self| {
            let from = p.i;
            while matches!(p.peek(), Some(b'0'..=b'9')) {
                p.i += 1;
            }
            p.i > from
        };
        let lead = if first == b'-' { self.next()? } else { first };
        match lead {
            b'0' => {}
            b'1'..=b'9' => {
                digits(self);
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !digits(self) {
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !digits(self) {
                return None;
            }
        }
        self.out
            .push_str(core::str::from_utf8(self.s.get(start..self.i)?).ok()?);
        Some(())
    }

    /// The rest of a string after its opening quote, decoded and written
    /// back with the fewest escapes.
    fn string(&mut self) -> Option<()> {
        self.out.push('"');
        loop {
            let start = self.i;
            while matches!(self.peek(), Some(b) if b != b'"' && b != b'\\' && b >= 0x20) {
                self.i += 1;
            }
            self.out
                .push_str(core::str::from_utf8(self.s.get(start..self.i)?).ok()?);
            match self.next()? {
                b'"' => {
                    self.out.push('"');
                    return Some(());
                }
                b'\\' => self.escape()?,
                _ => return None, // a raw control character
            }
        }
    }

    fn escape(&mut self) -> Option<()> {
        let c = match self.next()? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = self.hex4()?;
                if (0xD800..0xDC00).contains(&hi) && self.s.get(self.i..self.i + 2) == Some(b"\\u")
                {
                    let save = self.i;
                    self.i += 2;
                    let lo = self.hex4()?;
                    if (0xDC00..0xE000).contains(&lo) {
                        let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                        self.out.push(char::from_u32(c)?);
                        return Some(());
                    }
                    self.i = save;
                }
                match char::from_u32(hi) {
                    Some(c) => c,
                    None => {
                        // A lone surrogate: no character, kept escaped.
                        self.push_u(hi);
                        return Some(());
                    }
                }
            }
            _ => return None,
        };
        self.push_char(c);
        Some(())
    }

    fn hex4(&mut self) -> Option<u32> {
        let n = crate::hex::four(self.s.get(self.i..)?)?;
        self.i += 4;
        Some(n)
    }

    fn push_char(&mut self, c: char) {
        push_escaped(&mut self.out, c);
    }

    fn push_u(&mut self, code: u32) {
        push_u(&mut self.out, code);
    }
}

/// `c` as `JSON.stringify` writes it inside a string (the snapshot's
/// writer uses it too).
pub(crate) fn push_escaped(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if u32::from(c) < 0x20 => push_u(out, u32::from(c)),
        c => out.push(c),
    }
}

fn push_u(out: &mut String, code: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push_str("\\u");
    for shift in [12, 8, 4, 0] {
        let nibble = (code >> shift) & 0xF;
        if let Some(&h) = HEX.get(nibble as usize) {
            out.push(char::from(h));
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::plain;

    #[test]
    fn json_is_written_plainly() {
        assert_eq!(
            plain(" { \"a\" : [ 1 , -2.5e+3, true, null ] , \"b\":{} } ").as_deref(),
            Some(r#"{"a":[1,-2.5e+3,true,null],"b":{}}"#)
        );
        assert_eq!(
            plain(r#""\u0073k\/x\"\\\n\u0001\ud83d\ude00\ud800""#).as_deref(),
            Some("\"sk/x\\\"\\\\\\n\\u0001\u{1F600}\\ud800\"")
        );
        assert_eq!(plain("[[[[]]],[{}]]").as_deref(), Some("[[[[]]],[{}]]"));
        // Every short escape is read, and written back as JSON.stringify does.
        assert_eq!(
            plain(r#""\b\f\n\r\t\u0020\u001f""#).as_deref(),
            Some(r#""\b\f\n\r\t \u001f""#)
        );
        assert_eq!(plain("0").as_deref(), Some("0"));
    }

    /// Texts `JSON.parse` refuses (the snapshot reader's tests use them too).
    pub(crate) const NOT_JSON: &[&str] = &[
        "",
        "{",
        "[1,]",
        "{\"a\"}",
        "{\"a\":1,}",
        "01",
        "1.",
        "-",
        "+1",
        "tru",
        "nul",
        "\"a\nb\"",
        "\"\\x\"",
        "\"\\u12\"",
        "[1] [2]",
        "{'a':1}",
        "<html>",
        "1e",
        "[}",
        "{]",
        "{\"a\":1]",
    ];

    #[test]
    fn what_json_parse_refuses_is_not_json() {
        for text in NOT_JSON {
            assert_eq!(plain(text), None, "{text:?}");
        }
    }

    #[test]
    fn deep_nesting_does_not_overflow_the_stack() {
        let deep = "[".repeat(200_000) + &"]".repeat(200_000);
        assert_eq!(plain(&deep).map(|s| s.len()), Some(400_000));
        let open = "{\"a\":".repeat(100_000) + "1" + &"}".repeat(99_999);
        assert_eq!(plain(&open), None);
    }
}
