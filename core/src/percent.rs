//! Percent-encoding, as `encodeURIComponent` writes it and as a server may
//! echo it: what secrets are also looked for in, and how a host writes a
//! query.

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
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| core::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
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
    String::from_utf8_lossy(&out).into_owned()
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
    }
}
