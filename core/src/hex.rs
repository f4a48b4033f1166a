//! Hexadecimal digits as escapes write them: `%XX` in percent-encoding,
//! `\uXXXX` in JSON. Read digit by digit: no sign, no prefix, no spaces
//! (`u32::from_str_radix` would take a leading `+`).

/// The value of a hexadecimal digit (either case).
pub(crate) fn digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The value of the four hexadecimal digits at the start of `bytes` (a
/// `\u` escape's), `None` unless there are four.
pub(crate) fn four(bytes: &[u8]) -> Option<u32> {
    let digits = bytes.get(..4)?;
    digits
        .iter()
        .try_fold(0u32, |n, &b| Some(n * 16 + u32::from(digit(b)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_digits_of_either_case_and_nothing_else() {
        assert_eq!(four(b"00e9"), Some(0xE9));
        assert_eq!(four(b"D83Dxyz"), Some(0xD83D), "the first four only");
        assert_eq!(four(b"ffFF"), Some(0xFFFF));
        for bad in [&b"+0e9"[..], b"0e9", b"0x12", b" 0e9", b"12g4", b""] {
            assert_eq!(four(bad), None, "{bad:?}");
        }
        assert_eq!(
            (digit(b'7'), digit(b'b'), digit(b'G')),
            (Some(7), Some(11), None)
        );
    }
}
