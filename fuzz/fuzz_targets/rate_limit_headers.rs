//! Every rate-limit header family, from header lines `name: value`: never a
//! panic; malformed fields are ones that were there.
#![no_main]

use libfuzzer_sys::fuzz_target;
use steadfast_core::headers::RateLimitHeaders;
use steadfast_core::UnixMillis;

fuzz_target!(|input: (Option<u64>, &str)| {
    let (wall, text) = input;
    let headers: Vec<(&str, &str)> = text
        .lines()
        .map(|l| l.split_once(':').unwrap_or((l, "")))
        .collect();
    let r = RateLimitHeaders::read(&headers, wall.map(UnixMillis));
    assert!(usize::from(r.malformed) <= headers.len());
});
