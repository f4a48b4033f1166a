// The client against the loopback server: pacing and the daily quota from
// Etsy's headers, aborts while waiting for the limiter or the circuit, and
// the payloads of the rateLimited, alert and recovered events.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { limitToFivePerSecond, loadSteadfast, startServer, sleep, until } from "./harness.mjs";

const { esm } = await loadSteadfast();
const { createClient, ResilienceError } = esm;
const server = await startServer();
after(() => server.close());

test("pacing from Etsy's x-limit-per-second (lower than configured): no 429 from the server", async () => {
  const limit = limitToFivePerSecond(server);
  const client = createClient({ baseUrl: server.baseUrl, limiter: { perSecond: 50, burst: 1 }, retry: { maxRetries: 0 } });
  const limited = [];
  client.on("rateLimited", (e) => limited.push(e));
  await client.get("/listings/0"); // learns the server's limit
  // The server's 5/s, with room for the lateness the host's timers have
  // shown so far: none (5/s) to the 20 ms timer slack and the clock's ms.
  assert.ok(client.health().limiter.effectivePerSecond >= 5000 / 1021 - 1e-9 && client.health().limiter.effectivePerSecond <= 5 + 1e-9, client.health().limiter.effectivePerSecond);
  const start = performance.now();
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => client.get(`/listings/${i + 1}`)));
  const took = performance.now() - start;
  assert.equal(limit.refused, 0, "no 429 from the server");
  assert.ok(results.every((r) => r.status === 200 && r.attempts === 1));
  assert.ok(took >= 1500, `10 calls at 5/s take about 2 s, took ${took.toFixed(0)} ms`);
  assert.ok(took < 4000, `and no more, took ${took.toFixed(0)} ms`);
  client.close();
});

test("the daily quota from headers: x-remaining-today 0 → calls reject fast with retryAfterMs, none sent", async () => {
  server.handle = (req, res) =>
    server.json(res, 200, { ok: true }, { "x-limit-per-day": "10000", "x-remaining-today": "0" });
  const client = createClient({ baseUrl: server.baseUrl, limiter: { perSecond: 100, quotaRecheckMs: 60000 } });
  await client.get("/listings/1");
  const before = server.requests.length;
  const start = performance.now();
  for (let i = 0; i < 3; i++) {
    const err = await client.get("/listings/2").then(
      () => assert.fail("resolved past a spent quota"),
      (e) => e,
    );
    assert.ok(err instanceof ResilienceError);
    assert.equal(err.kind, "quota_exhausted");
    assert.equal(err.category, "rate_limit");
    assert.ok(err.retryAfterMs > 50000 && err.retryAfterMs <= 60000, `retryAfterMs ${err.retryAfterMs}`);
  }
  assert.ok(performance.now() - start < 200, "fast");
  assert.equal(server.requests.length, before, "no request past the spent quota");
  assert.notEqual(client.health().limiter.exhaustedUntil, null);
  client.close();
});

test("abort while waiting for the limiter rejects with the reason; nothing is sent for it", async () => {
  server.handle = (req, res) => server.json(res, 200, { ok: true });
  const client = createClient({ baseUrl: server.baseUrl, limiter: { perSecond: 1, burst: 1, perDay: null } });
  await client.get("/a");
  const before = server.requests.length;
  const ac = new AbortController();
  const waiting = client.get("/b", { signal: ac.signal });
  await sleep(50);
  const reason = new Error("user navigated away");
  const start = performance.now();
  ac.abort(reason);
  await assert.rejects(waiting, (e) => e === reason);
  assert.ok(performance.now() - start < 100, "at once");
  await sleep(1100);
  assert.equal(server.requests.length, before, "the aborted call never went");
  const r = await client.get("/c");
  assert.equal(r.status, 200, "the client still works; the slot was given back");
  client.close();
});

test("abort while waiting for the circuit's half-open moment rejects with the reason", async () => {
  server.handle = (req, res) => server.json(res, 500, { error: "down" });
  const client = createClient({
    baseUrl: server.baseUrl,
    breaker: { failureThreshold: 1, successThreshold: 1, openMs: 1500 },
    retry: { maxRetries: 3, baseDelayMs: 10, maxDelayMs: 5000 },
    limiter: { perSecond: 1000, burst: 100 },
  });
  const changes = [];
  client.on("stateChange", (e) => changes.push(e));
  const before = server.requests.length;
  const ac = new AbortController();
  const call = client.get("/listings/1", { signal: ac.signal });
  await until(() => changes.some((c) => c.to === "open"));
  assert.equal(client.health().circuit, "open");
  await sleep(100);
  const reason = new Error("stop waiting");
  ac.abort(reason);
  await assert.rejects(call, (e) => e === reason);
  await sleep(1700);
  assert.equal(server.requests.length - before, 1, "no probe sent for the aborted call");
  client.close();
});

test("events carry useful payloads: rateLimited, alert, recovered", async () => {
  let first = true;
  server.handle = (req, res) => {
    if (req.url.startsWith("/missing")) return server.json(res, 404, { error: "no such listing" });
    if (first) {
      first = false;
      return server.json(res, 429, { error: "slow down" }, { "retry-after": "1" });
    }
    server.json(res, 200, { ok: true });
  };
  const client = createClient({
    baseUrl: server.baseUrl,
    limiter: { perSecond: 1000, burst: 100 },
    monitor: { windowMs: 1000, buckets: 10, alertThreshold: 2 },
  });
  const events = { rateLimited: [], alert: [], recovered: [], retry: [] };
  for (const name of Object.keys(events)) client.on(name, (e) => events[name].push(e));

  const a = client.get("/listings/1");
  await until(() => events.retry.length === 1);
  const b = client.get("/shops/2"); // waits for the server's pause
  await Promise.all([a, b]);
  assert.equal(events.rateLimited.length, 1, JSON.stringify(events.rateLimited));
  const rl = events.rateLimited[0];
  assert.equal(rl.method, "GET");
  assert.equal(rl.endpoint, "/shops/{id}");
  assert.ok(rl.delayMs > 0 && rl.delayMs <= 1000, `delayMs ${rl.delayMs}`);

  for (const id of [1, 2, 3]) await client.get(`/missing/${id}`).catch(() => {});
  assert.equal(events.alert.length, 1, "once per crossing");
  const alert = events.alert[0];
  assert.ok(alert.totalErrors >= 2);
  assert.equal(alert.alerting, true);
  assert.ok(alert.byCategory.some(([c, n]) => c === "not_found" && n >= 2), JSON.stringify(alert.byCategory));
  assert.equal(alert.mostRecent.status, 404);
  assert.equal(alert.mostRecent.endpoint, "/missing/{id}");
  assert.equal(alert.mostRecent.message, "no such listing");
  await until(() => events.recovered.length === 1, 3000);
  const rec = events.recovered[0];
  assert.equal(rec.alerting, false);
  assert.ok(rec.totalErrors < 2, `recovered with ${rec.totalErrors} errors in the window`);
  client.close();
});
