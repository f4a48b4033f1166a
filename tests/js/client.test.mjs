// Calls against a real loopback server that injects faults.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { loadSteadfast, startServer } from "./harness.mjs";

const { esm } = await loadSteadfast();
const { createClient, ResilienceError } = esm;
const server = await startServer();
after(() => server.close());

const fast = { retry: { baseDelayMs: 20, maxDelayMs: 50 }, limiter: { perSecond: 1000, burst: 100 } };

test("a 503 is retried, then the 200 resolves with status, headers, data and attempts", async () => {
  let n = 0;
  server.handle = (req, res) => {
    if (++n === 1) return server.json(res, 503, { error: "busy" });
    server.json(res, 200, { id: 7, url: req.url }, { "x-thing": "yes" });
  };
  const client = createClient({ baseUrl: server.baseUrl + "/v3", ...fast });
  const retries = [];
  client.on("retry", (e) => retries.push(e));
  const r = await client.get("/listings/7", { query: { a: "b c", n: 1 } });
  assert.equal(r.status, 200);
  assert.equal(r.attempts, 2);
  assert.deepEqual(r.data, { id: 7, url: "/v3/listings/7?a=b%20c&n=1" });
  assert.equal(r.headers["x-thing"], "yes");
  assert.equal(retries.length, 1);
  assert.equal(retries[0].attempt, 1);
  assert.equal(retries[0].category, "server");
  assert.equal(retries[0].status, 503);
  assert.equal(retries[0].method, "GET");
  assert.equal(retries[0].endpoint, "/listings/{id}");
  // A number with a fraction is written as JavaScript writes it.
  const f = await client.get("/listings/7", { query: { x: 0.1 + 0.2, big: 1e21 } });
  assert.equal(f.data.url, "/v3/listings/7?x=0.30000000000000004&big=1e%2B21");
  client.close();
});

for (const form of ["delta-seconds", "HTTP-date"]) {
  test(`Retry-After (${form}) is a floor for the retry`, async () => {
    let n = 0;
    server.handle = (req, res) => {
      if (++n === 1) {
        const value = form === "delta-seconds" ? "1" : new Date(Date.now() + 2000).toUTCString();
        return server.json(res, 503, { error: "later" }, { "retry-after": value });
      }
      server.json(res, 200, { ok: true });
    };
    const start = server.requests.length;
    const client = createClient({ baseUrl: server.baseUrl, ...fast });
    const r = await client.get("/thing");
    assert.equal(r.attempts, 2);
    const [first, second] = server.requests.slice(start);
    const gap = second.at - first.at;
    // An HTTP-date has whole seconds: 2 s ahead is at least 1 s ahead.
    assert.ok(gap >= 990, `retried after ${gap.toFixed(0)} ms, before the server's Retry-After`);
    assert.ok(gap < 3500, `waited ${gap.toFixed(0)} ms`);
    client.close();
  });
}

test("a 404 rejects with ResilienceError fields and no API key anywhere", async () => {
  const key = "sk_live_0123456789abcdef";
  server.handle = (req, res) =>
    server.json(res, 404, {
      error: `Listing 123 does not exist (key ${req.headers["x-api-key"]})`,
      details: [{ field: "listing_id", echo: req.headers["x-api-key"] }],
    });
  const client = createClient({
    baseUrl: server.baseUrl,
    headers: { "x-api-key": key, Authorization: `Bearer ${key}-token` },
    ...fast,
  });
  const events = [];
  for (const name of ["retry", "stateChange", "rateLimited", "alert", "recovered"]) {
    client.on(name, (e) => events.push(e));
  }
  const start = server.requests.length;
  const err = await client.get("/listings/123").then(
    () => assert.fail("resolved"),
    (e) => e,
  );
  assert.equal(server.requests[start].headers["x-api-key"], key, "the key is sent");
  assert.ok(err instanceof ResilienceError);
  assert.ok(err instanceof Error);
  assert.equal(err.category, "not_found");
  assert.equal(err.status, 404);
  assert.equal(err.attempts, 1);
  assert.equal(err.method, "GET");
  assert.equal(err.endpoint, "/listings/{id}");
  assert.equal(err.isRetryable, false);
  assert.equal(err.kind, "gave_up");
  assert.equal(err.reason, "not_retryable");
  assert.match(err.message, /Listing 123 does not exist/);
  assert.equal(err.data.details[0].field, "listing_id");
  const everything = JSON.stringify({
    ...err,
    message: err.message,
    stack: err.stack,
    events,
    health: client.health(),
  });
  assert.ok(!everything.includes(key), everything);
  assert.ok(!everything.includes("0123456789abcdef"), everything);
  client.close();
});

