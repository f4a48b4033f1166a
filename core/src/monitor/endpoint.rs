//! Endpoint names for counting: `/listings/123` and `/listings/456` are one
//! endpoint, `/listings/{id}`.
//!
//! Without normalisation every resource id would be its own counter and the
//! monitor's memory would grow with the traffic (seed defect 14). Query
//! strings are dropped too — they are where API keys and tokens hide — and
//! the result is cut to a fixed length.

use alloc::string::String;

/// The longest endpoint name kept, in bytes.
pub const MAX_ENDPOINT_LEN: usize = 96;
/// The most path segments kept.
const MAX_SEGMENTS: usize = 12;

/// An endpoint name built without allocating: a fixed buffer of
/// [`MAX_ENDPOINT_LEN`] bytes, always valid UTF-8.
#[derive(Clone, Copy)]
pub(crate) struct EndpointBuf {
    bytes: [u8; MAX_ENDPOINT_LEN],
    len: usize,
}

impl EndpointBuf {
    const fn new() -> Self {
        Self {
            bytes: [0; MAX_ENDPOINT_LEN],
            len: 0,
        }
    }

    /// Appends `s` whole, or nothing if it does not fit (keeps UTF-8 valid).
    fn push_str(&mut self, s: &str) -> bool {
        let end = self.len + s.len();
        match self.bytes.get_mut(self.len..end) {
            Some(dst) => {
                dst.copy_from_slice(s.as_bytes());
                self.len = end;
                true
            }
            None => false,
        }
    }

    /// The name.
    pub(crate) fn as_str(&self) -> &str {
        self.bytes
            .get(..self.len)
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or("/")
    }
}

/// Normalises a path or URL into an endpoint name.
///
/// Scheme, host, query and fragment are dropped; segments that look like
/// identifiers (all digits, or long hex / UUID-like tokens containing a digit)
/// become `{id}`.
#[must_use]
pub fn normalize_endpoint(path_or_url: &str) -> String {
    let mut out = BoundedString(String::with_capacity(
        path_or_url.len().min(MAX_ENDPOINT_LEN) + 4,
    ));
    normalize_to(path_or_url, &mut out);
    out.0
}

/// Where a normalised name is written: a stack buffer or a string, both
/// bounded to [`MAX_ENDPOINT_LEN`] bytes.
trait NameSink {
    /// Appends `s` whole, or nothing if it does not fit.
    fn push_str(&mut self, s: &str) -> bool;
    /// Bytes written so far.
    fn len(&self) -> usize;
    /// Appends one character, if it fits.
    fn push_char(&mut self, c: char) -> bool {
        let mut utf8 = [0u8; 4];
        self.push_str(c.encode_utf8(&mut utf8))
    }
}

impl NameSink for EndpointBuf {
    fn push_str(&mut self, s: &str) -> bool {
        EndpointBuf::push_str(self, s)
    }

    fn len(&self) -> usize {
        self.len
    }
}

/// A `String` that refuses to grow past [`MAX_ENDPOINT_LEN`].
struct BoundedString(String);

