//! The user's options, decoded from JavaScript and checked, every one.
//!
//! Types are checked here (a string where a number belongs, `NaN`, a
//! negative count, a fraction where an integer belongs, an unknown name);
//! ranges are the core's business (`ConfigError` names the option) except
//! for the few settings that belong to the host. Every error names the
//! option as the user wrote it: `retry.maxRetries`, `init.timeoutMs`.

use js_sys::{Function, Reflect};
use steadfast_core::breaker::{BreakerScope, FailureRateConfig, WindowError, WindowKind};
use steadfast_core::category_set::CategorySet;
use steadfast_core::engine::{EngineConfig, RequestMeta};
use steadfast_core::headers::{fits_field_value, is_field_name};
use steadfast_core::retry::Jitter;
use steadfast_core::{Category, ConfigError, Method, UnknownName};
use wasm_bindgen::{JsCast, JsValue};

/// The largest integer a JavaScript number holds exactly.
const MAX_SAFE: u64 = (1 << 53) - 1;

/// An option that cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OptionError {
    /// Wrong type.
    #[error("steadfast: `{option}` must be {expected}")]
    Type {
        option: String,
        expected: &'static str,
    },
    /// Right type, unusable value.
    #[error("steadfast: `{option}` {problem}")]
    Range { option: String, problem: String },
    /// A name no option has.
    #[error("steadfast: unknown option `{option}`")]
    Unknown { option: String },
    /// The core refused a value (it names the option).
    #[error("steadfast: {}", describe(.0))]
    Config(#[from] ConfigError),
    /// `restore` is not a snapshot (the message says why).
    #[error("steadfast: `restore` {0}")]
    Restore(&'static str),
}

impl OptionError {
    /// The JavaScript error: `TypeError` for a wrong type, an unknown name or
    /// method, `RangeError` for a value out of range.
    pub(crate) fn into_js(self) -> JsValue {
        let message = self.to_string();
        match self {
            Self::Type { .. }
            | Self::Unknown { .. }
            | Self::Restore(_)
            | Self::Config(ConfigError::UnknownMethod) => js_sys::TypeError::new(&message).into(),
            Self::Range { .. } | Self::Config(_) => js_sys::RangeError::new(&message).into(),
        }
    }

    /// The core's refusal of a building block's option, named as the user
    /// wrote it: `new CircuitBreaker({ openBackoff })` is `openBackoff`, not
    /// `breaker.openBackoff`.
    pub(crate) fn block(e: ConfigError, section: &str) -> Self {
        match e.option() {
            Some(option) => Self::Range {
                option: option
                    .strip_prefix(section)
                    .and_then(|o| o.strip_prefix('.'))
                    .unwrap_or(option)
                    .into(),
                problem: problem(&e).replace(&format!("`{section}."), "`"),
            },
            None => Self::Config(e),
        }
    }

    fn type_of(option: &str, expected: &'static str) -> Self {
        Self::Type {
            option: option.into(),
            expected,
        }
    }

    fn range(option: &str, problem: String) -> Self {
        Self::Range {
            option: option.into(),
            problem,
        }
    }
}

type Result<T> = core::result::Result<T, OptionError>;

/// The core's error in words, numbers written by JavaScript: Rust's float
/// formatting would add some 18 KB to the module for error messages alone.
fn describe(e: &ConfigError) -> String {
    match e.option() {
        Some(option) => format!("`{option}` {}", problem(e)),
        None => "unknown HTTP method".into(),
    }
}

/// What is wrong with the option [`describe`] names.
fn problem(e: &ConfigError) -> String {
    match e {
        ConfigError::NotFinite { .. } => "must be a finite number".into(),
        // The core's "above zero" bound: no one reads 2.2e-308 as zero.
        ConfigError::OutOfRange { min, max, got, .. } if *min == f64::MIN_POSITIVE => format!(
            "must be above 0 and at most {}, got {}",
            js_num(*max),
            js_num(*got)
        ),
        ConfigError::OutOfRange { min, max, got, .. } => format!(
            "must be between {} and {}, got {}",
            js_num(*min),
            js_num(*max),
            js_num(*got)
        ),
        ConfigError::Inconsistent { other, .. } => format!("must not exceed `{other}`"),
        _ => "has a value that cannot be used".into(),
    }
}

/// A number as JavaScript writes it.
pub(crate) fn js_num(n: f64) -> String {
    js_sys::Number::from(n)
        .to_string_with_radix(10)
        .map(String::from)
        .unwrap_or_default()
}

/// `s` in double quotes (without pulling in `{:?}`'s escaping tables).
pub(crate) fn quote(s: &str) -> String {
    format!("\"{s}\"")
}

/// One level of an options object (`options`, `options.retry`, ...).
struct Section {
    obj: Option<JsValue>,
    prefix: String,
}

impl Section {
    /// `undefined` / `null` open as an empty section (every option at its
    /// default); anything but a plain object is a `TypeError`; a key not in
    /// `known` is an unknown option.
    fn open(value: &JsValue, prefix: &str, known: &[&str]) -> Result<Self> {
        Self::open_with(value, prefix, known, &[])
    }

    /// [`Section::open`] where the keys of `extra` are known too (a building
    /// block's options: its `createClient` section plus a few of its own).
    fn open_with(value: &JsValue, prefix: &str, known: &[&str], extra: &[&str]) -> Result<Self> {
        let section = Self {
            obj: None,
            prefix: prefix.into(),
        };
        if value.is_undefined() || value.is_null() {
            return Ok(section);
        }
        let shown = if prefix.is_empty() { "options" } else { prefix };
        if !value.is_object() || crate::js::is_array(value) {
            return Err(OptionError::type_of(shown, "an object"));
        }
        let keys = Reflect::own_keys(value.unchecked_ref())
            .map_err(|_| OptionError::type_of(shown, "a plain object"))?;
        for key in keys.iter() {
            let Some(key) = key.as_string() else {
                continue; // Symbol keys are not options.
            };
            if !known.contains(&key.as_str()) && !extra.contains(&key.as_str()) {
                return Err(OptionError::Unknown {
                    option: section.name(&key),
                });
            }
        }
        Ok(Self {
            obj: Some(value.clone()),
            ..section
        })
    }

    /// `key`'s value `got` is not one of its choices.
    fn choice(&self, key: &str, e: UnknownName, got: &str) -> OptionError {
        OptionError::range(&self.name(key), format!("{e}, got {}", quote(got)))
    }

    fn name(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.into()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }

    /// The value, `None` when absent or `undefined`.
    fn present(&self, key: &str) -> Result<Option<JsValue>> {
        let Some(obj) = &self.obj else {
            return Ok(None);
        };
        let value = Reflect::get(obj, &JsValue::from_str(key))
            .map_err(|_| OptionError::type_of(&self.name(key), "readable"))?;
        Ok(if value.is_undefined() {
            None
        } else {
            Some(value)
        })
    }

    /// A finite number.
    fn number(&self, key: &str) -> Result<Option<f64>> {
        match self.present(key)? {
            None => Ok(None),
            Some(v) => number_value(&v, &self.name(key)).map(Some),
        }
    }

    /// A number, or `null` for "none".
    fn nullable_number(&self, key: &str) -> Result<Option<Option<f64>>> {
        match self.present(key)? {
            None => Ok(None),
            Some(v) if v.is_null() => Ok(Some(None)),
            Some(v) => number_value(&v, &self.name(key)).map(|n| Some(Some(n))),
        }
    }

    /// A whole number in `0..=max`.
    fn int(&self, key: &str, max: u64) -> Result<Option<u64>> {
        match self.present(key)? {
            None => Ok(None),
            Some(v) => int_value(&v, &self.name(key), max).map(Some),
        }
    }

    /// A whole number in `0..=max` that fits a `u32`.
    fn int32(&self, key: &str) -> Result<Option<u32>> {
        Ok(self
            .int(key, u64::from(u32::MAX))?
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX)))
    }

    /// A whole number, or `null` for "none".
    fn nullable_int(&self, key: &str, max: u64) -> Result<Option<Option<u64>>> {
        match self.present(key)? {
            None => Ok(None),
            Some(v) if v.is_null() => Ok(Some(None)),
            Some(v) => int_value(&v, &self.name(key), max).map(|n| Some(Some(n))),
        }
    }

    fn boolean(&self, key: &str) -> Result<Option<bool>> {
        match self.present(key)? {
            None => Ok(None),
            Some(v) => v
                .as_bool()
                .map(Some)
                .ok_or_else(|| OptionError::type_of(&self.name(key), "a boolean")),
        }
    }

    fn string(&self, key: &str) -> Result<Option<String>> {
        match self.present(key)? {
            None => Ok(None),
            Some(v) => v
                .as_string()
                .map(Some)
                .ok_or_else(|| OptionError::type_of(&self.name(key), "a string")),
        }
    }

    fn function(&self, key: &str) -> Result<Option<Function>> {
        match self.present(key)? {
            None => Ok(None),
            Some(v) => v
                .dyn_into::<Function>()
                .map(Some)
                .map_err(|_| OptionError::type_of(&self.name(key), "a function")),
        }
    }

    fn section(&self, key: &str, known: &[&str]) -> Result<Section> {
        let value = self.present(key)?.unwrap_or(JsValue::UNDEFINED);
        Section::open(&value, &self.name(key), known)
    }

    /// A nested section, `None` for `null` or `false` ("turned off").
    fn optional_section(&self, key: &str, known: &[&str]) -> Result<Option<Section>> {
        match self.present(key)? {
            Some(v) if v.is_null() || v.as_bool() == Some(false) => Ok(None),
            v => Section::open(&v.unwrap_or(JsValue::UNDEFINED), &self.name(key), known).map(Some),
        }
    }
}

