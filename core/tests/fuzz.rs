//! Fuzz targets for every parser and decoder of the core, as property tests:
//! `Retry-After`, HTTP-dates, the rate-limit header families (structured
//! fields included), classification of status + headers + body, the error
//! body's message, and the snapshot codec — from arbitrary text and from
//! generators that stay near valid input, with an oracle where one exists.
//!
//! `cargo test -p steadfast-core --test fuzz` runs each for 512 cases (the
//! short pass CI runs). `make fuzz` runs each for a time budget
//! (`STEADFAST_FUZZ_SECONDS`, 60 s by default) and prints, per target, the
//! cases run and the findings; `PROPTEST_CASES=N` sets the batch size. A
//! finding fails its target with the smallest input proptest shrank it to.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use steadfast_core::body::{server_message, server_message_scrubbed, MAX_MESSAGE_CHARS};
use steadfast_core::classify::status_category;
use steadfast_core::engine::{Engine, EngineConfig, Output, RequestMeta, ResponseMeta, Snapshot};
use steadfast_core::headers::{parse_http_date, parse_retry_after, HeaderError, RateLimitHeaders};
use steadfast_core::{classify_response, Method, Millis, UnixMillis};

/// Runs `test` on values of `strategy`: `PROPTEST_CASES` (512) cases, or
/// batches of them until `STEADFAST_FUZZ_SECONDS` have passed. Prints the
/// cases run; a finding panics with the shrunk input.
fn fuzz<S: Strategy>(name: &str, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let batch = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(512);
    let budget = std::env::var("STEADFAST_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .map(Duration::from_secs_f64);
    let started = Instant::now();
    let cases = Cell::new(0u64);
    loop {
        let mut runner = TestRunner::new(Config {
            cases: batch,
            failure_persistence: None,
            ..Config::default()
        });
        let result = runner.run(&strategy, |value| {
            cases.set(cases.get() + 1);
            test(value)
        });
        if let Err(e) = result {
            println!("fuzz {name}: 1 finding after {} cases", cases.get());
            panic!("fuzz {name}: {e}");
        }
        if budget.is_none_or(|b| started.elapsed() >= b) {
            break;
        }
    }
    println!(
        "fuzz {name}: {} cases in {:.1} s, 0 findings",
        cases.get(),
        started.elapsed().as_secs_f64()
    );
}

// ----- strategies ------------------------------------------------------------

/// Text of every kind: arbitrary Unicode, ASCII noise, digits with junk.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,64}",
        "[ -~]{0,64}",
        "[0-9 \t.eE+-]{0,30}",
        "[0-9]{0,40}",
        "[\u{0}-\u{7f}\u{a0}\u{feff}\u{663}\u{ff10}-\u{ff19}]{0,20}",
    ]
}

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const LONG_DAYS: [&str; 7] = [
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Civil date of Unix seconds (proleptic Gregorian): (year, month 1-12, day).
fn civil(unix_s: u64) -> (u64, usize, u64) {
    let z = (unix_s / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u64;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as usize;
    ((yoe + era * 400 + i64::from(month <= 2)) as u64, month, day)
}

/// An HTTP-date of `unix_s` in form `form` (0 IMF-fixdate, 1 RFC 850, 2
/// asctime); RFC 850 only for 1970-2069, as its two-digit year reads.
fn http_date(unix_s: u64, form: u8) -> String {
    let (y, m, d) = civil(unix_s);
    let wd = (unix_s / 86_400 % 7) as usize;
    let (hh, mm, ss) = (unix_s % 86_400 / 3600, unix_s % 3600 / 60, unix_s % 60);
    match form {
        0 => format!(
            "{}, {d:02} {} {y} {hh:02}:{mm:02}:{ss:02} GMT",
            DAYS[wd],
            MONTHS[m - 1]
        ),
        1 => format!(
            "{}, {d:02}-{}-{:02} {hh:02}:{mm:02}:{ss:02} GMT",
            LONG_DAYS[wd],
            MONTHS[m - 1],
            y % 100
        ),
        _ => format!(
            "{} {} {d:>2} {hh:02}:{mm:02}:{ss:02} {y}",
            DAYS[wd],
            MONTHS[m - 1]
        ),
    }
}

/// Seconds from 1970 to 9999-12-31T23:59:59.
const LAST_DATE_S: u64 = 253_402_300_799;
/// Seconds from 1970 to 2070 (RFC 850's two-digit years).
const CENTURY_S: u64 = 3_155_760_000;

/// A valid date in some form, and its instant.
fn valid_date() -> impl Strategy<Value = (String, u64)> {
    prop_oneof![
        (0..=LAST_DATE_S, 0u8..3).prop_filter_map("RFC 850 reads two digits", |(s, f)| {
            (f != 1 || s < CENTURY_S).then(|| (http_date(s, f), s * 1000))
        }),
        (0..CENTURY_S).prop_map(|s| (http_date(s, 1), s * 1000)),
    ]
}

/// `s` with one edit: a character replaced, removed or inserted, or cut.
fn mutate(s: String, at: usize, c: char, how: u8) -> String {
    let chars: Vec<char> = s.chars().collect();
    let at = at % (chars.len() + 1);
    let mut out: Vec<char> = chars.clone();
    match how % 4 {
        0 if at < chars.len() => out[at] = c,
        1 if at < chars.len() => {
            out.remove(at);
        }
        2 => out.insert(at, c),
        _ => out.truncate(at),
    }
    out.into_iter().collect()
}

fn edit() -> impl Strategy<Value = (usize, char, u8)> {
    (
        any::<usize>(),
        prop_oneof![
            Just(' '),
            Just(','),
            Just(':'),
            Just('-'),
            Just('9'),
            Just('0'),
            Just('"'),
            Just(';'),
            Just('='),
            any::<char>()
        ],
        any::<u8>(),
    )
}

/// A rate-limit header name, from the families read, in any case, or not.
fn header_name() -> impl Strategy<Value = String> {
    let known = prop_oneof![
        Just("x-limit-per-second"),
        Just("x-remaining-this-second"),
        Just("x-limit-per-day"),
        Just("x-remaining-today"),
        Just("RateLimit"),
        Just("RateLimit-Policy"),
        Just("X-RateLimit-Limit"),
        Just("X-RateLimit-Remaining"),
        Just("X-RateLimit-Reset"),
        Just("RateLimit-Limit"),
        Just("RateLimit-Remaining"),
        Just("RateLimit-Reset"),
        Just("Retry-After"),
    ];
    prop_oneof![
        4 => (known, any::<u64>()).prop_map(|(k, case)| {
            k.chars()
                .enumerate()
                .map(|(i, c)| if case >> (i % 64) & 1 == 1 { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
                .collect()
        }),
        1 => ".{0,24}",
    ]
}

/// A structured-field value near the grammar of `RateLimit` and
/// `RateLimit-Policy`: members, `;key=value` parameters, quotes, escapes.
fn structured() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        "[a-z]{1,6}",
        "\"[a-z ,;=\\\\\"]{0,8}\"",
        "[0-9]{1,22}",
        "-[0-9]{1,4}",
        Just(String::new())
    ];
    let param = (
        prop_oneof![
            Just("r"),
            Just("t"),
            Just("q"),
            Just("w"),
            Just("limit"),
            Just("")
        ],
        token.clone(),
    )
        .prop_map(|(k, v)| format!(";{k}={v}"));
    let member = (
        token.clone(),
        prop::option::of(token),
        prop::collection::vec(param, 0..4),
    )
        .prop_map(|(name, value, params)| {
            let mut m = name;
            if let Some(v) = value {
                m.push('=');
                m.push_str(&v);
            }
            m.push_str(&params.concat());
            m
        });
    prop::collection::vec(member, 0..20).prop_map(|ms| ms.join(", "))
}

/// A header value: a number, a structured field, a date, or anything.
fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,25}",
        any::<u64>().prop_map(|n| n.to_string()),
        structured(),
        valid_date().prop_map(|(d, _)| d),
        text(),
    ]
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((header_name(), header_value()), 0..10)
}

