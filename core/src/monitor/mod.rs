//! Watching the error rate, and saying so once when it is too high.
//!
//! The monitor counts every recorded outcome in a fixed ring of time buckets
//! covering the last `window_ms` — by category and by normalised endpoint —
//! so its memory is set at construction and never grows with traffic (the
//! seed kept every error in a deque: seed defect 14). Distinct endpoints are
//! capped at `max_endpoints`; beyond that they are counted under `{other}`.
//!
//! Alerting is edge-triggered: when the window's errors reach
//! `alert_threshold` (or, if set, the error rate reaches `alert_rate` with at
//! least `min_calls` calls) the monitor queues one [`MonitorEvent::Alert`],
//! and no other until the condition has cleared and re-armed it
//! ([`MonitorEvent::Recovered`]). The seed fired on every error past the
//! threshold and deadlocked on its own lock at the first one (seed defect
//! 13): here events are queued and the host runs callbacks afterwards, with
//! no lock held.
//!
//! ```
//! use steadfast_core::monitor::{ErrorMonitor, MonitorConfig, MonitorEvent, Observation};
//! use steadfast_core::{Category, Millis};
//!
//! let config = MonitorConfig { alert_threshold: 3, ..MonitorConfig::default() };
//! let mut monitor = ErrorMonitor::new(config)?;
//! let ok = Observation { endpoint: "/shops/9", category: None, status: Some(200), message: None };
//! let down = Observation {
//!     endpoint: "/listings/123",
//!     category: Some(Category::Server),
//!     status: Some(503),
//!     message: Some("down"),
//! };
//! monitor.record(ok, Millis(0));
//! for t in 1..=5 {
//!     monitor.record(down, Millis(t));
//! }
//! // One alert, at the third error (not one per error).
//! let Some(MonitorEvent::Alert(alert)) = monitor.poll_event() else { panic!("no alert") };
//! assert_eq!((alert.total_calls, alert.total_errors), (4, 3));
//! assert!(monitor.poll_event().is_none());
//! // The summary: errors by category and by normalised endpoint.
//! let summary = monitor.summary(Millis(5));
//! assert_eq!(summary.by_category, [(Category::Server, 5)]);
//! assert_eq!(summary.by_endpoint[0].endpoint, "/listings/{id}");
//! // Once the window (5 min) has slid past the errors, it says so, once.
//! monitor.handle_timeout(Millis(400_000));
//! assert!(matches!(monitor.poll_event(), Some(MonitorEvent::Recovered(_))));
//! # Ok::<(), steadfast_core::ConfigError>(())
//! ```

mod endpoint;
pub mod latency;
mod saved;
pub mod stats;

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use endpoint::normalize_into;
pub use endpoint::{normalize_endpoint, MAX_ENDPOINT_LEN};
pub use saved::{SavedBucket, SavedError, SavedMonitor};

use crate::classify::Category;
use crate::error::{check_f64, check_u64, ConfigError};
use crate::time::{Millis, MonotonicClamp};

const CATEGORIES: usize = Category::ALL.len();
const MAX_QUEUED_EVENTS: usize = 16;
/// The endpoint name that collects everything past `max_endpoints`.
pub const OTHER_ENDPOINT: &str = "{other}";

