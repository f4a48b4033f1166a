//! The server's own words from an error body, safely.
//!
//! Error bodies are whatever the server sends: JSON (`{"error": "..."}` from
//! Etsy), HTML from a proxy, or nothing. The seed called `response.json()` and
//! crashed on anything else (seed defect 12). Here any body is tolerated; the
//! message is picked from the usual JSON keys when the body is JSON, else the
//! text's first line, and it is always cut to [`MAX_MESSAGE_CHARS`] so one
//! huge body does not travel on into every error and log line.
//!
//! Only the body's first [`MAX_BODY_SCAN_BYTES`] are read: a message is near
//! the top of an error body, and a server that answers with megabytes must
//! not cost a host (a browser tab's one thread) more than one that answers
//! with a line.

use alloc::string::String;

/// The longest server message kept, in characters.
pub const MAX_MESSAGE_CHARS: usize = 200;

/// How much of a body is read for its message, in bytes (cut back to a
/// character boundary). A JSON message key further in is not found.
pub const MAX_BODY_SCAN_BYTES: usize = 8 * 1024;

/// Keys tried, in order, in a JSON error body.
const MESSAGE_KEYS: [&str; 5] = ["error_description", "error", "message", "detail", "title"];

/// The server's message from an error body, if it has one.
#[must_use]
pub fn server_message(body: &str) -> Option<String> {
    full_message(body).map(|m| truncate(&m))
}

/// [`server_message`], with `scrub` applied to the message *before* it is
/// cut short: a secret the server echoed across the cut would otherwise
/// leave its first characters behind. Only the part that can reach the cut
/// is scrubbed (the first [`MAX_MESSAGE_CHARS`] + `longest_secret`
/// characters), so a body of megabytes costs no more than a short one.
#[must_use]
pub fn server_message_scrubbed(
    body: &str,
    longest_secret: usize,
    scrub: impl FnOnce(&str) -> String,
) -> Option<String> {
    let full = full_message(body)?;
    let reach = MAX_MESSAGE_CHARS.saturating_add(longest_secret);
    // Control characters go first: they are never shown, so counted in
    // the reach they would let the shown text run past what was scrubbed.
    let head: String = full
        .chars()
        .filter(|c| !c.is_control())
        .take(reach)
        .collect();
    Some(truncate(&scrub(&head)))
}

/// The first [`MAX_BODY_SCAN_BYTES`] of `body`, cut at a character boundary.
fn head(body: &str) -> &str {
    if body.len() <= MAX_BODY_SCAN_BYTES {
        return body;
    }
    let mut end = MAX_BODY_SCAN_BYTES;
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    body.get(..end).unwrap_or("")
}

/// The message before it is cut: a JSON field's value, or the first line,
/// from the body's head.
fn full_message(body: &str) -> Option<alloc::borrow::Cow<'_, str>> {
    let cut = head(body);
    // A string still open where we stopped reading was cut by us, not left
    // unterminated by the server: what was read of it is the message.
    let cut_short = cut.len() < body.len();
    let body = cut.trim();
    if body.is_empty() {
        return None;
    }
    if body.starts_with('{') {
        return MESSAGE_KEYS
            .iter()
            .find_map(|key| json_string_field(body, key, cut_short))
            .map(alloc::borrow::Cow::Owned);
    }
    if body.starts_with('<') {
        // An HTML error page from a proxy: its markup is noise.
        return None;
    }
    body.lines().next().map(alloc::borrow::Cow::Borrowed)
}

fn truncate(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .take(MAX_MESSAGE_CHARS)
        .collect()
}

/// The string value of the first `"key": "..."` in a JSON text.
///
/// A scanner, not a parser: it finds the quoted key followed by a colon and
/// a string, and decodes the common escapes. Good enough for messages; never
/// used for data. `cut_short`: the text is the head of a longer body, so a
/// value still open at its end is kept as far as it goes.
fn json_string_field(json: &str, key: &str, cut_short: bool) -> Option<String> {
    let mut rest = json;
    loop {
        let at = rest.find('"')?;
        rest = rest.get(at + 1..)?;
        // Keys are compared raw (ours have no escapes): nothing is decoded
        // or copied until the value of a key we want.
        let (token, after) = skip_string(rest)?;
        rest = after;
        if token != key {
            continue;
        }
        let after_colon = rest.trim_start().strip_prefix(':')?.trim_start();
        if let Some(value) = after_colon.strip_prefix('"') {
            return match read_string(value) {
                Scanned::Closed(s) => Some(s),
                Scanned::Ended(s) if cut_short && !s.is_empty() => Some(s),
                _ => None,
            };
        }
        // The key maps to something else (an object, a number): keep looking
        // inside it for the same key names.
    }
}

/// A JSON string's raw text (after its opening quote, escapes undecoded)
/// and what follows its closing quote; `None` if it is not closed.
fn skip_string(s: &str) -> Option<(&str, &str)> {
    let mut escaped = false;
    for (i, b) in s.bytes().enumerate() {
        match b {
            _ if escaped => escaped = false,
            b'\\' => escaped = true,
            b'"' => return Some((s.get(..i)?, s.get(i + 1..)?)),
            _ => {}
        }
    }
    None
}

/// A JSON string read from after its opening quote.
enum Scanned {
    /// The decoded text, closed by its quote.
    Closed(String),
    /// The text ended before the closing quote: what was decoded.
    Ended(String),
    /// A malformed escape.
    Invalid,
}

