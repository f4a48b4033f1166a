// No timer keeps the process alive: a user's script in the scratch project
// makes its calls (retries with backoff, one aborted mid-backoff, events
// subscribed), lets the last one settle and, with or without close(), must
// end on its own. Every wait it leaves behind would be long (a 30 s backoff,
// a 30 s attempt timeout, a 30 s pause, a 5 min monitor window), so a
// process that ends within EXIT_MS left none armed.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { scratchDir, sleep, startServer } from "./harness.mjs";

const EXIT_MS = 5000;
const server = await startServer();
after(() => server.close());

const tries = new Map();
server.handle = (req, res) => {
  const url = req.url;
  tries.set(url, (tries.get(url) ?? 0) + 1);
  if (url.startsWith("/flaky") && tries.get(url) === 1) return server.json(res, 503, { error: "busy" }, { "retry-after": "0" });
  if (url.startsWith("/busy")) return server.json(res, 503, { error: "busy" });
  if (url.startsWith("/later")) return server.json(res, 503, { error: "come back" }, { "retry-after": "30" });
  if (url.startsWith("/missing")) return server.json(res, 404, { error: "no such thing" });
  server.json(res, 200, { ok: true });
};

/**
 * Runs `source` as a script in the scratch project. It prints one line
 * `SETTLED <json>` once its last call has settled; the process must then
 * exit by itself within EXIT_MS. Answers the JSON and the exit code.
 */
