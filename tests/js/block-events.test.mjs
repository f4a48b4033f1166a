// The building blocks' events: a standalone CircuitBreaker's `stateChange`
// and a RetryPolicy's `retry` and `giveUp`, over calls to the loopback
// server, with the time on an injected clock.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { loadSteadfast, startServer, getOrThrow } from "./harness.mjs";

const { esm } = await loadSteadfast();
const { CircuitBreaker, RetryPolicy } = esm;
const server = await startServer();
after(() => server.close());
const call = (path) => getOrThrow(server, path);

test("CircuitBreaker tells stateChange: closed → open → half_open → closed, each at its instant", async () => {
  let now = 1000;
  const breaker = new CircuitBreaker({ failureThreshold: 2, successThreshold: 1, openMs: 5000, clock: { now: () => now } });
  const seen = [];
  const off = breaker.on("stateChange", (e) => seen.push(e));
  let up = false;
  server.handle = (req, res) => (up ? server.json(res, 200, { ok: true }) : server.json(res, 503, { error: "down" }));

  await assert.rejects(breaker.execute(() => call("/a")));
  assert.deepEqual(seen, [], "one failure of two: no change");
  await assert.rejects(breaker.execute(() => call("/a")));
  assert.deepEqual(seen, [{ from: "closed", to: "open", at: 1000 }]);
  // Refused while open: no change told.
  await assert.rejects(breaker.execute(() => call("/a")), (e) => e.kind === "circuit_open");
  assert.equal(seen.length, 1);

  now += 5000;
  up = true;
  await breaker.execute(() => call("/a"));
  assert.deepEqual(seen.slice(1), [
    { from: "open", to: "half_open", at: 6000 },
    { from: "half_open", to: "closed", at: 6000 },
  ]);

  // Removed: nothing more told, and the breaker goes on.
  off();
  up = false;
  await assert.rejects(breaker.execute(() => call("/a")));
  await assert.rejects(breaker.execute(() => call("/a")));
  assert.equal(breaker.state, "open");
  assert.equal(seen.length, 3);
});

test("a stateChange listener added later hears only what happens after; one that throws stops nothing", async () => {
  let now = 0;
  const breaker = new CircuitBreaker({ failureThreshold: 1, successThreshold: 1, openMs: 100, clock: { now: () => now } });
  server.handle = (req, res) => server.json(res, 503, { error: "down" });
  await assert.rejects(breaker.execute(() => call("/b")));
  assert.equal(breaker.state, "open");
  const seen = [];
  breaker.on("stateChange", () => {
    throw new Error("a listener's bug");
  });
  breaker.on("stateChange", (e) => seen.push(`${e.from}>${e.to}`));
  now = 100;
  // Half-open, the probe fails: open again.
  await assert.rejects(breaker.execute(() => call("/b")), (e) => e.status === 503);
  assert.deepEqual(seen, ["open>half_open", "half_open>open"], "no stale closed>open from before the listener");
});

test("the blocks' on() refuses an unknown event or a listener that is not a function", () => {
  const breaker = new CircuitBreaker();
  assert.throws(() => breaker.on("retry", () => {}), { name: "TypeError", message: 'steadfast: `event` must be "stateChange"' });
  assert.throws(() => breaker.on("stateChange", "nope"), { name: "TypeError", message: "steadfast: `listener` must be a function" });
  const policy = new RetryPolicy();
  assert.throws(() => policy.on("stateChange", () => {}), { name: "TypeError", message: 'steadfast: `event` must be "retry" or "giveUp"' });
  assert.throws(() => policy.on("retry"), TypeError);
});

test("RetryPolicy tells retry before each wait and giveUp when it stops, from the core's decision", async () => {
  const sleeps = [];
  const policy = new RetryPolicy({
    maxRetries: 2,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    jitter: "none",
    clock: { now: () => 0, sleep: async (ms) => void sleeps.push(ms) },
  });
  const retries = [];
  const giveUps = [];
  policy.on("retry", (e) => retries.push(e));
  const offGiveUp = policy.on("giveUp", (e) => giveUps.push(e));
  server.handle = (req, res) => server.json(res, 503, { error: "down" });
  await assert.rejects(policy.execute(() => call("/c")), (e) => e.kind === "gave_up");
  assert.deepEqual(retries, [
    { attempt: 1, delayMs: 100, category: "server", status: 503 },
    { attempt: 2, delayMs: 200, category: "server", status: 503 },
  ]);
  assert.deepEqual(
    retries.map((r) => r.delayMs),
    sleeps,
    "each retry event tells the wait that follows",
  );
  assert.equal(giveUps.length, 1);
  assert.equal(giveUps[0].attempts, 3);
  assert.equal(giveUps[0].category, "server");
  assert.equal(giveUps[0].status, 503);
  assert.equal(typeof giveUps[0].reason, "string");

  // A call that is not retried (a 404) gives up at once, told once; a
  // success tells nothing.
  retries.length = 0;
  server.handle = (req, res) => server.json(res, 404, { error: "no such thing" });
  await assert.rejects(policy.execute(() => call("/d")));
  assert.deepEqual(retries, []);
  assert.equal(giveUps.length, 2);
  assert.equal(giveUps[1].attempts, 1);
  assert.equal(giveUps[1].category, "not_found");
  offGiveUp();
  server.handle = (req, res) => server.json(res, 200, { ok: true });
  await policy.execute(() => call("/e"));
  assert.equal(giveUps.length, 2);
  assert.deepEqual(retries, []);
});
