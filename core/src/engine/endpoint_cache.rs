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
use alloc::vec::Vec;

use crate::monitor::normalize_endpoint;

/// Slots in the table.
const SLOTS: usize = 256;
/// Longer paths are normalised every time (they are rarely repeated).
const MAX_CACHED_LEN: usize = 160;

#[derive(Debug, Default)]
pub(crate) struct EndpointCache {
    slots: Vec<Option<(String, String)>>,
}

impl EndpointCache {
    /// The normalised name of `path`.
    pub(crate) fn normalize(&mut self, path: &str) -> String {
        if path.len() > MAX_CACHED_LEN {
            return normalize_endpoint(path);
        }
        if self.slots.is_empty() {
            self.slots.resize(SLOTS, None);
        }
        let index = (hash(path.as_bytes()) % SLOTS as u64) as usize;
        let Some(slot) = self.slots.get_mut(index) else {
            return normalize_endpoint(path);
        };
        match slot {
            Some((raw, name)) if raw == path => name.clone(),
            _ => {
                let name = normalize_endpoint(path);
                *slot = Some((String::from(path), name.clone()));
                name
            }
        }
    }
}

/// A fast word-at-a-time hash of a short byte string.
fn hash(bytes: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ bytes.len() as u64;
    for chunk in bytes.chunks(8) {
        let mut word = [0u8; 8];
        if let Some(dst) = word.get_mut(..chunk.len()) {
            dst.copy_from_slice(chunk);
        }
        h = (h ^ u64::from_le_bytes(word))
            .wrapping_mul(0x0100_0000_01b3)
            .rotate_left(23);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_like_normalize_endpoint_hit_or_miss() {
        let mut c = EndpointCache::default();
        for path in ["/a/1", "/a/2", "/a/1", "/b/x?key=secret", "/a/1"] {
            assert_eq!(c.normalize(path), normalize_endpoint(path));
        }
        let long = "/x".repeat(200);
        assert_eq!(c.normalize(&long), normalize_endpoint(&long));
        assert!(c.slots.len() <= SLOTS);
    }
}
