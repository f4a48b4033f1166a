//! The monitor's part of the snapshot: the window's counts, slice by slice,
//! with each endpoint's share and the last error, written only for slices
//! that counted a call, and read back checked.
//!
//! ```text
//! {"alerting":true,
//!  "buckets":[{"end":1765000029999,"calls":105,"errors":12,"server":10,"timeout":2,
//!              "endpoints":{"/listings/{id}":[3,1]}}],
//!  "lastError":{"category":"server","status":503,"endpoint":"/listings/{id}","at":1765000021000}}
//! ```
//!
//! `end` is the slice's last instant (wall-clock ms); each category's
//! errors go under its name; an endpoint's share is `[calls, errors]`.

use alloc::string::String;
use alloc::vec::Vec;

use super::{Bucket, Counts, ErrorMonitor, LastError, CATEGORIES, OTHER_ENDPOINT};
use crate::classify::Category;
use crate::codec::{nums, Fields, Json, Out, Problem, SnapshotError, MAX_NUMBER};
use crate::time::Millis;

/// One slice of the window as saved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SavedBucket {
    /// Its last instant, wall-clock ms.
    pub end: Millis,
    /// Calls and errors counted in it.
    pub calls: u32,
    /// Of which errors.
    pub errors: u32,
    /// Errors by category, in [`Category::ALL`]'s order.
    pub by_category: [u32; CATEGORIES],
    /// Each endpoint's calls and errors in it.
    pub endpoints: Vec<(String, u32, u32)>,
}

/// The last error as saved.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SavedError {
    /// Its category.
    pub category: Category,
    /// Its HTTP status, if it had one.
    pub status: Option<u16>,
    /// The endpoint it came from.
    pub endpoint: String,
    /// The server's message, already scrubbed of secrets.
    pub message: Option<String>,
    /// When, wall-clock ms.
    pub at: Millis,
}

/// The monitor as saved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SavedMonitor {
    /// Whether it had raised an alert not yet recovered (not raised again).
    pub alerting: bool,
    /// The window's slices that counted calls, oldest first.
    pub buckets: Vec<SavedBucket>,
    /// The last error.
    pub last_error: Option<SavedError>,
}

impl ErrorMonitor {
    /// Its saved part at engine instant `now`, instants through `wall`.
    pub(crate) fn save(&self, now: Millis, wall: impl Fn(Millis) -> Millis) -> SavedMonitor {
        let current = self.slot(now);
        let name = |i: usize| {
            self.endpoints
                .get(i)
                .map_or_else(|| String::from(OTHER_ENDPOINT), |t| t.name.clone())
        };
        // Slot by slot, oldest first (no sort: it weighs kilobytes in the
        // WebAssembly module).
        let mut buckets = Vec::new();
        for slot in self.oldest(current)..=current {
            let index = self.index_of(slot);
            let Some(b) = self.ring.get(index) else {
                continue;
            };
            if b.counts.slot != slot || b.counts.calls == 0 {
                continue;
            }
            let mut endpoints = Vec::new();
            for (i, t) in self.endpoints.iter().enumerate() {
                if let Some(c) = t.ring.get(index) {
                    if c.slot == slot && c.calls > 0 {
                        endpoints.push((name(i), c.calls, c.errors));
                    }
                }
            }
            let end = slot.saturating_add(1).saturating_mul(self.width_ms);
            buckets.push(SavedBucket {
                end: wall(Millis(end.saturating_sub(1))),
                calls: b.counts.calls,
                errors: b.counts.errors,
                by_category: b.by_category,
                endpoints,
            });
        }
        SavedMonitor {
            alerting: self.alerting,
            buckets,
            last_error: self.most_recent.as_ref().map(|r| SavedError {
                category: r.category,
                status: r.status,
                endpoint: name(r.endpoint as usize),
                message: r.message.clone(),
                at: wall(r.at),
            }),
        }
    }

    /// Takes a saved part (instants already on the engine's time line) at
    /// `now`: each slice into the slot of its last instant.
    pub(crate) fn load(&mut self, s: &SavedMonitor, now: Millis) {
        for saved in &s.buckets {
            let slot = self.slot(saved.end);
            let index = self.index_of(slot);
            if let Some(b) = self.ring.get_mut(index) {
                *b = Bucket {
                    counts: Counts {
                        slot,
                        calls: saved.calls,
                        errors: saved.errors.min(saved.calls),
                    },
                    by_category: saved.by_category,
                };
            }
            for (name, calls, errors) in &saved.endpoints {
                let id = self.intern(name, now);
                if let Some(c) = self
                    .endpoints
                    .get_mut(id.index as usize)
                    .and_then(|t| t.ring.get_mut(index))
                {
                    if c.slot != slot {
                        *c = Counts {
                            slot,
                            ..Counts::default()
                        };
                    }
                    c.calls = c.calls.saturating_add(*calls);
                    c.errors = c.errors.saturating_add((*errors).min(*calls));
                }
            }
        }
        self.alerting = s.alerting;
        self.most_recent = s.last_error.as_ref().map(|e| LastError {
            category: e.category,
            status: e.status,
            endpoint: self.intern(&e.endpoint, now).index,
            message: e.message.clone(),
            at: e.at,
        });
        self.older = None;
    }
}

