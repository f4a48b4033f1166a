//! State the module keeps between calls: one cell per kind of state, in a
//! `static`.
//!
//! WebAssembly without the `atomics` feature runs one thread, and no export
//! calls back into JavaScript, so an export never finds a cell in use; if it
//! ever did, [`Global::with`] answers `None` rather than trapping.

use core::cell::RefCell;

/// A value one export at a time may change.
pub(crate) struct Global<T>(RefCell<T>);

// SAFETY: a `Global` is only shared between threads where there are none:
// on wasm32 without shared memory (the compile error below keeps it so).
// Native builds (the tests) keep their state per thread (`io.rs`) and never
// put a `Global` in a `static`.
#[cfg(target_arch = "wasm32")]
unsafe impl<T> Sync for Global<T> {}

#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
compile_error!("steadfast-wasm keeps its state in single-threaded cells: build without `atomics`");

impl<T> Global<T> {
    pub(crate) const fn new(value: T) -> Self {
        Self(RefCell::new(value))
    }

    /// Runs `f` on the value; `None` if it is in use (never: see the
    /// module's documentation).
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        let mut value = self.0.try_borrow_mut().ok()?;
        Some(f(&mut value))
    }
}

#[cfg(test)]
mod tests {
    use super::Global;

    #[test]
    fn a_value_in_use_is_not_lent_twice() {
        let g = Global::new(1);
        assert_eq!(g.with(|v| *v + 1), Some(2));
        assert_eq!(g.with(|_| g.with(|v| *v)), Some(None));
        g.with(|v| *v = 7);
        assert_eq!(g.with(|v| *v), Some(7));
    }
}
