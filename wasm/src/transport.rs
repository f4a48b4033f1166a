//! Building a request's URL from `baseUrl`, the path and `init.query`.
//! Pure functions, tested natively.

use steadfast_core::percent::encode_component;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
