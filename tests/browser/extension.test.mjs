// examples/extension/ loaded unpacked in headless Chromium, built from the
// installed package as its README says. Its service worker trips the
// circuit and spends daily quota against the loopback server; the test
// stops the worker through the DevTools protocol, wakes it with a message,
// and checks that the new worker — whose clock starts again at zero — kept
// the open circuit and the spent quota, then probes and recovers once the
// open period is over.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { scratchDir, sleep, startServer } from "../js/harness.mjs";
import { launch } from "./chromium.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const example = path.resolve(here, "..", "..", "examples", "extension");

const OPEN_MS = 3000;
const PER_DAY = 1000;

let server, context, page, extDir, extId;
const mode = { down: false };
let remainingToday = PER_DAY;

before(async () => {
  // No CORS headers: the extension's host_permissions must let it read the
  // answers (and their rate headers) across origins.
  server = await startServer();
  server.handle = (req, res) => {
    remainingToday--;
    const rate = {
      "x-limit-per-second": "50",
      "x-remaining-this-second": "49",
      "x-limit-per-day": String(PER_DAY),
      "x-remaining-today": String(remainingToday),
    };
    if (mode.down) return server.json(res, 503, { error: "Service temporarily unavailable" }, rate);
    server.json(res, 200, { ok: true, url: req.url }, rate);
  };
  // The example as a user gets it: its files, then its one-line build from
  // the installed package.
  extDir = fs.mkdtempSync(path.join(os.tmpdir(), "steadfast-extension-"));
  fs.cpSync(example, extDir, { recursive: true, filter: (src) => !src.includes(`${path.sep}vendor`) });
  execFileSync(process.execPath, [path.join(extDir, "build.mjs"), path.join(scratchDir(), "node_modules", "steadfast")], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  context = await launch({ extensions: [extDir] });
  const [worker] = context.serviceWorkers();
  const sw = worker ?? (await context.waitForEvent("serviceworker", { timeout: 20000 }));
  extId = new URL(sw.url()).host;
  // The example's popup, opened as a tab: an extension page that talks to
  // the worker by messages, as the popup does.
  page = await context.newPage();
  await page.goto(`chrome-extension://${extId}/popup.html`);
});

after(async () => {
  await context?.close();
  await server?.close();
  if (extDir) fs.rmSync(extDir, { recursive: true, force: true });
});

const send = (message) => page.evaluate((m) => chrome.runtime.sendMessage(m), message);

async function health() {
  const r = await send({ cmd: "health" });
  assert.equal(r.ok, true, JSON.stringify(r));
  return r;
}

/** Stops the extension's running service worker through the DevTools protocol; resolves once it is stopped. */
async function stopWorker() {
  const cdp = await context.newCDPSession(page);
  const versions = new Map();
  let changed = () => {};
  cdp.on("ServiceWorker.workerVersionUpdated", ({ versions: vs }) => {
    for (const v of vs) versions.set(v.versionId, v);
    changed();
  });
  const waitFor = async (cond, what) => {
    const end = Date.now() + 10000;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`${what}: ${JSON.stringify([...versions.values()])}`);
      await new Promise((r) => {
        changed = r;
        setTimeout(r, 100);
      });
    }
  };
  await cdp.send("ServiceWorker.enable");
  const ours = () =>
    [...versions.values()].find((v) => v.scriptURL.startsWith(`chrome-extension://${extId}/`) && v.runningStatus === "running");
  await waitFor(ours, "no running worker of the extension");
  const { versionId } = ours();
  await cdp.send("ServiceWorker.stopWorker", { versionId });
  await waitFor(() => versions.get(versionId).runningStatus === "stopped", "the worker did not stop");
  await cdp.send("ServiceWorker.disable");
  await cdp.detach();
}

