//! Words for a user — an error message, a URL — with numbers left for
//! JavaScript to write.
//!
//! A message such as "`retry.multiplier` must be between 1 and 10, got 0.5"
//! must print its numbers as JavaScript does (`0.5`, `1e+21`), and Rust's
//! float formatting would add some 18 KB to the module for that alone. So a
//! [`Text`] is a list of parts: strings, and numbers the JavaScript joins in
//! with `String(n)` (the output tape writes it as an array of both).

use crate::tape::Writer;
use alloc::{string::String, vec::Vec};

/// One part of a [`Text`].
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Part {
    /// Words.
    Str(String),
    /// A number, written by JavaScript.
    Num(f64),
}

/// Words and numbers, in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Text(Vec<Part>);

impl Text {
    /// Words.
    pub(crate) fn of(s: &str) -> Self {
        Self::default().s(s)
    }

    /// Then `s`.
    #[must_use]
    pub(crate) fn s(mut self, s: &str) -> Self {
        match self.0.last_mut() {
            Some(Part::Str(last)) => last.push_str(s),
            _ => self.0.push(Part::Str(s.into())),
        }
        self
    }

    /// Then the number `n`, as JavaScript writes it.
    #[must_use]
    pub(crate) fn n(mut self, n: f64) -> Self {
        self.0.push(Part::Num(n));
        self
    }

    /// Then `other`.
    #[must_use]
    pub(crate) fn then(mut self, other: Text) -> Self {
        for p in other.0 {
            self = match p {
                Part::Str(s) => self.s(&s),
                Part::Num(n) => self.n(n),
            };
        }
        self
    }

    /// The parts, for the output tape.
    pub(crate) fn write(&self, w: &mut Writer) {
        w.arr(u32::try_from(self.0.len()).unwrap_or(0));
        for p in &self.0 {
            match p {
                Part::Str(s) => w.str(s),
                Part::Num(n) => w.num(*n),
            };
        }
    }

    /// Whether there is nothing but words (no number to write).
    pub(crate) fn as_words(&self) -> Option<&str> {
        match self.0.as_slice() {
            [] => Some(""),
            [Part::Str(s)] => Some(s),
            _ => None,
        }
    }
}

/// Numbers written as Rust writes them: for tests and native use only (the
/// module never formats a float).
#[cfg(any(test, not(target_arch = "wasm32")))]
impl core::fmt::Display for Text {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for p in &self.0 {
            match p {
                Part::Str(s) => f.write_str(s)?,
                Part::Num(n) => write!(f, "{n}")?,
            }
        }
        Ok(())
    }
}

/// `s` in double quotes (without pulling in `{:?}`'s escaping tables).
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    out.push_str(s);
    out.push('"');
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn words_join_and_numbers_stay_numbers() {
        let t = Text::of("`a` must be at most ").n(2.5).s(", got ").n(3.0);
        assert_eq!(t.0.len(), 4);
        assert_eq!(t.to_string(), "`a` must be at most 2.5, got 3");
        assert_eq!(t.as_words(), None);
        let w = Text::of("a").s("b").then(Text::of("c"));
        assert_eq!(w.as_words(), Some("abc"));
        assert_eq!(quote("x"), "\"x\"");
    }
}
