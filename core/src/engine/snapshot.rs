//! The engine's durable state ([`Snapshot`]) and its text: the version tag
//! [`Snapshot::TAG`] followed by the lowercase hex of the byte string the
//! codec writes, safe in JSON and in any string store.

use alloc::string::String;
use alloc::vec::Vec;

use crate::codec::{Codec, SnapshotError};
use crate::time::{Millis, UnixMillis};

/// The engine's durable state: what a host saves before it is killed (an
/// extension service worker after 30 s idle) and restores on wake. Calls in
/// flight are not part of it: they belong to the process that ran them.
///
/// Instants inside are on the engine's own time line; `taken_at` and `wall`
/// let [`super::Engine::restore`] continue that line by the wall-clock time
/// that passed, whatever the new process's monotonic clock says.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct Snapshot {
    /// When it was taken, on the engine's time line.
    pub taken_at: Millis,
    /// When it was taken, by the wall clock.
    pub wall: UnixMillis,
    /// The breakers (one, or one per endpoint).
    pub breakers: Vec<super::breakers::SavedBreaker>,
    /// The limiter.
    pub limiter: crate::limiter::RateLimiter,
    /// The monitor.
    pub monitor: crate::monitor::ErrorMonitor,
    /// The retry budget, if any.
    pub budget: Option<crate::retry::RetryBudget>,
    /// The jitter generator.
    pub rng: crate::rng::SplitMix64,
}

impl Snapshot {
    /// The layout's version: a host writes it beside the encoded state (the
    /// npm package's `{ format, state }`) and refuses a state of another.
    pub const FORMAT: u32 = 2;
    /// What every encoded state starts with: `sf`, [`Snapshot::FORMAT`],
    /// `:` (a test holds the two together).
    pub const TAG: &'static str = "sf2:";
}

crate::codec::codec_struct!(Snapshot {
    taken_at,
    wall,
    breakers,
    limiter,
    monitor,
    budget,
    rng,
});

const HEX: &[u8; 16] = b"0123456789abcdef";

fn nibble(c: u8) -> Result<u8, SnapshotError> {
    match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        b'A'..=b'F' => Ok(c - b'A' + 10),
        _ => Err(SnapshotError::NotHex),
    }
}

impl Snapshot {
    /// The snapshot as plain text: [`Snapshot::TAG`] then hex (see the
    /// module). Safe in JSON, with no secret in it (the
    /// engine's snapshot holds none).
    #[must_use]
    pub fn encode(&self) -> String {
        let mut w = crate::codec::Writer::default();
        self.put(&mut w);
        let bytes = w.into_bytes();
        let mut out = String::with_capacity(Self::TAG.len() + 2 * bytes.len());
        out.push_str(Self::TAG);
        for b in bytes {
            for n in [b >> 4, b & 0xF] {
                out.push(char::from(HEX.get(usize::from(n)).copied().unwrap_or(b'0')));
            }
        }
        out
    }

    /// A snapshot back from [`Snapshot::encode`]'s text.
    ///
    /// # Errors
    /// A [`SnapshotError`] for anything else: another version, text that is
    /// not hex, a truncated or over-long state, an out-of-range value.
    pub fn decode(text: &str) -> Result<Snapshot, SnapshotError> {
        let hex = text
            .strip_prefix(Self::TAG)
            .ok_or(SnapshotError::Version)?
            .as_bytes();
        if hex.len() % 2 != 0 {
            return Err(SnapshotError::NotHex);
        }
        let bytes = hex
            .chunks_exact(2)
            .map(|pair| match pair {
                [hi, lo] => Ok(nibble(*hi)? << 4 | nibble(*lo)?),
                _ => Err(SnapshotError::NotHex),
            })
            .collect::<Result<Vec<u8>, _>>()?;
        let mut r = crate::codec::Reader::new(&bytes);
        let snapshot = Snapshot::get(&mut r)?;
        if r.is_empty() {
            Ok(snapshot)
        } else {
            Err(SnapshotError::Trailing)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Snapshot;

    #[test]
    fn the_tag_names_the_format() {
        assert_eq!(Snapshot::TAG, alloc::format!("sf{}:", Snapshot::FORMAT));
    }
}