impl NameSink for BoundedString {
    fn push_str(&mut self, s: &str) -> bool {
        if self.0.len() + s.len() > MAX_ENDPOINT_LEN {
            return false;
        }
        self.0.push_str(s);
        true
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}

/// [`normalize_endpoint`] into a stack buffer (the monitor's hot path).
///
/// Segments are found with `split` (a `memchr` search) and each is judged
/// with tight whole-slice loops; this runs once per call.
pub(crate) fn normalize_into(path_or_url: &str) -> EndpointBuf {
    let mut out = EndpointBuf::new();
    normalize_to(path_or_url, &mut out);
    out
}

fn normalize_to<S: NameSink>(path_or_url: &str, out: &mut S) {
    let path = strip_origin(path_or_url.trim_ascii());
    let end = path
        .bytes()
        .position(|b| b == b'?' || b == b'#')
        .unwrap_or(path.len());
    let path = path.get(..end).unwrap_or("");
    for segment in path.split('/').filter(|s| !s.is_empty()).take(MAX_SEGMENTS) {
        if !push_segment(out, segment) {
            break;
        }
    }
    if out.len() == 0 {
        out.push_str("/");
    }
}

/// Appends `/segment` (or `/{id}`); false when the buffer is full.
fn push_segment<S: NameSink>(out: &mut S, segment: &str) -> bool {
    if !out.push_str("/") {
        return false;
    }
    if looks_like_id(segment.as_bytes()) {
        return out.push_str("{id}");
    }
    if segment.bytes().all(|b| b.is_ascii_graphic()) {
        if out.push_str(segment) {
            return true;
        }
        // Keep what fits of the last segment.
        let room = MAX_ENDPOINT_LEN - out.len();
        out.push_str(segment.get(..room).unwrap_or(""));
        return false;
    }
    segment
        .chars()
        .filter(|c| !c.is_control())
        .all(|c| out.push_char(c))
}

/// All digits; a long hex / UUID-like token with a digit in it; or a long
/// token-like run of letters, digits, `-` and `_` with a digit in it (an
/// opaque id, or a credential someone put in a path — never kept).
fn looks_like_id(segment: &[u8]) -> bool {
    if segment.iter().all(u8::is_ascii_digit) {
        return true;
    }
    let has_digit = || segment.iter().any(u8::is_ascii_digit);
    let hexish = segment.len() >= 16 && segment.iter().all(|b| b.is_ascii_hexdigit() || *b == b'-');
    let tokenish = segment.len() >= 20
        && segment
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_');
    (hexish || tokenish) && has_digit()
}

/// `https://host/a/b` → `/a/b`; a bare path is returned as it is.
fn strip_origin(s: &str) -> &str {
    let bytes = s.as_bytes();
    let Some(colon) = bytes.iter().position(|b| *b == b':' || *b == b'/') else {
        return s;
    };
    if bytes.get(colon..colon + 3) != Some(b"://".as_slice()) {
        return s;
    }
    let host_start = colon + 3;
    match bytes.iter().skip(host_start).position(|b| *b == b'/') {
        Some(i) => s.get(host_start + i..).unwrap_or("/"),
        None => "/",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_collapse_queries_and_hosts_go() {
        assert_eq!(
            normalize_endpoint("/application/listings/123"),
            "/application/listings/{id}"
        );
        assert_eq!(
            normalize_endpoint(
                "https://openapi.etsy.com/v3/application/shops/42/receipts?api_key=SECRET"
            ),
            "/v3/application/shops/{id}/receipts"
        );
        assert_eq!(
            normalize_endpoint("/orders/3f2b8c1e-9d4a-4b7e-8f00-123456789abc"),
            "/orders/{id}"
        );
        assert_eq!(normalize_endpoint("/users/me#x"), "/users/me");
        assert_eq!(
            normalize_endpoint("/oauth/tokens/Ab9_kQz7Lm2Np4Rs6Tu8Vw0Xy"),
            "/oauth/tokens/{id}",
            "token-like segments never reach the monitor"
        );
        assert_eq!(
            normalize_endpoint("/application/shop-receipts"),
            "/application/shop-receipts"
        );
        assert_eq!(normalize_endpoint(""), "/");
        assert_eq!(normalize_endpoint("https://host"), "/");
    }

    #[test]
    fn keeps_unicode_whole_when_cutting() {
        let long = alloc::format!("/{}", "é".repeat(200));
        let n = normalize_endpoint(&long);
        assert!(n.len() <= MAX_ENDPOINT_LEN && n.chars().skip(1).all(|c| c == 'é'));
        let ascii = alloc::format!("/{}", "a".repeat(200));
        assert_eq!(normalize_endpoint(&ascii).len(), MAX_ENDPOINT_LEN);
    }

    #[test]
    fn names_are_bounded() {
        let long = "/ü".repeat(500);
        assert!(normalize_endpoint(&long).len() <= MAX_ENDPOINT_LEN);
        let deep = "/a".repeat(100);
        assert_eq!(normalize_endpoint(&deep).matches('/').count(), MAX_SEGMENTS);
    }
}