/// Monitor settings. Defaults are the seed's: a 5-minute window, alert at 10
/// errors.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase", default))]
pub struct MonitorConfig {
    /// The sliding window.
    pub window_ms: u64,
    /// Buckets the window is kept in (its resolution).
    pub buckets: u32,
    /// Alert when this many errors fall in the window.
    pub alert_threshold: u64,
    /// Or alert when errors / calls reaches this (with `min_calls`).
    pub alert_rate: Option<f64>,
    /// Calls needed before `alert_rate` applies.
    pub min_calls: u64,
    /// Distinct endpoints tracked; more are counted as `{other}`.
    pub max_endpoints: u32,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        Self {
            window_ms: 300_000,
            buckets: 60,
            alert_threshold: 10,
            alert_rate: None,
            min_calls: 20,
            max_endpoints: 32,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct Counts {
    slot: u64,
    calls: u32,
    errors: u32,
}

impl Counts {
    fn live(&self, oldest: u64, current: u64) -> bool {
        self.calls > 0 && self.slot >= oldest && self.slot <= current
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct Bucket {
    counts: Counts,
    by_category: [u32; CATEGORIES],
}

/// The last error as recorded: its endpoint is resolved to a name only when
/// a summary is asked for (a slot is reused only after a whole idle window,
/// by which time this error has left the window too).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct LastError {
    category: Category,
    status: Option<u16>,
    endpoint: u32,
    message: Option<String>,
    at: Millis,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct OlderSums {
    slot: u64,
    /// Calls and errors of the live buckets before `slot`.
    calls: u64,
    errors: u64,
    /// Calls and errors recorded in `slot` itself.
    current_calls: u64,
    current_errors: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct EndpointTrack {
    name: String,
    /// Bumped each time the slot is reused for another endpoint, so stale
    /// [`EndpointId`]s are recognised.
    generation: u32,
    ring: Vec<Counts>,
}

/// A handle on one endpoint's counters, from [`ErrorMonitor::endpoint`].
///
/// Interning the endpoint once per call (rather than normalising its path on
/// every outcome) keeps [`ErrorMonitor::record_outcome`] to a few integer
/// updates. A handle whose slot was since given to another endpoint (it sat
/// idle for a whole window while the cap was reached) counts under
/// `{other}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EndpointId {
    index: u32,
    generation: u32,
}

/// One outcome, for an endpoint already interned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome<'a> {
    /// `None` for success, else the error's category.
    pub category: Option<Category>,
    /// The HTTP status, if any.
    pub status: Option<u16>,
    /// The server's message, if any (must already be free of secrets).
    pub message: Option<&'a str>,
}

/// The most recent error, as a summary shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct RecentError {
    /// Its category.
    pub category: Category,
    /// The HTTP status, if there was a response.
    pub status: Option<u16>,
    /// The normalised endpoint.
    pub endpoint: String,
    /// The server's message (already cut short and free of secrets).
    pub message: Option<String>,
    /// When it was recorded.
    pub at: Millis,
}

/// One endpoint's line in a summary.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct EndpointSummary {
    /// The normalised endpoint.
    pub endpoint: String,
    /// Calls in the window.
    pub calls: u64,
    /// Errors in the window.
    pub errors: u64,
}

/// What the window holds at one instant.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct MonitorSummary {
    /// The window's length.
    pub window_ms: u64,
    /// Calls recorded in the window.
    pub total_calls: u64,
    /// Errors recorded in the window.
    pub total_errors: u64,
    /// `total_errors / total_calls` (0 with no calls).
    pub error_rate: f64,
    /// Errors by category, non-zero ones only, in [`Category::ALL`] order.
    pub by_category: Vec<(Category, u64)>,
    /// Endpoints with calls in the window, most errors first.
    pub by_endpoint: Vec<EndpointSummary>,
    /// The last error recorded, if it is still in the window.
    pub most_recent: Option<RecentError>,
    /// Whether an alert is active (fired and not yet cleared).
    pub alerting: bool,
}

/// What the monitor tells the host.
#[derive(Clone, Debug, PartialEq)]
pub enum MonitorEvent {
    /// The error threshold was crossed; fired once per crossing.
    Alert(MonitorSummary),
    /// The condition cleared; the alert is re-armed.
    Recovered(MonitorSummary),
}

/// One recorded outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Observation<'a> {
    /// The endpoint (normalised here; pass the raw path).
    pub endpoint: &'a str,
    /// `None` for success, else the error's category.
    pub category: Option<Category>,
    /// The HTTP status, if any.
    pub status: Option<u16>,
    /// The server's message, if any (must already be free of secrets).
    pub message: Option<&'a str>,
}

