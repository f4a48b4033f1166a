//! The objects the package's JavaScript holds (clients, breakers, ...), by
//! handle: a small number it passes back with each call. `0` is no object.
//!
//! A freed handle's number is given to the next object; the JavaScript
//! frees an object only when nothing can call it by that number any more:
//! `close()` takes a client out ([`Handles::take`]) and forgets its number
//! at once; any other object is removed when its wrapper was collected. A
//! handle that names none (never given, or freed) finds nothing: the export
//! answers its "nothing" value rather than touching another object's memory.
//!
//! Each object lives in a block of its own, so that freeing it gives back
//! all its memory and an empty slot costs one word: a client is over a
//! kilobyte before anything it points to (1.9 KB in a 64-bit build), and
//! the slots stay as many as the most objects ever open at once, so 1,000
//! clients opened, then closed, would otherwise keep a megabyte or more of
//! empty slots. (Moving a boxed object in and out is also less code than
//! moving a large one by value: the module is 57 bytes smaller gzipped.)

use alloc::boxed::Box;
use alloc::vec::Vec;

/// Objects by handle.
#[derive(Debug)]
pub(crate) struct Handles<T> {
    slots: Vec<Option<Box<T>>>,
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
        let value = Box::new(value);
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
        self.slots
            .get_mut((h as usize).checked_sub(1)?)?
            .as_deref_mut()
    }

    /// Takes the object under `h` out, to finish with it; its number is free
    /// for the next.
    pub(crate) fn take(&mut self, h: u32) -> Option<Box<T>> {
        let value = self.slots.get_mut((h as usize).checked_sub(1)?)?.take()?;
        self.free.push(h);
        Some(value)
    }

    /// Drops the object under `h`; its number is free for the next.
    pub(crate) fn remove(&mut self, h: u32) {
        drop(self.take(h));
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::Handles;
    use std::rc::Rc;

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

    #[test]
    fn a_taken_object_is_the_callers_and_its_number_the_next_objects() {
        let held = Rc::new(());
        let mut h = Handles::new();
        let a = h.insert(Some(Rc::clone(&held)));
        let b = h.insert(Some(Rc::clone(&held)));
        assert_eq!(Rc::strong_count(&held), 3);
        let taken = h.take(a).expect("a is there");
        assert!(Rc::ptr_eq(&taken, &held));
        assert_eq!(h.get_mut(a), None, "taken: no longer under its handle");
        assert!(h.take(a).is_none(), "taken once");
        assert!(h.take(0).is_none() && h.take(7).is_none());
        drop(taken);
        assert_eq!(Rc::strong_count(&held), 2, "dropped with its box");
        // The number goes to the next object; removing it then drops that
        // one, not anything the first one's holder kept.
        let c = h.insert(Some(Rc::clone(&held)));
        assert_eq!(c, a);
        h.remove(b);
        assert_eq!(Rc::strong_count(&held), 2);
        assert!(h.get_mut(c).is_some());
        h.remove(c);
        assert_eq!(Rc::strong_count(&held), 1, "nothing kept after removal");
    }
}