fn number_value(v: &JsValue, name: &str) -> Result<f64> {
    let n = v
        .as_f64()
        .ok_or_else(|| OptionError::type_of(name, "a number"))?;
    if !n.is_finite() {
        return Err(OptionError::range(
            name,
            format!("must be a finite number, got {}", js_num(n)),
        ));
    }
    Ok(n)
}

fn int_value(v: &JsValue, name: &str, max: u64) -> Result<u64> {
    let n = number_value(v, name)?;
    if n < 0.0 {
        return Err(OptionError::range(
            name,
            format!("must not be negative, got {}", js_num(n)),
        ));
    }
    if n.fract() != 0.0 {
        return Err(OptionError::range(
            name,
            format!("must be a whole number, got {}", js_num(n)),
        ));
    }
    #[allow(clippy::cast_precision_loss)]
    if n > max as f64 {
        return Err(OptionError::range(
            name,
            format!("must be at most {max}, got {}", js_num(n)),
        ));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(n as u64)
}

/// The injected clock: `now()` and `sleep(ms, signal)`, called on `this`.
#[derive(Clone, Debug)]
pub(crate) struct ClockOption {
    pub(crate) this: JsValue,
    pub(crate) now: Function,
    pub(crate) sleep: Function,
    /// The wall clock (`Date.now()` when not given).
    pub(crate) wall_now: Option<Function>,
}

/// Everything `createClient` was given, decoded.
#[derive(Debug)]
pub(crate) struct ClientOptions {
    pub(crate) config: EngineConfig,
    pub(crate) base_url: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) fetch: Option<Function>,
    pub(crate) clock: Option<ClockOption>,
    pub(crate) on_alert: Option<Function>,
    /// Whether `seed` was given (else the host draws one).
    pub(crate) seeded: bool,
    /// A snapshot to resume from.
    pub(crate) restore: Option<steadfast_core::engine::Snapshot>,
}

