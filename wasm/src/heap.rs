//! The module's memory allocator: a free list per power-of-two size class,
//! over pages taken from `memory.grow`.
//!
//! Why not `dlmalloc` (what std uses on wasm32): it weighed 2.3 KB of the
//! gzipped module (5 KB raw), for coalescing and splitting that this
//! module does not need. Its allocations are the
//! engine's small records, strings and vectors of a few steady shapes, made
//! and freed in the same sizes call after call; a freed block goes back on
//! its class's list and the next allocation of that class takes it, so a
//! steady workload reaches a steady footprint (the soak tests hold it).
//! The price: a block is its request rounded up to a power of two (at most
//! twice the request), and a block stays in its class. WebAssembly memory
//! never shrinks anyway.
//!
//! Single-threaded, as the whole module is (see `global.rs`).

use core::alloc::Layout;
use core::ptr::null_mut;

/// The smallest block: 16 bytes (a block must hold the free list's link,
/// and 16 keeps every block aligned for any type the module allocates).
const MIN_SHIFT: u32 = 4;
/// One class per power of two a `usize` can hold.
const CLASSES: usize = usize::BITS as usize;
/// WebAssembly's page.
pub(crate) const PAGE: usize = 64 * 1024;

/// Where fresh memory comes from.
pub(crate) trait Pages {
    /// Adds `pages` pages; answers the address of the first new byte, or
    /// `None` when memory cannot grow.
    fn grow(&mut self, pages: usize) -> Option<usize>;
}

/// The allocator's state.
pub(crate) struct Heap<P> {
    /// Each class's first free block (0: none); a free block's first word
    /// is the next one's address.
    free: [usize; CLASSES],
    /// The first byte not yet handed out.
    top: usize,
    /// The end of the memory taken so far.
    end: usize,
    pages: P,
}

/// The class of `layout`: the power of two its block has, `None` when no
/// block could hold it.
fn class_of(layout: Layout) -> Option<u32> {
    let size = layout.size().max(layout.align()).max(1 << MIN_SHIFT);
    Some(size.checked_next_power_of_two()?.trailing_zeros())
}

impl<P: Pages> Heap<P> {
    pub(crate) const fn new(pages: P) -> Self {
        Self {
            free: [0; CLASSES],
            top: 0,
            end: 0,
            pages,
        }
    }

    /// A block for `layout`, or null when memory is exhausted.
    ///
    /// # Safety
    ///
    /// Every block on the free lists was handed out by this heap and given
    /// back with [`Heap::dealloc`] (the free lists live in the blocks).
    pub(crate) unsafe fn alloc(&mut self, layout: Layout) -> *mut u8 {
        let Some(class) = class_of(layout) else {
            return null_mut();
        };
        let Some(head) = self.free.get_mut(class as usize) else {
            return null_mut();
        };
        let block = *head;
        if block != 0 && block % layout.align() == 0 {
            // SAFETY: `block` is a free block of this class: its first word
            // is the next free block's address (see the function's contract).
            *head = unsafe { (block as *const usize).read() };
            return block as *mut u8;
        }
        self.carve(1 << class, layout.align().max(1 << MIN_SHIFT))
            .map_or(null_mut(), |a| a as *mut u8)
    }

    /// Fresh memory: `size` bytes at an address aligned to `align`.
    fn carve(&mut self, size: usize, align: usize) -> Option<usize> {
        let fits = |top: usize, end: usize| {
            let start = top.checked_next_multiple_of(align)?;
            let stop = start.checked_add(size)?;
            (stop <= end).then_some((start, stop))
        };
        if fits(self.top, self.end).is_none() {
            // Enough pages for the block and its alignment wherever they
            // start: right after ours (then they extend what we have) or,
            // should anything else have grown memory, further on.
            let pages = size.checked_add(align)?.div_ceil(PAGE);
            let base = self.pages.grow(pages)?;
            let added = pages.checked_mul(PAGE)?;
            if base != self.end {
                self.top = base;
            }
            self.end = base.checked_add(added)?;
        }
        let (start, stop) = fits(self.top, self.end)?;
        self.top = stop;
        Some(start)
    }

