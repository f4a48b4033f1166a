// The public API over the wasm client. Written in no module syntax: the
// build inlines it into the CommonJS entry (node/index.cjs) and the ES module
// entry (web/index.js), so both formats share one source. Every decision —
// retry, breaker, limiter, classification, option checks — is in the
// WebAssembly core; this file only shapes calls and defines the error class.
function createApi(wasm, ensureReady) {
  "use strict";

  // One brand for every copy of the package: `instanceof ResilienceError`
  // holds for an error thrown by another copy (two versions installed side
  // by side, or the CommonJS and ES module builds both loaded).
  const BRAND = Symbol.for("steadfast.ResilienceError");
  const FIELDS = {
    category: "unknown",
    kind: "unknown",
    reason: null,
    status: null,
    retryAfterMs: null,
    attempts: 0,
    isRetryable: false,
    method: null,
    endpoint: null,
    serverMessage: null,
    data: null,
  };

  class ResilienceError extends Error {
    constructor(message, fields) {
      const f = fields == null ? {} : fields;
      super(message, f.cause !== undefined ? { cause: f.cause } : undefined);
      for (const key of Object.keys(FIELDS)) {
        this[key] = f[key] !== undefined ? f[key] : FIELDS[key];
      }
    }

    static [Symbol.hasInstance](value) {
      if (this !== ResilienceError) {
        return Function.prototype[Symbol.hasInstance].call(this, value);
      }
      return typeof value === "object" && value !== null && value[BRAND] === true;
    }
  }
  Object.defineProperty(ResilienceError.prototype, "name", {
    value: "ResilienceError",
    writable: true,
    configurable: true,
  });
  Object.defineProperty(ResilienceError.prototype, BRAND, { value: true });

  class Client {
    #inner;

    constructor(options) {
      ensureReady();
      this.#inner = new wasm.WasmClient(options, ResilienceError);
    }

    request(method, path, init) {
      return this.#inner.request(method, path, init, undefined);
    }

    get(path, init) {
      return this.#inner.request("GET", path, init, undefined);
    }

    post(path, json, init) {
      return this.#inner.request("POST", path, init, json);
    }

    put(path, json, init) {
      return this.#inner.request("PUT", path, init, json);
    }

    patch(path, json, init) {
      return this.#inner.request("PATCH", path, init, json);
    }

    delete(path, init) {
      return this.#inner.request("DELETE", path, init, undefined);
    }

    health() {
      return this.#inner.health();
    }

    snapshot() {
      return this.#inner.snapshot();
    }

    on(event, listener) {
      return this.#inner.on(event, listener);
    }

    close() {
      this.#inner.close();
    }
  }

  function createClient(options) {
    return new Client(options);
  }

  return { createClient, ResilienceError };
}
