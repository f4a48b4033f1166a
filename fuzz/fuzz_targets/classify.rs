//! Classification of status + headers + body: never a panic; the category
//! is the status's; a message is short and has no control characters.
#![no_main]

use libfuzzer_sys::fuzz_target;
use steadfast_core::classify::status_category;
use steadfast_core::{classify_response, UnixMillis};

fuzz_target!(|input: (u16, Option<u64>, &str)| {
    let (status, wall, text) = input;
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let headers: Vec<(&str, &str)> = head
        .lines()
        .map(|l| l.split_once(':').unwrap_or((l, "")))
        .collect();
    let c = classify_response(status, &headers, Some(body), wall.map(UnixMillis));
    assert_eq!(c.category, status_category(status).0);
    if let Some(m) = &c.message {
        assert!(m.chars().count() <= steadfast_core::body::MAX_MESSAGE_CHARS);
        assert!(!m.chars().any(char::is_control));
    }
});