const TOP: &[&str] = &[
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
];
const RETRY: &[&str] = &[
    "maxRetries",
    "baseDelayMs",
    "maxDelayMs",
    "multiplier",
    "jitter",
    "maxRetryAfterMs",
    "deadlineMs",
    "budget",
];
const BUDGET: &[&str] = &["ratio", "minRetriesPerSecond", "maxTokens"];
const BREAKER: &[&str] = &[
    "failureThreshold",
    "successThreshold",
    "openMs",
    "openBackoff",
    "maxOpenMs",
    "halfOpenMaxProbes",
    "failureRate",
    "slowCallMs",
    "failureCategories",
    "scope",
    "maxBreakers",
];
const FAILURE_RATE: &[&str] = &["threshold", "minimumCalls", "window"];
const WINDOW: &[&str] = &["kind", "size", "windowMs", "buckets"];
const LIMITER: &[&str] = &[
    "perSecond",
    "burst",
    "perDay",
    "bufferRatio",
    "dayWindowMs",
    "adaptive",
    "maxSlowdown",
    "recoveryFactor",
    "rateLimitPauseMs",
    "quotaRecheckMs",
    "maxQueueMs",
    "maxPauseMs",
    "timerSlackMs",
];
const MONITOR: &[&str] = &[
    "windowMs",
    "buckets",
    "alertThreshold",
    "alertRate",
    "minCalls",
    "maxEndpoints",
    "onAlert",
];
const CLOCK: &[&str] = &["now", "sleep", "wallNow"];

