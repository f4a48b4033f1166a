// The seed's error-handling script (scripts/test_error_handling.py),
// rewritten with the npm package `steadfast`: a not-found, a validation error
// with its list, a rate-limited burst paced without 429s, an outage that
// opens the circuit, then health() and the error monitor's summary — against
// a local Etsy-like server this script starts and stops itself.
//
// Exits non-zero if anything it shows did not happen.
import { createClient, ErrorMonitor, ResilienceError } from "steadfast";
import { startEtsyLikeServer } from "./etsy-server.mjs";

const problems = [];
const check = (ok, what) => {
  console.log(`   ${ok ? "✓" : "✗"} ${what}`);
  if (!ok) problems.push(what);
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// The whole script is bounded: a hung step is a failure, not a hang.
const watchdog = setTimeout(() => {
  console.error("example: did not finish within 30 s");
  process.exit(1);
}, 30000);

const server = await startEtsyLikeServer({ perSecond: 5 });
const etsy = createClient({
  baseUrl: server.baseUrl,
  headers: { "x-api-key": "demo-key-not-secret" },
  retry: { maxRetries: 2, baseDelayMs: 50, maxDelayMs: 200 },
  breaker: { failureThreshold: 3, successThreshold: 1, openMs: 1500 },
  limiter: { perSecond: 20, perDay: 10000 },
});
// As in the seed: a separate monitor the script records each caught error in.
const monitor = new ErrorMonitor({ windowMs: 300000, alertThreshold: 5 });
monitor.onAlert((s, type) => console.log(`   ! monitor ${type}: ${s.totalErrors} errors in the window`));
const record = (e, endpoint) =>
  monitor.record({ category: e.category, status: e.status ?? undefined, endpoint, message: e.serverMessage ?? e.message });

console.log("Steadfast against a local Etsy-like API");
console.log("=".repeat(60));

try {
  console.log("\n1. Not found");
  try {
    await etsy.get("/application/listings/999999999");
    check(false, "a missing listing rejects");
  } catch (e) {
    if (!(e instanceof ResilienceError)) throw e;
    console.log(`   ${e.category} (${e.status}): ${e.serverMessage} — ${e.attempts} attempt, endpoint ${e.endpoint}`);
    check(e.category === "not_found" && e.attempts === 1, "a 404 is not_found and not retried");
    record(e, "/application/listings/999999999");
  }

  console.log("\n2. Validation error");
  try {
    await etsy.post("/application/shops/0/listings", {});
    check(false, "an invalid listing rejects");
  } catch (e) {
    if (!(e instanceof ResilienceError)) throw e;
    console.log(`   ${e.category} (${e.status}): ${e.serverMessage}`);
    for (const { field, message } of e.data?.errors ?? []) console.log(`     - ${field}: ${message}`);
    check(e.category === "validation" && e.data?.errors?.length === 3, "a 400's list of errors is in err.data");
    record(e, "/application/shops/0/listings");
  }

  console.log("\n3. A burst under Etsy's per-second limit");
  await etsy.get("/application/listings/1"); // the first answer says: 5 a second
  // The pace: the server's 5/s, with room in each second for late timers.
  console.log(`   paced at ${etsy.health().limiter.effectivePerSecond.toFixed(2)}/s: the server says 5/s (configured 20/s)`);
  const before = server.stats.tooMany;
  const start = performance.now();
  const burst = await Promise.all(Array.from({ length: 12 }, (_, i) => etsy.get(`/application/listings/${100 + i}`)));
  const took = performance.now() - start;
  const tooMany = server.stats.tooMany - before;
  console.log(`   ${burst.length} calls in ${(took / 1000).toFixed(1)} s, ${tooMany} answered 429`);
  check(burst.every((r) => r.status === 200) && tooMany === 0, "paced under the limit: no 429");

  console.log("\n4. An outage opens the circuit");
  const changes = [];
  etsy.on("stateChange", (e) => {
    changes.push(e);
    console.log(`   stateChange: ${e.from} → ${e.to}`);
  });
  server.state.outage = true;
  const receipts = "/application/shops/42/receipts";
  try {
    await etsy.get(receipts);
  } catch (e) {
    console.log(`   first call: ${e.kind} after ${e.attempts} attempts (${e.status} ${e.serverMessage})`);
    record(e, receipts);
  }
  const sentBefore = server.stats.requests;
  let fast = 0;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    try {
      await etsy.get(receipts);
    } catch (e) {
      const ms = performance.now() - t;
      console.log(`   rejected in ${ms.toFixed(1)} ms: ${e.kind}, retry in ${e.retryAfterMs} ms`);
      if (e.kind === "circuit_open") fast++;
      record(e, receipts);
    }
  }
  check(changes.some((c) => c.to === "open"), "the circuit opened");
  check(fast === 3 && server.stats.requests === sentBefore, "while open, calls fail fast without a request");
  server.state.outage = false;
  await sleep(1600);
  const back = await etsy.get(receipts);
  check(back.status === 200 && changes.at(-1)?.to === "closed", "after the outage a probe closes the circuit");

  console.log("\n5. Client health");
  const h = etsy.health();
  console.log(`   circuit: ${h.circuit}`);
  console.log(
    `   limiter: ${h.limiter.effectivePerSecond.toFixed(2)}/s, ${h.limiter.dayUsed} used today,` +
      ` server says ${h.limiter.serverDayRemaining} remain`,
  );
  console.log(`   client's monitor: ${h.monitor.totalErrors} errors in ${h.monitor.totalCalls} calls`);
  check(h.circuit === "closed" && h.limiter.dayUsed > 0, "health() shows the circuit and the quota");

  console.log("\n6. Error summary");
  const s = monitor.summary();
  console.log(`   total errors: ${s.totalErrors} (rate ${(s.errorRate * 100).toFixed(0)} %)`);
  console.log(`   by category: ${s.byCategory.map(([c, n]) => `${c} ${n}`).join(", ")}`);
  for (const e of s.byEndpoint) console.log(`   ${e.endpoint}: ${e.errors} errors`);
  console.log(`   most recent: ${s.mostRecent?.category} on ${s.mostRecent?.endpoint}`);
  check(s.totalErrors === 6 && s.byCategory.length === 3, "every caught error is in the summary");
} finally {
  etsy.close();
  await server.close();
  clearTimeout(watchdog);
}

console.log("\n" + "=".repeat(60));
if (problems.length) {
  console.log(`example: ${problems.length} check(s) failed`);
  process.exit(1);
}
console.log("Error handling example complete: everything shown happened.");
