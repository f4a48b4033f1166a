//! The error body's message: never a panic, short, and a registered secret
//! never shows, not even half of it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use steadfast_core::body::{server_message, server_message_scrubbed};

const SECRET: &str = "sk_live_0123456789";

fuzz_target!(|input: (u16, &str)| {
    let (at, text) = input;
    let _ = server_message(text);
    // The secret, put somewhere in the body.
    let cut = text
        .char_indices()
        .map(|(i, _)| i)
        .nth(usize::from(at) % 400)
        .unwrap_or(text.len());
    let body = format!("{}{SECRET}{}", &text[..cut], &text[cut..]);
    // (Unless the text itself, control characters dropped, says "sk_live".)
    let shown: String = text.chars().filter(|c| !c.is_control()).collect();
    if let Some(m) =
        server_message_scrubbed(&body, SECRET.len(), |m| m.replace(SECRET, "[redacted]"))
    {
        assert!(shown.contains("sk_live") || !m.contains("sk_live"), "{m:?}");
    }
});