impl SavedMonitor {
    /// Writes it as an object.
    pub(crate) fn write(&self, o: &mut Out) {
        o.open('{');
        if self.alerting {
            o.key("alerting").boolean(true);
        }
        if !self.buckets.is_empty() {
            o.key("buckets").open('[');
            for b in &self.buckets {
                o.open('{').key("end").num(b.end.as_u64());
                o.key("calls").num(b.calls.into());
                o.num_field("errors", b.errors.into());
                for (c, n) in Category::ALL.iter().zip(b.by_category) {
                    o.num_field(c.as_str(), n.into());
                }
                if !b.endpoints.is_empty() {
                    o.key("endpoints").open('{');
                    for (name, calls, errors) in &b.endpoints {
                        o.key(name)
                            .open('[')
                            .num((*calls).into())
                            .num((*errors).into());
                        o.close(']');
                    }
                    o.close('}');
                }
                o.close('}');
            }
            o.close(']');
        }
        if let Some(e) = &self.last_error {
            o.key("lastError").open('{');
            o.key("category").text(e.category.as_str());
            if let Some(s) = e.status {
                o.key("status").num(s.into());
            }
            o.key("endpoint").text(&e.endpoint);
            if let Some(m) = &e.message {
                o.key("message").text(m);
            }
            o.key("at").num(e.at.as_u64()).close('}');
        }
        o.close('}');
    }

    /// Reads one back, every field checked.
    pub(crate) fn read(mut f: Fields) -> Result<Self, SnapshotError> {
        let alerting = f.flag("alerting")?;
        // A window holds at most 3 600 slices.
        let buckets = f.list("buckets", 3_600, read_bucket)?;
        let last_error = match f.obj("lastError")? {
            None => None,
            Some(mut e) => {
                let category = match e.text("category")? {
                    None => return Err(e.error("category", Problem::Missing)),
                    Some(name) => Category::ALL
                        .into_iter()
                        .find(|c| c.as_str() == name)
                        .ok_or_else(|| e.error("category", Problem::Range))?,
                };
                let status = match e.num("status", 999)? {
                    Some(s) if s < 100 => return Err(e.error("status", Problem::Range)),
                    s => s.and_then(|s| u16::try_from(s).ok()),
                };
                let endpoint = e
                    .text("endpoint")?
                    .unwrap_or_else(|| String::from(OTHER_ENDPOINT));
                let message = match e.text("message")? {
                    Some(m) if m.chars().count() > crate::body::MAX_MESSAGE_CHARS => {
                        return Err(e.error("message", Problem::Range))
                    }
                    m => m,
                };
                let at = e.required_num("at", MAX_NUMBER)?;
                e.done()?;
                Some(SavedError {
                    category,
                    status,
                    endpoint,
                    message,
                    at: Millis(at),
                })
            }
        };
        f.done()?;
        Ok(Self {
            alerting,
            buckets,
            last_error,
        })
    }
}

fn read_bucket(v: Json, path: String) -> Result<SavedBucket, SnapshotError> {
    let mut f = Fields::of(v, path)?;
    let end = f.required_num("end", MAX_NUMBER)?;
    let calls = f.count("calls")?;
    let errors = f.count("errors")?;
    if errors > calls {
        return Err(f.error("errors", Problem::Range));
    }
    let mut by_category = [0; CATEGORIES];
    for (slot, c) in by_category.iter_mut().zip(Category::ALL) {
        *slot = f.count(c.as_str())?;
    }
    let mut endpoints = Vec::new();
    if let Some(mut e) = f.obj("endpoints")? {
        let at = f.path("endpoints");
        for (name, v) in e.rest() {
            if name.is_empty() || name.len() > super::MAX_ENDPOINT_LEN {
                return Err(SnapshotError::new(at, Problem::Range));
            }
            let [c, n] = nums::<2>(&v, crate::codec::join(&at, &name), u64::from(u32::MAX))?;
            if n > c {
                return Err(SnapshotError::new(
                    crate::codec::join(&at, &name),
                    Problem::Range,
                ));
            }
            let count = |x: u64| u32::try_from(x).unwrap_or(u32::MAX);
            endpoints.push((name, count(c), count(n)));
        }
    }
    f.done()?;
    Ok(SavedBucket {
        end: Millis(end),
        calls,
        errors,
        by_category,
        endpoints,
    })
}