/// Decodes `createClient`'s options. Ranges the core checks are checked when
/// the engine is built ([`OptionError::Config`]).
pub(crate) fn decode_client(value: &JsValue) -> Result<ClientOptions> {
    let top = Section::open(value, "", TOP)?;
    let mut config = EngineConfig::default();

    let base_url = top.string("baseUrl")?.unwrap_or_default();
    let headers = match top.present("headers")? {
        None => Vec::new(),
        Some(v) => decode_headers(&v, "headers")?,
    };
    let fetch = top.function("fetch")?;
    let clock = match top.present("clock")? {
        None => None,
        Some(v) if v.is_null() => None,
        Some(v) => {
            let clock = Section::open(&v, "clock", CLOCK)?;
            let now = clock
                .function("now")?
                .ok_or_else(|| OptionError::type_of("clock.now", "a function"))?;
            let sleep = clock
                .function("sleep")?
                .ok_or_else(|| OptionError::type_of("clock.sleep", "a function"))?;
            let wall_now = clock.function("wallNow")?;
            Some(ClockOption {
                this: v,
                now,
                sleep,
                wall_now,
            })
        }
    };
    if let Some(ms) = top.int("attemptTimeoutMs", MAX_SAFE)? {
        config.attempt_timeout_ms = ms;
    }
    let seed = top.int("seed", MAX_SAFE)?;
    if let Some(seed) = seed {
        config.seed = seed;
    }

    decode_retry(&top.section("retry", RETRY)?, &mut config)?;
    decode_breaker(&top.section("breaker", BREAKER)?, &mut config)?;
    decode_limiter(&top.section("limiter", LIMITER)?, &mut config)?;
    let monitor = top.section("monitor", MONITOR)?;
    let on_alert = monitor.function("onAlert")?;
    decode_monitor(&monitor, &mut config)?;

    let restore = match top.present("restore")? {
        None => None,
        Some(v) if v.is_null() => None,
        Some(v) => Some(crate::snapshot::from_js(&v).map_err(OptionError::Restore)?),
    };

    Ok(ClientOptions {
        restore,
        config,
        base_url,
        headers,
        fetch,
        clock,
        on_alert,
        seeded: seed.is_some(),
    })
}

fn decode_retry(s: &Section, config: &mut EngineConfig) -> Result<()> {
    let r = &mut config.retry;
    if let Some(n) = s.int32("maxRetries")? {
        r.max_retries = n;
    }
    if let Some(n) = s.int("baseDelayMs", MAX_SAFE)? {
        r.backoff.base_delay_ms = n;
    }
    if let Some(n) = s.int("maxDelayMs", MAX_SAFE)? {
        r.backoff.max_delay_ms = n;
    }
    if let Some(n) = s.number("multiplier")? {
        r.backoff.multiplier = n;
    }
    if let Some(j) = s.string("jitter")? {
        r.backoff.jitter = j.parse::<Jitter>().map_err(|e| s.choice("jitter", e, &j))?;
    }
    if let Some(n) = s.int("maxRetryAfterMs", MAX_SAFE)? {
        r.max_retry_after_ms = n;
    }
    if let Some(d) = s.nullable_int("deadlineMs", MAX_SAFE)? {
        r.deadline_ms = d;
    }
    config.budget = match s.optional_section("budget", BUDGET)? {
        None => None,
        Some(b) => {
            let mut budget = config.budget.unwrap_or_default();
            if let Some(n) = b.number("ratio")? {
                budget.ratio = n;
            }
            if let Some(n) = b.number("minRetriesPerSecond")? {
                budget.min_retries_per_second = n;
            }
            if let Some(n) = b.number("maxTokens")? {
                budget.max_tokens = n;
            }
            Some(budget)
        }
    };
    Ok(())
}

