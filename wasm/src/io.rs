//! The input and output areas in wasm memory: where the package's
//! JavaScript writes a tape before calling an export, and reads the tape the
//! export answered with.
//!
//! One area for the whole module: JavaScript runs one export at a time, and
//! no export calls back into JavaScript, so an answer is always read before
//! the next call writes. The header is four `u32`s at [`io`]'s address:
//!
//! ```text
//! [0] input address   [1] input capacity   [2] output address   [3] output length
//! ```
//!
//! The JavaScript re-reads it after every call (a call may grow memory, which
//! moves nothing of ours but detaches the JavaScript's views).

use crate::global::Global;
use crate::tape::Writer;
use alloc::vec::Vec;

/// The input's first capacity: a call's `path` and `init` fit.
const FIRST_CAPACITY: usize = 16 * 1024;

/// The areas.
struct Io {
    header: [u32; 4],
    input: Vec<u8>,
    output: Writer,
}

/// The module's one pair of areas (the input is allocated at first use).
#[cfg(target_arch = "wasm32")]
static IO: Global<Io> = Global::new(Io::new());

// Native builds (the crate's tests) run tests on many threads: each keeps
// its own areas.
#[cfg(not(target_arch = "wasm32"))]
std::thread_local! {
    static IO: Global<Io> = const { Global::new(Io::new()) };
}

/// Runs `f` on the areas; `None` if they are in use (never: no export calls
/// back into JavaScript).
fn with_io<R>(f: impl FnOnce(&mut Io) -> R) -> Option<R> {
    #[cfg(target_arch = "wasm32")]
    return IO.with(f);
    #[cfg(not(target_arch = "wasm32"))]
    return IO.with(|io| io.with(f));
}

/// An address as the JavaScript indexes memory (wasm32: it fits).
#[allow(clippy::cast_possible_truncation)]
fn addr<T>(p: *const T) -> u32 {
    p as usize as u32
}

impl Io {
    const fn new() -> Self {
        Self {
            header: [0; 4],
            input: Vec::new(),
            output: Writer::new(),
        }
    }

    fn publish(&mut self) -> u32 {
        if self.input.is_empty() {
            self.input.resize(FIRST_CAPACITY, 0);
        }
        let len = u32::try_from(self.output.bytes().len()).unwrap_or(0);
        self.header = [
            addr(self.input.as_ptr()),
            u32::try_from(self.input.len()).unwrap_or(0),
            addr(self.output.bytes().as_ptr()),
            len,
        ];
        len
    }
}

/// The header's address (see the module's documentation).
#[must_use]
pub fn io() -> u32 {
    with_io(|io| {
        io.publish();
        addr(io.header.as_ptr())
    })
    .unwrap_or(0)
}

/// Makes the input at least `n` bytes long (the JavaScript writes a longer
/// tape), keeping what was written.
pub fn grow(n: u32) {
    with_io(|io| {
        let n = n as usize;
        if io.input.len() < n {
            let want = n.max(io.input.len() * 2);
            io.input.resize(want, 0);
        }
        io.publish();
    });
}

/// Runs `f` on the first `len` bytes of input and a cleared output; answers
/// the output's length. `0` if the areas are in use (never: no export calls
/// back into JavaScript).
pub(crate) fn exchange(len: u32, f: impl FnOnce(&[u8], &mut Writer)) -> u32 {
    with_io(|io| {
        io.output.clear();
        let input = io.input.get(..len as usize).unwrap_or_default();
        f(input, &mut io.output);
        io.publish()
    })
    .unwrap_or(0)
}

/// The crate's tests' way in: `tape` as the input (as the JavaScript writes
/// one); answers its length.
#[cfg(test)]
pub(crate) fn put(tape: &[u8]) -> u32 {
    with_io(|io| {
        if io.input.len() < tape.len() {
            io.input.resize(tape.len(), 0);
        }
        if let Some(at) = io.input.get_mut(..tape.len()) {
            at.copy_from_slice(tape);
        }
    });
    u32::try_from(tape.len()).unwrap_or(0)
}

/// The crate's tests' way out: the output the last export wrote.
#[cfg(test)]
pub(crate) fn output() -> Vec<u8> {
    with_io(|io| io.output.bytes().to_vec()).unwrap_or_default()
}
