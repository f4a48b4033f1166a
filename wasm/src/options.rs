//! The user's options, decoded from the input tape and checked, every one.
//!
//! Types are checked here (a string where a number belongs, `NaN`, a
//! negative count, a fraction where an integer belongs, an unknown name);
//! ranges are the core's business (`ConfigError` names the option) except
//! for the few settings that belong to the host. Every error names the
//! option as the user wrote it: `retry.maxRetries`, `init.timeoutMs`.
//!
//! Values arrive as [`Value`]s ([`crate::tape`]): functions, signals and
//! bodies are references to objects the JavaScript keeps, and what is
//! decided about them (is this a clock, a signal, a body `fetch` sends) is
//! decided here.

use alloc::{string::String, vec::Vec};
use steadfast_core::auth::AuthConfig;
use steadfast_core::breaker::{BreakerScope, FailureRateConfig, WindowError, WindowKind};
use steadfast_core::category_set::CategorySet;
use steadfast_core::decimal::push_decimal;
use steadfast_core::engine::{EngineConfig, RequestMeta};
use steadfast_core::headers::{fits_field_value, is_field_name};
use steadfast_core::retry::Jitter;
use steadfast_core::{Category, ConfigError, Method, UnknownName};

use crate::settings::{self, Field, Table};
use crate::suggest;
use crate::tape::{Obj, Value};
use crate::text::{quote, Text};

/// The largest integer a JavaScript number holds exactly.
const MAX_SAFE: u64 = (1 << 53) - 1;

/// An option that cannot be used.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum OptionError {
    /// Wrong type.
    Type {
        option: String,
        expected: &'static str,
    },
    /// Right type, unusable value.
    Range { option: String, problem: Text },
    /// A name no option has, and the option probably meant (named as the
    /// user would write it in the same place: `maxRetries`, or
    /// `retry.maxRetries` at the top level).
    Unknown {
        option: String,
        hint: Option<String>,
    },
    /// The core refused a value (it names the option).
    Config(ConfigError),
    /// Words of its own (after `steadfast: `).
    Message { type_error: bool, text: Text },
}

impl From<ConfigError> for OptionError {
    fn from(e: ConfigError) -> Self {
        Self::Config(e)
    }
}

impl OptionError {
    /// Whether JavaScript throws it as a `TypeError` (a wrong type, an
    /// unknown name or method) rather than a `RangeError` (a value out of
    /// range).
    pub(crate) fn is_type(&self) -> bool {
        matches!(
            self,
            Self::Type { .. }
                | Self::Unknown { .. }
                | Self::Config(ConfigError::UnknownMethod)
                | Self::Message {
                    type_error: true,
                    ..
                }
        )
    }

    /// The message, numbers left for JavaScript to write.
    pub(crate) fn message(&self) -> Text {
        let head = Text::of("steadfast: ");
        match self {
            Self::Type { option, expected } => head.s("`").s(option).s("` must be ").s(expected),
            Self::Range { option, problem } => head.s("`").s(option).s("` ").then(problem.clone()),
            Self::Unknown { option, hint } => {
                let text = head.s("unknown option `").s(option).s("`");
                match hint {
                    Some(h) => text.s(" (did you mean `").s(h).s("`?)"),
                    None => text,
                }
            }
            Self::Config(e) => head.then(describe(e)),
            Self::Message { text, .. } => head.then(text.clone()),
        }
    }

    /// The core's refusal of a building block's option, named as the user
    /// wrote it: `new CircuitBreaker({ openBackoff })` is `openBackoff`, not
    /// `breaker.openBackoff`.
    pub(crate) fn block(e: ConfigError, section: &str) -> Self {
        match e.option() {
            Some(option) => {
                let short = |o: &str| -> String {
                    o.strip_prefix(section)
                        .and_then(|o| o.strip_prefix('.'))
                        .unwrap_or(o)
                        .into()
                };
                let problem = match e {
                    ConfigError::Inconsistent { other, .. } => {
                        Text::of("must not exceed `").s(&short(other)).s("`")
                    }
                    _ => problem(&e),
                };
                Self::Range {
                    option: short(option),
                    problem,
                }
            }
            None => Self::Config(e),
        }
    }

    pub(crate) fn type_of(option: &str, expected: &'static str) -> Self {
        Self::Type {
            option: option.into(),
            expected,
        }
    }

    pub(crate) fn range(option: &str, problem: Text) -> Self {
        Self::Range {
            option: option.into(),
            problem,
        }
    }
}

type Result<T> = core::result::Result<T, OptionError>;

/// The core's error in words.
fn describe(e: &ConfigError) -> Text {
    match e.option() {
        Some(option) => Text::of("`").s(option).s("` ").then(problem(e)),
        None => Text::of("unknown HTTP method"),
    }
}