/// The error monitor. Shared by every call to one API.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ErrorMonitor {
    config: MonitorConfig,
    width_ms: u64,
    ring: Vec<Bucket>,
    endpoints: Vec<EndpointTrack>,
    most_recent: Option<LastError>,
    alerting: bool,
    /// The last bucket used: (slot, its start in ms, its ring index), to
    /// skip divisions while time stays inside one bucket.
    slot_cache: (u64, u64, usize),
    /// Calls and errors of the live buckets other than the current one, as
    /// of the slot they were summed for.
    older: Option<OlderSums>,
    #[cfg_attr(feature = "serde", serde(skip))]
    events: VecDeque<MonitorEvent>,
    clock: MonotonicClamp,
}

impl ErrorMonitor {
    /// An empty monitor.
    ///
    /// # Errors
    /// A window under 1 ms per bucket, buckets outside 1..=3600, a threshold
    /// of 0, an alert rate outside (0, 1], or `max_endpoints` above 1000.
    pub fn new(config: MonitorConfig) -> Result<Self, ConfigError> {
        check_u64("monitor.buckets", config.buckets.into(), 1, 3600)?;
        check_u64(
            "monitor.windowMs",
            config.window_ms,
            config.buckets.into(),
            366 * 86_400_000,
        )?;
        check_u64(
            "monitor.alertThreshold",
            config.alert_threshold,
            1,
            u64::from(u32::MAX),
        )?;
        check_u64("monitor.maxEndpoints", config.max_endpoints.into(), 0, 1000)?;
        check_u64("monitor.minCalls", config.min_calls, 0, u64::from(u32::MAX))?;
        if let Some(rate) = config.alert_rate {
            check_f64("monitor.alertRate", rate, f64::MIN_POSITIVE, 1.0)?;
        }
        Ok(Self {
            config,
            width_ms: config.window_ms / u64::from(config.buckets),
            ring: vec![Bucket::default(); config.buckets as usize],
            endpoints: Vec::new(),
            most_recent: None,
            alerting: false,
            slot_cache: (0, 0, 0),
            older: None,
            events: VecDeque::new(),
            clock: MonotonicClamp::default(),
        })
    }

    /// Takes new settings. Thresholds and limits apply at once to what is
    /// counted; a window of another length or resolution cannot reuse the
    /// old buckets, so it starts counting afresh.
    ///
    /// # Errors
    /// As [`ErrorMonitor::new`]; on error nothing changes.
    pub fn reconfigure(&mut self, config: MonitorConfig, now: Millis) -> Result<(), ConfigError> {
        let fresh = Self::new(config)?;
        let now = self.clock.observe(now);
        if config.window_ms == self.config.window_ms && config.buckets == self.config.buckets {
            self.config = config;
        } else {
            let clock = self.clock;
            *self = fresh;
            self.clock = clock;
        }
        self.handle_timeout(now);
        Ok(())
    }

