// The building blocks on their own, over any async function, against the
// loopback server: classifyError and CircuitBreaker.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { loadSteadfast, startServer, getOrThrow } from "./harness.mjs";

const { esm, cjs } = await loadSteadfast();
const { classifyError, CircuitBreaker, ResilienceError } = esm;
const server = await startServer();
after(() => server.close());
const call = (path) => getOrThrow(server, path);

test("classifyError reads Etsy's headers, Retry-After and the server's message", async () => {
  assert.equal(typeof cjs.classifyError, "function", "require() has it too");
  server.handle = (req, res) =>
    server.json(
      res,
      429,
      { error: "Too many requests" },
      { "x-limit-per-second": "10", "x-remaining-this-second": "0", "x-limit-per-day": "10000", "x-remaining-today": "42" },
    );
  const res = await fetch(server.baseUrl + "/listings");
  const c = classifyError(res.status, await res.text(), res.headers);
  assert.equal(c.category, "rate_limit");
  assert.equal(c.isRetryable, true);
  assert.equal(c.retryAfterMs, 1000, "Etsy's exhausted per-second window: the next second");
  assert.deepEqual(c.rate.perSecond, { limit: 10, remaining: 0, resetMs: c.rate.perSecond.resetMs });
  assert.equal(c.rate.perDay.remaining, 42);
  assert.equal(c.message, "Too many requests");

  const later = classifyError(503, "", { "Retry-After": new Date(Date.now() + 5000).toUTCString() });
  assert.equal(later.category, "server");
  assert.ok(later.retryAfterMs > 3000 && later.retryAfterMs <= 5000, `${later.retryAfterMs}`);
  assert.equal(classifyError(503, null, [["retry-after", "7"]]).retryAfterMs, 7000);
  assert.equal(classifyError(404, { error: "no such listing" }).category, "not_found");
  assert.equal(classifyError(400, '{"error":"bad"}').category, "validation");
  assert.equal(classifyError(501).isRetryable, false);
  assert.equal(classifyError(200).category, null);
  for (const bad of [99, 1000, 200.5, NaN]) {
    assert.throws(() => classifyError(bad), RangeError);
  }
  // A string where a number belongs is a wrong type, as for every option.
  assert.throws(() => classifyError("200"), TypeError);
});

test("CircuitBreaker opens after failures, fails fast, closes after a half-open probe", async () => {
  let now = 1000;
  const breaker = new CircuitBreaker({
    failureThreshold: 2,
    successThreshold: 1,
    openMs: 5000,
    clock: { now: () => now },
  });
  assert.equal(breaker.state, "closed");
  let up = false;
  server.handle = (req, res) => (up ? server.json(res, 200, { ok: true }) : server.json(res, 503, { error: "down" }));
  for (let i = 0; i < 2; i++) {
    await assert.rejects(breaker.execute(() => call("/shops/1")), (e) => e.status === 503);
  }
  assert.equal(breaker.state, "open");
  assert.equal(breaker.isAvailable(), false);
  const sent = server.requests.length;
  const err = await breaker.execute(() => call("/shops/1")).then(
    () => assert.fail("resolved"),
    (e) => e,
  );
  assert.ok(err instanceof ResilienceError);
  assert.equal(err.kind, "circuit_open");
  assert.equal(err.retryAfterMs, 5000);
  assert.equal(server.requests.length, sent, "fn not called while open");

  now += 5000;
  assert.equal(breaker.state, "half_open");
  assert.equal(breaker.isAvailable(), true);
  up = true;
  assert.deepEqual(await breaker.execute(() => call("/shops/1")), { ok: true });
  assert.equal(breaker.state, "closed");
});

test("CircuitBreaker: 4xx and 501 are not failures; a thrown network error is", async () => {
  let now = 0;
  const breaker = new CircuitBreaker({ failureThreshold: 1, clock: { now: () => now } });
  server.handle = (req, res) => server.json(res, req.url === "/nope" ? 501 : 404, { error: "no" });
  await assert.rejects(breaker.execute(() => call("/missing")));
  await assert.rejects(breaker.execute(() => call("/nope")));
  assert.equal(breaker.state, "closed");
  const refused = Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } });
  await assert.rejects(breaker.execute(async () => {
    throw refused;
  }), (e) => e === refused);
  assert.equal(breaker.state, "open");
});

test("CircuitBreaker.execute: an abort rejects with the signal's reason and frees the probe", async () => {
  let now = 0;
  const breaker = new CircuitBreaker({ failureThreshold: 1, successThreshold: 1, openMs: 100, clock: { now: () => now } });
  await assert.rejects(breaker.execute(async () => {
    throw Object.assign(new Error("x"), { status: 500 });
  }));
  now = 100;
  const controller = new AbortController();
  const reason = new Error("user gave up");
  const pending = breaker.execute(() => new Promise(() => {}), controller.signal);
  setTimeout(() => controller.abort(reason), 10);
  await assert.rejects(pending, (e) => e === reason);
  // The probe slot is free again: the next call is let through.
  assert.equal(await breaker.execute(async () => 7), 7);
  assert.equal(breaker.state, "closed");
  assert.throws(() => new CircuitBreaker({ failureThreshold: 0 }), RangeError);
  assert.throws(() => new CircuitBreaker({ scope: "endpoint" }), /scope/);
});
