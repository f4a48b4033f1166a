//! Storage for the calls in progress: a slab of slots reused after a call
//! ends, addressed by `CallId` = slot index + generation.
//!
//! O(1) lookups without hashing (the core is `no_std`), no large moves when
//! calls start and end, and a stale id (a call that ended, its slot since
//! reused) never reaches the new occupant.

use alloc::vec::Vec;

use super::CallId;

#[derive(Debug)]
struct Slot<T> {
    generation: u32,
    value: Option<T>,
}

/// Calls in progress.
#[derive(Debug)]
pub(crate) struct Slab<T> {
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
    len: usize,
}

impl<T> Slab<T> {
    pub(crate) const fn new() -> Self {
        Self {
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }

    fn split(id: CallId) -> (usize, u32) {
        ((id.0 & 0xFFFF_FFFF) as usize, (id.0 >> 32) as u32)
    }

    /// Stores `value`; its id.
    pub(crate) fn insert(&mut self, value: T) -> CallId {
        self.len += 1;
        let index = match self.free.pop() {
            Some(i) => i,
            None => {
                self.slots.push(Slot {
                    generation: 0,
                    value: None,
                });
                (self.slots.len() - 1) as u32
            }
        };
        let generation = match self.slots.get_mut(index as usize) {
            Some(slot) => {
                slot.generation = slot.generation.wrapping_add(1);
                slot.value = Some(value);
                slot.generation
            }
            None => 0,
        };
        CallId(u64::from(index) | (u64::from(generation) << 32))
    }

    pub(crate) fn get(&self, id: &CallId) -> Option<&T> {
        let (index, generation) = Self::split(*id);
        self.slots
            .get(index)
            .filter(|s| s.generation == generation)
            .and_then(|s| s.value.as_ref())
    }

    pub(crate) fn get_mut(&mut self, id: &CallId) -> Option<&mut T> {
        let (index, generation) = Self::split(*id);
        self.slots
            .get_mut(index)
            .filter(|s| s.generation == generation)
            .and_then(|s| s.value.as_mut())
    }

    pub(crate) fn remove(&mut self, id: &CallId) -> Option<T> {
        let (index, generation) = Self::split(*id);
        let slot = self
            .slots
            .get_mut(index)
            .filter(|s| s.generation == generation)?;
        let value = slot.value.take()?;
        self.free.push(index as u32);
        self.len -= 1;
        Some(value)
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The ids of every value stored, in slot order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = CallId> + '_ {
        self.slots.iter().enumerate().filter_map(|(i, s)| {
            s.value
                .as_ref()
                .map(|_| CallId(i as u64 | (u64::from(s.generation) << 32)))
        })
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().filter_map(|s| s.value.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_ids_never_reach_a_reused_slot() {
        let mut s = Slab::new();
        let a = s.insert("a");
        assert_eq!(s.remove(&a), Some("a"));
        let b = s.insert("b");
        assert_ne!(a, b, "same slot, new generation");
        assert_eq!(s.get(&a), None);
        assert_eq!(s.remove(&a), None);
        assert_eq!(s.get(&b), Some(&"b"));
        assert_eq!(s.len(), 1);
        assert_eq!(s.values().count(), 1);
    }
}
