"use strict";
// Node, CommonJS: `require("steadfast")`. The wasm module is compiled
// synchronously on load (it imports nothing), so there is no init step.
/*@@API@@*/
const wasm = new WebAssembly.Instance(
  new WebAssembly.Module(require("node:fs").readFileSync(require("node:path").join(__dirname, "..", "steadfast_wasm_bg.wasm"))),
  {},
);
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