/// A body: JSON-ish with message keys, HTML, text, or anything.
fn body() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("error"),
        Just("message"),
        Just("error_description"),
        Just("detail"),
        Just("title"),
        Just("x")
    ];
    prop_oneof![
        (key, ".{0,300}", 0usize..3).prop_map(|(k, v, nest)| {
            let v = v.replace('\\', "\\\\").replace('"', "\\\"");
            let inner = format!(r#""{k}": "{v}""#);
            match nest {
                0 => format!("{{{inner}}}"),
                1 => format!(r#"{{"code": 7, "error": {{{inner}}}}}"#),
                _ => format!("{{{inner}"),
            }
        }),
        "\\{[\"a-z:\\\\u0-9 ,{}]{0,200}",
        "<html>.{0,100}",
        ".{0,400}",
        (".{0,20}", 1usize..40_000).prop_map(|(s, n)| s.repeat(n.min(400_000 / (s.len() + 1)))),
    ]
}

// ----- targets ------------------------------------------------------------------

#[test]
fn fuzz_retry_after() {
    let input = prop_oneof![
        text().prop_map(|t| (t, None)),
        valid_date().prop_map(|(d, at)| (d, Some(at))),
        (valid_date(), edit()).prop_map(|((d, _), (at, c, how))| (mutate(d, at, c, how), None)),
    ];
    fuzz(
        "retry_after",
        (input, any::<u64>()),
        |((value, date_at), wall)| {
            let wall = UnixMillis(wall);
            let read = parse_retry_after(&value, Some(wall));
            let trimmed = value.trim();
            if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
                // delta-seconds: exactly, saturating.
                let secs = trimmed.parse::<u64>().unwrap_or(u64::MAX);
                prop_assert_eq!(read, Ok(secs.saturating_mul(1000)));
            } else if let Some(at) = date_at {
                prop_assert_eq!(read, Ok(at.saturating_sub(wall.0)), "{}", value);
            } else if trimmed.starts_with('-') {
                prop_assert_eq!(read, Err(HeaderError::NotAnInteger));
            }
            if let (Ok(delay), false) = (read, trimmed.bytes().all(|b| b.is_ascii_digit())) {
                // A date: never further than 9999 lies from the wall clock.
                prop_assert!(delay <= (LAST_DATE_S * 1000).saturating_sub(wall.0));
                prop_assert_eq!(
                    parse_retry_after(&value, None),
                    Err(HeaderError::NeedsWallClock)
                );
            }
            Ok(())
        },
    );
}

