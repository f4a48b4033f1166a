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

use core::cell::RefCell;

use crate::tape::Writer;
use wasm_bindgen::prelude::*;

/// The input's first capacity: a call's `path` and `init` fit.
const FIRST_CAPACITY: usize = 16 * 1024;

/// The areas.
struct Io {
    header: [u32; 4],
    input: Vec<u8>,
    output: Writer,
}

thread_local! {
    static IO: RefCell<Io> = RefCell::new(Io {
        header: [0; 4],
        input: vec![0; FIRST_CAPACITY],
        output: Writer::default(),
    });
}

/// An address as the JavaScript indexes memory (wasm32: it fits).
#[allow(clippy::cast_possible_truncation)]
fn addr<T>(p: *const T) -> u32 {
    p as usize as u32
}

impl Io {
    fn publish(&mut self) -> u32 {
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
#[wasm_bindgen]
#[must_use]
pub fn io() -> u32 {
    IO.with(|io| {
        let mut io = io.borrow_mut();
        io.publish();
        addr(io.header.as_ptr())
    })
}

/// Makes the input at least `n` bytes long (the JavaScript writes a longer
/// tape), keeping what was written.
#[wasm_bindgen]
pub fn grow(n: u32) {
    IO.with(|io| {
        let mut io = io.borrow_mut();
        let n = n as usize;
        if io.input.len() < n {
            let want = n.max(io.input.len() * 2);
            io.input.resize(want, 0);
        }
        io.publish();
    });
}

/// The module's memory, for the JavaScript's views of the areas.
#[wasm_bindgen]
#[must_use]
pub fn heap() -> JsValue {
    wasm_bindgen::memory()
}

/// Runs `f` on the first `len` bytes of input and a cleared output; answers
/// the output's length. `0` if the areas are in use (never: no export calls
/// back into JavaScript) .
pub(crate) fn exchange(len: u32, f: impl FnOnce(&[u8], &mut Writer)) -> u32 {
    IO.with(|io| {
        let Ok(mut io) = io.try_borrow_mut() else {
            return 0;
        };
        let io = &mut *io;
        io.output.clear();
        let input = io.input.get(..len as usize).unwrap_or_default();
        f(input, &mut io.output);
        io.publish()
    })
}
