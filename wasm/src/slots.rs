//! The building blocks' open permits and executions, by number.
//!
//! Numbers are handed out in increasing order and live briefly, so a vector
//! kept sorted by number (appended to, binary-searched) does what a
//! `BTreeMap` would, in a fraction of the module's size: each `BTreeMap`
//! instance cost some 4 KB of WebAssembly.

use alloc::vec::Vec;

/// Values by `u32` number, sorted by number.
#[derive(Debug)]
pub(crate) struct Slots<T> {
    entries: Vec<(u32, T)>,
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
        }
    }
}

impl<T> Slots<T> {
    fn find(&self, id: u32) -> Result<usize, usize> {
        self.entries.binary_search_by_key(&id, |(k, _)| *k)
    }

    /// Keeps `value` under `id`, replacing what was there.
    pub(crate) fn insert(&mut self, id: u32, value: T) {
        match self.find(id) {
            Ok(i) => {
                if let Some(slot) = self.entries.get_mut(i) {
                    slot.1 = value;
                }
            }
            Err(i) => self.entries.insert(i, (id, value)),
        }
    }

    /// Takes the value under `id` out.
    pub(crate) fn remove(&mut self, id: u32) -> Option<T> {
        let i = self.find(id).ok()?;
        Some(self.entries.remove(i).1)
    }

    /// The value under `id`, to change.
    pub(crate) fn get_mut(&mut self, id: u32) -> Option<&mut T> {
        let i = self.find(id).ok()?;
        self.entries.get_mut(i).map(|(_, v)| v)
    }

    /// How many values are kept.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::Slots;

    #[test]
    fn keeps_takes_and_replaces_by_number() {
        let mut s = Slots::default();
        for id in [5, 1, 9, 3] {
            s.insert(id, id * 10);
        }
        s.insert(3, 33);
        assert_eq!(s.len(), 4);
        assert_eq!(s.get_mut(9).copied(), Some(90));
        assert_eq!(s.remove(3), Some(33));
        assert_eq!(s.remove(3), None);
        assert_eq!(s.remove(1), Some(10));
        assert_eq!(s.get_mut(4), None);
        assert_eq!(s.remove(5), Some(50));
        assert_eq!(s.remove(9), Some(90));
        assert_eq!(s.len(), 0);
    }
}