/// What is wrong with the option [`describe`] names.
fn problem(e: &ConfigError) -> Text {
    match e {
        ConfigError::NotFinite { .. } => Text::of("must be a finite number"),
        // The core's "above zero" bound: no one reads 2.2e-308 as zero.
        ConfigError::OutOfRange { min, max, got, .. } if *min == f64::MIN_POSITIVE => {
            Text::of("must be above 0 and at most ")
                .n(*max)
                .s(", got ")
                .n(*got)
        }
        ConfigError::OutOfRange { min, max, got, .. } => Text::of("must be between ")
            .n(*min)
            .s(" and ")
            .n(*max)
            .s(", got ")
            .n(*got),
        ConfigError::Inconsistent { other, .. } => Text::of("must not exceed `").s(other).s("`"),
        _ => Text::of("has a value that cannot be used"),
    }
}

/// The options a section knows, visited as `(place, name)`: `place` is
/// empty for the section's own, else the section that holds `name` (an
/// option of another section, named only in a "did you mean").
type Names<'n> = &'n dyn Fn(&mut dyn FnMut(&'static str, &'static str));

/// The option `key` probably meant: the nearest of the section's own, else
/// one of another section's spelled (nearly) as `key`, as `place.name`.
#[cold]
#[inline(never)]
fn hint(key: &str, names: Names<'_>) -> Option<String> {
    let mut own: Vec<&'static str> = Vec::new();
    let mut elsewhere: Option<(&'static str, &'static str)> = None;
    names(&mut |place, name| {
        if place.is_empty() {
            own.push(name);
        } else if elsewhere.is_none() && suggest::distance(key, name) <= 1 {
            elsewhere = Some((place, name));
        }
    });
    if let Some(name) = suggest::nearest(key, own) {
        return Some(name.into());
    }
    elsewhere.map(|(place, name)| String::from(place) + "." + name)
}

/// One level of an options object (`options`, `options.retry`, ...).
struct Section<'a> {
    obj: Option<&'a Obj<'a>>,
    prefix: String,
}

impl<'a> Section<'a> {
    /// `undefined` / `null` open as an empty section (every option at its
    /// default); anything but a plain object is a `TypeError`; a key not in
    /// `known` is an unknown option.
    fn open(value: &'a Value<'a>, prefix: &str, known: &[&'static str]) -> Result<Self> {
        Self::open_by(value, prefix, &|f| known.iter().for_each(|k| f("", k)))
    }

    /// [`Section::open`] of a section of the [`settings`] table.
    fn open_table(value: &'a Value<'a>, prefix: &str, table: &Table) -> Result<Self> {
        Self::open_by(value, prefix, &|f| table.each(&mut |k| f("", k)))
    }

    /// [`Section::open`] where `names` visits the section's options.
    fn open_by(value: &'a Value<'a>, prefix: &str, names: Names<'_>) -> Result<Self> {
        let mut section = Self {
            obj: None,
            prefix: prefix.into(),
        };
        let shown = if prefix.is_empty() { "options" } else { prefix };
        let obj = match value {
            Value::Undefined | Value::Null => return Ok(section),
            Value::Obj(o) if o.is_plain() => o,
            Value::Obj(_) => return Err(OptionError::type_of(shown, "a plain object")),
            Value::Unreadable => return Err(OptionError::type_of(shown, "a readable object")),
            _ => return Err(OptionError::type_of(shown, "an object")),
        };
        for (key, _) in &obj.members {
            let mut known = false;
            names(&mut |place, name| known |= place.is_empty() && name == *key);
            if !known {
                return Err(OptionError::Unknown {
                    option: section.name(key),
                    hint: hint(key, names),
                });
            }
        }
        section.obj = Some(obj);
        Ok(section)
    }

    /// `key`'s value `got` is not one of its choices.
    fn choice(&self, key: &str, e: UnknownName, got: &str) -> OptionError {
        OptionError::range(
            &self.name(key),
            Text::of("must be ").s(e.choices).s(", got ").s(&quote(got)),
        )
    }

    fn name(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.into()
        } else {
            let mut name = self.prefix.clone();
            name.push('.');
            name.push_str(key);
            name
        }
    }

    /// The value, `None` when absent or `undefined`.
    fn present(&self, key: &str) -> Result<Option<&'a Value<'a>>> {
        let Some(obj) = self.obj else {
            return Ok(None);
        };
        match obj.get(key) {
            Value::Undefined => Ok(None),
            Value::Unreadable => Err(OptionError::type_of(&self.name(key), "readable")),
            v => Ok(Some(v)),
        }
    }

    /// A whole number in `0..=max`.
    fn int(&self, key: &str, max: u64) -> Result<Option<u64>> {
        match self.present(key)? {
            None => Ok(None),
            Some(v) => int_value(v, &self.name(key), max).map(Some),
        }
    }

