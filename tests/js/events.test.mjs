// The per-call events (attempt, success, failure) and client.stats(),
// against a real loopback server, with an injected clock so that every
// latency is exact.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { loadSteadfast, startServer } from "./harness.mjs";

const { esm } = await loadSteadfast();
const { createClient, ResilienceError } = esm;
const server = await startServer();
after(() => server.close());

// A clock that moves only when told: the server's handler moves it by its
// "delay" before answering; a short sleep (a backoff) moves it to its end
// once no request is in flight (the client's `fetch` counts them); a long
// one (an attempt's timeout) never fires on its own.
function manualClock() {
  const time = { t: 1_000, inFlight: 0 };
  time.fetch = async (url, init) => {
    time.inFlight++;
    try {
      return await fetch(url, init);
    } finally {
      time.inFlight--;
    }
  };
  time.clock = {
    now: () => time.t,
    sleep: (ms, signal) =>
      new Promise((resolve, reject) => {
        const end = time.t + ms;
        const timer = setInterval(() => {
          // Backoffs only: an attempt's 30 s timeout waits for the server.
          if (time.inFlight === 0 && ms < 1_000 && time.t < end) time.t = end;
          if (time.t >= end) {
            clearInterval(timer);
            resolve();
          }
        }, 1);
        signal.addEventListener("abort", () => {
          clearInterval(timer);
          reject(signal.reason);
        });
      }),
  };
  return time;
}

const options = (clock) => ({
  baseUrl: server.baseUrl,
  clock: clock.clock,
  fetch: clock.fetch,
  retry: { baseDelayMs: 20, maxDelayMs: 50, maxRetries: 1, jitter: "none" },
  limiter: { perSecond: 1000, burst: 100 },
});

test("attempt events match server hits with exact latencies, then one success or failure per call", async () => {
  const clock = manualClock();
  let hits = 0;
  server.handle = (req, res) => {
    hits++;
    if (req.url.startsWith("/down")) {
      clock.t += 40;
      return server.json(res, 500, { error: "down" });
    }
    clock.t += hits === 1 ? 30 : 25;
    server.json(res, hits === 1 ? 503 : 200, {});
  };
  const client = createClient(options(clock));
  const seen = { attempt: [], success: [], failure: [] };
  for (const name of Object.keys(seen)) client.on(name, (e) => seen[name].push(e));

  const start = clock.t;
  const r = await client.get("/listings/7?token=abc123secret");
  assert.equal(r.attempts, 2);
  assert.deepEqual(seen.attempt, [
    { method: "GET", endpoint: "/listings/{id}", attempt: 1, status: 503, category: "server", latencyMs: 30, willRetry: true },
    { method: "GET", endpoint: "/listings/{id}", attempt: 2, status: 200, category: null, latencyMs: 25, willRetry: false },
  ]);
  assert.deepEqual(seen.success, [
    { method: "GET", endpoint: "/listings/{id}", status: 200, attempts: 2, latencyMs: clock.t - start },
  ]);
  assert.equal(clock.t - start, 30 + 20 + 25, "the 503, the 20 ms backoff, the 200");

  const before = hits;
  const from = clock.t;
  await assert.rejects(client.get("/down/1"), (e) => e instanceof ResilienceError && e.kind === "gave_up");
  assert.equal(seen.attempt.length, 2 + (hits - before), "one attempt event per request the server saw");
  assert.deepEqual(seen.failure, [
    { method: "GET", endpoint: "/down/{id}", kind: "gave_up", category: "server", status: 500, attempts: 2, latencyMs: clock.t - from },
  ]);
  assert.equal(seen.success.length, 1);
  assert.ok(!JSON.stringify(seen).includes("abc123secret"), "no query, no secret");

  const s = client.stats();
  assert.equal(s.windowMs, 300_000);
  assert.deepEqual(s.calls, {
    total: 2,
    success: 1,
    failure: 1,
    byKind: {
      gave_up: 1,
      circuit_open: 0,
      rate_limited: 0,
      quota_exhausted: 0,
      deadline_exceeded: 0,
      cancelled: 0,
      closed: 0,
      header_failed: 0,
      auth_refresh_failed: 0,
      auth_refresh_timeout: 0,
    },
  });
  assert.equal(s.attempts.total, 4);
  assert.equal(s.attempts.failed, 3);
  assert.equal(s.attempts.byCategory.server, 3);
  assert.equal(s.attempts.byCategory.timeout, 0);
  // Two calls of 75 ms and 100 ms (40 + 20 + 40): exact in their bins' terms.
  assert.deepEqual(s.latencyMs, { p50: 79, p90: 100, p99: 100, max: 100 });
  client.close();
  assert.deepEqual(client.stats(), s, "after close: as it was");
});

test("an unsubscribed listener hears nothing more, and stats count without listeners", async () => {
  const clock = manualClock();
  server.handle = (req, res) => {
    clock.t += 5;
    server.json(res, 200, {});
  };
  const client = createClient(options(clock));
  const got = [];
  const off = client.on("success", (e) => got.push(e));
  await client.get("/a");
  off();
  await client.get("/a");
  assert.equal(got.length, 1);
  const s = client.stats();
  assert.equal(s.calls.success, 2);
  assert.deepEqual(s.latencyMs, { p50: 5, p90: 5, p99: 5, max: 5 });
  client.close();
});

test("a fresh client's stats are zeros with null latencies; a bad event name is refused with the new names listed", () => {
  const client = createClient({ baseUrl: server.baseUrl });
  const s = client.stats();
  assert.equal(s.calls.total, 0);
  assert.deepEqual(s.latencyMs, { p50: null, p90: null, p99: null, max: null });
  assert.throws(() => client.on("attempts", () => {}), (e) => e instanceof TypeError && /steadfast: `event` must be one of .*"attempt", "success", "failure"/.test(e.message));
  client.close();
});
