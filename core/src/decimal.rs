//! Whole numbers written in decimal, for the messages the core builds.
//!
//! The core writes its messages with `push_str` and this, not `format!`:
//! `core::fmt` (its `Formatter`, padding and integer tables) weighs
//! several kilobytes in the WebAssembly module, and nothing here needs
//! more than digits.

use alloc::string::String;

/// Appends `n` in decimal to `out`.
pub fn push_decimal(out: &mut String, n: u64) {
    // u64::MAX has 20 digits.
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        // `rest % 10` is below 10: the cast keeps it exactly.
        #[allow(clippy::cast_possible_truncation)]
        let digit = (rest % 10) as u8;
        if let Some(d) = digits.get_mut(at) {
            *d = b'0' + digit;
        }
        rest /= 10;
        if rest == 0 || at == 0 {
            break;
        }
    }
    for &d in digits.get(at..).unwrap_or_default() {
        out.push(char::from(d));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn digits_are_what_display_writes() {
        for n in [0, 1, 9, 10, 99, 100, 503, 65_535, 1 << 53, u64::MAX] {
            let mut s = String::from("x");
            push_decimal(&mut s, n);
            assert_eq!(s, alloc::format!("x{n}"));
            assert_eq!(s[1..], n.to_string());
        }
    }
}
