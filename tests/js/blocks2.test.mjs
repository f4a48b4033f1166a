// The other building blocks on their own, over any async function, against
// the loopback server: RateLimiter, RetryPolicy, ErrorMonitor. Every wait
// and verdict comes from the core; these tests check what a user sees.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { loadSteadfast, startServer } from "./harness.mjs";

const { esm, cjs } = await loadSteadfast();
const { RateLimiter, RetryPolicy, ErrorMonitor, ResilienceError } = esm;
const server = await startServer();
after(() => server.close());

test("RateLimiter paces to the server's x-limit-per-second, lower than configured", async () => {
  assert.equal(typeof cjs.RateLimiter, "function", "require() has it too");
  server.handle = (req, res) =>
    server.json(res, 200, { ok: true }, { "x-limit-per-second": "5", "x-remaining-this-second": "4" });
  const limiter = new RateLimiter({ perSecond: 50, perDay: null });
  const first = await fetch(server.baseUrl + "/listings");
  limiter.updateFromHeaders(first.headers, first.status);
  await first.text();
  // The server's 5/s, with room for the lateness the host's timers have
  // shown so far: none (5/s) to the 20 ms timer slack and the clock's ms.
  assert.ok(limiter.status().effectivePerSecond >= 5000 / 1021 - 1e-9 && limiter.status().effectivePerSecond <= 5 + 1e-9, limiter.status().effectivePerSecond);
  const start = performance.now();
  const times = [];
  for (let i = 0; i < 5; i++) {
    await limiter.acquire();
    times.push(performance.now() - start);
  }
  // Five slots at 5/s: the fifth no sooner than ~800 ms after the first.
  assert.ok(times[4] - times[0] >= 750, `paced: ${times.map(Math.round)}`);
  assert.ok(times[4] < 2000, `not stalled: ${times.map(Math.round)}`);
});

test("RateLimiter rejects fast with retryAfterMs when x-remaining-today is 0", async () => {
  const limiter = new RateLimiter({ perSecond: 100, perDay: 10000, bufferRatio: 0 });
  limiter.updateFromHeaders({ "x-limit-per-day": "10000", "x-remaining-today": "0" });
  const start = performance.now();
  const err = await limiter.acquire().then(
    () => null,
    (e) => e,
  );
  assert.ok(err instanceof ResilienceError, String(err));
  assert.equal(err.kind, "quota_exhausted");
  assert.equal(err.category, "rate_limit");
  assert.ok(err.retryAfterMs > 0, `${err.retryAfterMs}`);
  assert.ok(performance.now() - start < 100, "fast");
  assert.ok(limiter.status().exhaustedUntil !== null);
});

