//! Recently normalised endpoints, so that calls to the same path do not
//! normalise it again.
//!
//! Clients call a handful of paths over and over (`/shops/42/receipts`,
//! `/users/me`); normalising each call's path costs more than the rest of
//! starting the call. A small direct-mapped table remembers the last path
//! seen in each of its slots: a hit costs a hash and one comparison. Memory
//! is bounded: [`SLOTS`] entries, paths longer than [`MAX_CACHED_LEN`] are not
//! cached.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::monitor::normalize_endpoint;

/// Slots in the table.
const SLOTS: usize = 256;
/// Longer paths are normalised every time (they are rarely repeated).
const MAX_CACHED_LEN: usize = 160;

#[derive(Debug, Default)]
pub(crate) struct EndpointCache {
    slots: Vec<Option<(String, Arc<str>)>>,
}

impl EndpointCache {
    /// The normalised name of `path`.
    pub(crate) fn normalize(&mut self, path: &str) -> Arc<str> {
        if path.len() > MAX_CACHED_LEN {
            return normalize_endpoint(path).into();
        }
        if self.slots.is_empty() {
            self.slots.resize(SLOTS, None);
        }
        let index = (hash(path.as_bytes()) % SLOTS as u64) as usize;
        let Some(slot) = self.slots.get_mut(index) else {
            return normalize_endpoint(path).into();
        };
        match slot {
            Some((raw, name)) if raw == path => Arc::clone(name),
            _ => {
                let name: Arc<str> = normalize_endpoint(path).into();
                *slot = Some((String::from(path), Arc::clone(&name)));
                name
            }
        }
    }
}

/// A cheap hash of a path: its length and its first and last eight bytes
/// (paths to one API share prefixes and differ in their tails — the ids).
/// Collisions only cost a miss: the whole path is compared on a hit.
fn hash(bytes: &[u8]) -> u64 {
    let word = |b: Option<&[u8]>| {
        b.and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map_or(0, u64::from_le_bytes)
    };
    let n = bytes.len();
    let head = word(bytes.get(..8));
    let tail = word(bytes.get(n.saturating_sub(8)..));
    (head.rotate_left(17) ^ tail ^ n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn answers_like_normalize_endpoint_hit_or_miss() {
        let mut c = EndpointCache::default();
        for path in [
            "/a/1",
            "/a/2",
            "/a/1",
            "/b/x?key=secret",
            "/a/1",
            "/listings/12345678/x",
        ] {
            assert_eq!(&*c.normalize(path), normalize_endpoint(path));
        }
        let long = "/x".repeat(200);
        assert_eq!(&*c.normalize(&long), normalize_endpoint(&long));
        assert!(c.slots.len() <= SLOTS);
    }

    #[test]
    fn a_repeated_path_shares_one_name() {
        let mut c = EndpointCache::default();
        let short = "/v3/application/listings/123";
        assert!(Arc::ptr_eq(&c.normalize(short), &c.normalize(short)));
        let longest = format!("/{}", "a".repeat(MAX_CACHED_LEN - 1));
        assert!(Arc::ptr_eq(&c.normalize(&longest), &c.normalize(&longest)));
        let too_long = format!("/{}", "a".repeat(MAX_CACHED_LEN));
        assert!(!Arc::ptr_eq(
            &c.normalize(&too_long),
            &c.normalize(&too_long)
        ));
    }
}
