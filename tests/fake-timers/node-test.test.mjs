// A user's test file, run by `node --test`: the package, imported by name,
// under node:test's own fake timers (`mock.timers`), default clock. Its
// `Date` moves with `tick`, `performance.now` never does; with
// `apis: ["setTimeout"]` neither does, and only the timers firing can move
// the package on.
import { test, mock, afterEach } from "node:test";
import assert from "node:assert/strict";
import { createClient, RetryPolicy, RateLimiter, ResilienceError } from "steadfast";

afterEach(() => mock.timers.reset());

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

// Lets promise callbacks and the fake fetch's answer run (no timer).
const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

// Ticks `step` ms at a time until `done()` or `max` ms; answers the ms ticked.
async function tickUntil(done, step, max) {
  let ticked = 0;
  while (!done() && ticked < max) {
    await settle();
    if (done()) break;
    mock.timers.tick(step);
    ticked += step;
  }
  await settle();
  return ticked;
}

// Tracks a promise: `state()` is "pending", "resolved" or "rejected".
function track(promise) {
  const t = { state: "pending", value: undefined };
  promise.then(
    (v) => Object.assign(t, { state: "resolved", value: v }),
    (e) => Object.assign(t, { state: "rejected", value: e }),
  );
  return t;
}

for (const apis of [["setTimeout", "Date"], ["setTimeout"]]) {
  test(`mock.timers ${apis.join("+")}: client.get retried past two 503s resolves on fake time`, async () => {
    mock.timers.enable({ apis });
    const wallStart = performance.now();
    const api = fakeApi([503, 503, 200]);
    const client = createClient({ baseUrl: "http://api.test", fetch: api.fetch, retry: { baseDelayMs: 1000, jitter: "none" } });
    const delays = [];
    client.on("retry", (e) => delays.push(e.delayMs));
    const call = track(client.get("/items/1"));
    await settle();
    assert.equal(api.seen.length, 1);
    // 999 ms of the first 1 s backoff: still waiting, not retried early.
    mock.timers.tick(999);
    await settle();
    assert.equal(call.state, "pending");
    assert.equal(api.seen.length, 1);
    await tickUntil(() => call.state !== "pending", 100, 60000);
    assert.equal(call.state, "resolved", String(call.value));
    assert.equal(call.value.status, 200);
    assert.equal(call.value.attempts, 3);
    assert.deepEqual(call.value.data, { done: true });
    assert.deepEqual(delays, [1000, 2000]);
    assert.equal(api.seen.length, 3);
    assert.ok(performance.now() - wallStart < 2000, "3 s of backoff in no real time");
    client.close();
  });
}

test("mock.timers: 50 ticks of 1 s complete a retried call with jittered default backoff", async () => {
  mock.timers.enable({ apis: ["setTimeout", "Date"] });
  const api = fakeApi([503, 503, 200]);
  const client = createClient({ baseUrl: "http://api.test", fetch: api.fetch });
  const call = track(client.get("/items/1"));
  await tickUntil(() => call.state !== "pending", 1000, 50000);
  assert.equal(call.state, "resolved", String(call.value));
  assert.equal(call.value.attempts, 3);
  client.close();
});

test("mock.timers: a call that keeps failing gives up after its retries, on fake time", async () => {
  mock.timers.enable({ apis: ["setTimeout", "Date"] });
  const api = fakeApi([503]);
  const client = createClient({
    baseUrl: "http://api.test",
    fetch: api.fetch,
    retry: { maxRetries: 2, baseDelayMs: 1000, jitter: "none" },
  });
  const call = track(client.get("/items/1"));
  await tickUntil(() => call.state !== "pending", 500, 60000);
  assert.equal(call.state, "rejected");
  assert.ok(call.value instanceof ResilienceError);
  assert.equal(call.value.kind, "gave_up");
  assert.equal(call.value.reason, "attempts_exhausted");
  assert.equal(call.value.attempts, 3);
  assert.equal(call.value.status, 503);
  client.close();
});

test("mock.timers: an attempt that hangs times out on fake time, then the retry succeeds", async () => {
  mock.timers.enable({ apis: ["setTimeout", "Date"] });
  let calls = 0;
  const fetch = (url, init) => {
    if (++calls > 1) return Promise.resolve(Response.json({ done: true }));
    // The first attempt never answers: only its timeout's abort ends it.
    return new Promise((_, reject) => init.signal.addEventListener("abort", () => reject(init.signal.reason)));
  };
  const client = createClient({ baseUrl: "http://api.test", fetch, retry: { baseDelayMs: 100, jitter: "none" } });
  const call = track(client.get("/slow", { timeoutMs: 5000 }));
  await settle();
  mock.timers.tick(4999);
  await settle();
  assert.equal(call.state, "pending");
  assert.equal(calls, 1);
  await tickUntil(() => call.state !== "pending", 50, 10000);
  assert.equal(call.state, "resolved", String(call.value));
  assert.equal(call.value.attempts, 2);
  client.close();
});

test("mock.timers: an abort during a fake backoff rejects the call with its reason, once", async () => {
  mock.timers.enable({ apis: ["setTimeout", "Date"] });
  const api = fakeApi([503, 200]);
  const client = createClient({ baseUrl: "http://api.test", fetch: api.fetch, retry: { baseDelayMs: 1000, jitter: "none" } });
  const ctl = new AbortController();
  let settled = 0;
  const p = client.get("/items/1", { signal: ctl.signal });
  p.then(() => settled++, () => settled++);
  await settle();
  mock.timers.tick(500);
  ctl.abort(new Error("user gave up"));
  await assert.rejects(p, (e) => e.message === "user gave up");
  mock.timers.tick(5000);
  await settle();
  assert.equal(settled, 1);
  assert.equal(api.seen.length, 1, "not retried after the abort");
  client.close();
});

