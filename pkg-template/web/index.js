// Browsers, workers, extensions: call `init()` once (it fetches and
// compiles the .wasm next to this file, or takes a module / URL / bytes),
// then `createClient`.
import initWasm, * as wasm from "./steadfast_wasm.js";

let ready = false;

/** Loads the WebAssembly module; resolves when `createClient` may be called. */
export async function init(input) {
  if (!ready) {
    await initWasm(input === undefined ? undefined : { module_or_path: input });
    ready = true;
  }
}

/*@@API@@*/
const api = createApi(wasm, () => {
  if (!ready) {
    throw new Error("steadfast: call `await init()` before `createClient` in this environment");
  }
});

export const createClient = api.createClient;
export const ResilienceError = api.ResilienceError;
export const CircuitBreaker = api.CircuitBreaker;
export const RateLimiter = api.RateLimiter;
export const RetryPolicy = api.RetryPolicy;
export const ErrorMonitor = api.ErrorMonitor;
export const classifyError = api.classifyError;
export default init;