    /// A whole number in `0..=max` that fits a `u32`.
    fn int32(&self, key: &str) -> Result<Option<u32>> {
        Ok(self
            .int(key, u64::from(u32::MAX))?
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX)))
    }

    fn boolean(&self, key: &str) -> Result<Option<bool>> {
        match self.present(key)? {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(OptionError::type_of(&self.name(key), "a boolean")),
        }
    }

    fn string(&self, key: &str) -> Result<Option<String>> {
        match self.present(key)? {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(String::from(*s))),
            Some(_) => Err(OptionError::type_of(&self.name(key), "a string")),
        }
    }

    /// A function, answered as its reference.
    fn function(&self, key: &str) -> Result<Option<u32>> {
        match self.present(key)? {
            None => Ok(None),
            Some(Value::Func(r)) => Ok(Some(*r)),
            Some(_) => Err(OptionError::type_of(&self.name(key), "a function")),
        }
    }

    fn section(&self, key: &str, known: &[&'static str]) -> Result<Section<'a>> {
        let value = self.present(key)?.unwrap_or(&Value::Undefined);
        Section::open(value, &self.name(key), known)
    }

    /// A nested section of the [`settings`] table.
    fn table_section(&self, key: &str, table: &Table) -> Result<Section<'a>> {
        let value = self.present(key)?.unwrap_or(&Value::Undefined);
        Section::open_table(value, &self.name(key), table)
    }

    /// A nested section of the table, `None` for `null` or `false` ("turned
    /// off").
    fn optional_section(&self, key: &str, table: &Table) -> Result<Option<Section<'a>>> {
        match self.present(key)? {
            Some(Value::Null | Value::Bool(false)) => Ok(None),
            v => Section::open_table(v.unwrap_or(&Value::Undefined), &self.name(key), table)
                .map(Some),
        }
    }

    /// Reads every plain setting of `table` that is present into `target`,
    /// each checked for its kind ([`Field`]); ranges are the core's.
    fn apply(&self, table: &Table, target: &mut EngineConfig) -> Result<()> {
        for setting in table.settings {
            let Some(v) = self.present(setting.name)? else {
                continue;
            };
            let name = self.name(setting.name);
            let null = *v == Value::Null;
            match (setting.field)(target) {
                Field::U32(f) => {
                    let n = int_value(v, &name, u64::from(u32::MAX))?;
                    *f = u32::try_from(n).unwrap_or(u32::MAX);
                }
                Field::U64(f) => *f = int_value(v, &name, MAX_SAFE)?,
                Field::OptU64(f) if null => *f = None,
                Field::OptU64(f) => *f = Some(int_value(v, &name, MAX_SAFE)?),
                Field::F64(f) => *f = number_value(v, &name)?,
                Field::OptF64(f) if null => *f = None,
                Field::OptF64(f) => *f = Some(number_value(v, &name)?),
                Field::Bool(f) => match v {
                    Value::Bool(b) => *f = *b,
                    _ => return Err(OptionError::type_of(&name, "a boolean")),
                },
            }
        }
        Ok(())
    }
}

fn number_value(v: &Value, name: &str) -> Result<f64> {
    let n = v
        .as_num()
        .ok_or_else(|| OptionError::type_of(name, "a number"))?;
    if !n.is_finite() {
        return Err(OptionError::range(
            name,
            Text::of("must be a finite number, got ").n(n),
        ));
    }
    Ok(n)
}

