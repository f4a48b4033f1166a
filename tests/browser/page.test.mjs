// The packed package's web build in a real headless Chromium page: served
// from the scratch project's node_modules/ (where `npm install <tarball>`
// put it) on one loopback origin, calling the fault server on another, so
// that CORS — the preflight, the exposed rate headers — is exercised for real.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { limitToFivePerSecond, scratchDir, startServer, until } from "../js/harness.mjs";
import { launch, startStatic } from "./chromium.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const installed = path.join(scratchDir(), "node_modules", "steadfast");

let server, site, context, page;
const consoleLines = [];
const pageErrors = [];

before(async () => {
  server = await startServer({ cors: true });
  site = await startStatic({ "/node_modules/": path.join(scratchDir(), "node_modules"), "/": path.join(here, "page") });
  context = await launch();
  page = await context.newPage();
  page.on("console", (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  await page.goto(`${site.origin}/index.html`);
  await page.waitForFunction(() => window.scenarios !== undefined, null, { timeout: 20000 }).catch((e) => {
    throw new Error(`the page never got ready: ${[...pageErrors, ...consoleLines].join("\n") || e.message}`);
  });
});

after(async () => {
  await context?.close();
  await site?.close();
  await server?.close();
});

const run = (name, arg) => page.evaluate(([n, a]) => window.scenarios[n](a), [name, arg]);

test("the page loads the installed package's web entry by its bare name and streams the .wasm as application/wasm", async () => {
  // The import map in page/index.html names the entry a browser resolves:
  // the package's own "default" export.
  const exports = JSON.parse(fs.readFileSync(path.join(installed, "package.json"), "utf8")).exports["."];
  assert.equal(exports.default, "./web/index.js");
  const loaded = await run("loaded");
  assert.equal(loaded.wasm.length, 1, `one .wasm fetched: ${loaded.wasm}`);
  const wasm = site.served.find((s) => s.path.endsWith(".wasm"));
  assert.deepEqual(wasm, { path: "/node_modules/steadfast/steadfast_wasm_bg.wasm", status: 200, type: "application/wasm" });
  assert.ok(site.served.some((s) => s.path === "/node_modules/steadfast/web/index.js" && s.status === 200));
  // Nothing about the module is logged (a failed streaming compile would be).
  assert.deepEqual(consoleLines.filter((l) => /instantiateStreaming|wasm/i.test(l)), []);
  assert.deepEqual(pageErrors, []);
});

test("a paced burst: the server's x-limit-per-second: 5, read across origins, 15 calls at once → no 429, spaced about 200 ms", async () => {
  const limit = limitToFivePerSecond(server);
  const preflightsBefore = server.preflights.length;
  const r = await run("burst", { baseUrl: server.baseUrl, calls: 15 });
  assert.equal(r.first.status, 200);
  // The server's 5/s, with room for the lateness the host's timers have shown so far:
  // none (5/s) to the 20 ms timer slack and the clock's millisecond.
  assert.ok(r.learned >= 5000 / 1021 - 1e-9 && r.learned <= 5 + 1e-9, `the client read x-limit-per-second from a cross-origin response: ${r.learned}`);
  assert.equal(limit.refused, 0, "no 429 from the server");
  assert.deepEqual(r.results.map((x) => x.status), Array(15).fill(200));
  assert.ok(r.results.every((x) => x.attempts === 1));
  assert.equal(r.rateLimitedEvents, 0, "no pause imposed by the server: it never had to refuse");
  // The server's clock: 15 requests after the first at 5/s span about 3 s.
  const burst = limit.arrivals.slice(1);
  const span = burst[burst.length - 1] - burst[0];
  const gaps = burst.slice(1).map((t, i) => t - burst[i]);
  const median = [...gaps].sort((a, b) => a - b)[7];
  assert.ok(span >= 2400 && span < 6000, `15 calls at 5/s span about 2.8 s, spanned ${span.toFixed(0)} ms`);
  // Upper bounds leave room for a loaded 2-core CI machine; the lower ones
  // are what pacing guarantees.
  assert.ok(median >= 150 && median <= 400, `median gap about 200 ms, was ${median.toFixed(0)} ms`);
  // The page's clock agrees: the calls ended one by one, not together.
  const ended = r.finished[r.finished.length - 1] - r.finished[0];
  assert.ok(ended >= 2400, `the page saw them end over ${ended} ms`);
  assert.ok(server.preflights.length > preflightsBefore || preflightsBefore > 0, "the browser asked first (authorization header)");
  for (const p of server.preflights) {
    assert.equal(p.headers["access-control-request-method"], "GET");
    assert.match(p.headers["access-control-request-headers"], /authorization/);
  }
});

for (const status of [503, 429]) {
  test(`Retry-After: 1 on a ${status} → retried no earlier than 1 s later, then succeeds`, async () => {
    const path = `/retry-after/${status}`;
    let n = 0;
    server.handle = (req, res) => {
      if (req.url !== path) return server.json(res, 404, { error: "no such route" });
      if (++n === 1) return server.json(res, status, { error: "later" }, { "retry-after": "1" });
      server.json(res, 200, { ok: true });
    };
    const before = server.requests.length;
    const r = await run("retryAfter", { baseUrl: server.baseUrl, path });
    assert.deepEqual(r.result, { ok: true, status: 200, attempts: 2, data: { ok: true } });
    assert.equal(r.retries.length, 1);
    assert.ok(r.retries[0].delayMs >= 1000, `retry event delay ${r.retries[0].delayMs} ms`);
    const [first, second] = server.requests.slice(before);
    const gap = second.at - first.at;
    assert.ok(gap >= 1000, `the retry reached the server ${gap.toFixed(0)} ms after the first attempt`);
    assert.ok(gap < 4000, `and not much later: ${gap.toFixed(0)} ms`);
    assert.ok(r.tookMs >= 1000);
  });
}

test("an open circuit: three 503s open it, the fourth call rejects fast with the circuit-open ResilienceError and sends nothing", async () => {
  server.handle = (req, res) => server.json(res, 503, { error: "Service temporarily unavailable" });
  const before = server.requests.length;
  const r = await run("circuit", { baseUrl: server.baseUrl, failures: 3 });
  assert.equal(r.failed.length, 3);
  for (const f of r.failed) {
    assert.equal(f.ok, false);
    assert.equal(f.error.resilienceError, true);
    assert.equal(f.error.status, 503);
    assert.equal(f.error.category, "server");
  }
  assert.equal(r.refused.ok, false);
  assert.equal(r.refused.error.resilienceError, true, "instanceof ResilienceError in the page");
  assert.equal(r.refused.error.name, "ResilienceError");
  assert.equal(r.refused.error.kind, "circuit_open");
  assert.ok(r.refused.error.retryAfterMs > 25000 && r.refused.error.retryAfterMs <= 30000, `retryAfterMs ${r.refused.error.retryAfterMs}`);
  assert.ok(r.refusedMs < 250, `rejected in ${r.refusedMs.toFixed(1)} ms (an open circuit waits 30 s)`);
  assert.equal(server.requests.length - before, 3, "the refused call never reached the server");
  assert.deepEqual(r.changes, ["closed->open"]);
  assert.equal(r.circuit, "open");
  assert.ok(r.circuitOpenUntil > r.now);
});

test("an abort mid-flight: the call rejects at once with the signal's reason, and the browser drops the request", async () => {
  let dropped = false;
  server.handle = (req, res) => {
    res.on("close", () => {
      if (!res.writableEnded) dropped = true;
    });
    server.later(5000, () => server.json(res, 200, { late: true }));
  };
  const before = server.requests.length;
  const r = await run("abort", { baseUrl: server.baseUrl, afterMs: 300 });
  assert.equal(r.resolved, undefined, "never resolved");
  assert.equal(r.sameReason, true, `rejected with the signal's reason, got ${JSON.stringify(r.error)}`);
  assert.equal(r.error.message, "the user left the page");
  assert.ok(r.rejectMs < 250, `rejected ${r.rejectMs.toFixed(1)} ms after the abort`);
  assert.equal(r.activeCalls, 0);
  assert.equal(server.requests.length - before, 1, "the request was in flight when aborted");
  await until(() => dropped, 2000);
});