    /// Gives back a block.
    ///
    /// # Safety
    ///
    /// `ptr` was handed out by this heap for `layout` (or a layout of the
    /// same class) and is not used any more.
    pub(crate) unsafe fn dealloc(&mut self, ptr: *mut u8, layout: Layout) {
        let Some(head) = class_of(layout).and_then(|c| self.free.get_mut(c as usize)) else {
            return;
        };
        // SAFETY: the block is ours and at least 16 bytes, aligned to 16.
        unsafe { ptr.cast::<usize>().write(*head) };
        *head = ptr as usize;
    }

    /// The block `ptr` resized to `new_size`: the same block when the size
    /// stays in its class, else a new one holding the old bytes.
    ///
    /// # Safety
    ///
    /// As [`Heap::dealloc`] for `ptr` and `layout`.
    pub(crate) unsafe fn realloc(
        &mut self,
        ptr: *mut u8,
        layout: Layout,
        new_size: usize,
    ) -> *mut u8 {
        let Ok(new) = Layout::from_size_align(new_size, layout.align()) else {
            return null_mut();
        };
        if class_of(new) == class_of(layout) {
            return ptr;
        }
        // SAFETY: as this function's contract.
        let moved = unsafe { self.alloc(new) };
        if !moved.is_null() {
            // SAFETY: both blocks hold at least the smaller size, and they
            // are different blocks (the old one is still handed out).
            unsafe {
                core::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        moved
    }
}

/// The module's memory, grown with `memory.grow`.
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
pub(crate) struct Memory;

#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
impl Pages for Memory {
    fn grow(&mut self, pages: usize) -> Option<usize> {
        let before = core::arch::wasm32::memory_grow(0, pages);
        (before != usize::MAX).then(|| before.saturating_mul(PAGE))
    }
}

/// The global allocator of the package's module.
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
pub(crate) struct Allocator(core::cell::UnsafeCell<Heap<Memory>>);

// SAFETY: wasm32 without `atomics` runs one thread (`global.rs` makes
// `atomics` a compile error), and the heap never calls itself.
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
unsafe impl Sync for Allocator {}

#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
impl Allocator {
    pub(crate) const fn new() -> Self {
        Self(core::cell::UnsafeCell::new(Heap::new(Memory)))
    }
}

// SAFETY: the heap hands out each block once until it is given back, sized
// and aligned for its layout.
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
unsafe impl core::alloc::GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: one thread, and no allocation runs inside another.
        unsafe { (*self.0.get()).alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as `alloc`; `ptr` came from `alloc` (GlobalAlloc's contract).
        unsafe { (*self.0.get()).dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as `dealloc`.
        unsafe { (*self.0.get()).realloc(ptr, layout, new_size) }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
pub(crate) mod tests {
    use super::*;
    use std::vec::Vec;

    /// Pages from a buffer of the test's own, `limit` of them; `gap` pages
    /// are skipped before the next grow (as if something else grew memory).
    pub(crate) struct Arena {
        base: usize,
        used: usize,
        limit: usize,
        gap: usize,
        _buffer: Vec<u128>,
    }

    impl Arena {
        pub(crate) fn new(limit: usize) -> Self {
            let buffer = std::vec![0u128; limit * PAGE / 16];
            Self {
                base: buffer.as_ptr() as usize,
                used: 0,
                limit,
                gap: 0,
                _buffer: buffer,
            }
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    impl Heap<Arena> {
        /// The bytes of the pages taken so far (gaps included): what
        /// `alloc_trace.rs`'s replays measure.
        pub(crate) fn taken(&self) -> usize {
            self.pages.used * PAGE
        }
    }

    impl Pages for Arena {
        fn grow(&mut self, pages: usize) -> Option<usize> {
            let first = self.used + self.gap;
            if first + pages > self.limit {
                return None;
            }
            self.gap = 0;
            self.used = first + pages;
            Some(self.base + first * PAGE)
        }
    }

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn a_freed_block_is_the_next_of_its_class() {
        let mut heap = Heap::new(Arena::new(4));
        unsafe {
            let a = heap.alloc(layout(24, 8));
            let b = heap.alloc(layout(30, 8));
            assert_ne!(a, b);
            assert_eq!(
                b as usize - a as usize,
                32,
                "24 and 30 bytes are both 32-byte blocks"
            );
            heap.dealloc(a, layout(24, 8));
            assert_eq!(
                heap.alloc(layout(17, 1)),
                a,
                "the free block of the class is reused"
            );
            assert_ne!(
                heap.alloc(layout(32, 8)),
                a,
                "once taken, it is not handed out twice"
            );
            let one = heap.alloc(layout(1, 1));
            let two = heap.alloc(layout(1, 1));
            assert_eq!(
                two as usize - one as usize,
                16,
                "the smallest block is 16 bytes"
            );
            let small = heap.alloc(layout(1, 1));
            heap.dealloc(small, layout(1, 1));
            assert_ne!(
                heap.alloc(layout(64, 8)),
                small,
                "a block stays in its class"
            );
        }
    }

    #[test]
    fn blocks_do_not_overlap_and_keep_what_is_written() {
        let mut heap = Heap::new(Arena::new(8));
        let mut blocks = Vec::new();
        unsafe {
            for i in 0..500usize {
                let size = 1 + (i * 37) % 700;
                let p = heap.alloc(layout(size, 8));
                assert!(!p.is_null());
                assert_eq!(p as usize % 16, 0);
                core::ptr::write_bytes(p, (i % 251) as u8, size);
                blocks.push((p, size, (i % 251) as u8));
                if i % 3 == 0 {
                    let (p, size, _) = blocks.swap_remove(i % blocks.len());
                    heap.dealloc(p, layout(size, 8));
                }
            }
            for &(p, size, byte) in &blocks {
                let bytes = core::slice::from_raw_parts(p, size);
                assert!(bytes.iter().all(|&b| b == byte), "a block was overwritten");
            }
        }
    }

    #[test]
    fn alignment_above_sixteen_is_honoured() {
        let mut heap = Heap::new(Arena::new(4));
        unsafe {
            let _ = heap.alloc(layout(16, 16));
            let p = heap.alloc(layout(64, 64));
            assert_eq!(p as usize % 64, 0);
            heap.dealloc(p, layout(64, 64));
            let q = heap.alloc(layout(8, 256));
            assert_eq!(q as usize % 256, 0);
        }
    }

    #[test]
    fn realloc_keeps_a_block_in_its_class_and_moves_the_bytes_out_of_it() {
        let mut heap = Heap::new(Arena::new(4));
        unsafe {
            let p = heap.alloc(layout(20, 4));
            core::ptr::copy_nonoverlapping(b"abcdefghijklmnopqrst".as_ptr(), p, 20);
            assert_eq!(
                heap.realloc(p, layout(20, 4), 32),
                p,
                "32 is still the 32-byte class"
            );
            let q = heap.realloc(p, layout(32, 4), 100);
            assert_ne!(q, p);
            assert_eq!(core::slice::from_raw_parts(q, 20), b"abcdefghijklmnopqrst");
            assert_eq!(heap.alloc(layout(32, 4)), p, "the old block was given back");
            let r = heap.realloc(q, layout(100, 4), 3);
            assert_eq!(core::slice::from_raw_parts(r, 3), b"abc");
        }
    }

    #[test]
    fn memory_grows_by_pages_and_exhaustion_is_null() {
        let mut heap = Heap::new(Arena::new(3));
        unsafe {
            let big = heap.alloc(layout(PAGE, 8));
            assert!(
                !big.is_null(),
                "a page-sized block takes two pages (block and alignment)"
            );
            let next = heap.alloc(layout(PAGE / 2, 8));
            assert!(!next.is_null(), "it fits in the rest of the second page");
            assert!(
                heap.alloc(layout(PAGE, 8)).is_null(),
                "no fourth page: null, not a trap"
            );
            assert!(
                heap.alloc(layout(isize::MAX as usize / 2 + 2, 1)).is_null(),
                "far too big"
            );
            heap.dealloc(big, layout(PAGE, 8));
            assert_eq!(heap.alloc(layout(PAGE, 8)), big);
        }
    }

    #[test]
    fn growth_after_a_foreign_grow_starts_at_the_new_pages() {
        let mut heap = Heap::new(Arena::new(8));
        unsafe {
            let a = heap.alloc(layout(PAGE / 2, 8));
            heap.pages.gap = 2;
            let b = heap.alloc(layout(PAGE, 8));
            assert!(!b.is_null());
            let arena_base = heap.pages.base;
            assert_eq!(b as usize, arena_base + 3 * PAGE, "after the pages skipped");
            assert!((b as usize) > (a as usize));
        }
    }
}