fn int_value(v: &Value, name: &str, max: u64) -> Result<u64> {
    let n = number_value(v, name)?;
    if n < 0.0 {
        return Err(OptionError::range(
            name,
            Text::of("must not be negative, got ").n(n),
        ));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
    if n != (n as u64) as f64 {
        return Err(OptionError::range(
            name,
            Text::of("must be a whole number, got ").n(n),
        ));
    }
    #[allow(clippy::cast_precision_loss)]
    if n > max as f64 {
        return Err(OptionError::range(
            name,
            #[allow(clippy::cast_precision_loss)]
            Text::of("must be at most ").n(max as f64).s(", got ").n(n),
        ));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(n as u64)
}

/// The injected clock: an object with `now()` and `sleep(ms, signal)`
/// (and, optionally, `wallNow()`), called as its methods by the
/// JavaScript.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ClockOption {
    /// The clock object's reference.
    pub(crate) reference: u32,
    /// Whether it has `wallNow()` (else `Date.now()` is the wall clock).
    pub(crate) wall_now: bool,
}

/// Everything `createClient` was given, decoded.
#[derive(Debug)]
pub(crate) struct ClientOptions {
    pub(crate) config: EngineConfig,
    pub(crate) base_url: String,
    pub(crate) headers: Vec<(String, String)>,
    /// `fetch`'s reference (else the host's own).
    pub(crate) fetch: Option<u32>,
    pub(crate) clock: Option<ClockOption>,
    /// `monitor.onAlert`'s reference.
    pub(crate) on_alert: Option<u32>,
    /// Whether `seed` was given (else the host draws one).
    pub(crate) seeded: bool,
    /// A snapshot to resume from.
    pub(crate) restore: Option<steadfast_core::engine::Snapshot>,
    /// `auth`: its settings and `auth.refresh`'s reference.
    pub(crate) auth: Option<(AuthConfig, u32)>,
    /// `headers` fields whose value is a function (evaluated by the driver
    /// before each attempt): name as given, the function's reference.
    pub(crate) header_functions: Vec<(String, u32)>,
}

/// Decodes `createClient`'s options. Ranges the core checks are checked when
/// the engine is built ([`OptionError::Config`]).
pub(crate) fn decode_client(value: &Value) -> Result<ClientOptions> {
    let top = Section::open_by(value, "", &|f| {
        settings::TOP.iter().for_each(|k| f("", k));
        for (place, table) in [
            ("retry", &settings::RETRY),
            ("breaker", &settings::BREAKER),
            ("limiter", &settings::LIMITER),
            ("monitor", &settings::MONITOR),
        ] {
            table.each(&mut |k| f(place, k));
        }
        settings::AUTH.iter().for_each(|k| f("auth", k));
    })?;
    let mut config = EngineConfig::default();

    let base_url = top.string("baseUrl")?.unwrap_or_default();
    let mut header_functions = Vec::new();
    let headers = match top.present("headers")? {
        None => Vec::new(),
        Some(v) => decode_headers(v, "headers", Some(&mut header_functions))?,
    };
    let fetch = top.function("fetch")?;
    let clock = match top.present("clock")? {
        None | Some(Value::Null) => None,
        Some(v) => Some(decode_clock(v, settings::CLOCK, true)?),
    };
    if let Some(ms) = top.int("attemptTimeoutMs", MAX_SAFE)? {
        config.attempt_timeout_ms = ms;
    }
    let seed = top.int("seed", MAX_SAFE)?;
    if let Some(seed) = seed {
        config.seed = seed;
    }

    decode_retry(&top.table_section("retry", &settings::RETRY)?, &mut config)?;
    decode_breaker(
        &top.table_section("breaker", &settings::BREAKER)?,
        &mut config,
    )?;
    decode_limiter(
        &top.table_section("limiter", &settings::LIMITER)?,
        &mut config,
    )?;
    let monitor = top.table_section("monitor", &settings::MONITOR)?;
    let on_alert = monitor.function("onAlert")?;
    decode_monitor(&monitor, &mut config)?;

    let restore = match top.present("restore")? {
        None | Some(Value::Null) => None,
        Some(v) => Some(crate::snapshot::from_value(v)?),
    };
    let auth = match top.present("auth")? {
        None | Some(Value::Null) => None,
        Some(_) => {
            let s = top.section("auth", settings::AUTH)?;
            let Some(refresh) = s.function("refresh")? else {
                return Err(OptionError::type_of("auth.refresh", "a function"));
            };
            let mut auth = AuthConfig::default();
            if let Some(ms) = s.int("timeoutMs", MAX_SAFE)? {
                auth.timeout_ms = ms;
            }
            Some((auth, refresh))
        }
    };

    Ok(ClientOptions {
        restore,
        auth,
        header_functions,
        config,
        base_url,
        headers,
        fetch,
        clock,
        on_alert,
        seeded: seed.is_some(),
    })
}

/// A `clock`: any object (a plain one or a class instance) whose `now` is a
/// function, and `sleep` too when `sleeps` (the client sleeps on it; the
/// building blocks only read it, and `sleep`, if given, must be a function).
fn decode_clock(v: &Value, known: &[&'static str], sleeps: bool) -> Result<ClockOption> {
    let Value::Obj(obj) = v else {
        return Err(OptionError::type_of("clock", "an object"));
    };
    if obj.is_plain() {
        Section::open(v, "clock", known)?;
    }
    let function = |key: &str, required: bool| -> Result<bool> {
        match obj.get(key) {
            Value::Func(_) => Ok(true),
            Value::Undefined if !required => Ok(false),
            _ => Err(OptionError::type_of(
                if key == "now" {
                    "clock.now"
                } else if key == "sleep" {
                    "clock.sleep"
                } else {
                    "clock.wallNow"
                },
                "a function",
            )),
        }
    };
    function("now", true)?;
    function("sleep", sleeps)?;
    let wall_now = known.contains(&"wallNow") && function("wallNow", false)?;
    Ok(ClockOption {
        reference: obj.reference,
        wall_now,
    })
}

/// The value that stands for a header function's among the fields: no
/// header value can be it (a line feed is refused in one), and it is too
/// short to be a secret.
pub(crate) const FUNCTION: &str = "\n";

/// Most header fields one `headers` option may hold: more is a mistake
/// (servers refuse a request head of more than a few hundred fields), and
/// the tape carries at most [`crate::tape::MAX_ITEMS`] items of an array.
const MAX_FIELDS: u32 = 1000;

/// Header fields from any form `fetch` takes (`HeadersInit`): a plain
/// object of strings (`undefined` values are left out), a `Headers`, a
/// `Map`, or an array of `[name, value]` pairs (the driver writes a
/// `Headers`' or `Map`'s fields as such pairs, member `entries`). Anything
/// else is a `TypeError` naming `name`. A name given twice in one form has
/// its values joined with `", "`, as `Headers.append` joins them; names
/// are kept as given (fetch lower-cases them).
///
/// With `functions` (the client's `headers`), a value may be a function
/// instead, sync or async, evaluated before each attempt: it lands there,
/// and its field's value is [`FUNCTION`] (a function and a string for one
/// name: the later).
pub(crate) fn decode_headers(
    v: &Value,
    name: &str,
    mut functions: Option<&mut Vec<(String, u32)>>,
) -> Result<Vec<(String, String)>> {
    // Field names are written into an error only when there is one.
    let named = |key: &str| String::from(name) + "[" + &quote(key) + "]";
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut add = |key: &str, value: &Value| -> Result<()> {
        let text = match value {
            Value::Undefined => return Ok(()),
            Value::Str(s) => *s,
            // A function's name is checked as a string's is.
            Value::Func(_) if functions.is_some() => "",
            Value::Unreadable => return Err(OptionError::type_of(&named(key), "readable")),
            _ if functions.is_some() => {
                return Err(OptionError::type_of(&named(key), "a string or a function"))
            }
            _ => return Err(OptionError::type_of(&named(key), "a string")),
        };
        if let Some(problem) = field_problem(key, text) {
            return Err(OptionError::range(&named(key), Text::of(problem)));
        }
        let value = match (value, functions.as_deref_mut()) {
            (Value::Func(r), Some(fns)) => {
                fns.push((String::from(key), *r));
                FUNCTION
            }
            _ => text,
        };
        match fields.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(key)) {
            Some((_, joined)) if joined != FUNCTION && value != FUNCTION => {
                joined.push_str(", ");
                joined.push_str(value);
            }
            // A function and a string for one name: the later.
            Some((_, v)) => *v = String::from(value),
            None => fields.push((String::from(key), String::from(value))),
        }
        Ok(())
    };
    let pairs =
        match v {
            Value::Obj(o) if o.is_plain() => {
                if o.members.len() > MAX_FIELDS as usize {
                    return Err(too_many(name));
                }
                for (key, value) in &o.members {
                    add(key, value)?;
                }
                return Ok(fields);
            }
            Value::Obj(o) if o.class == "Headers" || o.class == "Map" => o.get("entries"),
            Value::Arr(..) => v,
            Value::Obj(_) => {
                return Err(OptionError::type_of(
                    name,
                    "a plain object, a Headers, a Map or an array of [name, value] pairs",
                ))
            }
            _ => return Err(OptionError::type_of(
                name,
                "an object of header fields, a Headers, a Map or an array of [name, value] pairs",
            )),
        };
    let pairs = match pairs {
        Value::Arr(len, _) if *len > MAX_FIELDS => return Err(too_many(name)),
        Value::Arr(_, items) => items,
        _ => return Err(OptionError::type_of(name, "readable")),
    };
    for (i, pair) in pairs.iter().enumerate() {
        let kv: &[Value] = match pair {
            Value::Arr(2, kv) => kv,
            _ => &[],
        };
        match kv {
            [Value::Str(key), value] => add(key, value)?,
            _ => {
                return Err(OptionError::type_of(
                    &indexed(name, i),
                    "a [name, value] pair of strings",
                ))
            }
        }
    }
    Ok(fields)
}

/// `name` holds more than [`MAX_FIELDS`] fields.
fn too_many(name: &str) -> OptionError {
    OptionError::range(
        name,
        Text::of("must have at most ")
            .n(f64::from(MAX_FIELDS))
            .s(" fields"),
    )
}

/// What `fetch` would refuse in one field, if anything: a name that is not
/// a token, a value with CR, LF or NUL or beyond Latin-1.
pub(crate) fn field_problem(key: &str, value: &str) -> Option<&'static str> {
    if !is_field_name(key) {
        Some("is not a valid header name")
    } else if value.contains(['\r', '\n', '\0']) {
        Some("must not contain CR, LF or NUL")
    } else if !fits_field_value(value) {
        Some(LATIN1)
    } else {
        None
    }
}

