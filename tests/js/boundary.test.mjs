// The boundary between JavaScript and the WebAssembly core is narrow: one
// successful `client.get` calls into the module at most 4 times (two, as
// built: `start`, then `response`), and the module calls out to JavaScript
// not at all. Counted by wrapping every export and import of the module's
// instance before the package loads.
import { test } from "node:test";
import assert from "node:assert/strict";

const counts = { exports: new Map(), imports: new Map() };
const count = (map, name) => map.set(name, (map.get(name) ?? 0) + 1);
const wrap = (obj, map) => {
  const out = {};
  for (const [name, v] of Object.entries(obj)) {
    out[name] =
      typeof v === "function"
        ? function (...args) {
            count(map, name);
            return v.apply(this, args);
          }
        : v;
  }
  return out;
};
const Original = WebAssembly.Instance;
WebAssembly.Instance = function Instance(module, imports) {
  const wrapped = {};
  for (const [ns, fns] of Object.entries(imports ?? {})) wrapped[ns] = wrap(fns, counts.imports);
  const instance = new Original(module, wrapped);
  return { exports: wrap(instance.exports, counts.exports) };
};
const { loadSteadfast } = await import("./harness.mjs");
const { cjs: S } = await loadSteadfast();

const total = (map) => [...map.values()].reduce((a, b) => a + b, 0);
const reset = () => {
  counts.exports.clear();
  counts.imports.clear();
};

test("one successful client.get crosses into wasm at most 4 times, and nothing crosses out", async () => {
  const fetch = async () =>
    new Response('{"ok":true}', { status: 200, headers: { "content-type": "application/json", "x-a": "1" } });
  const client = S.createClient({ baseUrl: "https://api.example.com/v3", fetch });
  await client.get("/warm");
  reset();
  const r = await client.get("/items/1");
  assert.deepEqual(r.data, { ok: true });
  const crossings = total(counts.exports) + total(counts.imports);
  assert.ok(crossings <= 4, `crossed ${crossings} times: ${JSON.stringify(Object.fromEntries(counts.exports))}`);
  assert.equal(total(counts.imports), 0, `imports called: ${JSON.stringify(Object.fromEntries(counts.imports))}`);
  console.log(`# one client.get: ${crossings} crossings (${[...counts.exports.keys()].join(", ")})`);
  client.close();
});

test("200 response headers cost no more crossings than 5", async () => {
  const many = {};
  for (let i = 0; i < 200; i++) many[`x-h-${i}`] = "v".repeat(100);
  const client = S.createClient({ fetch: async () => new Response("{}", { status: 200, headers: many }) });
  await client.get("https://h/warm");
  reset();
  const r = await client.get("https://h/x");
  assert.equal(Object.keys(r.headers).length, 201);
  assert.ok(total(counts.exports) <= 4, `crossed ${total(counts.exports)} times`);
  client.close();
});

test("a building block's call crosses at most twice", async () => {
  const breaker = new S.CircuitBreaker();
  await breaker.execute(async () => 1);
  reset();
  assert.equal(await breaker.execute(async () => 2), 2);
  assert.ok(total(counts.exports) <= 2, `CircuitBreaker crossed ${total(counts.exports)} times`);
  assert.equal(total(counts.imports), 0);
});

test("the building blocks read the clock only when the core's answer depends on it", async () => {
  let reads = 0;
  let t = 0;
  const clock = {
    now: () => {
      reads++;
      return t;
    },
  };
  const breaker = new S.CircuitBreaker({ failureThreshold: 2, openMs: 1000, clock });
  reads = 0;
  // Closed: admitting a call and counting its success need no time.
  assert.equal(await breaker.execute(async () => 1), 1);
  assert.equal(reads, 0, "a success through a closed circuit reads no clock");
  // A failure may open the circuit, at its time.
  await assert.rejects(breaker.execute(async () => Promise.reject(new Error("x"))));
  assert.equal(reads, 1, "a failure is recorded at its time");
  t = 10;
  await assert.rejects(breaker.execute(async () => Promise.reject(new Error("y"))));
  assert.equal(breaker.state, "open");
  // Open: whether a call may go depends on the time.
  reads = 0;
  t = 20;
  await assert.rejects(breaker.execute(async () => 1), (e) => e.kind === "circuit_open");
  assert.ok(reads >= 1, "an open circuit asks the time");
  t = 1011;
  reset();
  reads = 0;
  assert.equal(await breaker.execute(async () => 3), 3);
  assert.equal(reads, 2, "a probe is admitted and counted at its times");
  assert.equal(total(counts.exports), 4, "each untimed question, then asked again with the time");

  // A retry policy: a call that succeeds at once crosses once, reads no clock.
  const policy = new S.RetryPolicy({ maxRetries: 2, baseDelayMs: 1, clock: { now: clock.now, sleep: async () => {} } });
  reset();
  reads = 0;
  assert.equal(await policy.execute(async () => 4), 4);
  assert.equal(reads, 0);
  assert.equal(total(counts.exports), 1, "one decision");
  // A failure needs the time (backoff, budget), then the run is the core's.
  let n = 0;
  assert.equal(await policy.execute(async () => (++n < 2 ? Promise.reject(new Error("z")) : 5)), 5);
  assert.ok(reads >= 1);
  // Under a deadline the start is read: it counts from there.
  const timed = new S.RetryPolicy({ maxRetries: 1, deadlineMs: 100, clock: { now: clock.now, sleep: async () => {} } });
  reads = 0;
  assert.equal(await timed.execute(async () => 6), 6);
  assert.equal(reads, 1, "a deadline reads the start");
});

