//! The table of options: every plain setting a user may pass, by section —
//! its name as written in JavaScript, the core's field it sets, and its kind
//! (a whole number up to `u32::MAX` or 2^53 − 1, a number, either or `null`,
//! a boolean). One table drives both the unknown-name check and the decoder
//! ([`crate::options`]), and a test holds it against the package's
//! `index.d.ts` (every name, every documented default equal to the core's).
//!
//! Ranges are the core's (`check_config` of each machine): the table only
//! says what type a value must be to be read at all. Options that are more
//! than one value (`retry.budget`, `breaker.failureRate`, `jitter`, ...)
//! are decoded by hand in `options.rs`; their names are the sections'
//! `others`.

use steadfast_core::breaker::FailureRateConfig;
use steadfast_core::engine::EngineConfig;
use steadfast_core::retry::RetryBudgetConfig;

/// Where a setting's value goes, and so what it must be.
pub(crate) enum Field<'a> {
    /// A whole number in `0..=u32::MAX`.
    U32(&'a mut u32),
    /// A whole number in `0..=2^53 − 1` (what a JavaScript number holds
    /// exactly).
    U64(&'a mut u64),
    /// A whole number, or `null` for "none".
    OptU64(&'a mut Option<u64>),
    /// A finite number.
    F64(&'a mut f64),
    /// A finite number, or `null` for "none".
    OptF64(&'a mut Option<f64>),
    /// `true` or `false`.
    Bool(&'a mut bool),
}

/// One plain setting.
pub(crate) struct Setting {
    /// Its name in its section, as the user writes it.
    pub(crate) name: &'static str,
    /// The core's field it sets (of an optional part, `retry.budget` or
    /// `breaker.failureRate`, once that part is on).
    pub(crate) field: fn(&mut EngineConfig) -> Field<'_>,
}

/// A section of the options: its plain settings, and the names of the
/// options in it that are decoded by hand.
pub(crate) struct Table {
    pub(crate) settings: &'static [Setting],
    pub(crate) others: &'static [&'static str],
}

impl Table {
    /// Calls `f` with the name of each option of this section.
    pub(crate) fn each(&self, f: &mut dyn FnMut(&'static str)) {
        self.settings.iter().for_each(|s| f(s.name));
        self.others.iter().for_each(|o| f(o));
    }
}

/// A section's settings: `c => <the section's part of c>`, then each name
/// and the kind and path of its field in that part.
macro_rules! settings {
    ($c:ident => $part:expr, { $( $name:literal => $kind:ident($($path:tt)+) ),* $(,)? }) => {
        &[ $( Setting { name: $name, field: |$c| Field::$kind(&mut $part.$($path)+) } ),* ]
    };
}

/// `retry` (and `new RetryPolicy`).
pub(crate) const RETRY: Table = Table {
    settings: settings!(c => c.retry, {
        "maxRetries" => U32(max_retries),
        "baseDelayMs" => U64(backoff.base_delay_ms),
        "maxDelayMs" => U64(backoff.max_delay_ms),
        "multiplier" => F64(backoff.multiplier),
        "maxRetryAfterMs" => U64(max_retry_after_ms),
        "deadlineMs" => OptU64(deadline_ms),
    }),
    others: &["jitter", "budget"],
};

/// `retry.budget`.
pub(crate) const BUDGET: Table = Table {
    settings: settings!(c => c.budget.get_or_insert_with(RetryBudgetConfig::default), {
        "ratio" => F64(ratio),
        "minRetriesPerSecond" => F64(min_retries_per_second),
        "maxTokens" => F64(max_tokens),
    }),
    others: &[],
};

/// `breaker` (and `new CircuitBreaker`).
pub(crate) const BREAKER: Table = Table {
    settings: settings!(c => c.breaker, {
        "failureThreshold" => U32(failure_threshold),
        "successThreshold" => U32(success_threshold),
        "halfOpenMaxProbes" => U32(half_open_max_probes),
        "openBackoff" => F64(open_backoff),
        "slowCallMs" => OptU64(slow_call_ms),
        "maxBreakers" => U32(max_breakers),
    }),
    // `openMs` and `maxOpenMs` are read together: a larger `openMs` raises
    // the default cap (the core's `set_open_times`).
    others: &[
        "openMs",
        "maxOpenMs",
        "failureRate",
        "failureCategories",
        "scope",
    ],
};

/// `breaker.failureRate`.
pub(crate) const FAILURE_RATE: Table = Table {
    settings: settings!(c => c.breaker.failure_rate.get_or_insert_with(FailureRateConfig::default), {
        "threshold" => F64(threshold),
        "minimumCalls" => U32(minimum_calls),
    }),
    others: &["window"],
};

/// `breaker.failureRate.window`: its kind decides which of its settings
/// apply (the core's `WindowKind::from_options`).
pub(crate) const WINDOW: &[&str] = &["kind", "size", "windowMs", "buckets"];

/// `limiter` (and `new RateLimiter`).
pub(crate) const LIMITER: Table = Table {
    settings: settings!(c => c.limiter, {
        "perSecond" => F64(per_second),
        "burst" => U32(burst),
        "perDay" => OptU64(per_day),
        "bufferRatio" => F64(buffer_ratio),
        "dayWindowMs" => U64(day_window_ms),
        "adaptive" => Bool(adaptive),
        "maxSlowdown" => F64(max_slowdown),
        "recoveryFactor" => F64(recovery_factor),
        "rateLimitPauseMs" => U64(rate_limit_pause_ms),
        "quotaRecheckMs" => U64(quota_recheck_ms),
        "maxQueueMs" => U64(max_queue_ms),
        "maxPauseMs" => U64(max_pause_ms),
        "timerSlackMs" => U64(timer_slack_ms),
    }),
    others: &[],
};

/// `monitor` (and `new ErrorMonitor`).
pub(crate) const MONITOR: Table = Table {
    settings: settings!(c => c.monitor, {
        "windowMs" => U64(window_ms),
        "buckets" => U32(buckets),
        "alertThreshold" => U64(alert_threshold),
        "alertRate" => OptF64(alert_rate),
        "minCalls" => U64(min_calls),
        "maxEndpoints" => U32(max_endpoints),
    }),
    others: &["onAlert"],
};

/// `createClient`'s top level: every option is decoded by hand (most are
/// sections or references), so the table is only names.
pub(crate) const TOP: &[&str] = &[
    "baseUrl",
    "headers",
    "fetch",
    "clock",
    "attemptTimeoutMs",
    "seed",
    "retry",
    "breaker",
    "limiter",
    "monitor",
    "restore",
    "auth",
];

/// `auth`.
pub(crate) const AUTH: &[&str] = &["refresh", "timeoutMs"];

/// `clock`.
pub(crate) const CLOCK: &[&str] = &["now", "sleep", "wallNow"];

#[cfg(test)]
#[allow(clippy::panic, clippy::indexing_slicing)]
mod tests {
    //! The table against the package's `index.d.ts`: each section's names
    //! are exactly its interface's members, and where the types document a
    //! default ("Default 3", "`null`: off (default)"), it is the core's.

    use super::{Field, Table, BREAKER, BUDGET, FAILURE_RATE, LIMITER, MONITOR, RETRY, TOP};
    use std::collections::BTreeMap;
    use std::string::{String, ToString};
    use std::vec::Vec;
    use steadfast_core::engine::EngineConfig;

    /// A member of an interface: its path (`budget.ratio`) and doc comment.
    fn members(dts: &str, interface: &str) -> BTreeMap<String, String> {
        let start = dts
            .find(&format!("export interface {interface} {{"))
            .unwrap_or_else(|| panic!("no interface {interface} in index.d.ts"));
        let mut out = BTreeMap::new();
        let mut path: Vec<String> = Vec::new();
        let mut depth = 0_i32;
        let mut doc = String::new();
        for line in dts[start..].lines() {
            let t = line.trim();
            if let Some(d) = t.strip_prefix("/**") {
                doc = d.trim_end_matches("*/").trim().to_string();
            } else if let Some(d) = t.strip_prefix('*').filter(|_| !t.starts_with("*/")) {
                doc.push(' ');
                doc.push_str(d.trim());
            } else if !t.starts_with("*/") && depth >= 1 {
                let name: String = t.chars().take_while(|c| c.is_alphanumeric()).collect();
                if !name.is_empty() && t[name.len()..].starts_with(['?', ':']) {
                    let mut full = path.clone();
                    full.push(name.clone());
                    // Only this interface's own level and its inline objects.
                    if full.len() as i32 == depth {
                        out.insert(full.join("."), doc.clone());
                    }
                    doc.clear();
                    if t.ends_with('{') {
                        path.push(name);
                    }
                }
            }
            for c in t.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if (depth as usize) < path.len() + 1 && !path.is_empty() && depth >= 1 {
                            path.pop();
                        }
                    }
                    _ => {}
                }
            }
            if depth == 0 && t.ends_with('}') {
                break;
            }
        }
        out
    }

    /// The documented default, as the JavaScript writes it, if the doc says.
    fn documented_default(doc: &str) -> Option<String> {
        if let Some(i) = doc.find("Default ") {
            let v: String = doc[i + 8..]
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != ',')
                .collect();
            return Some(v.trim_end_matches('.').to_string());
        }
        (doc.contains("`null`: off (default)") || doc.contains("`null`: none (default)"))
            .then(|| "null".to_string())
    }

    /// The core's default of a setting, as the JavaScript would write it.
    fn core_default(field: Field<'_>) -> String {
        let num = |n: f64| {
            if n.fract() == 0.0 && n.abs() < 1e15 {
                format!("{}", n as i64)
            } else {
                format!("{n}")
            }
        };
        match field {
            Field::U32(v) => v.to_string(),
            Field::U64(v) => v.to_string(),
            Field::OptU64(v) => v.map_or("null".into(), |n| n.to_string()),
            Field::F64(v) => num(*v),
            Field::OptF64(v) => v.map_or("null".into(), num),
            Field::Bool(v) => v.to_string(),
        }
    }

    fn check(
        dts: &str,
        interface: &str,
        prefix: &str,
        table: &Table,
        defaults_checked: &mut usize,
    ) {
        let members = members(dts, interface);
        let own: Vec<&str> = members
            .keys()
            .filter_map(|k| match prefix {
                "" => (!k.contains('.')).then_some(k.as_str()),
                p => k
                    .strip_prefix(p)
                    .and_then(|k| k.strip_prefix('.'))
                    .filter(|k| !k.contains('.')),
            })
            .collect();
        let mut want: Vec<&str> = table
            .settings
            .iter()
            .map(|s| s.name)
            .chain(table.others.iter().copied())
            .collect();
        let mut got = own.clone();
        want.sort_unstable();
        got.sort_unstable();
        assert_eq!(
            got, want,
            "{interface} {prefix}: index.d.ts against the table"
        );
        for setting in table.settings {
            let key = if prefix.is_empty() {
                setting.name.to_string()
            } else {
                format!("{prefix}.{}", setting.name)
            };
            let Some(doc) = members.get(&key) else {
                continue;
            };
            let Some(documented) = documented_default(doc) else {
                continue;
            };
            let mut config = EngineConfig::default();
            let core = core_default((setting.field)(&mut config));
            assert_eq!(
                documented, core,
                "{interface}.{key}: the documented default against the core's"
            );
            *defaults_checked += 1;
        }
    }

    #[test]
    fn the_table_is_what_index_d_ts_says() {
        let dts = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../pkg-template/index.d.ts"
        ))
        .unwrap_or_default();
        assert!(!dts.is_empty(), "pkg-template/index.d.ts is readable");
        let mut n = 0;
        check(&dts, "RetryOptions", "", &RETRY, &mut n);
        check(&dts, "RetryOptions", "budget", &BUDGET, &mut n);
        check(&dts, "BreakerOptions", "", &BREAKER, &mut n);
        check(&dts, "BreakerOptions", "failureRate", &FAILURE_RATE, &mut n);
        check(&dts, "LimiterOptions", "", &LIMITER, &mut n);
        check(&dts, "MonitorOptions", "", &MONITOR, &mut n);
        let top = members(&dts, "ClientOptions");
        let mut top: Vec<&str> = top.keys().map(String::as_str).collect();
        let mut want = TOP.to_vec();
        top.sort_unstable();
        want.sort_unstable();
        assert_eq!(top, want, "ClientOptions against the table");
        // Every plain setting whose doc gives a default was compared.
        assert!(n >= 30, "only {n} documented defaults were compared");
    }

    #[test]
    fn the_parser_reads_members_defaults_and_inline_objects() {
        let dts = "export interface X {\n  /** A. Default 3, 0..=9. */\n  a?: number;\n  /** Off; `null`: off (default). */\n  b?: null | {\n    /** Default 0.5. */\n    c?: number;\n  };\n  d?: string;\n}\nexport interface Y {\n  e?: number;\n}\n";
        let m = members(dts, "X");
        let keys: Vec<&str> = m.keys().map(String::as_str).collect();
        assert_eq!(keys, ["a", "b", "b.c", "d"]);
        assert_eq!(documented_default(&m["a"]).as_deref(), Some("3"));
        assert_eq!(documented_default(&m["b"]).as_deref(), Some("null"));
        assert_eq!(documented_default(&m["b.c"]).as_deref(), Some("0.5"));
        assert_eq!(documented_default(&m["d"]), None);
    }
}
