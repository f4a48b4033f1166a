//! Secrets: which values a request carries are credentials, every form a
//! server may echo them back in, and their removal from server text.
//!
//! A host hands the core its request's header fields and query; the core
//! decides which are credentials ([`is_secret_name`]), registers each value in
//! every form it may come back in ([`secret_forms`]: as sent,
//! percent-encoded, JSON-escaped), and scrubs error bodies of them before
//! they reach an error, an event, the monitor or a snapshot
//! ([`scrub_error_body`]). No host decides any of this: a rule here is run by
//! the simulation and the npm package alike.
//!
//! ```
//! use steadfast_core::secrets::{call_secrets, scrub_error_body, Secrets};
//!
//! let mut client = Secrets::default();
//! client.add_credential("x-api-key", "sk_live_ABCDEF");
//! let call = call_secrets(&[("authorization", "Bearer tok/123456")], "/x?page=2", &[]);
//! // JSON escapes (`\/`) do not hide a secret.
//! let body = r#"{"error":"bad key sk_live_ABCDEF for tok\/123456"}"#;
//! assert_eq!(
//!     scrub_error_body(body, &client, &call),
//!     r#"{"error":"bad key [redacted] for [redacted]"}"#
//! );
//! ```

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use crate::percent::{decode as percent_decode, encode_component};

/// What a secret is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Shortest value treated as a secret: shorter ones would scrub ordinary
/// words.
pub const MIN_SECRET_LEN: usize = 6;

/// Whether a header field or query parameter named `name` carries a
/// credential: keys, tokens, auth, cookies, secrets, passwords, sessions,
/// signatures (any case).
#[must_use]
pub fn is_secret_name(name: &str) -> bool {
    const WORDS: [&str; 10] = [
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
    ];
    let name = name.to_ascii_lowercase();
    WORDS.iter().any(|w| find(&name, w, 0).is_some())
}

