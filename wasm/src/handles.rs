//! The objects the package's JavaScript holds (clients, breakers, ...), by
//! handle: a small number it passes back with each call. `0` is no object.
//!
//! A freed handle's number is given to the next object; the JavaScript
//! frees an object only when nothing can call it any more (its wrapper was
//! collected), so no call names a freed object. A handle that names none
//! (never given, or freed) finds nothing: the export answers its "nothing"
//! value rather than touching another object's memory.

use alloc::vec::Vec;

/// Objects by handle.
#[derive(Debug)]
pub(crate) struct Handles<T> {
    slots: Vec<Option<T>>,
    free: Vec<u32>,
}

impl<T> Handles<T> {
    pub(crate) const fn new() -> Self {
        Self {
            slots: Vec::new(),
            free: Vec::new(),
        }
    }

    /// Keeps `value`: its handle (≥ 1). `0` for `None`, or when no number is
    /// left (4 billion live objects).
    pub(crate) fn insert(&mut self, value: Option<T>) -> u32 {
        let Some(value) = value else { return 0 };
        if let Some(h) = self.free.pop() {
            if let Some(slot) = self.slots.get_mut(h as usize - 1) {
                *slot = Some(value);
                return h;
            }
        }
        let Ok(h) = u32::try_from(self.slots.len() + 1) else {
            return 0;
        };
        self.slots.push(Some(value));
        h
    }

    /// The object under `h`, to change.
    pub(crate) fn get_mut(&mut self, h: u32) -> Option<&mut T> {
        self.slots.get_mut((h as usize).checked_sub(1)?)?.as_mut()
    }

    /// Drops the object under `h`; its number is free for the next.
    pub(crate) fn remove(&mut self, h: u32) {
        let Some(i) = (h as usize).checked_sub(1) else {
            return;
        };
        if let Some(slot @ Some(_)) = self.slots.get_mut(i) {
            *slot = None;
            self.free.push(h);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Handles;

    #[test]
    fn handles_name_objects_until_freed_and_are_reused() {
        let mut h = Handles::new();
        assert_eq!(h.insert(None::<&str>), 0);
        let a = h.insert(Some("a"));
        let b = h.insert(Some("b"));
        assert_eq!((a, b), (1, 2));
        assert_eq!(h.get_mut(a).copied(), Some("a"));
        assert_eq!(h.get_mut(0), None);
        assert_eq!(h.get_mut(3), None);
        h.remove(a);
        h.remove(a);
        h.remove(0);
        h.remove(9);
        assert_eq!(h.get_mut(a), None);
        assert_eq!(h.get_mut(b).copied(), Some("b"));
        // The freed number goes to the next object, once.
        assert_eq!(h.insert(Some("c")), a);
        assert_eq!(h.insert(Some("d")), 3);
        assert_eq!(h.get_mut(a).copied(), Some("c"));
    }
}