fn decode_breaker(s: &Section, config: &mut EngineConfig) -> Result<()> {
    let b = &mut config.breaker;
    if let Some(n) = s.int32("failureThreshold")? {
        b.failure_threshold = n;
    }
    if let Some(n) = s.int32("successThreshold")? {
        b.success_threshold = n;
    }
    if let Some(n) = s.int32("halfOpenMaxProbes")? {
        b.half_open_max_probes = n;
    }
    let max_open = s.int("maxOpenMs", MAX_SAFE)?;
    b.set_open_times(s.int("openMs", MAX_SAFE)?, max_open);
    if let Some(n) = s.number("openBackoff")? {
        b.open_backoff = n;
    }
    if let Some(n) = s.nullable_int("slowCallMs", MAX_SAFE)? {
        b.slow_call_ms = n;
    }
    if let Some(v) = s.present("failureCategories")? {
        b.failure_categories = decode_categories(&v, &s.name("failureCategories"))?;
    }
    if let Some(scope) = s.string("scope")? {
        b.scope = scope
            .parse::<BreakerScope>()
            .map_err(|e| s.choice("scope", e, &scope))?;
    }
    if let Some(n) = s.int32("maxBreakers")? {
        b.max_breakers = n;
    }
    // Off unless given (`optional_section` opens an absent section at its
    // defaults, right for `retry.budget`, on by default, but not here).
    let rate = match s.present("failureRate")? {
        None => None,
        Some(_) => s.optional_section("failureRate", FAILURE_RATE)?,
    };
    if let Some(rate) = rate {
        let mut fr = FailureRateConfig::default();
        if let Some(n) = rate.number("threshold")? {
            fr.threshold = n;
        }
        if let Some(n) = rate.int32("minimumCalls")? {
            fr.minimum_calls = n;
        }
        let w = rate.section("window", WINDOW)?;
        let kind = w.string("kind")?;
        fr.window = WindowKind::from_options(
            kind.as_deref(),
            w.int32("size")?,
            w.int("windowMs", MAX_SAFE)?,
            w.int32("buckets")?,
        )
        .map_err(|e| match e {
            WindowError::UnknownKind => OptionError::range(
                &w.name("kind"),
                format!("{e}, got {}", quote(kind.as_deref().unwrap_or_default())),
            ),
            WindowError::OtherKind { option, .. } => {
                OptionError::range(&w.name(option), e.to_string())
            }
        })?;
        b.failure_rate = Some(fr);
    }
    Ok(())
}

fn decode_categories(v: &JsValue, name: &str) -> Result<CategorySet> {
    if !crate::js::is_array(v) {
        return Err(OptionError::type_of(name, "an array of category names"));
    }
    let mut set = CategorySet::EMPTY;
    for (i, item) in items(v, name, 64)?.into_iter().enumerate() {
        let item_name = format!("{name}[{i}]");
        let s = item
            .as_string()
            .ok_or_else(|| OptionError::type_of(&item_name, "a category name"))?;
        let c = s.parse::<Category>().map_err(|e| {
            OptionError::range(
                &item_name,
                format!("is not a category: {e}, got {}", quote(&s)),
            )
        })?;
        set = set.with(c);
    }
    Ok(set)
}

fn decode_limiter(s: &Section, config: &mut EngineConfig) -> Result<()> {
    let l = &mut config.limiter;
    if let Some(n) = s.number("perSecond")? {
        l.per_second = n;
    }
    if let Some(n) = s.int32("burst")? {
        l.burst = n;
    }
    if let Some(n) = s.nullable_int("perDay", MAX_SAFE)? {
        l.per_day = n;
    }
    if let Some(n) = s.number("bufferRatio")? {
        l.buffer_ratio = n;
    }
    if let Some(n) = s.int("dayWindowMs", MAX_SAFE)? {
        l.day_window_ms = n;
    }
    if let Some(b) = s.boolean("adaptive")? {
        l.adaptive = b;
    }
    if let Some(n) = s.number("maxSlowdown")? {
        l.max_slowdown = n;
    }
    if let Some(n) = s.number("recoveryFactor")? {
        l.recovery_factor = n;
    }
    if let Some(n) = s.int("rateLimitPauseMs", MAX_SAFE)? {
        l.rate_limit_pause_ms = n;
    }
    if let Some(n) = s.int("quotaRecheckMs", MAX_SAFE)? {
        l.quota_recheck_ms = n;
    }
    if let Some(n) = s.int("maxQueueMs", MAX_SAFE)? {
        l.max_queue_ms = n;
    }
    if let Some(n) = s.int("maxPauseMs", MAX_SAFE)? {
        l.max_pause_ms = n;
    }
    if let Some(n) = s.int("timerSlackMs", MAX_SAFE)? {
        l.timer_slack_ms = n;
    }
    Ok(())
}

