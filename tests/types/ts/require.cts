// Node's `require` (node16, nodenext): the named exports, no default.
import steadfast = require("steadfast");
import { createClient, type ClientOptions, type WasmModule } from "steadfast";
import wasm = require("steadfast/steadfast_wasm_bg.wasm");

const options: ClientOptions = { fetch: globalThis.fetch, retry: { maxRetries: 1 } };
export const client = createClient(options);
export const other = steadfast.createClient({ breaker: { failureThreshold: 2 } });
export const error = new steadfast.ResilienceError("x", { kind: "closed" });
export const compiled: WasmModule = wasm.default;

// `require("steadfast/inline")` in a CommonJS bundle: the same named exports.
import inlined = require("steadfast/inline");

export const inlineClient: ReturnType<typeof createClient> = inlined.createClient(options);