#[test]
fn fuzz_http_date() {
    let input = prop_oneof![
        valid_date().prop_map(|(d, at)| (d, Some(at))),
        (valid_date(), edit()).prop_map(|((d, _), (at, c, how))| (mutate(d, at, c, how), None)),
        text().prop_map(|t| (t, None)),
    ];
    fuzz("http_date", input, |(value, at)| {
        let read = parse_http_date(&value);
        if let Some(at) = at {
            prop_assert_eq!(read, Ok(UnixMillis(at)), "{}", value);
        }
        if let Ok(t) = read {
            prop_assert!(
                t.0 <= LAST_DATE_S * 1000 && t.0 % 1000 == 0,
                "{} → {:?}",
                value,
                t
            );
        }
        Ok(())
    });
}

#[test]
fn fuzz_rate_limit_headers() {
    fuzz(
        "rate_limit_headers",
        (headers(), any::<Option<u64>>()),
        |(headers, wall)| {
            let r = RateLimitHeaders::read(&headers, wall.map(UnixMillis));
            // Every malformed field is one that was present.
            prop_assert!(usize::from(r.malformed) <= headers.len());
            // Etsy's fields: the first of each name, read exactly when decimal.
            let first = |name: &str| {
                headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.as_str())
            };
            let decimal = |v: &str| {
                let t = v.trim();
                (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| t.parse::<u64>().unwrap_or(u64::MAX))
            };
            let said = first("x-limit-per-second").and_then(decimal);
            let left = first("x-remaining-this-second").and_then(decimal);
            if said.is_some() || left.is_some() {
                prop_assert_eq!((r.per_second.limit, r.per_second.remaining), (said, left));
            } else {
                prop_assert!(r.per_second.is_empty());
            }
            let said = first("x-limit-per-day").and_then(decimal);
            let left = first("x-remaining-today").and_then(decimal);
            if said.is_some() || left.is_some() {
                prop_assert_eq!((r.per_day.limit, r.per_day.remaining), (said, left));
            }
            Ok(())
        },
    );
}