test("the extension's worker keeps an open circuit and the spent quota across a restart, then probes and recovers", async (t) => {
  const configured = await send({
    cmd: "configure",
    config: {
      baseUrl: server.baseUrl,
      retry: { maxRetries: 0 },
      breaker: { failureThreshold: 3, successThreshold: 1, openMs: OPEN_MS },
      limiter: { perSecond: 50, perDay: PER_DAY },
    },
  });
  assert.deepEqual(configured, { ok: true });

  // Some daily quota spent, on the server's word (x-remaining-today).
  for (let i = 0; i < 5; i++) {
    const r = await send({ cmd: "call", path: `/listings/${i}` });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.status, 200);
  }

  // The old worker's clock well past the open period before the circuit
  // opens: restored without rebasing, the circuit's end (old clock) would
  // lie seconds in the new worker's future and the probe below would be
  // refused.
  for (;;) {
    const { worker } = await health();
    if (worker.uptimeMs >= 2 * OPEN_MS) break;
    await sleep(2 * OPEN_MS - worker.uptimeMs + 10);
  }

  // The server fails: three 503s open the circuit, the next call is refused.
  mode.down = true;
  for (let i = 0; i < 3; i++) {
    const r = await send({ cmd: "call", path: "/receipts" });
    assert.equal(r.ok, false);
    assert.equal(r.error.status, 503, JSON.stringify(r));
  }
  const openedAt = Date.now();
  const sentBefore = server.requests.length;
  const refused = await send({ cmd: "call", path: "/receipts" });
  assert.equal(refused.error?.kind, "circuit_open", JSON.stringify(refused));
  assert.equal(server.requests.length, sentBefore);

  const old = await health();
  const oldSnapshot = (await send({ cmd: "snapshot" })).snapshot;
  assert.equal(old.health.circuit, "open");
  assert.equal(old.health.limiter.dayUsed, 8, JSON.stringify(old.health.limiter));
  assert.equal(old.health.limiter.serverDayRemaining, PER_DAY - 8);

  // When the circuit probes again, on the wall clock (the worker's own
  // clock restarts with it).
  const wallOf = (h, instant) => h.worker.now + (instant - h.worker.uptimeMs);
  const openEnd = wallOf(old, old.health.circuitOpenUntil);
  assert.ok(Math.abs(openEnd - (openedAt + OPEN_MS)) < 500, `opens until ${openEnd - openedAt} ms after the trip`);

  await stopWorker();
  // A message wakes it: a new worker, restored from chrome.storage.session.
  const fresh = await health();
  const report = () =>
    JSON.stringify({ before: old, after: fresh, snapshotBefore: oldSnapshot }, null, 1);
  assert.notEqual(fresh.worker.id, old.worker.id, "a new worker instance");
  assert.equal(fresh.worker.restored, true);
  assert.ok(fresh.worker.uptimeMs < old.worker.uptimeMs, "its clock started again");
  assert.ok(fresh.worker.now < openEnd - 300, `the restart took too long to judge: ${fresh.worker.now - openedAt} ms after the trip`);
  assert.equal(fresh.health.circuit, "open", report());
  // The same end, on the new worker's clock (a few ms of rounding).
  const drift = wallOf(fresh, fresh.health.circuitOpenUntil) - openEnd;
  assert.ok(Math.abs(drift) <= 20, `the restored circuit's end moved by ${drift} ms: ${report()}`);
  t.diagnostic(
    `restarted ${fresh.worker.now - old.worker.now} ms after the old worker's last answer (its clock then at ` +
      `${Math.round(old.worker.uptimeMs)} ms, the new one's at ${Math.round(fresh.worker.uptimeMs)} ms); ` +
      `the circuit's end moved by ${drift.toFixed(1)} ms; dayUsed ${fresh.health.limiter.dayUsed}`,
  );
  assert.equal(fresh.health.limiter.dayUsed, old.health.limiter.dayUsed, report());
  assert.equal(fresh.health.limiter.serverDayRemaining, old.health.limiter.serverDayRemaining, report());
  const stillRefused = await send({ cmd: "call", path: "/receipts" });
  assert.equal(stillRefused.error?.kind, "circuit_open", JSON.stringify(stillRefused));
  assert.ok(stillRefused.error.retryAfterMs > 0 && stillRefused.error.retryAfterMs <= OPEN_MS);
  assert.equal(server.requests.length, sentBefore, "nothing sent while open");

  // The server recovers; once the open period is over one call probes and
  // closes the circuit.
  mode.down = false;
  await sleep(openEnd + 150 - Date.now());
  const probe = await send({ cmd: "call", path: "/receipts" });
  assert.equal(probe.ok, true, `the probe ${Date.now() - openEnd} ms after the open period: ${JSON.stringify(probe)}`);
  assert.equal(probe.status, 200);
  assert.equal(server.requests.length, sentBefore + 1);
  const closed = await health();
  assert.equal(closed.worker.id, fresh.worker.id, "the same (restarted) worker");
  assert.equal(closed.health.circuit, "closed");
  assert.equal(closed.health.limiter.dayUsed, 9);
});