test("an uncaught error's stack names the caller's file; console.log(client) shows its health", async () => {
  const { inspect } = await import("node:util");
  const client = S.createClient({ fetch: async () => new Response('{"error":"gone"}', { status: 404 }) });
  let error;
  try {
    await client.get("https://h/missing");
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof S.ResilienceError);
  assert.match(error.stack, /boundary\.test\.mjs/, error.stack);
  const shown = inspect(client, { depth: 4 });
  for (const part of ["circuit", "limiter", "monitor", "effectivePerSecond", "totalErrors"]) {
    assert.ok(shown.includes(part), `console.log(client) shows ${part}: ${shown}`);
  }
  assert.equal(JSON.parse(JSON.stringify(client)).monitor.totalErrors, 1);
  client.close();
});

// Counts how often a Headers is iterated and looked up.
function counted(init) {
  const h = new Headers(init);
  const seen = { iterations: 0, gets: 0 };
  const iterate = h[Symbol.iterator].bind(h);
  const entries = h.entries.bind(h);
  const get = h.get.bind(h);
  h[Symbol.iterator] = () => (seen.iterations++, iterate());
  h.entries = () => (seen.iterations++, entries());
  h.get = (k) => (seen.gets++, get(k));
  return { h, seen };
}

test("a result's headers: every field, names lower-cased, a plain property, from one pass over the response's fields", async () => {
  const { h, seen } = counted({ "Content-Type": "application/json", "X-Request-Id": "abc", "Retry-After": "1" });
  const client = S.createClient({ fetch: async () => ({ status: 200, headers: h, text: async () => "{}" }) });
  const r = await client.get("https://h/x");
  assert.deepEqual(seen, { iterations: 1, gets: 0 }, "the fields were iterated once, for the core and the record alike");
  const want = { "content-type": "application/json", "x-request-id": "abc", "retry-after": "1" };
  assert.deepEqual(r.headers, want);
  assert.deepEqual({ ...r }.headers, want);
  assert.deepEqual(JSON.parse(JSON.stringify(r)).headers, want);
  assert.deepEqual(Object.keys(r), ["status", "headers", "data", "attempts"]);
  assert.deepEqual(seen, { iterations: 1, gets: 0 }, "reading the record reads nothing more");
  r.headers = { mine: "1" };
  assert.deepEqual(r.headers, { mine: "1" });
  // A plain object of fields (a fake fetch's) is read the same way.
  const plain = S.createClient({ fetch: async () => ({ status: 200, headers: { "X-A": "1" }, text: async () => "" }) });
  assert.deepEqual((await plain.get("https://h/y")).headers, { "x-a": "1" });
  client.close();
  plain.close();
});

test("many header fields: after a response with many, the fields the core reads are looked up by name, the record built when first read", async () => {
  const init = { "Retry-After": "1", "X-RateLimit-Remaining": "7" };
  for (let i = 0; i < 40; i++) init[`x-field-${i}`] = "v".repeat(100);
  const { h, seen } = counted(init);
  const client = S.createClient({ fetch: async () => ({ status: 200, headers: h, text: async () => "{}" }) });
  const first = await client.get("https://h/x");
  assert.deepEqual(seen, { iterations: 1, gets: 0 }, "the first response's fields are iterated (their number is not known yet)");
  assert.equal(Object.keys(first.headers).length, 42);
  const second = await client.get("https://h/x");
  assert.equal(seen.iterations, 1, "the second's are not iterated");
  assert.ok(seen.gets > 0 && seen.gets <= 16, `looked up by name, a few: ${seen.gets}`);
  const gets = seen.gets;
  assert.equal(second.headers["x-ratelimit-remaining"], "7");
  assert.equal(Object.keys(second.headers).length, 42, "the record has every field");
  assert.equal(seen.iterations, 2, "built when first read");
  assert.deepEqual({ ...second }.headers, first.headers);
  assert.deepEqual(Object.keys(second), ["status", "headers", "data", "attempts"]);
  assert.equal(seen.iterations, 2, "then kept");
  assert.equal(seen.gets, gets);
  second.headers = { mine: "1" };
  assert.deepEqual(second.headers, { mine: "1" });
  client.close();
});

test("fetch's init.signal: an AbortSignal made when first read, aborted when its attempt is, copied by spread, replaceable", async () => {
  const seen = [];
  const client = S.createClient({
    attemptTimeoutMs: 20,
    retry: { maxRetries: 0 },
    fetch: (url, init) => {
      const copy = { ...init };
      seen.push(copy.signal instanceof AbortSignal, Object.keys(init).join());
      const other = new AbortController().signal;
      init.signal = other;
      seen.push(init.signal === other);
      return new Promise((resolve) => setTimeout(() => resolve({ status: 200, headers: {}, text: async () => "" }), 60));
    },
  });
  await assert.rejects(client.get("https://h/slow"), (e) => e.kind === "gave_up" && e.category === "timeout");
  assert.deepEqual(seen, [true, "method,headers,signal", true]);
  // Read only after the attempt timed out: it is already aborted.
  let read;
  const late = new Promise((resolve) => (read = resolve));
  const lazy = S.createClient({
    attemptTimeoutMs: 20,
    retry: { maxRetries: 0 },
    fetch: (url, init) =>
      new Promise((resolve, reject) =>
        setTimeout(() => {
          read(init.signal);
          reject(init.signal.reason);
        }, 60),
      ),
  });
  await assert.rejects(lazy.get("https://h/slow"));
  const signal = await late;
  assert.equal(signal instanceof AbortSignal && signal.aborted, true);
  client.close();
  lazy.close();
});
