// Types of `require("steadfast/steadfast_wasm_bg.wasm")` in a bundle: the
// compiled module as the bundler's ES module for it, whose `default` it is
// (steadfast_wasm_bg.wasm.d.ts is the `import`'s). Node itself requires no
// .wasm.
import type { WasmModule } from "./index.cjs";

declare const wasm: WasmModule;
export default wasm;
