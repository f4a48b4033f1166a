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

mod endpoint;

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

pub use endpoint::{normalize_endpoint, MAX_ENDPOINT_LEN};

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

#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct EndpointTrack {
    name: String,
    ring: Vec<Counts>,
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
    most_recent: Option<RecentError>,
    alerting: bool,
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
            events: VecDeque::new(),
            clock: MonotonicClamp::default(),
        })
    }

    /// The settings in force.
    #[must_use]
    pub const fn config(&self) -> &MonitorConfig {
        &self.config
    }

    fn slot(&self, now: Millis) -> u64 {
        now.as_u64() / self.width_ms.max(1)
    }

    fn oldest(&self, current: u64) -> u64 {
        current.saturating_sub(u64::from(self.config.buckets) - 1)
    }

    /// Records one outcome at `now`, then re-evaluates the alert.
    pub fn record(&mut self, obs: Observation<'_>, now: Millis) {
        let now = self.clock.observe(now);
        let slot = self.slot(now);
        let buckets = self.ring.len().max(1) as u64;
        let index = (slot % buckets) as usize;
        let failed = obs.category.is_some();
        if let Some(b) = self.ring.get_mut(index) {
            if b.counts.slot != slot {
                *b = Bucket::default();
                b.counts.slot = slot;
            }
            bump(&mut b.counts, failed);
            if let Some(c) = obs.category.and_then(|c| b.by_category.get_mut(c.index())) {
                *c = c.saturating_add(1);
            }
        }
        let name = normalize_endpoint(obs.endpoint);
        if let Some(track) = self.track_for(name.clone(), slot) {
            if let Some(c) = track.ring.get_mut(index) {
                if c.slot != slot {
                    *c = Counts {
                        slot,
                        ..Counts::default()
                    };
                }
                bump(c, failed);
            }
        }
        if let Some(category) = obs.category {
            self.most_recent = Some(RecentError {
                category,
                status: obs.status,
                endpoint: name,
                message: obs
                    .message
                    .map(|m| m.chars().take(crate::body::MAX_MESSAGE_CHARS).collect()),
                at: now,
            });
        }
        self.evaluate(now);
    }

    /// Re-evaluates the alert as the window slides (no-op when nothing
    /// changed); call it when the host's timer fires, or never — `record`
    /// and `summary` evaluate too.
    pub fn handle_timeout(&mut self, now: Millis) {
        let now = self.clock.observe(now);
        self.evaluate(now);
    }

    /// The next queued alert or recovery, oldest first.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<MonitorEvent> {
        self.events.pop_front()
    }

    /// The window's totals at `now`.
    #[must_use]
    pub fn totals(&self, now: Millis) -> (u64, u64) {
        let current = self.slot(now);
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
        by_endpoint.sort_by(|a, b| {
            b.errors
                .cmp(&a.errors)
                .then_with(|| a.endpoint.cmp(&b.endpoint))
        });
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
            most_recent: self.most_recent.clone().filter(|r| r.at >= window_start),
            alerting: self.alerting,
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

    fn evaluate(&mut self, now: Millis) {
        let (calls, errors) = self.totals(now);
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

    /// The endpoint's counters: its own, a reused idle slot, or `{other}`.
    fn track_for(&mut self, name: String, slot: u64) -> Option<&mut EndpointTrack> {
        let current = slot;
        let oldest = self.oldest(current);
        let buckets = self.ring.len();
        let cap = self.config.max_endpoints as usize;
        let position = self
            .endpoints
            .iter()
            .position(|t| t.name == name)
            .or_else(|| {
                if self.endpoints.len() < cap {
                    self.endpoints.push(EndpointTrack {
                        name: name.clone(),
                        ring: vec![Counts::default(); buckets],
                    });
                    return Some(self.endpoints.len() - 1);
                }
                // Reuse the slot of an endpoint with nothing left in the window.
                let idle = self.endpoints.iter().position(|t| {
                    t.name != OTHER_ENDPOINT && !t.ring.iter().any(|c| c.live(oldest, current))
                });
                if let Some(i) = idle {
                    if let Some(t) = self.endpoints.get_mut(i) {
                        t.name = name.clone();
                        t.ring.iter_mut().for_each(|c| *c = Counts::default());
                    }
                    return Some(i);
                }
                None
            });
        match position {
            Some(i) => self.endpoints.get_mut(i),
            None => self.other_track(buckets),
        }
    }

    fn other_track(&mut self, buckets: usize) -> Option<&mut EndpointTrack> {
        if !self.endpoints.iter().any(|t| t.name == OTHER_ENDPOINT) {
            self.endpoints.push(EndpointTrack {
                name: String::from(OTHER_ENDPOINT),
                ring: vec![Counts::default(); buckets],
            });
        }
        self.endpoints.iter_mut().find(|t| t.name == OTHER_ENDPOINT)
    }
}

fn bump(c: &mut Counts, failed: bool) {
    c.calls = c.calls.saturating_add(1);
    c.errors = c.errors.saturating_add(u32::from(failed));
}

#[cfg(test)]
mod tests;
