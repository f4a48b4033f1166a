// A user's test file, run by `node --test`: the package, imported by name,
// under @sinonjs/fake-timers (`FakeTimers.install()`: `setTimeout`, `Date`,
// `performance` and the rest faked after the package loaded), default
// clock, time moved with `clock.tickAsync`; and with only `setTimeout`,
// `clearTimeout` and `Date` faked, as many projects ask. `nextTick` and
// `queueMicrotask` stay real, as Jest and Vitest leave them: faked (the
// default of fake-timers 15), not even `new Response("hi").text()` settles,
// with or without this package.
import { test, afterEach } from "node:test";
import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { createClient, RetryPolicy, RateLimiter, ResilienceError } from "steadfast";

// The real `performance.now`, kept before any fake: wall time of a test.
const realNow = performance.now.bind(performance);
let clock;
afterEach(() => clock?.uninstall());
const install = () => FakeTimers.install({ toNotFake: ["nextTick", "queueMicrotask"] });

// An in-memory API: each call answers the next status of `statuses`.
function fakeApi(statuses) {
  const seen = [];
  const fetch = async (url) => {
    seen.push(url);
    const status = statuses[Math.min(seen.length, statuses.length) - 1];
    return status === 200 ? Response.json({ done: true }) : new Response('{"error":"busy"}', { status });
  };
  return { fetch, seen };
}

// Tracks a promise: `state` is "pending", "resolved" or "rejected".
function track(promise) {
  const t = { state: "pending", value: undefined };
  promise.then(
    (v) => Object.assign(t, { state: "resolved", value: v }),
    (e) => Object.assign(t, { state: "rejected", value: e }),
  );
  return t;
}

for (const [what, config] of [
  ["every timer API but the microtask queues faked", undefined],
  ["setTimeout and Date faked", { toFake: ["setTimeout", "clearTimeout", "Date"] }],
]) {
  test(`sinon, ${what}: client.get retried past two 503s resolves on fake time`, async () => {
    clock = config ? FakeTimers.install(config) : install();
    const wallStart = realNow();
    const api = fakeApi([503, 503, 200]);
    const client = createClient({ baseUrl: "http://api.test", fetch: api.fetch, retry: { baseDelayMs: 1000, jitter: "none" } });
    const delays = [];
    client.on("retry", (e) => delays.push(e.delayMs));
    const call = track(client.get("/items/1"));
    await clock.tickAsync(999);
    assert.equal(call.state, "pending", "not retried before its 1 s backoff");
    assert.equal(api.seen.length, 1);
    await clock.tickAsync(2100);
    assert.equal(call.state, "resolved", String(call.value));
    assert.equal(call.value.attempts, 3);
    assert.deepEqual(call.value.data, { done: true });
    assert.deepEqual(delays, [1000, 2000]);
    assert.ok(realNow() - wallStart < 2000, "3 s of backoff in no real time");
    client.close();
  });
}

test("sinon: 50 ticks of 1 s complete a retried call with the default (jittered) backoff", async () => {
  clock = install();
  const api = fakeApi([503, 503, 200]);
  const client = createClient({ baseUrl: "http://api.test", fetch: api.fetch });
  const call = track(client.get("/items/1"));
  for (let i = 0; i < 50 && call.state === "pending"; i++) await clock.tickAsync(1000);
  assert.equal(call.state, "resolved", String(call.value));
  assert.equal(call.value.attempts, 3);
  client.close();
});

test("sinon: a call that keeps failing gives up after its retries, on fake time", async () => {
  clock = install();
  const client = createClient({
    baseUrl: "http://api.test",
    fetch: fakeApi([503]).fetch,
    retry: { maxRetries: 2, baseDelayMs: 1000, jitter: "none" },
  });
  const call = track(client.get("/items/1"));
  await clock.tickAsync(10000);
  assert.equal(call.state, "rejected");
  assert.ok(call.value instanceof ResilienceError);
  assert.equal(call.value.kind, "gave_up");
  assert.equal(call.value.attempts, 3);
  client.close();
});

test("sinon: an open circuit half-opens after openMs of fake time", async () => {
  clock = install();
  const client = createClient({
    baseUrl: "http://api.test",
    fetch: fakeApi([503, 200]).fetch,
    retry: { maxRetries: 0 },
    breaker: { failureThreshold: 1, successThreshold: 1, openMs: 30000 },
  });
  await assert.rejects(client.get("/a"), (e) => e.status === 503);
  await clock.tickAsync(29000);
  await assert.rejects(client.get("/a"), (e) => e.kind === "circuit_open");
  await clock.tickAsync(1000);
  assert.equal((await client.get("/a")).status, 200);
  client.close();
});

test("sinon: RetryPolicy.execute's backoff waits on fake time", async () => {
  clock = install();
  const policy = new RetryPolicy({ maxRetries: 3, baseDelayMs: 1000, jitter: "none" });
  let runs = 0;
  const run = track(
    policy.execute(async () => {
      if (++runs < 3) throw Object.assign(new Error("busy"), { status: 503 });
      return "ok";
    }),
  );
  await clock.tickAsync(999);
  assert.equal(runs, 1);
  await clock.tickAsync(2100);
  assert.equal(run.state, "resolved", String(run.value));
  assert.equal(run.value, "ok");
  assert.equal(runs, 3);
});

test("sinon: RateLimiter.acquire waits for its slot on fake time, and an abort ends the wait", async () => {
  clock = install();
  const limiter = new RateLimiter({ perSecond: 1, burst: 1, perDay: null });
  await limiter.acquire();
  const second = track(limiter.acquire());
  await clock.tickAsync(500);
  assert.equal(second.state, "pending");
  await clock.tickAsync(600);
  assert.equal(second.state, "resolved", String(second.value));
  const ctl = new AbortController();
  const third = limiter.acquire(ctl.signal);
  await clock.tickAsync(100);
  ctl.abort(new Error("stop"));
  await assert.rejects(third, (e) => e.message === "stop");
});
