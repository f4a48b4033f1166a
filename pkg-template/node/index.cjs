"use strict";
// Node, CommonJS: `require("steadfast")`. The wasm module is compiled
// synchronously on load (it imports nothing), so there is no init step.
/*@@API@@*/
// The bytes: the .wasm beside the package's root, read from disk. The
// `steadfast/inline` build is this file with the bytes themselves in place
// of that read (tools/assemble.mjs), for bundles that leave the package's
// folder behind. A bundle of this build has lost the file (or `__dirname`
// and `require`, in an ES module bundle): say so, and what to import instead.
let wasm;
try {
  wasm = new WebAssembly.Instance(
    new WebAssembly.Module(require("node:fs").readFileSync(require("node:path").join(__dirname, "..", "steadfast_wasm_bg.wasm"))),
    {},
  );
} catch (e) {
  throw new Error(
    'steadfast: cannot read steadfast_wasm_bg.wasm beside the package; in a bundle, import "steadfast/inline" (README: Bundlers)',
    { cause: e },
  );
}
const api = createApi(() => wasm.exports, () => {});
exports.createClient = api.createClient;
exports.ResilienceError = api.ResilienceError;
exports.CircuitBreaker = api.CircuitBreaker;
exports.RateLimiter = api.RateLimiter;
exports.RetryPolicy = api.RetryPolicy;
exports.ErrorMonitor = api.ErrorMonitor;
exports.classifyError = api.classifyError;
/** Nothing to load in Node; kept so that code shared with browsers runs. */
exports.init = async function init() {};
