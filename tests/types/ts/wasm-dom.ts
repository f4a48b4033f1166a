// With the DOM lib (which declares WebAssembly): the .wasm subpath's module
// is the lib's WebAssembly.Module, both ways.
import wasm from "steadfast/steadfast_wasm_bg.wasm";
import { init, type WasmModule } from "steadfast";

export const compiled: WebAssembly.Module = wasm;
export const mine: WasmModule = new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
export const ready: Promise<void> = init(mine);
