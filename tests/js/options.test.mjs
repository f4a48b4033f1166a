// Every option checked: a named TypeError or RangeError, never a trap.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadSteadfast } from "./harness.mjs";

const { esm } = await loadSteadfast();
const { createClient } = esm;

const bad = [
  ["options", TypeError, "nope"],
  ["retry.maxRetries", RangeError, { retry: { maxRetries: -1 } }],
  ["retry.maxRetries", RangeError, { retry: { maxRetries: 1.5 } }],
  ["retry.maxRetries", TypeError, { retry: { maxRetries: "3" } }],
  ["retry.maxRetries", RangeError, { retry: { maxRetries: NaN } }],
  ["retry.maxRetries", RangeError, { retry: { maxRetries: 101 } }],
  ["retry.jitter", RangeError, { retry: { jitter: "sometimes" } }],
  ["retry.baseDelayMs", RangeError, { retry: { baseDelayMs: 5000, maxDelayMs: 1000 } }],
  ["retry.budget.ratio", RangeError, { retry: { budget: { ratio: -0.5 } } }],
  ["retry", TypeError, { retry: 3 }],
  ["retyr", TypeError, { retyr: {} }],
  ["breaker.failureThreshold", RangeError, { breaker: { failureThreshold: 0 } }],
  ["breaker.failureRate.threshold", RangeError, { breaker: { failureRate: { threshold: 2 } } }],
  ["breaker.failureCategories[0]", RangeError, { breaker: { failureCategories: ["servr"] } }],
  ["limiter.perSecond", RangeError, { limiter: { perSecond: Infinity } }],
  ["limiter.bufferRatio", RangeError, { limiter: { bufferRatio: 1 } }],
  ["limiter.adaptive", TypeError, { limiter: { adaptive: "yes" } }],
  ["monitor.onAlert", TypeError, { monitor: { onAlert: 3 } }],
  ["monitor.buckets", RangeError, { monitor: { buckets: 0 } }],
  ["headers", TypeError, { headers: { "x-api-key": 42 } }],
  ["headers", RangeError, { headers: { "bad name": "v" } }],
  ["fetch", TypeError, { fetch: "nope" }],
  ["clock.sleep", TypeError, { clock: { now: () => 0 } }],
  ["attemptTimeoutMs", RangeError, { attemptTimeoutMs: 0 }],
  ["seed", RangeError, { seed: -1 }],
  ["limiter.maxPauseMs", RangeError, { limiter: { maxPauseMs: 86_400_001 } }],
  ["limiter.maxPauseMs", TypeError, { limiter: { maxPauseMs: "1s" } }],
  ["limiter.maxQueueMs", RangeError, { limiter: { maxQueueMs: 86_400_001 } }],
  ["breaker.scope", RangeError, { breaker: { scope: "global" } }],
  ["breaker.maxBreakers", RangeError, { breaker: { maxBreakers: 0 } }],
  ["monitor.minCalls", RangeError, { monitor: { minCalls: 2 ** 33 } }],
  ["clock.wallNow", TypeError, { clock: { now: () => 0, sleep: async () => {}, wallNow: 5 } }],
  ["restore", TypeError, { restore: "yesterday" }],
  ["restore", TypeError, { restore: { format: 1, rng: "0000000000000000", limiter: 3 } }],
  ["restore", TypeError, { restore: { format: 2 } }],
  [
    "retry",
    TypeError,
    {
      get retry() {
        throw new Error("hostile getter");
      },
    },
  ],
  [
    "options",
    TypeError,
    new Proxy(
      {},
      {
        ownKeys() {
          throw new Error("hostile proxy");
        },
      },
    ),
  ],
];

