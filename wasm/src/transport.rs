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

/// Shortest value treated as a secret, as the engine's: shorter ones would
/// scrub ordinary words.
const MIN_SECRET_LEN: usize = 6;

/// The forms a secret may come back in: as sent, percent-encoded (a server
/// echoing the request's URL), with `/` written `\/` (JSON as PHP writes
/// it), and with `"` and `\` escaped as any JSON writes them (a Digest
/// `Authorization` value has quotes). None for a value too short to be a
/// secret.
pub(crate) fn secret_forms(value: &str) -> Vec<String> {
    let value = value.trim();
    if value.len() < MIN_SECRET_LEN {
        return Vec::new();
    }
    let mut forms = vec![String::from(value)];
    let mut encoded = String::new();
    encode_component(value, &mut encoded);
    if encoded != value {
        forms.push(encoded);
    }
    if value.contains('/') {
        forms.push(value.replace('/', "\\/"));
    }
    if value.contains(['"', '\\']) {
        forms.push(value.replace('\\', "\\\\").replace('"', "\\\""));
    }
    forms
}

/// One call's own secrets, every form of each: the values of its credential
/// headers (by name, as [`is_secret_header`] spots them), and of its query
/// parameters named like credentials (`api_key`, `access_token`, ...),
/// given in `init.query` or written into `path` (as written and decoded).
pub(crate) fn call_secrets(
    headers: &[(String, String)],
    path: &str,
    query: &[(String, String)],
) -> Vec<String> {
    let mut values: Vec<String> = Vec::new();
    for (name, value) in headers {
        if is_secret_header(name) {
            values.extend(secret_parts(value).into_iter().map(String::from));
        }
    }
    for (name, value) in query {
        if is_secret_header(name) {
            values.push(value.clone());
        }
    }
    let written = path.split('#').next().unwrap_or("");
    if let Some((_, query)) = written.split_once('?') {
        for pair in query.split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if is_secret_header(&percent_decode(name)) {
                values.push(String::from(value));
                values.push(percent_decode(value));
            }
        }
    }
    let mut out: Vec<String> = Vec::new();
    for form in values.iter().flat_map(|v| secret_forms(v)) {
        if !out.contains(&form) {
            out.push(form);
        }
    }
    out
}

/// `text` with every one of `secrets` replaced by `[redacted]`.
pub(crate) fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = String::from(text);
    for secret in secrets {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), "[redacted]");
        }
    }
    out
}

/// `%XX` sequences decoded (UTF-8, lossy); anything else kept.
fn percent_decode(s: &str) -> String {
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
    fn a_call_s_own_secrets_in_every_form() {
        let headers = vec![
            ("x-session-token".to_string(), "Bearer ab/cd+ef".to_string()),
            ("accept".to_string(), "application/json-long".to_string()),
        ];
        let query = vec![
            ("api_key".to_string(), "qk/1+2=3".to_string()),
            ("page".to_string(), "2222222".to_string()),
        ];
        let s = call_secrets(&headers, "/x?access_token=tk%2Fabcdef&short=1#frag", &query);
        for form in [
            "Bearer ab/cd+ef",
            "ab/cd+ef",
            "ab%2Fcd%2Bef",
            "ab\\/cd+ef",
            "qk/1+2=3",
            "qk%2F1%2B2%3D3",
            "tk%2Fabcdef",
            "tk/abcdef",
        ] {
            assert!(s.iter().any(|x| x == form), "{form} in {s:?}");
        }
        assert!(!s
            .iter()
            .any(|x| x.contains("application") || x == "2222222"));
        assert_eq!(
            scrub("k=qk%2F1%2B2%3D3 t=ab\\/cd+ef", &s),
            "k=[redacted] t=[redacted]"
        );
        assert!(secret_forms("short").is_empty());
        assert!(secret_forms(r#"Digest response="a\b1""#)
            .contains(&String::from(r#"Digest response=\"a\\b1\""#)));
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
