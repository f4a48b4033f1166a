//! The engine's durable state ([`Snapshot`]) and its text: plain JSON a
//! person can read, format [`Snapshot::FORMAT`].
//!
//! ```text
//! {"format":3,"savedAt":1765000000000,"rng":"8234872384723",
//!  "circuits":[{"endpoint":"/listings/{id}","state":"open","until":1765000030000,"trips":1}],
//!  "limiter":{"serverPerSecond":5,"quota":{"remaining":9000},"sent":[[1765000019999,105]]},
//!  "monitor":{"buckets":[{"end":1765000029999,"calls":105,"errors":12,"server":12}]}}
//! ```
//!
//! Every instant is wall-clock milliseconds since 1970, so a person reads
//! until when a circuit stays open; only what differs from a fresh engine
//! is written (a closed circuit that counted no failure is left out). Each
//! machine writes and reads its own part (the `saved` modules beside their
//! definitions). Reading checks every field and names the one at fault;
//! the `sf1:` / `sf2:` texts of earlier versions are refused as such.

use alloc::string::String;
use alloc::vec::Vec;

use crate::breaker::SavedCircuit;
use crate::codec::{parse, Fields, Json, Out, Problem, SnapshotError, MAX_NUMBER};
use crate::limiter::SavedLimiter;
use crate::monitor::SavedMonitor;
use crate::retry::SavedBudget;
use crate::time::UnixMillis;

/// The engine's durable state: what a host saves before it is killed (an
/// extension service worker after 30 s idle) and restores on wake. Calls in
/// flight are not part of it: they belong to the process that ran them.
///
/// Every instant inside is wall-clock ms; [`super::Engine::restore`]
/// resumes on the wall clock's time line, so the time that passed while the
/// host was gone has passed for every machine, whatever the new process's
/// monotonic clock says.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct Snapshot {
    /// When it was taken, by the wall clock.
    pub saved_at: UnixMillis,
    /// The circuits that know something (open, half-open, or counting
    /// failures).
    pub circuits: Vec<SavedCircuit>,
    /// The limiter's learned pace and counted quota.
    pub limiter: SavedLimiter,
    /// The monitor's window of counts.
    pub monitor: SavedMonitor,
    /// The retry budget, if one is configured and not full.
    pub budget: Option<SavedBudget>,
    /// The jitter generator's state.
    pub rng: u64,
}

impl Snapshot {
    /// The layout's version, written as `format` and checked on reading.
    pub const FORMAT: u64 = 3;

    /// The snapshot as JSON text (see the module).
    #[must_use]
    pub fn encode(&self) -> String {
        let mut o = Out::default();
        o.open('{').key("format").num(Self::FORMAT);
        o.key("savedAt").num(self.saved_at.0);
        // A string: a JavaScript number would round 64 bits.
        o.key("rng").num_text(self.rng);
        if !self.circuits.is_empty() {
            o.key("circuits").open('[');
            for c in &self.circuits {
                c.write(&mut o);
            }
            o.close(']');
        }
        o.key("limiter");
        self.limiter.write(&mut o);
        o.key("monitor");
        self.monitor.write(&mut o);
        if let Some(b) = &self.budget {
            o.key("budget");
            b.write(&mut o);
        }
        o.close('}');
        o.into_string()
    }

    /// A snapshot back from [`Snapshot::encode`]'s text.
    ///
    /// # Errors
    /// A [`SnapshotError`] naming the field at fault: text that is not
    /// JSON, an older format's text, another `format`, a field missing, of
    /// the wrong type, out of range, or unknown.
    pub fn decode(text: &str) -> Result<Snapshot, SnapshotError> {
        let top = String::new();
        if text.trim_start().starts_with("sf") {
            return Err(SnapshotError::new(top, Problem::OldFormat));
        }
        let mut f = Fields::of(parse(text)?, top)?;
        match f.take("format") {
            Some(Json::Num(n)) if n == "3" => {}
            Some(Json::Num(n)) if n == "1" || n == "2" => {
                return Err(SnapshotError::new(String::new(), Problem::OldFormat))
            }
            Some(_) => return Err(f.error("format", Problem::Format)),
            None => return Err(f.error("format", Problem::Missing)),
        }
        let saved_at = f.required_num("savedAt", MAX_NUMBER)?;
        let rng = match f.text("rng")? {
            None => return Err(f.error("rng", Problem::Missing)),
            Some(t) => parse_u64(&t).ok_or_else(|| f.error("rng", Problem::Range))?,
        };
        // No engine keeps more than 10 000 circuits.
        let circuits = f.list("circuits", 10_000, SavedCircuit::read)?;
        let limiter = match f.obj("limiter")? {
            Some(l) => SavedLimiter::read(l)?,
            None => SavedLimiter::default(),
        };
        let monitor = match f.obj("monitor")? {
            Some(m) => SavedMonitor::read(m)?,
            None => SavedMonitor::default(),
        };
        let budget = f.obj("budget")?.map(SavedBudget::read).transpose()?;
        f.done()?;
        Ok(Snapshot {
            saved_at: UnixMillis(saved_at),
            circuits,
            limiter,
            monitor,
            budget,
            rng,
        })
    }
}

/// A `u64` written in decimal digits (the generator's state).
fn parse_u64(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 20 {
        return None;
    }
    text.bytes().try_fold(0u64, |n, b| {
        let d = char::from(b).to_digit(10)?;
        n.checked_mul(10)?.checked_add(u64::from(d))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_formats_are_refused_as_such() {
        for old in ["sf1:00", "sf2:0a0b", r#"{"format":2,"state":"sf2:00"}"#] {
            let e = Snapshot::decode(old).unwrap_err();
            assert_eq!(e.problem(), Problem::OldFormat, "{old}");
            assert!(e.message().contains("older format"), "{}", e.message());
        }
        let e = Snapshot::decode(r#"{"format":4}"#).unwrap_err();
        assert_eq!(
            e.message(),
            "`format` must be 3 (the snapshot format this version reads)"
        );
        assert_eq!(
            Snapshot::decode("{}").unwrap_err().message(),
            "`format` is missing"
        );
    }

    #[test]
    fn the_generator_state_keeps_all_64_bits() {
        let s = Snapshot {
            rng: u64::MAX,
            ..Snapshot::default()
        };
        let text = s.encode();
        assert!(text.contains("\"rng\":\"18446744073709551615\""), "{text}");
        assert_eq!(Snapshot::decode(&text).unwrap(), s);
        assert_eq!(parse_u64("18446744073709551616"), None);
        assert_eq!(parse_u64("-1"), None);
    }
}
