//! The server's own words from an error body, safely.
//!
//! Error bodies are whatever the server sends: JSON (`{"error": "..."}` from
//! Etsy), HTML from a proxy, or nothing. The seed called `response.json()` and
//! crashed on anything else (seed defect 12). Here any body is tolerated; the
//! message is picked from the usual JSON keys when the body is JSON, else the
//! text's first line, and it is always cut to [`MAX_MESSAGE_CHARS`] so one
//! huge body does not travel on into every error and log line.

use alloc::string::String;

/// The longest server message kept, in characters.
pub const MAX_MESSAGE_CHARS: usize = 200;

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
    let head: String = full.chars().take(reach).collect();
    Some(truncate(&scrub(&head)))
}

/// The message before it is cut: a JSON field's value, or the first line.
fn full_message(body: &str) -> Option<alloc::borrow::Cow<'_, str>> {
    let body = body.trim();
    if body.is_empty() {
        return None;
    }
    if body.starts_with('{') {
        return MESSAGE_KEYS
            .iter()
            .find_map(|key| json_string_field(body, key))
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
/// used for data.
fn json_string_field(json: &str, key: &str) -> Option<String> {
    let mut rest = json;
    loop {
        let at = rest.find('"')?;
        rest = rest.get(at + 1..)?;
        let (token, after) = read_string(rest)?;
        rest = after;
        if token != key {
            continue;
        }
        let after_colon = rest.trim_start().strip_prefix(':')?.trim_start();
        if let Some(value) = after_colon.strip_prefix('"') {
            return read_string(value).map(|(s, _)| s);
        }
        // The key maps to something else (an object, a number): keep looking
        // inside it for the same key names.
    }
}

/// Reads a JSON string body (after its opening quote); answers the decoded
/// text and what follows the closing quote.
fn read_string(s: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, s.get(i + 1..)?)),
            '\\' => match chars.next()?.1 {
                'n' | 'r' | 't' => out.push(' '),
                'u' => {
                    let hex: String = (0..4)
                        .filter_map(|_| chars.next().map(|(_, h)| h))
                        .collect();
                    let code = u32::from_str_radix(&hex, 16).ok()?;
                    out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
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
}
