// Browsers, workers, extensions: call `init()` once (it fetches and
// compiles the .wasm next to this package's root, or takes a URL, a
// Request, a Response, the bytes or a compiled WebAssembly.Module), then
// `createClient`.

let instance;
let loading;

/** Loads the WebAssembly module; resolves when `createClient` may be called. */
export function init(input) {
  if (!loading) {
    loading = load(input).then(
      (i) => {
        instance = i;
      },
      (e) => {
        loading = undefined; // a later init() may try again
        throw e;
      },
    );
  }
  return loading;
}

async function load(input) {
  // The .wasm beside the package's root; in the `steadfast/inline` build
  // (tools/assemble.mjs), the module's bytes carried in this file instead.
  if (input === undefined) input = new URL("../steadfast_wasm_bg.wasm", import.meta.url);
  if (typeof input === "string" || input instanceof URL || (typeof Request === "function" && input instanceof Request)) {
    input = fetch(input);
  }
  input = await input;
  if (input instanceof WebAssembly.Module) return WebAssembly.instantiate(input, {});
  if (typeof Response === "function" && input instanceof Response) {
    if (!input.ok) {
      throw new Error(`steadfast: could not fetch the WebAssembly module: HTTP ${input.status} from ${input.url}`);
    }
    // Compiled while it downloads where the server says what it is.
    const type = input.headers.get("content-type") || "";
    if (typeof WebAssembly.instantiateStreaming === "function" && type.split(";")[0].trim() === "application/wasm") {
      return (await WebAssembly.instantiateStreaming(input, {})).instance;
    }
    input = await input.arrayBuffer();
  }
  if (!(input instanceof ArrayBuffer || ArrayBuffer.isView(input))) {
    throw new TypeError(
      "steadfast: `init` takes a URL, a Request, a Response, the module's bytes or a WebAssembly.Module",
    );
  }
  return (await WebAssembly.instantiate(input, {})).instance;
}

/*@@API@@*/
const api = createApi(
  () => instance.exports,
  () => {
    if (!instance) {
      throw new Error("steadfast: call `await init()` before `createClient` in this environment");
    }
  },
);

export const createClient = api.createClient;
export const ResilienceError = api.ResilienceError;
export const CircuitBreaker = api.CircuitBreaker;
export const RateLimiter = api.RateLimiter;
export const RetryPolicy = api.RetryPolicy;
export const ErrorMonitor = api.ErrorMonitor;
export const classifyError = api.classifyError;
export default init;