fn decode_monitor(s: &Section, config: &mut EngineConfig) -> Result<()> {
    let m = &mut config.monitor;
    if let Some(n) = s.int("windowMs", MAX_SAFE)? {
        m.window_ms = n;
    }
    if let Some(n) = s.int32("buckets")? {
        m.buckets = n;
    }
    if let Some(n) = s.int("alertThreshold", MAX_SAFE)? {
        m.alert_threshold = n;
    }
    if let Some(n) = s.nullable_number("alertRate")? {
        m.alert_rate = n;
    }
    if let Some(n) = s.int("minCalls", MAX_SAFE)? {
        m.min_calls = n;
    }
    if let Some(n) = s.int32("maxEndpoints")? {
        m.max_endpoints = n;
    }
    Ok(())
}

/// Header fields from a plain object of strings (`undefined` values are
/// left out). Names are kept as given; fetch lower-cases them.
pub(crate) fn decode_headers(v: &JsValue, name: &str) -> Result<Vec<(String, String)>> {
    if !v.is_object() || crate::js::is_array(v) {
        return Err(OptionError::type_of(name, "an object of header fields"));
    }
    let keys = Reflect::own_keys(v.unchecked_ref())
        .map_err(|_| OptionError::type_of(name, "a plain object"))?;
    let mut out = Vec::new();
    for key in keys.iter() {
        let Some(key) = key.as_string() else {
            continue;
        };
        let field = format!("{name}[{}]", quote(&key));
        if !is_field_name(&key) {
            return Err(OptionError::range(
                &field,
                "is not a valid header name".into(),
            ));
        }
        let value = Reflect::get(v, &JsValue::from_str(&key))
            .map_err(|_| OptionError::type_of(&field, "readable"))?;
        if value.is_undefined() {
            continue;
        }
        let value = value
            .as_string()
            .ok_or_else(|| OptionError::type_of(&field, "a string"))?;
        if value.contains(['\r', '\n', '\0']) {
            return Err(OptionError::range(
                &field,
                "must not contain CR, LF or NUL".into(),
            ));
        }
        if !fits_field_value(&value) {
            return Err(OptionError::range(&field, LATIN1.into()));
        }
        out.push((key, value));
    }
    Ok(out)
}

/// What `fetch` refuses in a header value beyond CR, LF and NUL.
const LATIN1: &str =
    "must contain only characters up to U+00FF (fetch sends header values as Latin-1)";

/// The items of the array option `name`, at most `max`.
fn items(v: &JsValue, name: &str, max: u32) -> Result<Vec<JsValue>> {
    crate::js::array_items(v, max).map_err(|e| match e {
        crate::js::ItemsError::Unreadable => OptionError::type_of(name, "a readable array"),
        crate::js::ItemsError::TooMany => {
            OptionError::range(name, format!("must have at most {max} items"))
        }
    })
}

/// One call's `init`, decoded.
#[derive(Debug, Default)]
pub(crate) struct CallOptions {
    pub(crate) query: Vec<(String, String)>,
    /// What fetch sends as the body.
    pub(crate) body: Option<JsValue>,
    /// The body is JSON (sets `content-type` unless given).
    pub(crate) json: bool,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) signal: Option<JsValue>,
    pub(crate) timeout_ms: Option<u64>,
    pub(crate) deadline_ms: Option<u64>,
    pub(crate) idempotency_key: Option<String>,
}

const INIT: &[&str] = &[
    "query",
    "json",
    "body",
    "headers",
    "signal",
    "timeoutMs",
    "deadlineMs",
    "idempotencyKey",
];

/// The method name, checked.
pub(crate) fn decode_method(v: &JsValue) -> Result<Method> {
    let s = v
        .as_string()
        .ok_or_else(|| OptionError::type_of("method", "a string"))?;
    s.parse::<Method>().map_err(|_| {
        OptionError::range(
            "method",
            format!(
                "must be one of GET, HEAD, OPTIONS, TRACE, PUT, DELETE, POST, PATCH, got {}",
                quote(&s)
            ),
        )
    })
}