#[test]
fn fuzz_structured_fields() {
    let input = prop_oneof![
        (structured(), structured()),
        (structured(), edit()).prop_map(|(s, (at, c, how))| (mutate(s, at, c, how), String::new())),
        (text(), text()),
        // A well-formed list, whose tightest policy must be read.
        (prop::collection::vec((0u64..1_000_000, 0u64..100_000, 1u64..100_000), 1..6)).prop_map(
            |ps| {
                let list: Vec<String> = ps
                    .iter()
                    .enumerate()
                    .map(|(i, (r, t, _))| format!("\"p{i}\";r={r};t={t}"))
                    .collect();
                let policy: Vec<String> = ps
                    .iter()
                    .enumerate()
                    .map(|(i, (_, _, q))| format!("\"p{i}\";q={q};w=60"))
                    .collect();
                (list.join(", "), policy.join(", "))
            }
        ),
    ];
    fuzz("structured_fields", input, |(field, policy)| {
        let headers = [
            ("RateLimit", field.as_str()),
            ("RateLimit-Policy", policy.as_str()),
        ];
        let r = RateLimitHeaders::read(&headers[..], None);
        prop_assert!(r.malformed <= 1);
        // A list of well-formed members: the fewest remaining speaks, and
        // its policy gives the limit.
        let members: Vec<(u64, u64)> = field
            .split(", ")
            .filter_map(|m| {
                let mut p = m.split(';');
                let name = p.next()?;
                if !(name.starts_with("\"p") && name.ends_with('"')) {
                    return None;
                }
                let r = p.next()?.strip_prefix("r=")?.parse().ok()?;
                let t = p.next()?.strip_prefix("t=")?.parse().ok()?;
                p.next().is_none().then_some((r, t))
            })
            .collect();
        if !members.is_empty() && members.len() == field.split(", ").count() && members.len() <= 16
        {
            let (left, reset) = members
                .iter()
                .copied()
                .min_by_key(|(left, _)| *left)
                .unwrap();
            prop_assert_eq!(r.general.remaining, Some(left));
            prop_assert_eq!(r.general.reset_ms, Some(reset * 1000));
        }
        Ok(())
    });
}

#[test]
fn fuzz_classify() {
    fuzz(
        "classify",
        (
            any::<u16>(),
            headers(),
            prop::option::of(body()),
            any::<Option<u64>>(),
        ),
        |(status, headers, body, wall)| {
            let c = classify_response(status, &headers, body.as_deref(), wall.map(UnixMillis));
            let (category, retryable, effect) = status_category(status);
            prop_assert_eq!(
                (c.category, c.retryable, c.effect),
                (category, retryable, effect)
            );
            prop_assert_eq!(c.status, Some(status));
            if category.is_none() {
                prop_assert_eq!((&c.server_delay_ms, &c.message), (&None, &None));
            }
            if let Some(m) = &c.message {
                prop_assert!(m.chars().count() <= MAX_MESSAGE_CHARS);
                prop_assert!(!m.chars().any(char::is_control));
            }
            Ok(())
        },
    );
}

#[test]
fn fuzz_body_message() {
    let secret = "sk_live_0123456789";
    let input = (body(), 0usize..400).prop_map(move |(b, at)| {
        // Somewhere, perhaps across the 200-character cut, the secret.
        let cut = b.char_indices().map(|(i, _)| i).nth(at).unwrap_or(b.len());
        format!("{}{secret}{}", &b[..cut], &b[cut..])
    });
    fuzz("body_message", prop_oneof![body(), input], |b| {
        if let Some(m) = server_message(&b) {
            prop_assert!(m.chars().count() <= MAX_MESSAGE_CHARS);
            prop_assert!(!m.chars().any(char::is_control));
        }
        let scrubbed =
            server_message_scrubbed(&b, secret.len(), |m| m.replace(secret, "[redacted]"));
        if let Some(m) = scrubbed {
            prop_assert!(!m.contains("sk_live"), "{}", m);
        }
        Ok(())
    });
}