/// What `fetch` refuses in a header value beyond CR, LF and NUL.
const LATIN1: &str =
    "must contain only characters up to U+00FF (fetch sends header values as Latin-1)";

/// The items of the array option `name`, at most `max`.
fn items<'a>(v: &'a Value<'a>, name: &str, max: u32) -> Result<&'a [Value<'a>]> {
    match v {
        Value::Arr(len, _) if *len > max => Err(OptionError::range(
            name,
            Text::of("must have at most ").n(f64::from(max)).s(" items"),
        )),
        Value::Arr(_, items) => {
            if items.contains(&Value::Unreadable) {
                return Err(OptionError::type_of(name, "a readable array"));
            }
            Ok(items)
        }
        _ => Err(OptionError::type_of(name, "a readable array")),
    }
}

fn decode_categories(v: &Value, name: &str) -> Result<CategorySet> {
    if !matches!(v, Value::Arr(..)) {
        return Err(OptionError::type_of(name, "an array of category names"));
    }
    let mut set = CategorySet::EMPTY;
    for (i, item) in items(v, name, 64)?.iter().enumerate() {
        let item_name = indexed(name, i);
        let s = item
            .as_str()
            .ok_or_else(|| OptionError::type_of(&item_name, "a category name"))?;
        let c = s.parse::<Category>().map_err(|e| {
            OptionError::range(
                &item_name,
                Text::of("is not a category: must be ")
                    .s(e.choices)
                    .s(", got ")
                    .s(&quote(s)),
            )
        })?;
        set = set.with(c);
    }
    Ok(set)
}

