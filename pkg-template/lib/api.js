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
      if (message !== undefined && typeof message !== "string") {
        try {
          message = String(message);
        } catch {
          throw new TypeError("steadfast: `message` must be a string");
        }
      }
      // Read once, before anything is built: a getter that throws is a bad
      // argument, named as such.
      const values = {};
      let cause;
      try {
        const f = fields == null ? {} : Object(fields);
        for (const key of Object.keys(FIELDS)) values[key] = f[key];
        cause = f.cause;
      } catch {
        throw new TypeError("steadfast: `fields` must be a readable object");
      }
      super(message, cause !== undefined ? { cause } : undefined);
      for (const key of Object.keys(FIELDS)) {
        this[key] = values[key] !== undefined ? values[key] : FIELDS[key];
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

  // The building blocks' optional `signal`: undefined / null, or an
  // AbortSignal (read once, here: a getter that throws is a bad argument, not
  // a failure of the caller's function, and nothing runs before the check).
  function checkSignal(signal) {
    if (signal === undefined || signal === null) return undefined;
    let ok = false;
    try {
      ok =
        typeof signal === "object" &&
        typeof signal.aborted === "boolean" &&
        typeof signal.addEventListener === "function" &&
        typeof signal.removeEventListener === "function";
    } catch {
      ok = false;
    }
    if (!ok) throw new TypeError("steadfast: `signal` must be an AbortSignal");
    return signal;
  }

  // Settles with `promise`, or rejects with the signal's reason as soon as
  // it aborts.
  function raceAbort(promise, signal) {
    if (!signal) return promise;
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      promise.then(
        (v) => {
          signal.removeEventListener("abort", onAbort);
          resolve(v);
        },
        (e) => {
          signal.removeEventListener("abort", onAbort);
          reject(e);
        },
      );
    });
  }

  // Calls `fn(signal)`; with a signal, settles as soon as it aborts. A
  // synchronous throw rejects like an asynchronous one.
  function callWith(fn, signal) {
    if (!signal) return fn(signal);
    return raceAbort(Promise.resolve().then(() => fn(signal)), signal);
  }

  class CircuitBreaker {
    #inner;

    constructor(options) {
      ensureReady();
      this.#inner = new wasm.WasmBreaker(options);
    }

    get state() {
      return this.#inner.state();
    }

    isAvailable() {
      return this.#inner.isAvailable();
    }

    async execute(fn, signal) {
      if (typeof fn !== "function") throw new TypeError("steadfast: `fn` must be a function");
      signal = checkSignal(signal);
      if (signal && signal.aborted) throw signal.reason;
      const permit = this.#inner.acquire();
      if (permit < 0) {
        const r = this.#inner.refusal();
        throw new ResilienceError(r.message, {
          category: r.category,
          kind: r.kind,
          retryAfterMs: permit === -1 ? null : -1 - permit,
          isRetryable: r.isRetryable,
        });
      }
      // How the call ended, as facts (resolved 0, threw 1, the caller's
      // signal aborted it 2): the core decides what the breaker counts.
      let value;
      try {
        value = await callWith(fn, signal);
      } catch (e) {
        this.#inner.settle(permit, signal && signal.aborted && e === signal.reason ? 2 : 1, e);
        throw e;
      }
      this.#inner.settle(permit, 0, value);
      return value;
    }
  }


  // Sleeps `ms` on the injected clock (its `sleep(ms, signal)`) or a
  // timer; rejects with the signal's reason when it aborts.
  function pause(clock, ms, signal) {
    if (signal && signal.aborted) return Promise.reject(signal.reason);
    if (clock && typeof clock.sleep === "function") {
      return raceAbort(Promise.resolve(clock.sleep(ms, signal)), signal);
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      const timer = setTimeout(() => {
        if (signal) signal.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      if (signal) signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  class RateLimiter {
    #inner;
    #clock;

    constructor(options) {
      ensureReady();
      this.#inner = new wasm.WasmLimiter(options);
      this.#clock = options && options.clock;
    }

    // Resolves when a slot is the caller's; every wait is the core's answer.
    async acquire(signal) {
      signal = checkSignal(signal);
      if (signal && signal.aborted) throw signal.reason;
      let ticket = -1;
      for (;;) {
        const step = this.#inner.step(ticket);
        if (step.done) return;
        if (step.fail !== null) {
          throw new ResilienceError(step.message, {
            category: step.category,
            kind: step.fail,
            retryAfterMs: step.waitMs,
            isRetryable: true,
          });
        }
        ticket = step.ticket;
        try {
          await pause(this.#clock, step.waitMs, signal);
        } catch (e) {
          this.#inner.cancel(ticket);
          throw e;
        }
      }
    }

    updateFromHeaders(headers, status) {
      this.#inner.updateFromHeaders(headers, status);
    }

    status() {
      return this.#inner.status();
    }
  }

  class RetryPolicy {
    #inner;
    #clock;

    constructor(options) {
      ensureReady();
      this.#inner = new wasm.WasmRetry(options);
      this.#clock = options && options.clock;
    }

    // Runs `fn(signal)` until it succeeds or the core says stop.
    async execute(fn, signal) {
      if (typeof fn !== "function") throw new TypeError("steadfast: `fn` must be a function");
      signal = checkSignal(signal);
      if (signal && signal.aborted) throw signal.reason;
      const id = this.#inner.start();
      try {
        for (let attempts = 1; ; attempts++) {
          let ok = true;
          let value;
          try {
            value = await callWith(fn, signal);
          } catch (e) {
            if (signal && signal.aborted) throw signal.reason;
            ok = false;
            value = e;
          }
          const d = this.#inner.decide(id, ok, value);
          if (d === undefined) return value;
          if (!d.retry) {
            if (ok) return value;
            // What `fn` threw is the caller's: it travels as `cause`,
            // untouched, and nothing of it (its message may hold a token)
            // is copied into this error's message or fields.
            throw new ResilienceError(`gave up after ${attempts} attempt(s): ${d.reason}`, {
              category: d.category,
              kind: "gave_up",
              reason: d.reason,
              status: d.status,
              retryAfterMs: d.retryAfterMs,
              attempts,
              isRetryable: d.isRetryable,
              cause: value,
            });
          }
          await pause(this.#clock, d.delayMs, signal);
        }
      } finally {
        this.#inner.finish(id);
      }
    }
  }

  class ErrorMonitor {
    #inner;
    #listeners = new Set();

    constructor(options) {
      ensureReady();
      this.#inner = new wasm.WasmMonitor(options);
      if (options && typeof options.onAlert === "function") this.onAlert(options.onAlert);
    }

    #dispatch() {
      for (const e of this.#inner.takeEvents()) {
        for (const l of [...this.#listeners]) {
          try {
            l(e.summary, e.type);
          } catch {
            // A listener that throws stops neither the others nor the monitor.
          }
        }
      }
    }

    record(entry) {
      this.#inner.record(entry);
      this.#dispatch();
    }

    summary() {
      const s = this.#inner.summary();
      this.#dispatch();
      return s;
    }

    onAlert(listener) {
      if (typeof listener !== "function") throw new TypeError("steadfast: `listener` must be a function");
      this.#listeners.add(listener);
      return () => {
        this.#listeners.delete(listener);
      };
    }
  }

  function classifyError(status, body, headers) {
    ensureReady();
    return wasm.classifyError(status, body, headers);
  }

  return { createClient, ResilienceError, CircuitBreaker, RateLimiter, RetryPolicy, ErrorMonitor, classifyError };
}
