//! Building a request's URL from `baseUrl`, the path and `init.query`, and
//! telling a URL plainly fine for `fetch` from one `URL` must parse. Pure
//! functions, tested natively.

use alloc::string::String;
use steadfast_core::percent::encode_component;

use crate::options::QueryValue;
use crate::text::Text;

/// `base` and `path` joined as a user expects (`https://h/v3` + `/x` →
/// `https://h/v3/x`, not `https://h/x`); an absolute `path` stands alone.
/// `query` is appended, percent-encoded; a number with a fraction is left
/// for JavaScript to write (`String(n)`, whose characters need no encoding
/// but `+`, which JavaScript writes only in exponents, `1e+21`: the driver
/// encodes it, `1e%2B21`).
pub(crate) fn build_url(base: &str, path: &str, query: &[(String, QueryValue)]) -> Text {
    let absolute = after_scheme(path).is_some();
    let mut url = if absolute || base.is_empty() {
        String::from(path)
    } else if path.is_empty() {
        String::from(base)
    } else {
        String::from(base.trim_end_matches('/')) + "/" + path.trim_start_matches('/')
    };
    let mut sep = if url.contains('?') { '&' } else { '?' };
    let mut text = Text::default();
    for (k, v) in query {
        url.push(sep);
        sep = '&';
        encode_component(k, &mut url);
        url.push('=');
        match v {
            QueryValue::Text(v) => encode_component(v, &mut url),
            QueryValue::Num(n) => {
                text = text.s(&url).n(*n);
                url.clear();
            }
        }
    }
    text.s(&url)
}

/// Whether `url` is one `URL` parses as an `http:` or `https:` URL with no
/// credentials, without asking it: the scheme, then a host of letters,
/// digits, dots and dashes (and a port up to 65535), then anything. Any
/// other URL (an IPv6 host, a user name, an international name, a typo) is
/// left to `URL` to judge.
pub(crate) fn is_plain_url(url: &str) -> bool {
    let Some(rest) = after_scheme(url) else {
        return false;
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest.get(..end).unwrap_or_default();
    let (host, port) = match authority.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    let port_ok = port.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 5
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|n| n <= 65535)
    });
    host_ok && port_ok && !rest.get(end..).unwrap_or_default().contains(['\\'])
}

/// What follows `http://` or `https://` (either in any case) at the start
/// of `url`; `None` when it starts with neither.
fn after_scheme(url: &str) -> Option<&str> {
    ["http://", "https://"].iter().find_map(|scheme| {
        url.get(..scheme.len())
            .filter(|head| head.eq_ignore_ascii_case(scheme))
            .and_then(|_| url.get(scheme.len()..))
    })
}

/// `s` up to its query or fragment: what an error message may quote of a
/// path or URL (API keys travel in queries).
pub(crate) fn without_query(s: &str) -> &str {
    s.split(['?', '#']).next().unwrap_or(s)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn text(v: &str) -> QueryValue {
        QueryValue::Text(v.into())
    }

    #[test]
    fn urls_join_like_a_user_expects() {
        let url = |b, p, q: &[(String, QueryValue)]| build_url(b, p, q).to_string();
        assert_eq!(url("https://h/v3", "/x", &[]), "https://h/v3/x");
        assert_eq!(url("https://h/v3/", "x", &[]), "https://h/v3/x");
        assert_eq!(url("https://h", "https://o/y", &[]), "https://o/y");
        assert_eq!(url("", "/x", &[]), "/x");
        assert_eq!(url("https://h/a", "", &[]), "https://h/a");
        assert_eq!(
            url("https://h", "/s?a=1", &[("q".into(), text("a b&c"))]),
            "https://h/s?a=1&q=a%20b%26c"
        );
        let with_number = build_url("https://h", "/s", &[("n".into(), QueryValue::Num(1.5))]);
        assert_eq!(
            with_number.as_words(),
            None,
            "the number is JavaScript's to write"
        );
        assert_eq!(with_number.to_string(), "https://h/s?n=1.5");
    }

    #[test]
    fn plain_urls_need_no_parse() {
        for ok in [
            "https://api.example.com/v3/x?y=1",
            "http://127.0.0.1:8080/a b",
            "HTTPS://h",
            "http://h:65535",
        ] {
            assert!(is_plain_url(ok), "{ok}");
        }
        for parse in [
            "ftp://h/x",
            "https://user:pw@h/x",
            "https://[::1]/x",
            "https://h:99999/",
            "https://h:/",
            "https:///x",
            "https://exämple.com/",
            "/relative",
            "https://h\\x",
        ] {
            assert!(!is_plain_url(parse), "{parse}");
        }
    }

    #[test]
    fn queries_are_left_out_of_quotes() {
        assert_eq!(without_query("/a?key=s3cret#f"), "/a");
        assert_eq!(without_query("/a#f?x"), "/a");
    }
}