test("bad client options throw a TypeError or RangeError naming the option", () => {
  for (const [name, type, options] of bad) {
    assert.throws(
      () => createClient(options),
      (e) => {
        assert.equal(e.constructor, type, `${name}: ${e}`);
        assert.ok(e.message.includes(`\`${name}`), `${name}: ${e.message}`);
        return true;
      },
    );
  }
  // The module still works after every one of them.
  const client = createClient({ retry: { maxRetries: 0 } });
  assert.equal(client.health().circuit, "closed");
  client.close();
});

test("bad call arguments reject with named errors; the client keeps working", async () => {
  const client = createClient({
    baseUrl: "http://127.0.0.1:9",
    fetch: async () => new Response('{"ok":true}', { status: 200 }),
  });
  const cases = [
    ["init.timeoutMs", RangeError, () => client.get("/x", { timeoutMs: -5 })],
    ["init.timeoutMs", RangeError, () => client.get("/x", { timeoutMs: 0 })],
    ["init.signal", TypeError, () => client.get("/x", { signal: {} })],
    ["init.foo", TypeError, () => client.get("/x", { foo: 1 })],
    ["init.query.a", TypeError, () => client.get("/x", { query: { a: {} } })],
    ["init.json", TypeError, () => client.post("/x", { big: 1n })],
    ["init.body", RangeError, () => client.request("POST", "/x", { json: {}, body: "x" })],
    ["init.idempotencyKey", RangeError, () => client.post("/x", {}, { idempotencyKey: "" })],
    ["method", RangeError, () => client.request("BREW", "/x")],
    ["path", TypeError, () => client.get(42)],
  ];
  for (const [name, type, call] of cases) {
    await assert.rejects(call(), (e) => {
      assert.equal(e.constructor, type, `${name}: ${e}`);
      assert.ok(e.message.includes(`\`${name}`), `${name}: ${e.message}`);
      return true;
    });
  }
  assert.throws(() => client.on("nope", () => {}), TypeError);
  assert.throws(() => client.on("retry", 5), TypeError);
  const r = await client.get("/x");
  assert.deepEqual(r.data, { ok: true });
  client.close();
});

test("an unknown option says which was meant: a near name in its section, or the section that holds it", async () => {
  const { RetryPolicy, CircuitBreaker, RateLimiter } = esm;
  const cases = [
    [() => createClient({ retry: { maxRetry: 3 } }), "unknown option `retry.maxRetry` (did you mean `maxRetries`?)"],
    [() => createClient({ retry: { BaseDelayMs: 1 } }), "unknown option `retry.BaseDelayMs` (did you mean `baseDelayMs`?)"],
    [() => createClient({ limiter: { brust: 2 } }), "unknown option `limiter.brust` (did you mean `burst`?)"],
    [() => createClient({ baseURL: "https://x" }), "unknown option `baseURL` (did you mean `baseUrl`?)"],
    [() => createClient({ maxRetries: 3 }), "unknown option `maxRetries` (did you mean `retry.maxRetries`?)"],
    [() => createClient({ perSecond: 3 }), "unknown option `perSecond` (did you mean `limiter.perSecond`?)"],
    [() => createClient({ foo: 1 }), "unknown option `foo`"],
    [() => new RetryPolicy({ maxRetry: 1 }), "unknown option `maxRetry` (did you mean `maxRetries`?)"],
    [() => new CircuitBreaker({ openM: 1 }), "unknown option `openM` (did you mean `openMs`?)"],
    // A client's option a lone breaker does not have is not suggested.
    [() => new CircuitBreaker({ scope: "endpoint" }), "unknown option `scope`"],
    [() => new RateLimiter({ perSecnd: 1 }), "unknown option `perSecnd` (did you mean `perSecond`?)"],
  ];
  for (const [make, message] of cases) {
    assert.throws(make, (e) => e instanceof TypeError && e.message === `steadfast: ${message}`, message);
  }
  const client = createClient({ baseUrl: "https://api.example.com" });
  await assert.rejects(client.get("/x", { timeout: 5 }), (e) => e.message === "steadfast: unknown option `init.timeout` (did you mean `timeoutMs`?)");
  client.close();
});
