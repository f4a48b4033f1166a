// Pacing on Node's own timers against a server that counts per wall-clock
// second (window-server.mjs, in its own process): a queue of callers uses
// the whole limit the server states, without a single 429, in the order
// they called.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadSteadfast } from "./harness.mjs";

const { esm } = await loadSteadfast();
const { createClient } = esm;
const here = path.dirname(fileURLToPath(import.meta.url));

/** Starts window-server.mjs allowing `limit` a second; answers its URL and a stop function. */
async function startWindowServer(limit) {
  const child = spawn(process.execPath, [path.join(here, "window-server.mjs"), "--limit", String(limit)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("\n")) resolve(Number(out.trim()));
    });
    child.on("exit", (code) => reject(new Error(`window server exited with ${code}`)));
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    arrivals: async () => (await fetch(`${baseUrl}/__arrivals`)).json(),
    stop: () => child.kill(),
  };
}

/**
 * The most arrivals in any window [t, t + 1000 ms) that starts at an
 * arrival, and that window's arrivals in ms from the first arrival of all.
 */
function busiestSecond(times) {
  let most = 0;
  let at = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (j < times.length && times[j] < times[i] + 1000) j++;
    if (j - i > most) [most, at] = [j - i, i];
  }
  return { most, window: times.slice(at, at + most).map((t) => Math.round(t - times[0])) };
}

/**
 * `calls` concurrent GETs through one client against a server allowing
 * `limit` a second; every figure the acceptance names.
 */
async function run({ limit, burst, calls }) {
  const server = await startWindowServer(limit);
  try {
    const client = createClient({ baseUrl: server.baseUrl, limiter: { perSecond: 50, burst } });
    const start = performance.timeOrigin + performance.now();
    const results = await Promise.all(
      Array.from({ length: calls }, (_, i) =>
        client.get(`/listings/${i}`).then(
          (r) => ({ ok: true, attempts: r.attempts, end: performance.timeOrigin + performance.now() }),
          (e) => ({ ok: false, error: String(e), end: performance.timeOrigin + performance.now() }),
        ),
      ),
    );
    const elapsedMs = performance.timeOrigin + performance.now() - start;
    const health = client.health();
    client.close();
    const arrivals = await server.arrivals();
    const times = arrivals.map(([at]) => at).sort((a, b) => a - b);
    const ends = results.map((r) => r.end).sort((a, b) => a - b);
    // A call's turn is the i-th earliest finish, i its place in issue order.
    let latestAfterTurn = 0;
    let latestCall = -1;
    results.forEach((r, i) => {
      if (r.ok && r.attempts === 1 && r.end - ends[i] > latestAfterTurn) {
        latestAfterTurn = r.end - ends[i];
        latestCall = i;
      }
    });
    // The order the server saw the calls in, against the order they were made.
    const order = arrivals.map(([, url]) => Number(url.split("/").pop()));
    let inversions = 0;
    for (let i = 1; i < order.length; i++) if (order[i] < order[i - 1]) inversions++;
    return {
      results,
      elapsedMs,
      rejected: arrivals.filter(([, , status]) => status === 429).length,
      ...(({ most, window }) => ({ busiest: most, busiestWindow: window }))(busiestSecond(times)),
      throughput: calls / ((times.at(-1) - times[0]) / 1000),
      latestAfterTurn,
      latestCall,
      inversions,
      health,
    };
  } finally {
    server.stop();
  }
}

for (const { limit, burst } of [
  { limit: 20, burst: 1 },
  { limit: 10, burst: 10 },
]) {
  test(`300 callers at once against ${limit}/s counted per wall-clock second, burst ${burst}: the whole limit, no 429, in order`, async (t) => {
    const calls = 300;
    const r = await run({ limit, burst, calls });
    t.diagnostic(
      `${(r.elapsedMs / 1000).toFixed(2)} s, ${r.throughput.toFixed(2)} calls/s at the server, busiest second ${r.busiest}, ` +
        `${r.rejected} × 429, latest single-attempt call ${r.latestAfterTurn.toFixed(0)} ms after its turn (call ${r.latestCall}), ` +
        `${r.inversions} out-of-order arrivals, effectivePerSecond ${r.health.limiter.effectivePerSecond.toFixed(2)}`,
    );
    const failed = r.results.filter((x) => !x.ok);
    assert.equal(failed.length, 0, `calls failed: ${failed.slice(0, 3).map((x) => x.error).join("; ")}`);
    assert.equal(r.rejected, 0, "no 429");
    // In any second at all: the limit plus one with no burst; with a burst,
    // what is left of the server's second may be spent at its end and the
    // next second's room at once (the server's own count is the 429 check).
    const bound = limit + Math.max(1, burst - 1);
    assert.ok(r.busiest <= bound, `${r.busiest} requests in one sliding second, at ${r.busiestWindow.join(" ")} ms`);
    const budgetMs = (calls / limit) * 1.05 * 1000 + 500;
    assert.ok(r.elapsedMs <= budgetMs, `took ${r.elapsedMs.toFixed(0)} ms, more than ${budgetMs} ms`);
    assert.ok(r.latestAfterTurn <= 1000, `call ${r.latestCall} finished ${r.latestAfterTurn.toFixed(0)} ms after its turn`);
  });
}