/// A snapshot of an engine that did `steps` things (seeded by `seed`).
fn snapshot(seed: u64, steps: u8) -> (EngineConfig, Snapshot) {
    let mut config = EngineConfig {
        seed,
        ..EngineConfig::default()
    };
    if seed % 2 == 0 {
        config.breaker.scope = steadfast_core::breaker::BreakerScope::Endpoint;
    }
    let mut e = Engine::new(config, Millis(0)).unwrap();
    let statuses = [200u16, 503, 429, 404, 500];
    let heads: [&[(&str, &str)]; 3] = [
        &[],
        &[("Retry-After", "3"), ("x-remaining-today", "40")],
        &[("x-limit-per-day", "600")],
    ];
    for i in 0..u64::from(steps) {
        let t = Millis(i * 700);
        let call = e.start(
            RequestMeta {
                method: Method::Get,
                endpoint: ["/a/1", "/b/2", "/c"][(i % 3) as usize],
                idempotency_key: false,
                timeout_ms: None,
                deadline_ms: None,
            },
            t,
        );
        while let Some(o) = e.poll_output() {
            if let Output::Send { attempt, .. } = o {
                let r = ResponseMeta {
                    status: statuses[((seed >> (i % 32)) as usize + i as usize) % 5],
                    headers: heads[(i % 3) as usize],
                    body: Some("{\"error\":\"no\"}"),
                    wall: None,
                };
                e.handle_response(call, attempt, r, t);
            }
        }
        e.handle_timeout(t);
    }
    (
        config,
        e.snapshot(
            Millis(u64::from(steps) * 700),
            UnixMillis(1_700_000_000_000),
        ),
    )
}

/// Values a hostile store might hold where a snapshot has a number, a
/// string or an object: every JSON type, and numbers out of every range.
const HOSTILE: [&str; 16] = [
    "0",
    "1",
    "-1",
    "1.5",
    "1e3",
    "9007199254740991",
    "9007199254740992",
    "18446744073709551616",
    "\"\"",
    "\"open\"",
    "\"half_open\"",
    "true",
    "null",
    "[]",
    "{}",
    "[[0,4294967296]]",
];

/// JSON's own characters, for edits that keep the text mostly JSON.
const JSONISH: &[u8] = b"0123456789{}[]\",:-.eE sfotrue";

static DECODED: AtomicU64 = AtomicU64::new(0);
static RESTORED: AtomicU64 = AtomicU64::new(0);