/// Decodes a call's `init`; `json_arg` is `post(path, json)`'s body.
/// `method` decides whether a body may be sent (`fetch` refuses one with
/// GET and HEAD).
pub(crate) fn decode_call(
    init: &JsValue,
    json_arg: &JsValue,
    method: Method,
) -> Result<CallOptions> {
    let s = Section::open(init, "init", INIT)?;
    let mut call = CallOptions::default();
    if let Some(q) = s.present("query")? {
        call.query = decode_query(&q)?;
    }
    let json = match (s.present("json")?, json_arg.is_undefined()) {
        (Some(_), false) => {
            return Err(OptionError::range(
                "init.json",
                "is given twice (as an argument and in init)".into(),
            ))
        }
        (Some(j), true) => Some(j),
        (None, false) => Some(json_arg.clone()),
        (None, true) => None,
    };
    let body = s.present("body")?.filter(|b| !b.is_null());
    if matches!(method, Method::Get | Method::Head) {
        let given = if json.is_some() {
            Some("init.json")
        } else {
            body.as_ref().map(|_| "init.body")
        };
        if let Some(name) = given {
            return Err(OptionError::range(
                name,
                format!("cannot be sent with {method} (fetch sends no body with GET or HEAD)"),
            ));
        }
    }
    match (json, body) {
        (Some(_), Some(_)) => {
            return Err(OptionError::range(
                "init.body",
                "cannot be given with `json`".into(),
            ))
        }
        (Some(j), None) => {
            let text = stringify(&j).ok_or_else(|| {
                OptionError::type_of("init.json", "a value JSON.stringify accepts")
            })?;
            call.body = Some(text);
            call.json = true;
        }
        (None, Some(b)) => {
            if !is_body(&b) {
                return Err(OptionError::type_of(
                    "init.body",
                    "a string, ArrayBuffer, typed array, DataView, Blob, FormData or URLSearchParams",
                ));
            }
            call.body = Some(b);
        }
        (None, None) => {}
    }
    if let Some(h) = s.present("headers")? {
        call.headers = decode_headers(&h, "init.headers")?;
    }
    if let Some(sig) = s.present("signal")?.filter(|v| !v.is_null()) {
        let aborted = crate::js::get(&sig, "aborted");
        if !sig.is_object()
            || aborted.as_bool().is_none()
            || crate::js::get_function(&sig, "addEventListener").is_none()
        {
            return Err(OptionError::type_of("init.signal", "an AbortSignal"));
        }
        call.signal = Some(sig);
    }
    call.timeout_ms = s.int("timeoutMs", MAX_SAFE)?;
    call.deadline_ms = s.int("deadlineMs", MAX_SAFE)?;
    RequestMeta::check_limits(call.timeout_ms, call.deadline_ms)?;
    if let Some(k) = s.string("idempotencyKey")? {
        if k.is_empty() || k.contains(['\r', '\n', '\0']) {
            return Err(OptionError::range(
                "init.idempotencyKey",
                "must be a non-empty string without CR, LF or NUL".into(),
            ));
        }
        if !fits_field_value(&k) {
            return Err(OptionError::range("init.idempotencyKey", LATIN1.into()));
        }
        call.idempotency_key = Some(k);
    }
    Ok(call)
}

/// `JSON.stringify(value)` as a string, `None` if it throws (cycles,
/// BigInt) or gives `undefined` (a function, a symbol): nothing to send.
fn stringify(value: &JsValue) -> Option<JsValue> {
    let json: JsValue = js_sys::JSON::stringify(value).ok()?.into();
    json.is_string().then_some(json)
}

/// A body `fetch` sends as it is: a string, an `ArrayBuffer`, a view of one
/// (typed array, `DataView`, `Buffer`), a `Blob`, `FormData` or
/// `URLSearchParams`. Anything else `fetch` would turn into text
/// (`"[object Object]"`) or refuse (a stream, which also cannot be sent
/// twice).
fn is_body(b: &JsValue) -> bool {
    b.is_string()
        || crate::js::is_buffer_view(b)
        || ["ArrayBuffer", "Blob", "FormData", "URLSearchParams"]
            .iter()
            .any(|class| crate::js::instance_of_global(b, class))
}

