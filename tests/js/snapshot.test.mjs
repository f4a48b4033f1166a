// snapshot() → a new client (a new process: its monotonic clock restarts
// from 0) → restore: an open circuit stays open, a spent quota stays spent,
// and the snapshot is plain JSON with no secret in it.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { loadSteadfast, startServer } from "./harness.mjs";

const { esm } = await loadSteadfast();
const { createClient } = esm;
const server = await startServer();
after(() => server.close());

const KEY = "sk_live_snapshot_secret_0123";

/**
 * A fake clock (only `now`, `sleep`, `wallNow`: a clock with other keys is
 * refused as an unknown option) and a function that moves it.
 */
function fakeClock(now, wall) {
  const clock = {
    now: () => now,
    wallNow: () => wall,
    // Nothing here needs a timer to fire: calls settle from the server.
    sleep: (_ms, signal) => new Promise((resolve) => signal.addEventListener("abort", resolve)),
  };
  const advance = (ms) => {
    now += ms;
    wall += ms;
  };
  return [clock, advance];
}

const base = {
  headers: { "x-api-key": KEY },
  retry: { maxRetries: 0 },
  limiter: { perSecond: 1000, burst: 100 },
};

test("an open circuit stays open across snapshot and restore, then probes on time", async () => {
  server.handle = (req, res) =>
    server.json(res, 503, { error: `down for maintenance (key ${req.headers["x-api-key"]})` });
  const options = { ...base, baseUrl: server.baseUrl, breaker: { failureThreshold: 2, openMs: 60_000 } };
  const wall0 = Date.UTC(2026, 0, 1);
  const a = createClient({ ...options, clock: fakeClock(5_000_000, wall0)[0] });
  for (let i = 0; i < 2; i++) await assert.rejects(a.get(`/shops/${i}`), (e) => e.status === 503);
  assert.equal(a.health().circuit, "open");
  const saved = a.snapshot();
  a.close();

  // Plain JSON: survives a round trip through text, and holds no secret.
  const text = JSON.stringify(saved);
  assert.deepEqual(JSON.parse(text), saved);
  assert.ok(!text.includes(KEY), text);
  assert.ok(!text.includes("snapshot_secret"), text);

  // A new process 20 s later by the wall clock; its monotonic clock starts at 0.
  const [clock, advance] = fakeClock(0, wall0 + 20_000);
  const b = createClient({ ...options, clock, restore: JSON.parse(text) });
  const h = b.health();
  assert.equal(h.circuit, "open");
  assert.equal(h.circuits.length, 1);
  assert.equal(h.circuits[0].endpoint, null);
  assert.ok(
    h.circuitOpenUntil >= 39_000 && h.circuitOpenUntil <= 40_000,
    `opens for probing at ${h.circuitOpenUntil} (40 s left on the new clock)`,
  );
  const sent = server.requests.length;
  const err = await b.get("/shops/9").then(
    () => assert.fail("resolved"),
    (e) => e,
  );
  assert.equal(err.kind, "circuit_open");
  assert.equal(server.requests.length, sent, "nothing sent through the restored open circuit");

  // Once its open time is over, a probe goes and a success closes it.
  server.handle = (req, res) => server.json(res, 200, { ok: true });
  const changes = [];
  b.on("stateChange", (e) => changes.push(`${e.from}→${e.to}`));
  advance(41_000);
  const r = await b.get("/shops/9");
  assert.equal(r.status, 200);
  await b.get("/shops/9");
  assert.equal(b.health().circuit, "closed");
  assert.deepEqual(changes, ["open→half_open", "half_open→closed"]);
  b.close();
});

test("a spent daily quota stays spent across snapshot and restore", async () => {
  server.handle = (req, res) => server.json(res, 200, { ok: true });
  const options = { ...base, baseUrl: server.baseUrl, limiter: { ...base.limiter, perDay: 3, bufferRatio: 0 } };
  const wall0 = Date.UTC(2026, 0, 2);
  const a = createClient({ ...options, clock: fakeClock(123_456, wall0)[0] });
  for (let i = 0; i < 3; i++) assert.equal((await a.get("/listings/1")).status, 200);
  await assert.rejects(a.get("/listings/1"), (e) => e.kind === "quota_exhausted");
  assert.equal(a.health().limiter.dayUsed, 3);
  const saved = JSON.parse(JSON.stringify(a.snapshot()));
  a.close();

  // An hour later, in a new process whose clock restarted.
  const b = createClient({ ...options, clock: fakeClock(0, wall0 + 3_600_000)[0], restore: saved });
  assert.equal(b.health().limiter.dayUsed, 3);
  const sent = server.requests.length;
  const err = await b.get("/listings/1").then(
    () => assert.fail("resolved"),
    (e) => e,
  );
  assert.equal(err.kind, "quota_exhausted");
  assert.ok(err.retryAfterMs > 20 * 3_600_000, `comes back in ${err.retryAfterMs} ms`);
  assert.equal(server.requests.length, sent, "nothing sent past the restored quota");
  b.close();

  // Without the snapshot, the same new process would have sent it.
  const fresh = createClient({ ...options, clock: fakeClock(0, wall0 + 3_600_000)[0] });
  assert.equal((await fresh.get("/listings/1")).status, 200);
  fresh.close();
});