#[test]
fn fuzz_snapshot_decode() {
    // Valid snapshots edited: a character set, a run removed, a value
    // replaced by a hostile one, a cut; text of any kind; or snapshots of
    // known fields holding any JSON.
    let edited = (
        any::<u64>(),
        0u8..40,
        prop::collection::vec(
            (
                any::<usize>(),
                any::<u8>(),
                prop_oneof![2 => Just(0u8), 1 => Just(1), 6 => Just(2), 1 => Just(3)],
            ),
            1..3,
        ),
    )
        .prop_map(|(seed, steps, edits)| {
            let (config, snap) = snapshot(seed, steps);
            let mut bytes = snap.encode().into_bytes();
            for (at, b, how) in edits {
                let at = at % (bytes.len() + 1);
                let c = JSONISH[usize::from(b) % JSONISH.len()];
                match how {
                    0 if at < bytes.len() => bytes[at] = c,
                    1 => {
                        let end = (at + usize::from(b % 8) + 1).min(bytes.len());
                        bytes.drain(at..end);
                    }
                    2 => {
                        // A value put where one was: after a `:`, up to
                        // the next `,` or `}`.
                        let from = bytes[..at]
                            .iter()
                            .rposition(|&x| x == b':')
                            .map_or(0, |i| i + 1);
                        let to = bytes[from..]
                            .iter()
                            .position(|&x| x == b',' || x == b'}' || x == b']')
                            .map_or(bytes.len(), |i| from + i);
                        let v = HOSTILE[usize::from(b) % HOSTILE.len()].as_bytes();
                        bytes.splice(from..to, v.iter().copied());
                    }
                    _ => bytes.truncate(at),
                }
            }
            (config, String::from_utf8_lossy(&bytes).into_owned())
        });
    let any_text = prop_oneof![
        ".{0,64}",
        "sf[12]:[0-9a-f]{0,40}",
        "\\{\"format\":[0-9],.{0,60}\\}"
    ]
    .prop_map(|t| (EngineConfig::default(), t));
    // A snapshot made of fields that exist, each given any value: every
    // field's check meets every JSON type.
    let key = prop_oneof![
        Just("circuits"),
        Just("limiter"),
        Just("monitor"),
        Just("budget"),
        Just("rng"),
        Just("savedAt"),
        Just("until"),
        Just("state"),
        Just("sent"),
        Just("buckets"),
        Just("slowdown"),
        Just("quota"),
        Just("second"),
        Just("endpoints"),
        Just("lastError"),
        Just("calls"),
        Just("errors"),
        Just("end"),
        Just("outcomes"),
        Just("paceAt"),
    ];
    let leaf = prop_oneof![
        (0..HOSTILE.len()).prop_map(|i| HOSTILE[i].to_string()),
        "[0-9]{1,14}",
        "\"[sf]{0,12}\"",
    ];
    let value = leaf.prop_recursive(3, 24, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec((key.clone(), inner), 0..4).prop_map(|m| {
                let body: Vec<String> = m.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                format!("{{{}}}", body.join(","))
            }),
        ]
    });
    let top = prop_oneof![
        Just("circuits"),
        Just("limiter"),
        Just("monitor"),
        Just("budget")
    ];
    let sparse = (top, value).prop_map(|(k, v)| {
        (
            EngineConfig::default(),
            format!("{{\"format\":3,\"savedAt\":1700000000000,\"rng\":\"7\",\"{k}\":{v}}}"),
        )
    });
    fuzz(
        "snapshot_decode",
        prop_oneof![3 => edited, 1 => any_text, 2 => sparse],
        |(config, text)| {
            let Ok(snap) = Snapshot::decode(&text) else {
                return Ok(());
            };
            DECODED.fetch_add(1, Ordering::Relaxed);
            // Whatever decodes encodes to text that decodes to the same.
            let again = snap.encode();
            prop_assert_eq!(Snapshot::decode(&again).map(|s| s.encode()), Ok(again));
            // And restores, or is refused: never a panic. A restored engine
            // ends every call it is given.
            let Ok(mut e) = Engine::restore(config, snap, Millis(5), UnixMillis(1_700_000_100_000))
            else {
                return Ok(());
            };
            RESTORED.fetch_add(1, Ordering::Relaxed);
            let mut now = 5u64;
            let ids: Vec<_> = (0..4)
                .map(|i| {
                    e.start(
                        RequestMeta {
                            method: Method::Get,
                            endpoint: ["/a/1", "/b/2"][i % 2],
                            idempotency_key: false,
                            timeout_ms: None,
                            deadline_ms: None,
                        },
                        Millis(now),
                    )
                })
                .collect();
            let mut ended = 0;
            for _ in 0..2_000 {
                while let Some(o) = e.poll_output() {
                    match o {
                        Output::Send { call, attempt, .. } => e.handle_response(
                            call,
                            attempt,
                            ResponseMeta {
                                status: 200,
                                headers: &[],
                                body: None,
                                wall: None,
                            },
                            Millis(now),
                        ),
                        Output::Done { .. } => ended += 1,
                        _ => {}
                    }
                }
                let Some(t) = e.poll_timeout() else { break };
                now = now.max(t.as_u64());
                e.handle_timeout(Millis(now));
            }
            while let Some(o) = e.poll_output() {
                if matches!(o, Output::Done { .. }) {
                    ended += 1;
                }
            }
            prop_assert_eq!(ended, ids.len(), "every call ends after a restore");
            Ok(())
        },
    );
    println!(
        "fuzz snapshot_decode: {} decoded, {} of them restored and run",
        DECODED.load(Ordering::Relaxed),
        RESTORED.load(Ordering::Relaxed)
    );
}

#[test]
fn generated_dates_are_what_the_strategies_say() {
    // The oracle itself: the generators' dates read back as the instants
    // they were made from (known values, independent of the parser).
    assert_eq!(http_date(784_111_777, 0), "Sun, 06 Nov 1994 08:49:37 GMT");
    assert_eq!(http_date(784_111_777, 1), "Sunday, 06-Nov-94 08:49:37 GMT");
    assert_eq!(http_date(784_111_777, 2), "Sun Nov  6 08:49:37 1994");
    assert_eq!(http_date(LAST_DATE_S, 0), "Fri, 31 Dec 9999 23:59:59 GMT");
    assert_eq!(mutate("abc".into(), 1, 'x', 0), "axc");
    assert_eq!(mutate("abc".into(), 1, 'x', 3), "a");
}
