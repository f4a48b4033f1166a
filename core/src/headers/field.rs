//! What a header field is, for every reader here: a valid name and value,
//! a case-insensitive lookup ([`HeaderSource`]), the errors of reading one
//! ([`HeaderError`]), and a decimal value. The parsers beside this file
//! build on it; it builds on nothing of theirs.

/// Whether `name` is a valid header field name: an RFC 9110 `token`.
#[must_use]
pub fn is_field_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Whether every character of `value` fits a byte, as `fetch` requires of
/// a header value (a WebIDL `ByteString`, sent as Latin-1).
#[must_use]
pub fn fits_field_value(value: &str) -> bool {
    value.chars().all(|c| u32::from(c) <= 0xFF)
}

/// Case-insensitive read access to a response's header fields.
///
/// Implemented for slices and vectors of `(name, value)` pairs; hosts with
/// their own header type can implement it in a few lines.
pub trait HeaderSource {
    /// The value of the first field named `name` (compared ignoring ASCII
    /// case), if any.
    fn header(&self, name: &str) -> Option<&str>;

    /// Calls `visit` with every field's name and value, in order (lets a
    /// reader of many fields pass over the headers once).
    fn for_each_field<'a>(&'a self, visit: &mut dyn FnMut(&'a str, &'a str));
}

impl<K: AsRef<str>, V: AsRef<str>> HeaderSource for [(K, V)] {
    fn for_each_field<'a>(&'a self, visit: &mut dyn FnMut(&'a str, &'a str)) {
        for (k, v) in self {
            visit(k.as_ref(), v.as_ref());
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(k, _)| {
                let k = k.as_ref();
                // Length first: most names differ there, and it is free.
                k.len() == name.len() && k.eq_ignore_ascii_case(name)
            })
            .map(|(_, v)| v.as_ref())
    }
}

impl<K: AsRef<str>, V: AsRef<str>> HeaderSource for alloc::vec::Vec<(K, V)> {
    fn header(&self, name: &str) -> Option<&str> {
        self.as_slice().header(name)
    }

    fn for_each_field<'a>(&'a self, visit: &mut dyn FnMut(&'a str, &'a str)) {
        self.as_slice().for_each_field(visit);
    }
}

impl<T: HeaderSource + ?Sized> HeaderSource for &T {
    fn header(&self, name: &str) -> Option<&str> {
        (**self).header(name)
    }

    fn for_each_field<'a>(&'a self, visit: &mut dyn FnMut(&'a str, &'a str)) {
        (**self).for_each_field(visit);
    }
}

/// Why a header value was not used.
///
/// Carries the kind of problem only, never the value: a hostile server's bytes
/// do not travel on into errors and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// The field was present but empty.
    #[error("empty header value")]
    Empty,
    /// Not a non-negative decimal integer where one was required.
    #[error("not a non-negative integer")]
    NotAnInteger,
    /// Not an HTTP-date in any of the three RFC 9110 §5.6.7 forms.
    #[error("not an HTTP-date")]
    NotADate,
    /// An HTTP-date was given, but no wall-clock time to compare it with.
    #[error("an HTTP-date needs the wall-clock time to be read")]
    NeedsWallClock,
    /// A structured field (RFC 9651) that could not be parsed.
    #[error("malformed structured field")]
    Malformed,
}

/// Parses a non-negative decimal integer, saturating at `u64::MAX`.
///
/// Leading and trailing whitespace is allowed; signs, fractions and anything
/// else are not (RFC 9110 delta-seconds are `1*DIGIT`).
pub(crate) fn parse_decimal(value: &str) -> Result<u64, HeaderError> {
    let digits = value.trim();
    if digits.is_empty() {
        return Err(HeaderError::Empty);
    }
    digits.bytes().try_fold(0u64, |acc, b| {
        if b.is_ascii_digit() {
            Ok(acc.saturating_mul(10).saturating_add(u64::from(b - b'0')))
        } else {
            Err(HeaderError::NotAnInteger)
        }
    })
}