test("the breaker opens after failures and then fails fast without sending", async () => {
  server.handle = (req, res) => server.json(res, 500, { error: "down" });
  const client = createClient({
    baseUrl: server.baseUrl,
    retry: { maxRetries: 0 },
    breaker: { failureThreshold: 3, openMs: 60000 },
    limiter: fast.limiter,
  });
  const changes = [];
  client.on("stateChange", (e) => changes.push(e));
  const start = server.requests.length;
  for (let i = 0; i < 3; i++) {
    await assert.rejects(client.get(`/orders/${i}`), (e) => e.status === 500 && e.category === "server");
  }
  assert.equal(server.requests.length - start, 3);
  assert.deepEqual(
    changes.map((c) => [c.from, c.to]),
    [["closed", "open"]],
  );
  assert.equal(client.health().circuit, "open");
  const t0 = performance.now();
  const err = await client.get("/orders/4").then(
    () => assert.fail("resolved"),
    (e) => e,
  );
  assert.ok(performance.now() - t0 < 100, "failed fast");
  assert.ok(err instanceof ResilienceError);
  assert.equal(err.kind, "circuit_open");
  assert.equal(err.attempts, 0);
  assert.ok(err.retryAfterMs > 50000 && err.retryAfterMs <= 60000, `retryAfterMs ${err.retryAfterMs}`);
  assert.equal(server.requests.length - start, 3, "nothing sent through the open circuit");
  client.close();
});

test("an unkeyed POST is not resent after a reset; a keyed one is", async () => {
  let writes = 0;
  server.handle = (req, res, entry) => {
    writes++;
    if (entry.headers["x-attempt-reset"] === undefined && writes % 2 === 1) {
      req.socket.destroy(); // the request reached the server; the answer is lost
      return;
    }
    server.json(res, 201, { created: true });
  };
  const client = createClient({ baseUrl: server.baseUrl, ...fast });
  writes = 0;
  const err = await client.post("/orders", { sku: 1 }).then(
    () => assert.fail("resolved"),
    (e) => e,
  );
  assert.equal(err.category, "network");
  assert.equal(err.reason, "would_duplicate_write");
  assert.equal(err.attempts, 1);
  assert.ok(err.cause instanceof Error, "the transport error is the cause");
  assert.equal(writes, 1, "sent once");

  writes = 0;
  const start = server.requests.length;
  const r = await client.post("/orders", { sku: 1 }, { idempotencyKey: "order-42" });
  assert.equal(r.status, 201);
  assert.equal(r.attempts, 2);
  assert.equal(writes, 2);
  for (const req of server.requests.slice(start)) {
    assert.equal(req.headers["idempotency-key"], "order-42");
    assert.equal(req.headers["content-type"], "application/json");
    assert.equal(req.body, '{"sku":1}');
  }
  client.close();
});

test("a 400's list of validation errors is usable as data", async () => {
  server.handle = (req, res) =>
    server.json(res, 400, {
      error: "Invalid listing",
      errors: [
        { field: "price", message: "must be positive" },
        { field: "title", message: "is required" },
      ],
    });
  const client = createClient({ baseUrl: server.baseUrl, ...fast });
  const err = await client.post("/listings", { price: -1 }).then(
    () => assert.fail("resolved"),
    (e) => e,
  );
  assert.equal(err.category, "validation");
  assert.equal(err.status, 400);
  assert.equal(err.isRetryable, false);
  assert.equal(err.message, "Invalid listing");
  assert.deepEqual(
    err.data.errors.map((e) => e.field),
    ["price", "title"],
  );
  client.close();
});