/// What `fetch` sends as a call's body: a payload the JavaScript keeps,
/// by reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyRef {
    /// The text `JSON.stringify` gave for `json`.
    Json(u32),
    /// `init.body`, sent as it is.
    Raw(u32),
}

impl BodyRef {
    /// The payload's reference.
    pub(crate) fn reference(self) -> u32 {
        match self {
            Self::Json(r) | Self::Raw(r) => r,
        }
    }
}

/// A caller's `AbortSignal`, by reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SignalRef {
    /// The signal's reference.
    pub(crate) reference: u32,
    /// Whether it had aborted already.
    pub(crate) aborted: bool,
}

/// One call's `init`, decoded.
#[derive(Debug, Default)]
pub(crate) struct CallOptions {
    pub(crate) query: Vec<(String, QueryValue)>,
    /// What fetch sends as the body.
    pub(crate) body: Option<BodyRef>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) signal: Option<SignalRef>,
    pub(crate) timeout_ms: Option<u64>,
    pub(crate) deadline_ms: Option<u64>,
    pub(crate) idempotency_key: Option<String>,
    /// How the driver reads a successful response's body.
    pub(crate) response_type: ResponseType,
}

/// `init.responseType`: what a successful call's `data` is. How a body is
/// read is the caller's choice alone (the core never reads a successful
/// body; an error's is read as text for it whatever the choice).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum ResponseType {
    /// Parsed JSON, else the text; `null` for an empty body.
    #[default]
    Json,
    /// The text (`""` for an empty body).
    Text,
    /// An `ArrayBuffer`.
    ArrayBuffer,
    /// A `Uint8Array`.
    Bytes,
    /// A `Blob`.
    Blob,
    /// The `ReadableStream` itself, unread (`null` when there is none).
    Stream,
}

impl ResponseType {
    /// Every choice, by the name a user writes, in the order of the code
    /// the driver is told (its index).
    const NAMES: [(&'static str, Self); 6] = [
        ("json", Self::Json),
        ("text", Self::Text),
        ("arrayBuffer", Self::ArrayBuffer),
        ("bytes", Self::Bytes),
        ("blob", Self::Blob),
        ("stream", Self::Stream),
    ];
    const CHOICES: &'static str =
        "\"json\", \"text\", \"arrayBuffer\", \"bytes\", \"blob\" or \"stream\"";

    /// The code the driver reads the body by (STARTED's last member).
    pub(crate) fn code(self) -> u64 {
        Self::NAMES
            .iter()
            .position(|(_, t)| *t == self)
            .map_or(0, |i| u64::try_from(i).unwrap_or(0))
    }

    fn named(name: &str) -> Option<Self> {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
    }
}

/// One query parameter's value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum QueryValue {
    /// Text (a string, a boolean, a whole number).
    Text(String),
    /// A number with a fraction, written by JavaScript (`String(n)`).
    Num(f64),
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
    "responseType",
];

/// The method name, checked.
pub(crate) fn decode_method(v: &Value) -> Result<Method> {
    let s = v
        .as_str()
        .ok_or_else(|| OptionError::type_of("method", "a string"))?;
    s.parse::<Method>().map_err(|_| {
        OptionError::range(
            "method",
            Text::of("must be one of GET, HEAD, OPTIONS, TRACE, PUT, DELETE, POST, PATCH, got ")
                .s(&quote(s)),
        )
    })
}

/// Classes of a body `fetch` sends as it is: strings, `ArrayBuffer`s and
/// their views (typed arrays, `DataView`, `Buffer`), `Blob`, `File`,
/// `FormData` and `URLSearchParams`. Anything else `fetch` would turn into
/// text (`"[object Object]"`) or refuse (a stream, which also cannot be sent
/// twice).
const BODY_CLASSES: &[&str] = &[
    "string",
    "ArrayBuffer",
    "SharedArrayBuffer",
    "DataView",
    "Int8Array",
    "Uint8Array",
    "Uint8ClampedArray",
    "Int16Array",
    "Uint16Array",
    "Int32Array",
    "Uint32Array",
    "Float32Array",
    "Float64Array",
    "BigInt64Array",
    "BigUint64Array",
    "Blob",
    "File",
    "FormData",
    "URLSearchParams",
];

