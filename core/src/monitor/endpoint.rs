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

/// Normalises a path or URL into an endpoint name.
///
/// Scheme, host, query and fragment are dropped; segments that look like
/// identifiers (all digits, or long hex / UUID-like tokens containing a digit)
/// become `{id}`.
#[must_use]
pub fn normalize_endpoint(path_or_url: &str) -> String {
    let mut path = path_or_url.trim();
    if let Some(rest) = path.split_once("://").map(|(_, r)| r) {
        path = rest.find('/').and_then(|i| rest.get(i..)).unwrap_or("/");
    }
    let path = path.split(['?', '#']).next().unwrap_or("");
    let mut out = String::new();
    for segment in path.split('/').filter(|s| !s.is_empty()).take(MAX_SEGMENTS) {
        out.push('/');
        if looks_like_id(segment) {
            out.push_str("{id}");
        } else {
            out.extend(segment.chars().filter(|c| !c.is_control()));
        }
        if out.len() > MAX_ENDPOINT_LEN {
            break;
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    if out.len() > MAX_ENDPOINT_LEN {
        let mut cut = MAX_ENDPOINT_LEN;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
    }
    out
}

fn looks_like_id(segment: &str) -> bool {
    let all_digits = segment.bytes().all(|b| b.is_ascii_digit());
    let hexish = segment.len() >= 16
        && segment.bytes().any(|b| b.is_ascii_digit())
        && segment.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
    all_digits || hexish
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
        assert_eq!(normalize_endpoint(""), "/");
        assert_eq!(normalize_endpoint("https://host"), "/");
    }

    #[test]
    fn names_are_bounded() {
        let long = "/ü".repeat(500);
        assert!(normalize_endpoint(&long).len() <= MAX_ENDPOINT_LEN);
        let deep = "/a".repeat(100);
        assert_eq!(normalize_endpoint(&deep).matches('/').count(), MAX_SEGMENTS);
    }
}