/// Query parameters: strings, numbers, booleans, or arrays of them
/// (repeated); `undefined` and `null` are left out.
fn decode_query(v: &JsValue) -> Result<Vec<(String, String)>> {
    let s = Section {
        obj: None,
        prefix: "init.query".into(),
    };
    if !v.is_object() || crate::js::is_array(v) {
        return Err(OptionError::type_of("init.query", "an object"));
    }
    let keys = Reflect::own_keys(v.unchecked_ref())
        .map_err(|_| OptionError::type_of("init.query", "a plain object"))?;
    let mut out = Vec::new();
    for key in keys.iter() {
        let Some(key) = key.as_string() else {
            continue;
        };
        let name = s.name(&key);
        let value = Reflect::get(v, &JsValue::from_str(&key))
            .map_err(|_| OptionError::type_of(&name, "readable"))?;
        let values: Vec<JsValue> = if crate::js::is_array(&value) {
            items(&value, &name, 1000)?
        } else {
            vec![value]
        };
        for item in values {
            if item.is_undefined() || item.is_null() {
                continue;
            }
            let text = if let Some(t) = item.as_string() {
                t
            } else if let Some(b) = item.as_bool() {
                b.to_string()
            } else if let Some(n) = item.as_f64().filter(|n| n.is_finite()) {
                js_num(n)
            } else {
                return Err(OptionError::type_of(
                    &name,
                    "a string, finite number, boolean, or an array of them",
                ));
            };
            out.push((key.clone(), text));
        }
    }
    Ok(out)
}

/// `new CircuitBreaker(options)`: the breaker's options at the top level,
/// and `clock` (`{ now() }`), answered as `(this, now)`.
pub(crate) fn decode_breaker_alone(
    value: &JsValue,
    known: &[&str],
    config: &mut EngineConfig,
) -> Result<Option<(JsValue, Function)>> {
    let top = Section::open(value, "", known)?;
    decode_breaker(&top, config)?;
    decode_now_clock(&top)
}

/// A `clock` with only `now()` (the building blocks never sleep).
fn decode_now_clock(top: &Section) -> Result<Option<(JsValue, Function)>> {
    match top.present("clock")?.filter(|v| !v.is_null()) {
        None => Ok(None),
        Some(v) => {
            let clock = Section::open(&v, "clock", &["now"])?;
            let now = clock
                .function("now")?
                .ok_or_else(|| OptionError::type_of("clock.now", "a function"))?;
            Ok(Some((v, now)))
        }
    }
}

/// Which building block [`decode_block_alone`] decodes.
#[derive(Clone, Copy)]
pub(crate) enum Block {
    Limiter,
    Retry,
    Monitor,
}

/// What `new RateLimiter` / `new RetryPolicy` / `new ErrorMonitor` were
/// given beyond their section's options.
pub(crate) struct BlockExtras {
    /// `clock`: `{ now(), sleep?(ms, signal) }`, answered as the object and
    /// its `now`.
    pub(crate) clock: Option<(JsValue, Function)>,
    /// `onAlert` (the monitor).
    pub(crate) on_alert: Option<Function>,
    /// `seed` (the retry policy's jitter).
    pub(crate) seed: Option<u64>,
    /// `idempotent` (the retry policy; default true).
    pub(crate) idempotent: bool,
}

/// A building block's options: its `createClient` section at the top level,
/// plus `clock` (and `seed`, `idempotent` for the retry policy).
pub(crate) fn decode_block_alone(
    value: &JsValue,
    block: Block,
    config: &mut EngineConfig,
) -> Result<BlockExtras> {
    let (section, extra): (&[&str], &[&str]) = match block {
        Block::Limiter => (LIMITER, &["clock"]),
        Block::Retry => (RETRY, &["idempotent", "seed", "clock"]),
        Block::Monitor => (MONITOR, &["clock"]),
    };
    let top = Section::open_with(value, "", section, extra)?;
    let mut extras = BlockExtras {
        clock: None,
        on_alert: None,
        seed: None,
        idempotent: true,
    };
    match block {
        Block::Limiter => decode_limiter(&top, config)?,
        Block::Monitor => {
            extras.on_alert = top.function("onAlert")?;
            decode_monitor(&top, config)?;
        }
        Block::Retry => {
            decode_retry(&top, config)?;
            extras.seed = top.int("seed", MAX_SAFE)?;
            extras.idempotent = top.boolean("idempotent")?.unwrap_or(true);
        }
    }
    if let Some(v) = top.present("clock")?.filter(|v| !v.is_null()) {
        let clock = Section::open(&v, "clock", &["now", "sleep"])?;
        let now = clock
            .function("now")?
            .ok_or_else(|| OptionError::type_of("clock.now", "a function"))?;
        clock.function("sleep")?;
        extras.clock = Some((v, now));
    }
    Ok(extras)
}
