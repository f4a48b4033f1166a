// Types of `import wasm from "steadfast/steadfast_wasm_bg.wasm"`: the
// compiled module, as Cloudflare Workers (wrangler) and bundlers that import
// `.wasm` as a module hand it over; pass it to `init(wasm)`. (A bundler's
// URL import, such as Vite's `?url`, is typed by the bundler's own types.)
import type { WasmModule } from "./index.js";

declare const wasm: WasmModule;
export default wasm;
