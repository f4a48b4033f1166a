//! What the host does with text: typing a failed `fetch` for the core,
//! building URLs, spotting secrets (the engine scrubs them). Pure functions, tested
//! natively.

use steadfast_core::TransportFailure;

/// Types a failed `fetch` from the error codes found on the error and its
/// causes (`ECONNREFUSED`, `UND_ERR_SOCKET`, ...) and the error's name.
/// Unknown failures count as a reset: the request may have reached the
/// server, so a POST without an idempotency key is not sent again.
pub(crate) fn failure_kind<'a>(
    codes: impl IntoIterator<Item = &'a str>,
    names: impl IntoIterator<Item = &'a str>,
) -> TransportFailure {
    for code in codes {
        match code {
            "ECONNREFUSED" => return TransportFailure::ConnectRefused,
            "ENOTFOUND" | "EAI_AGAIN" | "EAI_NONAME" | "EAI_FAIL" | "EAI_NODATA" => {
                return TransportFailure::Dns
            }
            "ETIMEDOUT"
            | "UND_ERR_CONNECT_TIMEOUT"
            | "UND_ERR_HEADERS_TIMEOUT"
            | "UND_ERR_BODY_TIMEOUT" => return TransportFailure::Timeout,
            "ECONNRESET" | "EPIPE" | "UND_ERR_SOCKET" | "ECONNABORTED" => {
                return TransportFailure::Reset
            }
            _ => {}
        }
    }
    for name in names {
        match name {
            "TimeoutError" => return TransportFailure::Timeout,
            "AbortError" => return TransportFailure::Aborted,
            _ => {}
        }
    }
    TransportFailure::Reset
}

/// `base` and `path` joined as a user expects (`https://h/v3` + `/x` →
/// `https://h/v3/x`, not `https://h/x`); an absolute `path` stands alone.
/// `query` is appended, percent-encoded.
pub(crate) fn build_url(base: &str, path: &str, query: &[(String, String)]) -> String {
    let absolute = ["http://", "https://"].iter().any(|p| {
        path.get(..p.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(p))
    });
    let mut url = if absolute || base.is_empty() {
        String::from(path)
    } else if path.is_empty() {
        String::from(base)
    } else {
        format!(
            "{}/{}",
            base.trim_end_matches('/'),
            path.trim_start_matches('/')
        )
    };
    let mut sep = if url.contains('?') { '&' } else { '?' };
    for (k, v) in query {
        url.push(sep);
        sep = '&';
        encode_component(k, &mut url);
        url.push('=');
        encode_component(v, &mut url);
    }
    url
}

/// `s` up to its query or fragment: what an error message may quote of a
/// path or URL (API keys travel in queries).
pub(crate) fn without_query(s: &str) -> &str {
    s.split(['?', '#']).next().unwrap_or(s)
}

/// `encodeURIComponent`: everything but the unreserved characters
/// percent-encoded, as UTF-8.
fn encode_component(s: &str, out: &mut String) {
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

/// Whether a header's value is a credential, by its name: keys, tokens,
/// auth, cookies, secrets, passwords, sessions, signatures.
pub(crate) fn is_secret_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "key",
        "token",
        "auth",
        "cookie",
        "secret",
        "password",
        "passwd",
        "session",
        "signature",
        "credential",
    ]
    .iter()
    .any(|w| name.contains(w))
}

/// The strings to register as secrets for a credential header's value: the
/// value, and for `Scheme credentials` forms (`Bearer abc`) the credentials
/// alone, which servers echo on their own.
pub(crate) fn secret_parts(value: &str) -> Vec<&str> {
    let value = value.trim();
    let mut parts = vec![value];
    if let Some((_, rest)) = value.split_once(char::is_whitespace) {
        let rest = rest.trim();
        if !rest.is_empty() {
            parts.push(rest);
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_typed_by_code_then_name() {
        assert_eq!(
            failure_kind(["ECONNREFUSED"], []),
            TransportFailure::ConnectRefused
        );
        assert_eq!(failure_kind(["", "ENOTFOUND"], []), TransportFailure::Dns);
        assert_eq!(
            failure_kind(["UND_ERR_SOCKET"], ["TypeError"]),
            TransportFailure::Reset
        );
        assert_eq!(
            failure_kind([], ["TimeoutError"]),
            TransportFailure::Timeout
        );
        assert_eq!(failure_kind([], ["AbortError"]), TransportFailure::Aborted);
        // Unknown: the request may have reached the server.
        assert_eq!(failure_kind([], ["TypeError"]), TransportFailure::Reset);
    }

    #[test]
    fn urls_join_like_a_user_expects() {
        assert_eq!(
            build_url("https://h/v3", "/listings/1", &[]),
            "https://h/v3/listings/1"
        );
        assert_eq!(build_url("https://h/v3/", "x", &[]), "https://h/v3/x");
        assert_eq!(build_url("https://h", "HTTP://o/x", &[]), "HTTP://o/x");
        assert_eq!(build_url("", "/x", &[]), "/x");
        let q = vec![
            ("a b".to_string(), "é&=".to_string()),
            ("n".to_string(), "1".to_string()),
        ];
        assert_eq!(
            build_url("http://h", "/x?k=1", &q),
            "http://h/x?k=1&a%20b=%C3%A9%26%3D&n=1"
        );
    }

    #[test]
    fn queries_are_left_out_of_quotes() {
        assert_eq!(without_query("/x?api_key=k#f"), "/x");
        assert_eq!(without_query("https://h/v3#top"), "https://h/v3");
        assert_eq!(without_query("/plain"), "/plain");
    }

    #[test]
    fn secrets_are_spotted() {
        for name in ["x-api-key", "Authorization", "Cookie", "X-Auth-Token"] {
            assert!(is_secret_header(name), "{name}");
        }
        assert!(!is_secret_header("accept"));
        assert_eq!(
            secret_parts("Bearer abcdef123"),
            ["Bearer abcdef123", "abcdef123"]
        );
    }
}
