//! `Retry-After` in both forms: never a panic; delta-seconds read exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use steadfast_core::headers::parse_retry_after;
use steadfast_core::UnixMillis;

fuzz_target!(|input: (u64, &str)| {
    let (wall, value) = input;
    let read = parse_retry_after(value, Some(UnixMillis(wall)));
    let _ = parse_retry_after(value, None);
    let digits = value.trim();
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        let secs = digits.parse::<u64>().unwrap_or(u64::MAX);
        assert_eq!(read, Ok(secs.saturating_mul(1000)));
    }
});