/// Decodes a call's `init`; `json_arg` is `post(path, json)`'s body.
/// `method` decides whether a body may be sent (`fetch` refuses one with
/// GET and HEAD).
pub(crate) fn decode_call(init: &Value, json_arg: &Value, method: Method) -> Result<CallOptions> {
    let s = Section::open(init, "init", INIT)?;
    let mut call = CallOptions::default();
    if let Some(q) = s.present("query")? {
        call.query = decode_query(q)?;
    }
    let json = match (s.present("json")?, json_arg) {
        (Some(_), Value::Json(..)) => {
            return Err(OptionError::range(
                "init.json",
                Text::of("is given twice (as an argument and in init)"),
            ))
        }
        (Some(j), _) => Some(j),
        (None, Value::Json(..)) => Some(json_arg),
        (None, _) => None,
    };
    let body = s.present("body")?.filter(|b| **b != Value::Null);
    if matches!(method, Method::Get | Method::Head) {
        let given = if json.is_some() {
            Some("init.json")
        } else {
            body.map(|_| "init.body")
        };
        if let Some(name) = given {
            return Err(OptionError::range(
                name,
                Text::of("cannot be sent with ")
                    .s(method.as_str())
                    .s(" (fetch sends no body with GET or HEAD)"),
            ));
        }
    }
    match (json, body) {
        (Some(_), Some(_)) => {
            return Err(OptionError::range(
                "init.body",
                Text::of("cannot be given with `json`"),
            ))
        }
        (Some(j), None) => match j {
            Value::Json(true, text) => call.body = Some(BodyRef::Json(*text)),
            _ => {
                return Err(OptionError::type_of(
                    "init.json",
                    "a value JSON.stringify accepts",
                ))
            }
        },
        (None, Some(b)) => match b {
            Value::Obj(o) if BODY_CLASSES.contains(&o.class) => {
                call.body = Some(BodyRef::Raw(o.reference));
            }
            _ => return Err(OptionError::type_of(
                "init.body",
                "a string, ArrayBuffer, typed array, DataView, Blob, FormData or URLSearchParams",
            )),
        },
        (None, None) => {}
    }
    if let Some(h) = s.present("headers")? {
        call.headers = decode_headers(h, "init.headers", None)?;
    }
    if let Some(sig) = s.present("signal")?.filter(|v| **v != Value::Null) {
        let signal = match sig {
            Value::Obj(o) => match (o.get("aborted"), o.get("addEventListener")) {
                (Value::Bool(aborted), Value::Func(_)) => Some(SignalRef {
                    reference: o.reference,
                    aborted: *aborted,
                }),
                _ => None,
            },
            _ => None,
        };
        call.signal =
            Some(signal.ok_or_else(|| OptionError::type_of("init.signal", "an AbortSignal"))?);
    }
    call.timeout_ms = s.int("timeoutMs", MAX_SAFE)?;
    call.deadline_ms = s.int("deadlineMs", MAX_SAFE)?;
    RequestMeta::check_limits(call.timeout_ms, call.deadline_ms)?;
    if let Some(k) = s.string("idempotencyKey")? {
        if k.is_empty() || k.contains(['\r', '\n', '\0']) {
            return Err(OptionError::range(
                "init.idempotencyKey",
                Text::of("must be a non-empty string without CR, LF or NUL"),
            ));
        }
        if !fits_field_value(&k) {
            return Err(OptionError::range("init.idempotencyKey", Text::of(LATIN1)));
        }
        call.idempotency_key = Some(k);
    }
    if let Some(t) = s.string("responseType")? {
        call.response_type = ResponseType::named(&t).ok_or_else(|| {
            s.choice(
                "responseType",
                UnknownName {
                    choices: ResponseType::CHOICES,
                },
                &t,
            )
        })?;
    }
    Ok(call)
}

/// Query parameters: strings, numbers, booleans, or arrays of them
/// (repeated); `undefined` and `null` are left out.
fn decode_query(v: &Value) -> Result<Vec<(String, QueryValue)>> {
    let obj = match v {
        Value::Obj(o) if o.is_plain() => o,
        Value::Obj(_) => return Err(OptionError::type_of("init.query", "a plain object")),
        _ => return Err(OptionError::type_of("init.query", "an object")),
    };
    let mut out = Vec::new();
    for (key, value) in &obj.members {
        let name = String::from("init.query.") + key;
        if *value == Value::Unreadable {
            return Err(OptionError::type_of(&name, "readable"));
        }
        let values: &[Value] = if matches!(value, Value::Arr(..)) {
            items(value, &name, 1000)?
        } else {
            core::slice::from_ref(value)
        };
        for item in values {
            let text = match item {
                Value::Undefined | Value::Null => continue,
                Value::Str(t) => QueryValue::Text(String::from(*t)),
                Value::Bool(b) => QueryValue::Text(if *b { "true" } else { "false" }.into()),
                Value::Num(n) if n.is_finite() => {
                    whole(*n).map_or(QueryValue::Num(*n), QueryValue::Text)
                }
                _ => {
                    return Err(OptionError::type_of(
                        &name,
                        "a string, finite number, boolean, or an array of them",
                    ))
                }
            };
            out.push((String::from(*key), text));
        }
    }
    Ok(out)
}

/// A whole number below 2^53 as JavaScript writes it (`-0` is `0`).
#[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
fn whole(n: f64) -> Option<String> {
    let i = n as i64;
    (i as f64 == n && i.unsigned_abs() <= MAX_SAFE).then(|| {
        let mut out = String::from(if i < 0 { "-" } else { "" });
        push_decimal(&mut out, i.unsigned_abs());
        out
    })
}

