//! The crate's tests' allocator: the system's, recording what one thread
//! allocates, resizes and frees while it asks to ([`record`]). A test can
//! then tell whether what it ran gave back every byte it took
//! ([`live_bytes`]), and replay the same steps on the module's own heap
//! ([`replay`], over [`crate::heap`]'s test arena) to see whether freed
//! blocks serve the next allocations or memory grows anyway.
//!
//! Only in the crate's native unit tests (the package's module has its own
//! allocator, `heap.rs`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::vec::Vec;

use crate::heap::tests::Arena;
use crate::heap::Heap;

/// One step of the allocator, named by addresses of the run recorded.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Step {
    Alloc(usize, Layout),
    Realloc(usize, Layout, usize, usize),
    Free(usize, Layout),
}

std::thread_local! {
    /// Whether this thread records (off while a step is being kept: keeping
    /// it may allocate).
    static RECORDING: Cell<bool> = const { Cell::new(false) };
    static STEPS: RefCell<Vec<Step>> = const { RefCell::new(Vec::new()) };
}

fn keep(step: Step) {
    if RECORDING.with(Cell::get) {
        RECORDING.with(|r| r.set(false));
        STEPS.with(|s| s.borrow_mut().push(step));
        RECORDING.with(|r| r.set(true));
    }
}

/// The system's allocator, recording.
struct Recorder;

// SAFETY: every call is the system allocator's; recording only reads the
// addresses it answers.
unsafe impl GlobalAlloc for Recorder {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as the caller's contract.
        let p = unsafe { System.alloc(layout) };
        keep(Step::Alloc(p as usize, layout));
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        keep(Step::Free(ptr as usize, layout));
        // SAFETY: as the caller's contract.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as the caller's contract.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        keep(Step::Realloc(ptr as usize, layout, p as usize, new_size));
        p
    }
}

#[global_allocator]
static RECORDER: Recorder = Recorder;

/// What this thread's allocator did while `f` ran.
pub(crate) fn record(f: impl FnOnce()) -> Vec<Step> {
    STEPS.with(|s| s.borrow_mut().clear());
    RECORDING.with(|r| r.set(true));
    f();
    RECORDING.with(|r| r.set(false));
    STEPS.with(|s| core::mem::take(&mut *s.borrow_mut()))
}

/// The bytes allocated by `steps` and not freed by them (what was allocated
/// before the recording and resized or freed in it does not count).
pub(crate) fn live_bytes(steps: &[Step]) -> usize {
    let mut live: HashMap<usize, usize> = HashMap::new();
    for step in steps {
        match *step {
            Step::Alloc(p, l) => {
                live.insert(p, l.size());
            }
            Step::Realloc(old, _, new, size) => {
                if live.remove(&old).is_some() {
                    live.insert(new, size);
                }
            }
            Step::Free(p, _) => {
                live.remove(&p);
            }
        }
    }
    live.values().sum()
}

/// Does `steps` again on `heap`: each block the recorded run allocated is
/// allocated there, resized and freed as it was (a block from before the
/// recording, resized in it, is allocated fresh). Answers the memory the
/// heap has taken from its pages so far.
pub(crate) fn replay(steps: &[Step], heap: &mut Heap<Arena>) -> usize {
    let mut blocks: HashMap<usize, *mut u8> = HashMap::new();
    for step in steps {
        // SAFETY: each block is given back once, with its own layout, and
        // only blocks this replay allocated are.
        unsafe {
            match *step {
                Step::Alloc(p, l) => {
                    let b = heap.alloc(l);
                    assert!(!b.is_null(), "the arena ran out");
                    blocks.insert(p, b);
                }
                Step::Realloc(old, l, new, size) => {
                    let b = match blocks.remove(&old) {
                        Some(b) => heap.realloc(b, l, size),
                        None => match Layout::from_size_align(size, l.align()) {
                            Ok(fresh) => heap.alloc(fresh),
                            Err(_) => core::ptr::null_mut(),
                        },
                    };
                    assert!(!b.is_null(), "the arena ran out");
                    blocks.insert(new, b);
                }
                Step::Free(p, l) => {
                    if let Some(b) = blocks.remove(&p) {
                        heap.dealloc(b, l);
                    }
                }
            }
        }
    }
    heap.taken()
}