async function runToExit(name, source) {
  const script = path.join(scratchDir(), name);
  fs.writeFileSync(script, source);
  const child = spawn(process.execPath, [script, server.baseUrl], { cwd: scratchDir(), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  let settledAt = null;
  child.stdout.on("data", (d) => {
    out += d;
    if (settledAt === null && out.includes("SETTLED ")) settledAt = performance.now();
  });
  child.stderr.on("data", (d) => (err += d));
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  try {
    // Startup and the calls themselves take well under a second; allow a
    // loaded machine 20 s to get there, then EXIT_MS to end.
    const deadline = performance.now() + 20000;
    let result = null;
    while (result === null) {
      const left = (settledAt === null ? deadline : settledAt + EXIT_MS) - performance.now();
      if (left <= 0) break;
      result = await Promise.race([exited, sleep(Math.min(left, 50)).then(() => null)]);
    }
    assert.ok(settledAt !== null, `the script never settled its calls:\n${out}${err}`);
    assert.ok(result !== null, `still running ${EXIT_MS} ms after its last call settled:\n${out}${err}`);
    assert.equal(result.code, 0, out + err);
    const line = out.split("\n").find((l) => l.startsWith("SETTLED "));
    return JSON.parse(line.slice("SETTLED ".length));
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}

// A client's calls: a 200; a 503 + Retry-After: 0 retried to a 200; a 503
// retried with backoff until the retries run out; a 404; then a 503 +
// Retry-After: 30 (which also pauses every caller for 30 s) aborted from the
// retry listener, mid-backoff.
const clientScript = (close) => `import { createClient, ResilienceError } from "steadfast";
const client = createClient({
  baseUrl: process.argv[2],
  retry: { maxRetries: 2, baseDelayMs: 50, maxDelayMs: 100, jitter: "none" },
  limiter: { perSecond: 1000, burst: 100 },
});
const events = {};
for (const name of ["retry", "stateChange", "rateLimited", "alert", "recovered"]) {
  client.on(name, () => (events[name] = (events[name] ?? 0) + 1));
}
const outcome = (p) =>
  p.then(
    (r) => \`\${r.status}/\${r.attempts}\`,
    (e) => (e instanceof ResilienceError ? \`\${e.kind}:\${e.reason ?? e.category}/\${e.attempts}\` : String(e)),
  );
const first = await Promise.all(["/ok", "/flaky", "/busy", "/missing"].map((p) => outcome(client.get(p))));
const controller = new AbortController();
const reason = new Error("the user left");
const off = client.on("retry", (e) => e.endpoint === "/later" && controller.abort(reason));
const later = await client.get("/later", { signal: controller.signal }).then(
  () => "resolved",
  (e) => (e === reason ? "aborted" : String(e)),
);
off();
const health = client.health();
${close ? "client.close();\n" : ""}console.log("SETTLED " + JSON.stringify({ first, later, events, activeCalls: health.activeCalls, inFlight: health.inFlight }));
`;

for (const close of [false, true]) {
  test(`a client's process exits by itself after its last call settles (${close ? "close()" : "no close()"})`, async () => {
    tries.clear();
    const r = await runToExit(`exit-client-${close ? "close" : "open"}.mjs`, clientScript(close));
    assert.deepEqual(r.first, ["200/1", "200/2", "gave_up:attempts_exhausted/3", "gave_up:not_retryable/1"]);
    assert.equal(r.later, "aborted");
    assert.equal(tries.get("/later"), 1, "aborted before its retry");
    assert.equal(r.events.retry, 1 + 2 + 1, "flaky once, busy twice, later once");
    assert.equal(r.activeCalls, 0);
    assert.equal(r.inFlight, 0);
  });
}

// Ten errors raise the monitor's alert (defaults: 10 in a 5 min window);
// while it alerts, the client arms its timer at the window's next bucket
// boundary so that `recovered` comes even with no call.
const alertScript = (close) => `import { createClient } from "steadfast";
const client = createClient({ baseUrl: process.argv[2], retry: { maxRetries: 0 }, limiter: { perSecond: 1000, burst: 100 } });
let alerts = 0;
client.on("alert", () => alerts++);
const errors = await Promise.all(Array.from({ length: 10 }, (_, i) => client.get("/missing/" + i).then(() => 0, () => 1)));
const health = client.health();
${close ? "client.close();\n" : ""}console.log("SETTLED " + JSON.stringify({ errors: errors.reduce((a, b) => a + b), alerts, alerting: health.monitor.alerting, activeCalls: health.activeCalls }));
`;

test("after an alert, close() leaves no timer behind", async () => {
  const r = await runToExit("exit-alert-close.mjs", alertScript(true));
  assert.deepEqual(r, { errors: 10, alerts: 1, alerting: true, activeCalls: 0 });
});

// The monitor's wake-up (armed while alerting, so that `recovered` fires
// with no new call) is unref'd in Node while no call is pending
// (the driver's `keepAlive` in pkg-template/lib/api.js): it must not hold the process open.
test("after an alert, the process exits by itself with no call pending (no close())", async () => {
  const r = await runToExit("exit-alert-open.mjs", alertScript(false));
  assert.deepEqual(r, { errors: 10, alerts: 1, alerting: true, activeCalls: 0 });
});

// The building blocks wait on their own timers (RetryPolicy's backoff,
// RateLimiter's pacing); a wait aborted must clear its timer.
const blocksScript = `import { RetryPolicy, RateLimiter, CircuitBreaker, ErrorMonitor, ResilienceError } from "steadfast";
const out = {};
const retry = new RetryPolicy({ maxRetries: 2, baseDelayMs: 50, maxDelayMs: 100, jitter: "none" });
let n = 0;
out.retried = await retry.execute(async () => {
  if (++n < 3) throw Object.assign(new Error("busy"), { status: 503 });
  return "done after " + n;
});
// Retry-After: 30 is a floor: a 30 s backoff, aborted 50 ms in.
const controller = new AbortController();
let tried = 0;
const waiting = retry.execute(async () => {
  tried++;
  setTimeout(() => controller.abort("stop"), 50);
  throw Object.assign(new Error("later"), { status: 503, headers: { "retry-after": "30" } });
}, controller.signal);
out.retryAborted = await waiting.then(() => "resolved", (e) => (e === "stop" ? "aborted after " + tried : String(e)));

const limiter = new RateLimiter({ perSecond: 20, burst: 1, perDay: null });
const t0 = performance.now();
for (let i = 0; i < 4; i++) await limiter.acquire();
out.paced = performance.now() - t0 >= 100;
// A 429 naming 30 s pauses every caller: an acquire waits, aborted 50 ms in.
limiter.updateFromHeaders({ "retry-after": "30" }, 429);
const signal = AbortSignal.timeout(50);
out.acquireAborted = await limiter.acquire(signal).then(() => "acquired", (e) => (e === signal.reason ? "aborted" : String(e)));

const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 30000 });
await breaker.execute(async () => { throw Object.assign(new Error("down"), { status: 503 }); }).catch(() => {});
out.breaker = await breaker.execute(async () => "called").catch((e) => (e instanceof ResilienceError ? e.kind : String(e)));

const monitor = new ErrorMonitor({ alertThreshold: 3 });
let alerts = 0;
monitor.onAlert((s, type) => type === "alert" && alerts++);
for (let i = 0; i < 5; i++) monitor.record({ endpoint: "/x/" + i, status: 500 });
out.alerts = alerts;
console.log("SETTLED " + JSON.stringify(out));
`;

test("the building blocks leave no timer behind (backoff and pacing, each also aborted mid-wait)", async () => {
  const r = await runToExit("exit-blocks.mjs", blocksScript);
  assert.deepEqual(r, {
    retried: "done after 3",
    retryAborted: "aborted after 1",
    paced: true,
    acquireAborted: "aborted",
    breaker: "circuit_open",
    alerts: 1,
  });
});