/// Reads a JSON string body (after its opening quote).
fn read_string(s: &str) -> Scanned {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Scanned::Closed(out),
            '\\' => match chars.next() {
                None => return Scanned::Ended(out),
                Some('n' | 'r' | 't') => out.push(' '),
                Some('u') => {
                    let mut hex = String::new();
                    let mut digits = 0;
                    for c in chars.by_ref().take(4) {
                        hex.push(c);
                        digits += 1;
                    }
                    if digits < 4 {
                        return Scanned::Ended(out);
                    }
                    let Ok(code) = u32::from_str_radix(&hex, 16) else {
                        return Scanned::Invalid;
                    };
                    out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                }
                Some(other) => out.push(other),
            },
            c => out.push(c),
        }
    }
    Scanned::Ended(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn picks_the_message_from_json_bodies() {
        assert_eq!(
            server_message(r#"{"error": "Invalid listing_id \"abc\""}"#).as_deref(),
            Some(r#"Invalid listing_id "abc""#)
        );
        assert_eq!(
            server_message(r#"{"code": 7, "error": {"message": "quota\u0021"}}"#).as_deref(),
            Some("quota!")
        );
        assert_eq!(
            server_message(r#"{"error_description": "bad token", "error": "invalid_grant"}"#)
                .as_deref(),
            Some("bad token")
        );
    }

    #[test]
    fn scrubbing_happens_before_the_cut() {
        let secret = "sk_live_ABCDEFGHIJKLMNOP";
        // The secret starts 10 characters before the cut.
        let body = format!("{}{secret} and more", "x".repeat(MAX_MESSAGE_CHARS - 10));
        let plain = server_message(&body).unwrap();
        assert!(
            plain.ends_with("sk_live_AB"),
            "the unscrubbed cut keeps a prefix"
        );
        let scrubbed =
            server_message_scrubbed(&body, secret.len(), |m| m.replace(secret, "[redacted]"))
                .unwrap();
        assert!(!scrubbed.contains("sk_live"), "{scrubbed}");
        assert_eq!(scrubbed.chars().count(), MAX_MESSAGE_CHARS);
    }

    #[test]
    fn seed_defect_12_any_body_is_tolerated() {
        assert_eq!(
            server_message("Service Unavailable\nmore").as_deref(),
            Some("Service Unavailable")
        );
        assert_eq!(server_message("<html><body>502</body></html>"), None);
        assert_eq!(server_message(""), None);
        assert_eq!(server_message(r#"{"error": "unterminated"#), None);
        assert_eq!(server_message("{\"error\": \"\\u12\"}"), None);
        let huge = "x".repeat(10_000);
        assert_eq!(
            server_message(&huge).map(|m| m.len()),
            Some(MAX_MESSAGE_CHARS)
        );
    }

    #[test]
    fn a_body_of_megabytes_is_read_only_as_far_as_its_head() {
        let mb4 = "x".repeat(4 << 20);
        // A message key past the head is not looked for: reading it would
        // mean scanning (and copying) megabytes for every error response.
        let late = format!(r#"{{"pad": "{mb4}", "error": "late"}}"#);
        assert_eq!(server_message(&late), None);
        // A message longer than the head is kept as far as the head goes,
        // and cut as any long message.
        let long = format!(r#"{{"error": "{mb4}"}}"#);
        assert_eq!(
            server_message(&long).map(|m| m.len()),
            Some(MAX_MESSAGE_CHARS)
        );
        // A string the server left unterminated is still no message...
        assert_eq!(server_message(r#"{"error": "unterminated"#), None);
        // ...but one we cut while open is, escapes and all.
        let escaped = format!(r#"{{"error": "a\nb{}"#, "y".repeat(MAX_BODY_SCAN_BYTES));
        assert!(server_message(&escaped).is_some_and(|m| m.starts_with("a by")));
        // A character across the cut is not split.
        for pad in 0..4 {
            let body = format!(
                "{}{}",
                "z".repeat(MAX_BODY_SCAN_BYTES - pad),
                "é€𝄞".repeat(8)
            );
            assert!(server_message(&body).is_some_and(|m| m.len() == MAX_MESSAGE_CHARS));
            let json = format!(
                r#"{{"error": "{}{}"#,
                "z".repeat(MAX_BODY_SCAN_BYTES - 12 - pad),
                "é€𝄞".repeat(8)
            );
            assert!(server_message(&json).is_some(), "pad {pad}");
        }
        // The first line of a plain body of megabytes with no newline.
        assert_eq!(
            server_message(&mb4).map(|m| m.len()),
            Some(MAX_MESSAGE_CHARS)
        );
        assert_eq!(
            server_message(&format!("{}{mb4}", " ".repeat(MAX_BODY_SCAN_BYTES))),
            None
        );
    }

    #[test]
    fn a_secret_after_control_characters_is_scrubbed_not_half_kept() {
        // Found by `fuzz_body_message`: the scrub saw the first 200 +
        // secret-length characters, control characters included; the cut
        // then dropped those, and the message's 200 visible characters
        // reached into a secret the scrub had seen only half of.
        let secret = "sk_live_ABCDEFGHIJKLMNOP";
        // 180 visible characters, 30 control ones, then the secret.
        let body = format!(
            "{}{}{secret} and more",
            "a\u{0}".repeat(30),
            "b".repeat(150)
        );
        let scrubbed =
            server_message_scrubbed(&body, secret.len(), |m| m.replace(secret, "[redacted]"))
                .unwrap();
        assert!(!scrubbed.contains("sk_live"), "{scrubbed}");
        assert!(scrubbed.starts_with(&"a".repeat(30)) && scrubbed.contains("[redacted]"));
    }
}