test("mock.timers Date: an open circuit half-opens once fake time passes openMs, with no timer of ours pending", async () => {
  mock.timers.enable({ apis: ["setTimeout", "Date"] });
  const api = fakeApi([503, 200]);
  const client = createClient({
    baseUrl: "http://api.test",
    fetch: api.fetch,
    retry: { maxRetries: 0 },
    breaker: { failureThreshold: 1, successThreshold: 1, openMs: 30000 },
  });
  await assert.rejects(client.get("/a"), (e) => e.status === 503);
  await assert.rejects(client.get("/a"), (e) => e.kind === "circuit_open");
  mock.timers.tick(29000);
  await assert.rejects(client.get("/a"), (e) => e.kind === "circuit_open");
  mock.timers.tick(1000);
  const r = await client.get("/a");
  assert.equal(r.status, 200);
  assert.equal(client.health().circuit, "closed");
  client.close();
});

test("mock.timers: a fake Date set back (setTime) neither stalls the package nor moves its clock back", async () => {
  mock.timers.enable({ apis: ["setTimeout", "Date"], now: Date.now() });
  const client = createClient({
    baseUrl: "http://api.test",
    fetch: fakeApi([503, 200]).fetch,
    retry: { maxRetries: 0 },
    breaker: { failureThreshold: 1, successThreshold: 1, openMs: 30000 },
  });
  await assert.rejects(client.get("/a"), (e) => e.status === 503);
  const until = client.health().circuitOpenUntil;
  assert.ok(until !== null);
  // A day back. The clock sees the jump at its next reading, and the fake
  // time moved between its last reading and then may be lost (here the
  // first 20 s); from there it moves on: the circuit does not wait a day.
  mock.timers.setTime(Date.now() - 86400000);
  mock.timers.tick(20000);
  await assert.rejects(client.get("/a"), (e) => e.kind === "circuit_open");
  assert.equal(client.health().circuitOpenUntil, until, "the clock did not go back");
  mock.timers.tick(30000);
  assert.equal((await client.get("/a")).status, 200);
  client.close();
});

test("mock.timers: RetryPolicy.execute's backoff waits on fake time", async () => {
  mock.timers.enable({ apis: ["setTimeout", "Date"] });
  const wallStart = performance.now();
  const policy = new RetryPolicy({ maxRetries: 3, baseDelayMs: 1000, jitter: "none" });
  let runs = 0;
  const run = track(
    policy.execute(async () => {
      if (++runs < 3) throw Object.assign(new Error("busy"), { status: 503 });
      return "ok";
    }),
  );
  await settle();
  assert.equal(runs, 1);
  mock.timers.tick(999);
  await settle();
  assert.equal(runs, 1, "not retried before its 1 s backoff");
  await tickUntil(() => run.state !== "pending", 100, 60000);
  assert.equal(run.state, "resolved", String(run.value));
  assert.equal(run.value, "ok");
  assert.equal(runs, 3);
  assert.ok(performance.now() - wallStart < 2000);
});

for (const apis of [["setTimeout", "Date"], ["setTimeout"]]) {
  test(`mock.timers ${apis.join("+")}: RateLimiter.acquire's wait for a slot passes on fake time`, async () => {
    mock.timers.enable({ apis });
    const limiter = new RateLimiter({ perSecond: 1, burst: 1, perDay: null });
    await limiter.acquire();
    const second = track(limiter.acquire());
    await settle();
    mock.timers.tick(500);
    await settle();
    assert.equal(second.state, "pending", "a slot a second: not yet");
    await tickUntil(() => second.state !== "pending", 100, 5000);
    assert.equal(second.state, "resolved", String(second.value));
  });
}

test("mock.timers: an abort during RateLimiter.acquire's fake wait rejects with its reason", async () => {
  mock.timers.enable({ apis: ["setTimeout", "Date"] });
  const limiter = new RateLimiter({ perSecond: 1, burst: 1, perDay: null });
  await limiter.acquire();
  const ctl = new AbortController();
  const second = limiter.acquire(ctl.signal);
  mock.timers.tick(200);
  ctl.abort(new Error("stop"));
  await assert.rejects(second, (e) => e.message === "stop");
});

test("mock.timers reset mid-wait: the client moves to real timers (a fake timer it held is not kept)", async () => {
  mock.timers.enable({ apis: ["setTimeout", "Date"] });
  const api = fakeApi([503, 200]);
  const client = createClient({ baseUrl: "http://api.test", fetch: api.fetch, retry: { baseDelayMs: 50, jitter: "none" } });
  const first = track(client.get("/first"));
  await settle();
  assert.equal(api.seen.length, 1);
  // The backoff's timer is a fake one; the fakes go, and it never fires.
  mock.timers.reset();
  const second = await client.get("/second");
  assert.equal(second.status, 200);
  const started = performance.now();
  while (first.state === "pending" && performance.now() - started < 3000) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(first.state, "resolved", "the first call's backoff ran on a real timer");
  assert.equal(first.value.attempts, 2);
  client.close();
});
