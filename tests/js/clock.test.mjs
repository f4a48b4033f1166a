// Fake time through the injected clock and fetch: no real waiting.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadSteadfast } from "./harness.mjs";

const { esm } = await loadSteadfast();
const { createClient } = esm;

test("backoff runs on the injected clock", async () => {
  // A fake clock: time moves only when the test says so.
  let now = 0;
  let sleepers = [];
  const sleeps = [];
  const clock = {
    now: () => now,
    sleep(ms, signal) {
      sleeps.push(ms);
      return new Promise((resolve) => {
        const s = { at: now + ms, resolve };
        sleepers.push(s);
        signal.addEventListener("abort", () => (sleepers = sleepers.filter((x) => x !== s)));
      });
    },
  };
  /** Moves fake time to the next sleeper and wakes it. */
  const advance = () => {
    sleepers.sort((a, b) => a.at - b.at);
    const next = sleepers.shift();
    if (next) {
      now = Math.max(now, next.at);
      next.resolve();
    }
  };
  let n = 0;
  const fetch = async () => {
    n++;
    return n < 3
      ? new Response('{"error":"busy"}', { status: 503 })
      : new Response('{"done":true}', { status: 200, headers: { "content-type": "application/json" } });
  };
  const client = createClient({
    baseUrl: "http://api.test",
    fetch,
    clock,
    retry: { baseDelayMs: 1000, maxDelayMs: 60000, jitter: "none" },
  });
  const retries = [];
  client.on("retry", (e) => retries.push(e.delayMs));
  const t0 = performance.now();
  let result;
  client.get("/items/1").then((r) => (result = r));
  for (let i = 0; i < 100 && result === undefined; i++) {
    await new Promise((r) => setImmediate(r)); // let fetch answer
    if (client.health().inFlight === 0) advance(); // no answer pending: time may pass
  }
  assert.ok(result, "settled");
  assert.equal(result.attempts, 3);
  assert.deepEqual(result.data, { done: true });
  assert.deepEqual(retries, [1000, 2000]);
  assert.equal(now, 3000, "fake time is backoff only");
  assert.ok(sleeps.includes(1000) && sleeps.includes(2000), `sleeps ${sleeps}`);
  assert.ok(performance.now() - t0 < 1000, "no real waiting");
  client.close();
});