    /// When the alert should next be looked at again as the window slides:
    /// while alerting, the next bucket boundary (old errors leave the window
    /// there, and `Recovered` may be due even if nothing else happens).
    /// `None` while not alerting: only a new error can raise an alert.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Millis> {
        if !self.alerting {
            return None;
        }
        let (slot, _, _) = self.slot_cache;
        Some(Millis(slot.saturating_add(1).saturating_mul(self.width_ms)))
    }

    /// The settings in force.
    #[must_use]
    pub const fn config(&self) -> &MonitorConfig {
        &self.config
    }

    fn slot(&self, now: Millis) -> u64 {
        now.as_u64() / self.width_ms.max(1)
    }

    /// [`Self::slot`], remembering the last bucket so that the common case
    /// (time still inside it) costs two comparisons instead of a division.
    fn slot_cached(&mut self, now: Millis) -> (u64, usize) {
        let (slot, start, index) = self.slot_cache;
        let t = now.as_u64();
        if t >= start && t - start < self.width_ms {
            return (slot, index);
        }
        let slot = self.slot(now);
        let index = self.index_of(slot);
        self.slot_cache = (slot, slot.saturating_mul(self.width_ms), index);
        (slot, index)
    }

    /// The ring position of a slot.
    fn index_of(&self, slot: u64) -> usize {
        (slot % self.ring.len().max(1) as u64) as usize
    }

    fn oldest(&self, current: u64) -> u64 {
        current.saturating_sub(u64::from(self.config.buckets) - 1)
    }

    /// Records one outcome at `now`, then re-evaluates the alert.
    ///
    /// Normalises the endpoint on every call; hosts that record several
    /// outcomes per call can intern it once with [`ErrorMonitor::endpoint`]
    /// and use [`ErrorMonitor::record_outcome`].
    pub fn record(&mut self, obs: Observation<'_>, now: Millis) {
        let id = self.endpoint(obs.endpoint, now);
        let outcome = Outcome {
            category: obs.category,
            status: obs.status,
            message: obs.message,
        };
        self.record_outcome(id, outcome, now);
    }

    /// Interns an endpoint (normalised from a path or URL): its own counters,
    /// an idle slot reused, or `{other}` past `max_endpoints`.
    pub fn endpoint(&mut self, path: &str, now: Millis) -> EndpointId {
        let name = normalize_into(path);
        self.intern(name.as_str(), now)
    }

    /// [`ErrorMonitor::endpoint`] for a name already normalised (by
    /// [`normalize_endpoint`]).
    pub(crate) fn intern(&mut self, name: &str, now: Millis) -> EndpointId {
        let now = self.clock.observe(now);
        if let Some(i) = self.endpoints.iter().position(|t| t.name == name) {
            return self.id_of(i);
        }
        let buckets = self.ring.len();
        if self.endpoints.len() < self.config.max_endpoints as usize {
            self.endpoints.push(EndpointTrack {
                name: String::from(name),
                generation: 0,
                ring: vec![Counts::default(); buckets],
            });
            return self.id_of(self.endpoints.len() - 1);
        }
        // Reuse the slot of an endpoint with nothing left in the window.
        let current = self.slot(now);
        let oldest = self.oldest(current);
        let idle = self.endpoints.iter().position(|t| {
            t.name != OTHER_ENDPOINT && !t.ring.iter().any(|c| c.live(oldest, current))
        });
        match idle {
            Some(i) => {
                if let Some(t) = self.endpoints.get_mut(i) {
                    t.name.clear();
                    t.name.push_str(name);
                    t.generation = t.generation.wrapping_add(1);
                    t.ring.iter_mut().for_each(|c| *c = Counts::default());
                }
                self.id_of(i)
            }
            None => self.other_id(),
        }
    }

    fn id_of(&self, index: usize) -> EndpointId {
        EndpointId {
            index: index as u32,
            generation: self.endpoints.get(index).map_or(0, |t| t.generation),
        }
    }

    fn other_id(&mut self) -> EndpointId {
        if let Some(i) = self.endpoints.iter().position(|t| t.name == OTHER_ENDPOINT) {
            return self.id_of(i);
        }
        self.endpoints.push(EndpointTrack {
            name: String::from(OTHER_ENDPOINT),
            generation: 0,
            ring: vec![Counts::default(); self.ring.len()],
        });
        self.id_of(self.endpoints.len() - 1)
    }

    /// Records one outcome for an interned endpoint at `now`, then
    /// re-evaluates the alert. O(1): a few counter updates.
    pub fn record_outcome(&mut self, id: EndpointId, outcome: Outcome<'_>, now: Millis) {
        let now = self.clock.observe(now);
        let (slot, index) = self.slot_cached(now);
        // Once per bucket width: sums of the older buckets, and the current
        // bucket (global and per endpoint) made fresh for this slot.
        self.roll_to(slot, index);
        let failed = outcome.category.is_some();
        if let Some(b) = self.ring.get_mut(index) {
            bump(&mut b.counts, failed);
            if let Some(c) = outcome
                .category
                .and_then(|c| b.by_category.get_mut(c.index()))
            {
                *c = c.saturating_add(1);
            }
        }
        if let Some(w) = &mut self.older {
            w.current_calls += 1;
            w.current_errors += u64::from(failed);
        }
        let live = self
            .endpoints
            .get(id.index as usize)
            .is_some_and(|t| t.generation == id.generation);
        let id = if live { id } else { self.other_id() };
        let Some(track) = self.endpoints.get_mut(id.index as usize) else {
            return;
        };
        if let Some(c) = track.ring.get_mut(index) {
            if c.slot != slot {
                // A track created since the roll.
                *c = Counts {
                    slot,
                    ..Counts::default()
                };
            }
            bump(c, failed);
        }
        if let Some(category) = outcome.category {
            let recent = self.most_recent.get_or_insert(LastError {
                category,
                status: None,
                endpoint: id.index,
                message: None,
                at: now,
            });
            recent.category = category;
            recent.status = outcome.status;
            recent.endpoint = id.index;
            recent.at = now;
            if recent.message.is_some() || outcome.message.is_some() {
                // Reuse the string's storage: no allocation per error.
                let text = outcome.message.unwrap_or("");
                let m = recent.message.get_or_insert_with(String::new);
                m.clear();
                m.extend(text.chars().take(crate::body::MAX_MESSAGE_CHARS));
                if outcome.message.is_none() {
                    recent.message = None;
                }
            }
        }
        self.evaluate(slot, now);
    }

    /// Moves the cached window sums to `slot` (once per bucket width, not per
    /// record): sums the older live buckets, and makes the current bucket —
    /// the global one and each endpoint's — belong to `slot`.
    fn roll_to(&mut self, slot: u64, index: usize) {
        if self.older.is_some_and(|o| o.slot == slot) {
            return;
        }
        if let Some(b) = self.ring.get_mut(index) {
            if b.counts.slot != slot {
                *b = Bucket::default();
                b.counts.slot = slot;
            }
        }
        for track in &mut self.endpoints {
            if let Some(c) = track.ring.get_mut(index) {
                if c.slot != slot {
                    *c = Counts {
                        slot,
                        ..Counts::default()
                    };
                }
            }
        }
        let oldest = self.oldest(slot);
        let (calls, errors) = self
            .ring
            .iter()
            .filter(|b| b.counts.slot != slot && b.counts.live(oldest, slot))
            .fold((0, 0), |(c, e), b| {
                (
                    c + u64::from(b.counts.calls),
                    e + u64::from(b.counts.errors),
                )
            });
        let here = self.ring.get(index).map(|b| b.counts).unwrap_or_default();
        self.older = Some(OlderSums {
            slot,
            calls,
            errors,
            current_calls: u64::from(here.calls),
            current_errors: u64::from(here.errors),
        });
    }

    /// Re-evaluates the alert as the window slides (no-op when nothing
    /// changed); call it when the host's timer fires, or never — `record`
    /// and `summary` evaluate too.
    pub fn handle_timeout(&mut self, now: Millis) {
        let now = self.clock.observe(now);
        let (slot, index) = self.slot_cached(now);
        self.roll_to(slot, index);
        self.evaluate(slot, now);
    }

    /// The next queued alert or recovery, oldest first.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<MonitorEvent> {
        self.events.pop_front()
    }

    /// The window's totals (calls, errors) at `now`. O(1) while `now` is in
    /// the bucket last recorded into.
    #[must_use]
    pub fn totals(&self, now: Millis) -> (u64, u64) {
        self.totals_in(self.slot(now))
    }

    fn totals_in(&self, current: u64) -> (u64, u64) {
        if let Some(w) = self.older.filter(|o| o.slot == current) {
            return (w.calls + w.current_calls, w.errors + w.current_errors);
        }
        let oldest = self.oldest(current);
        self.ring
            .iter()
            .filter(|b| b.counts.live(oldest, current))
            .fold((0, 0), |(c, e), b| {
                (
                    c + u64::from(b.counts.calls),
                    e + u64::from(b.counts.errors),
                )
            })
    }

    /// A summary of the window at `now`. Pure.
    #[must_use]
    pub fn summary(&self, now: Millis) -> MonitorSummary {
        let current = self.slot(now);
        let oldest = self.oldest(current);
        let live: Vec<&Bucket> = self
            .ring
            .iter()
            .filter(|b| b.counts.live(oldest, current))
            .collect();
        let (total_calls, total_errors) = self.totals(now);
        let by_category = Category::ALL
            .iter()
            .map(|c| {
                let n = live
                    .iter()
                    .map(|b| u64::from(b.by_category.get(c.index()).copied().unwrap_or(0)))
                    .sum::<u64>();
                (*c, n)
            })
            .filter(|(_, n)| *n > 0)
            .collect();
        let mut by_endpoint: Vec<EndpointSummary> = self
            .endpoints
            .iter()
            .map(|t| {
                let (calls, errors) = t
                    .ring
                    .iter()
                    .filter(|c| c.live(oldest, current))
                    .fold((0, 0), |(a, e), c| {
                        (a + u64::from(c.calls), e + u64::from(c.errors))
                    });
                EndpointSummary {
                    endpoint: t.name.clone(),
                    calls,
                    errors,
                }
            })
            .filter(|e| e.calls > 0)
            .collect();
        // Most errors first, then by name. An insertion sort (stable, like
        // `sort_by`): at most `max_endpoints` + 1 entries, built only for an
        // alert or `health()`, and the standard library's sort costs about
        // 4 KB of the npm package's WebAssembly.
        let after = |a: &EndpointSummary, b: &EndpointSummary| {
            b.errors
                .cmp(&a.errors)
                .then_with(|| a.endpoint.cmp(&b.endpoint))
                == core::cmp::Ordering::Greater
        };
        for i in 1..by_endpoint.len() {
            let mut j = i;
            while j > 0
                && matches!(
                    (by_endpoint.get(j - 1), by_endpoint.get(j)),
                    (Some(a), Some(b)) if after(a, b)
                )
            {
                by_endpoint.swap(j - 1, j);
                j -= 1;
            }
        }
        let window_start = Millis(oldest.saturating_mul(self.width_ms));
        MonitorSummary {
            window_ms: self.config.window_ms,
            total_calls,
            total_errors,
            error_rate: if total_calls == 0 {
                0.0
            } else {
                total_errors as f64 / total_calls as f64
            },
            by_category,
            by_endpoint,
            most_recent: self
                .most_recent
                .as_ref()
                .filter(|r| r.at >= window_start)
                .map(|r| RecentError {
                    category: r.category,
                    status: r.status,
                    endpoint: self
                        .endpoints
                        .get(r.endpoint as usize)
                        .map_or_else(|| String::from(OTHER_ENDPOINT), |t| t.name.clone()),
                    message: r.message.clone(),
                    at: r.at,
                }),
            // Measured now: an alert whose window has drained reads as over
            // even before the host's timer delivered `Recovered`.
            alerting: self.alerting && self.over_threshold(total_calls, total_errors),
        }
    }

    /// How many counters the monitor holds: fixed by the configuration,
    /// whatever was recorded (buckets + endpoint buckets).
    #[must_use]
    pub fn retained_counters(&self) -> usize {
        self.ring.len() + self.endpoints.iter().map(|t| t.ring.len()).sum::<usize>()
    }

    /// The most counters this configuration can ever hold.
    #[must_use]
    pub fn counter_capacity(&self) -> usize {
        self.ring.len() * (self.config.max_endpoints as usize + 2)
    }

    /// Whether the alert condition holds for these totals.
    fn over_threshold(&self, calls: u64, errors: u64) -> bool {
        let by_count = errors >= self.config.alert_threshold;
        let by_rate = self.config.alert_rate.is_some_and(|r| {
            calls >= self.config.min_calls && calls > 0 && errors as f64 >= r * calls as f64
        });
        by_count || by_rate
    }

    fn evaluate(&mut self, slot: u64, now: Millis) {
        let (calls, errors) = self.totals_in(slot);
        let over = self.over_threshold(calls, errors);
        if over == self.alerting {
            return;
        }
        self.alerting = over;
        let summary = self.summary(now);
        if self.events.len() >= MAX_QUEUED_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(if over {
            MonitorEvent::Alert(summary)
        } else {
            MonitorEvent::Recovered(summary)
        });
    }
}

fn bump(c: &mut Counts, failed: bool) {
    c.calls = c.calls.saturating_add(1);
    c.errors = c.errors.saturating_add(u32::from(failed));
}

#[cfg(test)]
mod tests;