test("RateLimiter: a 429 pauses, abort while waiting gives the slot back, bad input is named", async () => {
  let now = 0;
  const sleeps = [];
  const clock = {
    now: () => now,
    sleep: (ms) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
  const limiter = new RateLimiter({ perSecond: 10, perDay: null, clock });
  await limiter.acquire();
  limiter.updateFromHeaders({ "retry-after": "3" }, 429);
  await limiter.acquire();
  assert.ok(sleeps.reduce((a, b) => a + b, 0) >= 3000, `waited out the pause: ${sleeps}`);

  const real = new RateLimiter({ perSecond: 1, perDay: null });
  await real.acquire();
  const ac = new AbortController();
  const waiting = real.acquire(ac.signal);
  setTimeout(() => ac.abort(new Error("stop")), 50);
  const start = performance.now();
  await assert.rejects(waiting, /stop/);
  assert.ok(performance.now() - start < 500, "the abort ended the wait");
  assert.equal(real.status().inFlight, 0);

  assert.throws(() => new RateLimiter({ perSecond: -1 }), (e) => e instanceof RangeError && /perSecond/.test(e.message));
  assert.throws(() => new RateLimiter({ perScond: 1 }), (e) => e instanceof TypeError && /perScond/.test(e.message));
  assert.throws(() => new RateLimiter({ clock: { now: 1 } }), (e) => e instanceof TypeError && /clock\.now/.test(e.message));
  assert.throws(() => real.updateFromHeaders({}, 42), RangeError);
});

test("RetryPolicy retries a flaky fetch, honours Retry-After, stops on a 404", async () => {
  assert.equal(typeof cjs.RetryPolicy, "function");
  let n = 0;
  server.handle = (req, res) => {
    n++;
    if (n === 1) return server.json(res, 503, { error: "down" }, { "retry-after": "1" });
    if (n === 2) return server.json(res, 500, { error: "oops" });
    server.json(res, 200, { ok: true });
  };
  const policy = new RetryPolicy({ maxRetries: 3, baseDelayMs: 10, maxDelayMs: 50 });
  const start = performance.now();
  const res = await policy.execute(() => fetch(server.baseUrl + "/listings/1"));
  assert.equal(res.status, 200, "a returned Response is judged by its status");
  assert.equal(n, 3);
  assert.ok(performance.now() - start >= 950, "Retry-After: 1 as a floor");

  n = 0;
  server.handle = (req, res) => {
    n++;
    server.json(res, 404, { error: "no such listing" });
  };
  const thrower = async () => {
    const r = await fetch(server.baseUrl + "/listings/2");
    const body = await r.json();
    if (!r.ok) throw Object.assign(new Error(body.error), { status: r.status, headers: r.headers });
    return body;
  };
  const err = await policy.execute(thrower).catch((e) => e);
  assert.ok(err instanceof ResilienceError);
  assert.equal(err.reason, "not_retryable");
  assert.equal(err.category, "not_found");
  assert.equal(err.status, 404);
  assert.equal(err.attempts, 1);
  assert.equal(err.cause.message, "no such listing");
  assert.equal(n, 1, "a 404 is not retried");
});

test("RetryPolicy: transport codes, non-idempotent work, fake time, abort mid-backoff", async () => {
  let now = 0;
  const sleeps = [];
  const clock = { now: () => now, sleep: async (ms) => { sleeps.push(ms); now += ms; } };
  const policy = new RetryPolicy({ maxRetries: 2, baseDelayMs: 1000, jitter: "none", clock });
  let calls = 0;
  const err = await policy
    .execute(() => {
      calls++;
      throw Object.assign(new Error("refused"), { code: "ECONNREFUSED" });
    })
    .catch((e) => e);
  assert.equal(calls, 3);
  assert.deepEqual(sleeps, [1000, 2000], "exponential backoff on the injected clock");
  assert.equal(err.reason, "attempts_exhausted");
  assert.equal(err.category, "network");

  const once = new RetryPolicy({ idempotent: false, clock });
  calls = 0;
  const reset = await once
    .execute(() => {
      calls++;
      throw Object.assign(new Error("reset"), { code: "ECONNRESET" });
    })
    .catch((e) => e);
  assert.equal(calls, 1, "a reset write may have happened: not run again");
  assert.equal(reset.reason, "would_duplicate_write");

  const real = new RetryPolicy({ maxRetries: 5, baseDelayMs: 10000, jitter: "none" });
  const ac = new AbortController();
  calls = 0;
  const p = real.execute(() => {
    calls++;
    return { status: 503, headers: {} };
  }, ac.signal);
  setTimeout(() => ac.abort(new Error("user left")), 50);
  const start = performance.now();
  await assert.rejects(p, /user left/);
  assert.ok(performance.now() - start < 1000);
  assert.equal(calls, 1);

  const tooLong = await new RetryPolicy({ maxRetryAfterMs: 1000 })
    .execute(() => ({ status: 429, headers: { "retry-after": "120" } }))
    .then((v) => v);
  assert.equal(tooLong.status, 429, "a returned response comes back when the policy stops");

  assert.throws(() => new RetryPolicy({ maxRetries: -1 }), (e) => e instanceof TypeError || e instanceof RangeError);
  assert.throws(() => new RetryPolicy({ jitter: "some" }), (e) => e instanceof RangeError && /jitter/.test(e.message));
  assert.throws(() => new RetryPolicy({ idempotent: "yes" }), (e) => e instanceof TypeError && /idempotent/.test(e.message));
  await assert.rejects(real.execute(42), TypeError);
});

test("ErrorMonitor counts by category and endpoint, alerts once, recovers, unsubscribes", async () => {
  let now = 0;
  const clock = { now: () => now };
  const monitor = new ErrorMonitor({ windowMs: 10000, buckets: 10, alertThreshold: 3, clock });
  const seen = [];
  const off = monitor.onAlert((summary, type) => seen.push({ type, errors: summary.totalErrors }));
  monitor.record({ endpoint: "/listings/1", status: 200 });
  monitor.record({ endpoint: "/listings/2", status: 404, message: "no such listing" });
  monitor.record({ endpoint: "/listings/3", category: "server", message: "boom" });
  assert.deepEqual(seen, []);
  monitor.record({ endpoint: "/shops/9", status: 503 });
  monitor.record({ endpoint: "/shops/9", status: 503 });
  assert.deepEqual(seen, [{ type: "alert", errors: 3 }], "once per crossing");
  const s = monitor.summary();
  assert.equal(s.totalCalls, 5);
  assert.equal(s.totalErrors, 4);
  assert.equal(s.alerting, true);
  assert.deepEqual(Object.fromEntries(s.byCategory), { not_found: 1, server: 3 });
  assert.ok(s.byEndpoint.some((e) => e.endpoint === "/listings/{id}" && e.calls === 3), JSON.stringify(s.byEndpoint));
  assert.equal(s.mostRecent.status, 503);
  // A long message is kept to its first 200 characters (not bytes).
  monitor.record({ endpoint: "/shops/9", status: 500, message: "é".repeat(300) });
  assert.equal(monitor.summary().mostRecent.message, "é".repeat(200));
  now = 30000;
  monitor.summary();
  assert.equal(seen.at(-1).type, "recovered");
  off();
  for (let i = 0; i < 4; i++) monitor.record({ endpoint: "/x", category: "timeout" });
  assert.equal(seen.length, 2, "unsubscribed");
  assert.throws(() => monitor.record({ category: "oops" }), (e) => e instanceof RangeError && /category/.test(e.message));
  assert.throws(() => monitor.record({ status: 42 }), RangeError);
  assert.throws(() => monitor.record("x"), TypeError);
  assert.throws(() => new ErrorMonitor({ alertThreshold: 0 }), (e) => e instanceof RangeError && /alertThreshold/.test(e.message));
  const fromOption = [];
  const m2 = new ErrorMonitor({ alertThreshold: 1, onAlert: (s) => fromOption.push(s.totalErrors) });
  m2.record({ endpoint: "/a", status: 500 });
  assert.deepEqual(fromOption, [1]);
});

test("CircuitBreaker and RetryPolicy judge a resolved error response alike: a resolved 503 is a failure to both", async () => {
  const { CircuitBreaker } = esm;
  const breaker = new CircuitBreaker({ failureThreshold: 2, openMs: 60_000 });
  const answer503 = async () => ({ status: 503, headers: {} });
  // fetch resolves a 503: the service failed, and the breaker counts it.
  await breaker.execute(answer503);
  assert.equal(breaker.state, "closed");
  await breaker.execute(answer503);
  assert.equal(breaker.state, "open", "two resolved 503s open the circuit");
  // A resolved 200, or a value that is no response, is a success.
  const fresh = new CircuitBreaker({ failureThreshold: 1, openMs: 60_000 });
  await fresh.execute(async () => ({ status: 200 }));
  await fresh.execute(async () => "plain value");
  assert.equal(fresh.state, "closed");
  // The retry policy retries the same resolved 503.
  const retry = new RetryPolicy({ maxRetries: 1, baseDelayMs: 1, jitter: "none" });
  let runs = 0;
  await retry.execute(async () => (++runs === 1 ? { status: 503 } : { status: 200 }));
  assert.equal(runs, 2);
});
