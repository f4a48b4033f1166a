// snapshot() → a new client (a new process: its monotonic clock restarts
// from 0) → restore: an open circuit stays open, a spent quota stays spent,
// and the snapshot is plain JSON with no secret in it.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { loadSteadfast, scratchDir, startServer } from "./harness.mjs";

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

test("the snapshot is readable and small: 105 calls over 40 endpoints, under 2 KB", async () => {
  // Eight endpoints fail (503), two of them often enough to open their circuits;
  // the others answer. The server says its limits, as Etsy does.
  server.handle = (req, res) => {
    const n = Number(/\/r(\d+)\//.exec(req.url)?.[1]);
    res.setHeader("x-limit-per-second", "50");
    res.setHeader("x-remaining-today", String(10_000 - server.requests.length));
    if (n % 5 === 0) server.json(res, 503, { error: `down (key ${req.headers["x-api-key"]})` });
    else server.json(res, 200, { ok: true });
  };
  const client = createClient({
    ...base,
    baseUrl: server.baseUrl,
    seed: 7,
    breaker: { scope: "endpoint", failureThreshold: 5 },
    limiter: { perSecond: 1000, burst: 200 },
  });
  const calls = [];
  for (let i = 0; i < 105; i++) {
    // Endpoints 0 and 5 get 4 calls each; the rest of the 105 go round.
    const e = i < 8 ? (i % 2) * 5 : i % 40;
    calls.push(client.get(`/r${e}/items/${1000 + i}`).catch((err) => err));
  }
  await Promise.all(calls);
  const saved = client.snapshot();
  client.close();
  const text = JSON.stringify(saved);
  console.log(`# snapshot of 105 calls over 40 endpoints: ${text.length} bytes\n# ${text}`);
  assert.ok(text.length <= 2048, `${text.length} bytes`);
  assert.ok(!text.includes(KEY), "no secret");

  // What a person reads in it: the open circuits by endpoint, until when
  // by the wall clock; the pace and quota the server said; the counts.
  assert.equal(saved.format, 3);
  assert.ok(Math.abs(saved.savedAt - Date.now()) < 60_000);
  const open = saved.circuits.filter((c) => c.state === "open").map((c) => c.endpoint);
  assert.deepEqual(open.sort(), ["/r0/items/{id}", "/r5/items/{id}"]);
  for (const c of saved.circuits.filter((c) => c.state === "open")) {
    assert.ok(c.until > saved.savedAt && c.until <= saved.savedAt + 60_000, `until ${new Date(c.until).toISOString()}`);
  }
  // The other failing endpoints have counted failures, below the threshold;
  // the healthy ones are left out.
  assert.ok(saved.circuits.every((c) => c.state === "open" || c.failures > 0), text);
  assert.equal(saved.limiter.serverPerSecond, 50);
  assert.ok(saved.limiter.quota.remaining < 10_000);
  assert.equal(saved.limiter.sent.reduce((n, [, k]) => n + k, 0), 105, "the daily count: every request sent");
  const counted = saved.monitor.buckets.reduce((n, b) => n + b.calls, 0);
  const failed = saved.monitor.buckets.reduce((n, b) => n + (b.errors ?? 0), 0);
  assert.ok(counted > 90 && counted <= 105, `${counted} calls counted`);
  assert.ok(failed > 0 && failed < counted, `${failed} errors counted`);

  // The README's figure is this test's (within 10 %).
  const readme = fs.readFileSync(path.join(scratchDir(), "node_modules", "steadfast", "README.md"), "utf8");
  const figure = Number(/105 calls over 40 endpoints[^;]*; [^)]*\) saves ([\d,]+) bytes/.exec(readme.replace(/\s+/g, " "))?.[1].replace(",", ""));
  assert.ok(Math.abs(figure - text.length) <= text.length / 10, `README says ${figure} bytes, the test measured ${text.length}`);

  // And it restores: the open circuits stay open.
  const back = createClient({ ...base, baseUrl: server.baseUrl, breaker: { scope: "endpoint" }, restore: saved });
  const before = server.requests.length;
  const err = await back.get("/r5/items/1").catch((e) => e);
  assert.equal(err.kind, "circuit_open");
  assert.equal(server.requests.length, before);
  back.close();
});
