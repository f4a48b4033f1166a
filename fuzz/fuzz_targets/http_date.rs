//! HTTP-dates: never a panic; whatever reads is a whole second no later
//! than 9999-12-31T23:59:59Z.
#![no_main]

use libfuzzer_sys::fuzz_target;
use steadfast_core::headers::parse_http_date;

fuzz_target!(|value: &str| {
    if let Ok(t) = parse_http_date(value) {
        assert!(
            t.0 <= 253_402_300_799_000 && t.0 % 1000 == 0,
            "{value:?} → {t:?}"
        );
    }
});
