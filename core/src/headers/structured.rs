//! Just enough of RFC 9651 structured fields to read rate-limit headers.
//!
//! The IETF `RateLimit` and `RateLimit-Policy` fields are lists of items with
//! parameters (`"default";r=50;t=30`); an earlier draft used a dictionary
//! (`limit=100, remaining=50, reset=30`). Both shapes reduce to a list of
//! members, each a name, an optional `=value`, and `;key=value` parameters.
//! The parser is bounded (at most [`MAX_MEMBERS`] members and
//! [`MAX_PARAMS`] parameters each) so a hostile field cannot make it allocate
//! without limit.

use alloc::vec::Vec;

use super::field::HeaderError;

/// Members read from one field; more are ignored.
pub(crate) const MAX_MEMBERS: usize = 16;
/// Parameters read per member; more are ignored.
pub(crate) const MAX_PARAMS: usize = 8;

/// One list member or dictionary entry.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Member<'a> {
    /// The bare item (unquoted) or the dictionary key.
    pub(crate) name: &'a str,
    /// The dictionary value, for `key=value` members.
    pub(crate) value: Option<&'a str>,
    /// `;key=value` parameters, values unquoted.
    pub(crate) params: Vec<(&'a str, &'a str)>,
}

impl Member<'_> {
    /// The value of parameter `key`, if present.
    pub(crate) fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| *v)
    }
}

/// Splits `s` on `sep` where it is not inside a double-quoted string.
fn split_outside_quotes(s: &str, sep: char) -> impl Iterator<Item = &str> {
    let mut in_quotes = false;
    let mut escaped = false;
    s.split(move |c: char| {
        if escaped {
            escaped = false;
            return false;
        }
        match c {
            '\\' if in_quotes => {
                escaped = true;
                false
            }
            '"' => {
                in_quotes = !in_quotes;
                false
            }
            c => c == sep && !in_quotes,
        }
    })
}

fn unquote(s: &str) -> Result<&str, HeaderError> {
    let s = s.trim();
    match (s.starts_with('"'), s.ends_with('"') && s.len() >= 2) {
        (true, true) => s.get(1..s.len() - 1).ok_or(HeaderError::Malformed),
        (true, false) => Err(HeaderError::Malformed),
        _ => Ok(s),
    }
}

/// Parses a list or dictionary field into members.
pub(crate) fn parse_members(field: &str) -> Result<Vec<Member<'_>>, HeaderError> {
    let mut members = Vec::new();
    for raw in split_outside_quotes(field, ',').take(MAX_MEMBERS) {
        let mut pieces = split_outside_quotes(raw, ';');
        let head = pieces.next().unwrap_or("").trim();
        if head.is_empty() {
            return Err(HeaderError::Malformed);
        }
        let (name, value) = match head.split_once('=') {
            Some((k, v)) if !head.starts_with('"') => (k.trim(), Some(unquote(v)?)),
            _ => (unquote(head)?, None),
        };
        let mut params = Vec::new();
        for p in pieces.take(MAX_PARAMS) {
            let (k, v) = p.split_once('=').unwrap_or((p, "?1"));
            let k = k.trim();
            if k.is_empty() {
                return Err(HeaderError::Malformed);
            }
            params.push((k, unquote(v)?));
        }
        members.push(Member {
            name,
            value,
            params,
        });
    }
    Ok(members)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn reads_items_with_parameters() {
        let m = parse_members(r#""default";r=50;t=30, "daily";r=900;t=3600"#).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].name, "default");
        assert_eq!(m[0].param("r"), Some("50"));
        assert_eq!(m[1].param("T"), Some("3600"));
        assert_eq!(m[1].value, None);
    }

    #[test]
    fn reads_dictionaries_and_quoted_commas() {
        let m = parse_members(r#"limit=100, remaining=5, "a,b";w=1"#).unwrap();
        assert_eq!(m[0].name, "limit");
        assert_eq!(m[0].value, Some("100"));
        assert_eq!(m[2].name, "a,b");
        assert_eq!(m[2].params, vec![("w", "1")]);
    }

    #[test]
    fn is_bounded_and_rejects_garbage() {
        let long = "a;r=1,".repeat(1000);
        assert!(parse_members(&long).map(|m| m.len()).unwrap_or(0) <= MAX_MEMBERS);
        assert_eq!(parse_members(",,"), Err(HeaderError::Malformed));
        assert_eq!(
            parse_members(r#""unterminated;r=1"#),
            Err(HeaderError::Malformed)
        );
    }
}