/// Where `needle` first occurs in `hay` at or after byte `from`: a plain
/// byte scan. The needles are short secrets and credential words; `str`'s
/// own substring search (two-way) costs the WebAssembly module several
/// kilobytes for no gain at these lengths. A match always starts on a
/// character boundary: UTF-8 needles cannot match mid-character.
fn find(hay: &str, needle: &str, from: usize) -> Option<usize> {
    let (hay, needle) = (hay.as_bytes(), needle.as_bytes());
    if needle.is_empty() {
        return None;
    }
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// The strings to register for a credential header's value: the value, and
/// for `Scheme credentials` forms (`Bearer abc`) the credentials alone,
/// which servers echo on their own.
#[must_use]
pub fn secret_parts(value: &str) -> Vec<&str> {
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

/// The forms a secret may come back in: as sent, percent-encoded (a server
/// echoing the request's URL), with `/` written `\/` (JSON as PHP writes
/// it), and with `"` and `\` escaped as any JSON writes them (a Digest
/// `Authorization` value has quotes). None for a value too short to be a
/// secret.
#[must_use]
pub fn secret_forms(value: &str) -> Vec<String> {
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

/// A set of secrets, each in every form ([`secret_forms`]), scrubbed from
/// text with [`Secrets::scrub`].
///
/// Those given once (a client's credentials: [`Secrets::add`],
/// [`Secrets::add_credential`]) are kept for good. Those that come with
/// every attempt ([`Secrets::add_value`]: what a header function returns)
/// are kept [`MAX_RECENT`] at most, the least recently given dropped first:
/// a function that returns a new value each time (a request id, a
/// signature) must not grow the set, nor the cost of every scrub, without
/// bound, while a token still in use is given again with every attempt and
/// so stays.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Secrets {
    /// The ones kept for good, then the recent ones, least recent first.
    all: Vec<String>,
    /// How many of `all` are kept for good.
    fixed: usize,
}

/// Most strings kept of the secrets given with each attempt: every form of
/// every part of a few tokens (a bearer token is up to 8).
pub const MAX_RECENT: usize = 64;

impl Secrets {
    /// Registers `value` as it is (trimmed; ignored when shorter than
    /// [`MIN_SECRET_LEN`] or already known).
    pub fn add(&mut self, value: &str) {
        let value = value.trim();
        if value.len() >= MIN_SECRET_LEN && !self.all.iter().any(|s| s == value) {
            self.all.insert(self.fixed, String::from(value));
            self.fixed += 1;
        }
    }

    /// Registers every form of every part of a header field's value, if its
    /// name says it is a credential; answers whether it was one.
    pub fn add_credential(&mut self, name: &str, value: &str) -> bool {
        if !is_secret_name(name) {
            return false;
        }
        for part in secret_parts(value) {
            for form in secret_forms(part) {
                self.add(&form);
            }
        }
        true
    }

    /// Registers every form of every part of `value` ([`secret_parts`],
    /// [`secret_forms`]) whatever field it is sent in: for values known to
    /// be credentials by where they come from (a header function's, an auth
    /// refresh's), not by their field's name.
    ///
    /// Kept among the recent ones (at most [`MAX_RECENT`], see [`Secrets`]).
    pub fn add_value(&mut self, value: &str) {
        for part in secret_parts(value) {
            for form in secret_forms(part) {
                match self.all.iter().position(|s| *s == form) {
                    Some(i) if i < self.fixed => continue,
                    Some(i) => {
                        self.all.remove(i);
                    }
                    None if self.all.len() - self.fixed >= MAX_RECENT => {
                        self.all.remove(self.fixed);
                    }
                    None => {}
                }
                self.all.push(form);
            }
        }
    }

    /// The longest registered secret, in characters.
    #[must_use]
    pub fn longest(&self) -> usize {
        // Characters are the bytes that do not continue one (0b10xx_xxxx):
        // counted so, not with `chars().count()`, whose wide loop weighs a
        // kilobyte in the WebAssembly module.
        let chars = |s: &String| s.bytes().filter(|b| b & 0xC0 != 0x80).count();
        self.all.iter().map(chars).max().unwrap_or(0)
    }

    /// Whether no secret is registered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// `text` with every registered secret replaced by [`REDACTED`].
    #[must_use]
    pub fn scrub(&self, text: &str) -> String {
        let mut out = String::from(text);
        for secret in &self.all {
            let Some(mut at) = find(&out, secret, 0) else {
                continue;
            };
            let mut scrubbed = String::with_capacity(out.len());
            let mut done = 0;
            loop {
                scrubbed.push_str(out.get(done..at).unwrap_or_default());
                scrubbed.push_str(REDACTED);
                done = at + secret.len();
                match find(&out, secret, done) {
                    Some(next) => at = next,
                    None => break,
                }
            }
            scrubbed.push_str(out.get(done..).unwrap_or_default());
            out = scrubbed;
        }
        out
    }
}

/// One call's own secrets, every form of each: the values of its credential
/// headers (by name, as [`is_secret_name`] spots them), and of its query
/// parameters named like credentials (`api_key`, `access_token`, ...), given
/// apart (`query`) or written into `path` (as written and decoded).
#[must_use]
pub fn call_secrets<N: AsRef<str>, V: AsRef<str>>(
    headers: &[(N, V)],
    path: &str,
    query: &[(N, V)],
) -> Secrets {
    let mut out = Secrets::default();
    for (name, value) in headers {
        out.add_credential(name.as_ref(), value.as_ref());
    }
    let mut values: Vec<String> = Vec::new();
    for (name, value) in query {
        if is_secret_name(name.as_ref()) {
            values.push(String::from(value.as_ref()));
        }
    }
    let written = path.split('#').next().unwrap_or("");
    if let Some((_, query)) = written.split_once('?') {
        for pair in query.split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if is_secret_name(&percent_decode(name)) {
                values.push(String::from(value));
                values.push(percent_decode(value));
            }
        }
    }
    for form in values.iter().flat_map(|v| secret_forms(v)) {
        out.add(&form);
    }
    out
}

/// An error body as users and the engine may see it: the client's and the
/// call's secrets replaced by [`REDACTED`].
///
/// JSON escapes (`\u002b`, `\/`) can hide a secret from a scrub of the text,
/// and a JSON parser would undo them for the user: a body that is JSON is
/// written back with its strings escaped only where JSON requires (as
/// `JSON.stringify` writes them, insignificant white space dropped) and
/// scrubbed again. Any other body is scrubbed as text.
#[must_use]
pub fn scrub_error_body(body: &str, client: &Secrets, call: &Secrets) -> String {
    if client.is_empty() && call.is_empty() {
        return String::from(body);
    }
    let scrub = |text: &str| call.scrub(&client.scrub(text));
    let scrubbed = scrub(body);
    match crate::json::plain(&scrubbed) {
        // Written plainly, the text may show a secret its escapes hid.
        Some(plain) if plain != scrubbed => scrub(&plain),
        Some(plain) => plain,
        None => scrubbed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_given_with_each_attempt_are_bounded_and_the_ones_in_use_stay() {
        let mut s = Secrets::default();
        s.add_credential("x-api-key", "sk_live_FIXED");
        s.add_value("Bearer tok_in_use_1");
        for i in 0..1_000 {
            s.add_value(&alloc::format!("request-id-{i:06}"));
            if i % 10 == 0 {
                // The token in use is given again with every attempt.
                s.add_value("Bearer tok_in_use_1");
            }
        }
        assert!(s.all.len() - s.fixed <= MAX_RECENT);
        let text = "sk_live_FIXED tok_in_use_1 request-id-000999 request-id-000001";
        assert_eq!(
            s.scrub(text),
            "[redacted] [redacted] [redacted] request-id-000001"
        );
        // A value already kept for good is not kept twice.
        s.add_value("sk_live_FIXED");
        assert_eq!(s.all.iter().filter(|v| *v == "sk_live_FIXED").count(), 1);
        assert_eq!(s.all.get(..s.fixed).map(<[String]>::len), Some(1));
    }

    #[test]
    fn every_occurrence_is_scrubbed_and_the_text_between_kept() {
        let mut s = Secrets::default();
        s.add("sk_live_1");
        assert_eq!(
            s.scrub("a sk_live_1 b sk_live_1sk_live_1 c é sk_live_1"),
            "a [redacted] b [redacted][redacted] c é [redacted]"
        );
        assert_eq!(s.scrub("sk_live_ nothing"), "sk_live_ nothing");
        assert_eq!(find("xxabcxxabc", "abc", 3), Some(7));
        assert_eq!(find("abc", "abc", 4), None);
        assert_eq!(find("abc", "", 0), None);
    }

    #[test]
    fn the_longest_secret_is_counted_in_characters() {
        let mut s = Secrets::default();
        s.add("ééééééé");
        s.add("abcdefgh");
        assert_eq!(s.longest(), 8);
        s.add("日本語のひみつの鍵です");
        assert_eq!(s.longest(), 11);
    }

    #[test]
    fn credentials_are_spotted_by_name() {
        for name in ["x-api-key", "Authorization", "Cookie", "X-Auth-Token"] {
            assert!(is_secret_name(name), "{name}");
        }
        assert!(!is_secret_name("accept"));
        assert_eq!(
            secret_parts("Bearer abcdef123"),
            ["Bearer abcdef123", "abcdef123"]
        );
    }

    #[test]
    fn a_call_s_own_secrets_in_every_form() {
        let headers = [
            ("x-session-token", "Bearer ab/cd+ef"),
            ("accept", "application/json-long"),
        ];
        let query = [("api_key", "qk/1+2=3"), ("page", "2222222")];
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
            assert!(s.all.iter().any(|x| x == form), "{form} in {:?}", s.all);
        }
        assert!(!s
            .all
            .iter()
            .any(|x| x.contains("application") || x == "2222222"));
        assert_eq!(
            s.scrub("k=qk%2F1%2B2%3D3 t=ab\\/cd+ef"),
            "k=[redacted] t=[redacted]"
        );
        assert!(secret_forms("short").is_empty());
        assert_eq!(
            secret_forms("abcdef"),
            ["abcdef"],
            "six characters are enough"
        );
        assert!(secret_forms(r#"Digest response="a\b1""#)
            .contains(&String::from(r#"Digest response=\"a\\b1\""#)));
    }

    #[test]
    fn a_short_or_repeated_value_is_not_registered() {
        let mut s = Secrets::default();
        s.add("abc");
        s.add("  abcdef  ");
        s.add("abcdef");
        assert_eq!(s.all, ["abcdef"]);
        assert_eq!(s.longest(), 6);
        assert!(!s.add_credential("accept", "application/json"));
        assert_eq!(
            s.scrub("abcdef and application/json"),
            "[redacted] and application/json"
        );
    }

    #[test]
    fn json_escapes_do_not_hide_a_secret() {
        let mut client = Secrets::default();
        client.add("sk_live_ABC+DEF");
        let none = Secrets::default();
        // `+` written as \u002b: a JSON parser would hand the user the key.
        let body = "{ \"error\" : \"key sk_live_ABC\\u002bDEF\" }";
        assert_eq!(
            scrub_error_body(body, &client, &none),
            r#"{"error":"key [redacted]"}"#
        );
        // Not JSON: scrubbed as text, kept as written.
        assert_eq!(
            scrub_error_body("bad sk_live_ABC+DEF \\u002b", &client, &none),
            "bad [redacted] \\u002b"
        );
        // Nothing to scrub: the body is left as the server wrote it.
        assert_eq!(
            scrub_error_body("{ \"a\" : 1 }", &none, &none),
            "{ \"a\" : 1 }"
        );
    }
}