/// `name[i]`: an item of an array option.
fn indexed(name: &str, i: usize) -> String {
    let mut out = String::from(name);
    out.push('[');
    push_decimal(&mut out, u64::try_from(i).unwrap_or(u64::MAX));
    out.push(']');
    out
}

/// `new CircuitBreaker(options)`: the breaker's options at the top level,
/// and `clock` (`{ now() }`), answered as its reference.
pub(crate) fn decode_breaker_alone(
    value: &Value,
    config: &mut EngineConfig,
) -> Result<Option<u32>> {
    // One circuit: `scope` and `maxBreakers` belong to a client's breakers.
    let top = Section::open_by(value, "", &|f| {
        f("", "clock");
        settings::BREAKER.each(&mut |k| {
            if k != "scope" && k != "maxBreakers" {
                f("", k);
            }
        });
    })?;
    decode_breaker(&top, config)?;
    match top.present("clock")? {
        None | Some(Value::Null) => Ok(None),
        Some(v) => decode_clock(v, &["now"], false).map(|c| Some(c.reference)),
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
    /// `clock`'s reference: `{ now(), sleep?(ms, signal) }`.
    pub(crate) clock: Option<u32>,
    /// `onAlert`'s reference (the monitor).
    pub(crate) on_alert: Option<u32>,
    /// `seed` (the retry policy's jitter).
    pub(crate) seed: Option<u64>,
    /// `idempotent` (the retry policy; default true).
    pub(crate) idempotent: bool,
}

/// A building block's options: its `createClient` section at the top level,
/// plus `clock` (and `seed`, `idempotent` for the retry policy).
pub(crate) fn decode_block_alone(
    value: &Value,
    block: Block,
    config: &mut EngineConfig,
) -> Result<BlockExtras> {
    let top = Section::open_by(value, "", &|f| {
        f("", "clock");
        let table = match block {
            Block::Limiter => &settings::LIMITER,
            Block::Retry => {
                f("", "idempotent");
                f("", "seed");
                &settings::RETRY
            }
            Block::Monitor => &settings::MONITOR,
        };
        table.each(&mut |k| f("", k));
    })?;
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
    if let Some(v) = top.present("clock")?.filter(|v| **v != Value::Null) {
        extras.clock = Some(decode_clock(v, &["now", "sleep"], false)?.reference);
    }
    Ok(extras)
}
fn decode_retry(s: &Section<'_>, config: &mut EngineConfig) -> Result<()> {
    s.apply(&settings::RETRY, config)?;
    if let Some(j) = s.string("jitter")? {
        config.retry.backoff.jitter = j.parse::<Jitter>().map_err(|e| s.choice("jitter", e, &j))?;
    }
    config.budget = match s.optional_section("budget", &settings::BUDGET)? {
        None => None,
        Some(b) => {
            config.budget.get_or_insert_with(Default::default);
            b.apply(&settings::BUDGET, config)?;
            config.budget
        }
    };
    Ok(())
}

fn decode_breaker(s: &Section<'_>, config: &mut EngineConfig) -> Result<()> {
    s.apply(&settings::BREAKER, config)?;
    let b = &mut config.breaker;
    let max_open = s.int("maxOpenMs", MAX_SAFE)?;
    b.set_open_times(s.int("openMs", MAX_SAFE)?, max_open);
    if let Some(v) = s.present("failureCategories")? {
        b.failure_categories = decode_categories(v, &s.name("failureCategories"))?;
    }
    if let Some(scope) = s.string("scope")? {
        b.scope = scope
            .parse::<BreakerScope>()
            .map_err(|e| s.choice("scope", e, &scope))?;
    }
    // Off unless given (`optional_section` opens an absent section at its
    // defaults, right for `retry.budget`, on by default, but not here).
    let rate = match s.present("failureRate")? {
        None => None,
        Some(_) => s.optional_section("failureRate", &settings::FAILURE_RATE)?,
    };
    if let Some(rate) = rate {
        config.breaker.failure_rate = Some(FailureRateConfig::default());
        rate.apply(&settings::FAILURE_RATE, config)?;
        let w = rate.section("window", settings::WINDOW)?;
        let kind = w.string("kind")?;
        let window = WindowKind::from_options(
            kind.as_deref(),
            w.int32("size")?,
            w.int("windowMs", MAX_SAFE)?,
            w.int32("buckets")?,
        )
        .map_err(|e| match e {
            WindowError::UnknownKind => OptionError::range(
                &w.name("kind"),
                Text::of(&e.message())
                    .s(", got ")
                    .s(&quote(kind.as_deref().unwrap_or_default())),
            ),
            WindowError::OtherKind { option, .. } => {
                OptionError::range(&w.name(option), Text::of(&e.message()))
            }
        })?;
        if let Some(fr) = config.breaker.failure_rate.as_mut() {
            fr.window = window;
        }
    }
    Ok(())
}

fn decode_limiter(s: &Section<'_>, config: &mut EngineConfig) -> Result<()> {
    s.apply(&settings::LIMITER, config)
}

fn decode_monitor(s: &Section<'_>, config: &mut EngineConfig) -> Result<()> {
    s.apply(&settings::MONITOR, config)
}
