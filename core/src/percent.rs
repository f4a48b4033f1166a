//! Percent-encoding, as `encodeURIComponent` writes it and as a server may
//! echo it: what secrets are also looked for in, and how a host writes a
//! query.

use crate::hex::digit;
use alloc::string::String;
use alloc::vec::Vec;

/// `encodeURIComponent`: everything but the unreserved characters
/// percent-encoded, as UTF-8.
pub fn encode_component(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            for nibble in [b >> 4, b & 0xF] {
                if let Some(&h) = HEX.get(usize::from(nibble)) {
                    out.push(char::from(h));
                }
            }
        }
    }
}

/// `%XX` sequences decoded (UTF-8, lossy); anything else kept.
pub fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = match (bytes.get(i + 1), bytes.get(i + 2)) {
            (Some(&high), Some(&low)) => digit(high).zip(digit(low)).map(|(h, l)| h * 16 + l),
            _ => None,
        };
        match (b, hex) {
            (b'%', Some(decoded)) => {
                out.push(decoded);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    utf8_lossy(&out)
}

/// `bytes` as text, each invalid UTF-8 sequence replaced by U+FFFD, as
/// `String::from_utf8_lossy` does (its chunk iterator weighs half a
/// kilobyte in the WebAssembly module; this, a tenth of that).
fn utf8_lossy(mut bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    loop {
        match core::str::from_utf8(bytes) {
            Ok(text) => {
                out.push_str(text);
                return out;
            }
            Err(e) => {
                let valid = bytes.get(..e.valid_up_to()).unwrap_or_default();
                out.push_str(core::str::from_utf8(valid).unwrap_or_default());
                out.push('\u{FFFD}');
                let bad = e.error_len().unwrap_or(bytes.len());
                bytes = bytes.get(e.valid_up_to() + bad..).unwrap_or_default();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_as_encode_uri_component_and_decodes_back() {
        let mut out = String::new();
        encode_component("a b/é&=-_.!~*'()", &mut out);
        assert_eq!(out, "a%20b%2F%C3%A9%26%3D-_.!~*'()");
        assert_eq!(decode(&out), "a b/é&=-_.!~*'()");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz%4"), "%zz%4");
        assert_eq!(decode("%+F%4a"), "%+FJ", "a sign is not a digit");
    }

    #[test]
    fn invalid_utf8_reads_as_from_utf8_lossy_does() {
        for bytes in [
            &b"ok"[..],
            b"a\xffb",
            b"\xe2\x82",
            b"x\xe2\x82y\xf0\x9f\x98\x80z\xc0\xaf",
            b"\xed\xa0\x80",
            b"",
        ] {
            assert_eq!(
                utf8_lossy(bytes),
                String::from_utf8_lossy(bytes),
                "{bytes:?}"
            );
        }
        assert_eq!(decode("a%FFb%E2%82%ACc"), "a\u{FFFD}b€c");
    }
}
