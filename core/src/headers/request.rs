//! The header fields a request goes out with: the client's, then the
//! call's, then what the call's body and idempotency key imply.
//!
//! Decided here, not by a host, because two of them are rules: a JSON body
//! says so (`content-type: application/json`) unless the caller said
//! otherwise, and an idempotency key travels as the `Idempotency-Key` field
//! (the design's promise that makes a POST safe to retry: the server can
//! tell a retry from a new write).

use alloc::{string::String, vec::Vec};

/// The field a JSON body implies, when the caller set no `content-type`.
pub const JSON_CONTENT_TYPE: (&str, &str) = ("content-type", "application/json");

/// The field an idempotency key travels in (lower case, as `fetch` sends
/// names).
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The fields of one request, names lower-cased: the client's `base`
/// (already lower-cased), each of the call's `own` replacing a field of the
/// same name, then `content-type: application/json` for a JSON body
/// without one, then the idempotency key (replacing any field of that name).
///
/// ```
/// use steadfast_core::headers::request_fields;
///
/// let base = vec![("authorization".into(), "Bearer t".into())];
/// let own = [("X-Trace".into(), "1".into())];
/// let fields = request_fields(&base, &own, true, Some("k-1"));
/// assert_eq!(
///     fields,
///     [("authorization", "Bearer t"), ("x-trace", "1"), ("content-type", "application/json"), ("idempotency-key", "k-1")]
///         .map(|(n, v)| (String::from(n), String::from(v)))
/// );
/// ```
#[must_use]
pub fn request_fields(
    base: &[(String, String)],
    own: &[(String, String)],
    json: bool,
    idempotency_key: Option<&str>,
) -> Vec<(String, String)> {
    let mut fields = base.to_vec();
    for (name, value) in own {
        let name = name.to_ascii_lowercase();
        fields.retain(|(n, _)| *n != name);
        fields.push((name, value.clone()));
    }
    let (ct, json_type) = JSON_CONTENT_TYPE;
    if json && !fields.iter().any(|(n, _)| n == ct) {
        fields.push((ct.into(), json_type.into()));
    }
    if let Some(key) = idempotency_key {
        fields.retain(|(n, _)| n != IDEMPOTENCY_KEY);
        fields.push((IDEMPOTENCY_KEY.into(), key.into()));
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(n, v)| (String::from(*n), String::from(*v)))
            .collect()
    }

    #[test]
    fn the_calls_fields_replace_the_clients_whatever_their_case() {
        let base = pairs(&[("accept", "text/plain"), ("x-api-key", "k")]);
        let got = request_fields(
            &base,
            &pairs(&[("Accept", "application/json")]),
            false,
            None,
        );
        assert_eq!(
            got,
            pairs(&[("x-api-key", "k"), ("accept", "application/json")])
        );
    }

    #[test]
    fn a_json_body_says_so_unless_the_caller_did() {
        assert_eq!(
            request_fields(&[], &[], true, None),
            pairs(&[JSON_CONTENT_TYPE])
        );
        let own = pairs(&[("Content-Type", "application/merge-patch+json")]);
        assert_eq!(
            request_fields(&[], &own, true, None),
            pairs(&[("content-type", "application/merge-patch+json")])
        );
        assert_eq!(request_fields(&[], &[], false, None), vec![]);
    }

    #[test]
    fn the_idempotency_key_wins_over_a_field_of_its_name() {
        let base = pairs(&[("idempotency-key", "from-client")]);
        let own = pairs(&[("Idempotency-Key", "from-call")]);
        assert_eq!(
            request_fields(&base, &own, false, Some("the-key")),
            pairs(&[("idempotency-key", "the-key")])
        );
    }
}
