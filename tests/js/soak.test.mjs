// 100,000 calls through one client against the loopback server: the JS heap
// and the wasm memory stay flat, and every call settles as its kind says.
// The client runs in a child (soak.mjs, with --expose-gc) so that its heap
// is its own; the server runs here.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { scratchDir, startServer } from "./harness.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
// 100,000 in `make test-js`; `make soak-js` runs 200,000.
const TOTAL = Number(process.env.STEADFAST_SOAK_CALLS || 100000);
if (!Number.isInteger(TOTAL) || TOTAL < 10000 || TOTAL % 100 !== 0) {
  throw new RangeError(`STEADFAST_SOAK_CALLS must be a whole number of hundreds, at least 10000, got ${process.env.STEADFAST_SOAK_CALLS}`);
}
const server = await startServer();
after(() => server.close());

// Bounds, from the first sample after the warm-up to the last one:
// - heap: 2 MB over 98,000 calls is ~21 bytes a call, less than a promise,
//   a closure or an error kept per call; the rest is room for V8's own
//   growth (optimised code: a few hundred KB over a run);
// - wasm memory grows by 64 KiB pages and never shrinks; after the warm-up
//   the allocator has the high-water mark of 32 calls at once, so a page
//   or two may still come from fragmentation, but a leak of 1.4 bytes a call
//   (128 KiB over 98,000 calls) would exceed two.
const HEAP_SLACK = 2 * 1024 * 1024;
const WASM_PAGE = 65536;
const WASM_SLACK = 2 * WASM_PAGE;

/** Requests by the kind of call (see KINDS in soak.mjs), from the path. */
const requestsByKind = {};
/** Flaky calls answered 503 once, waiting for their retry. */
const flaky = new Set();
server.handle = (req, res) => {
  server.requests.length = 0; // 100,000+ requests: count them instead of keeping them
  const [, head, id] = req.url.split("?")[0].split("/");
  const tally = (kind) => (requestsByKind[kind] = (requestsByKind[kind] ?? 0) + 1);
  if (head === "listings" && req.method === "POST") {
    tally("bad");
    return server.json(res, 400, { error: "Invalid listing", errors: [{ field: "title", message: "is required" }] });
  }
  if (head === "listings" && req.url.split("?")[0].endsWith("/missing")) {
    tally("missing");
    return server.json(res, 404, { error: `Listing ${id} does not exist` });
  }
  if (head === "flaky") {
    tally("flaky");
    if (!flaky.has(id)) {
      flaky.add(id);
      return server.json(res, 503, { error: "busy" }, { "retry-after": "0" });
    }
    flaky.delete(id);
    return server.json(res, 200, { id: Number(id) });
  }
  if (head === "hang") return tally("hang"); // never answered: the client aborts
  if (head === "busy") {
    tally("busy");
    return server.json(res, 503, { error: "busy" }, { "retry-after": "1" });
  }
  tally("ok");
  server.json(res, 200, { id: Number(id), title: "A listing", tags: ["a", "b"] }, {
    "x-limit-per-second": "10000",
    "x-remaining-this-second": "9999",
    "x-limit-per-day": "10000000",
    "x-remaining-today": "9999999",
  });
};

test(`${TOTAL} calls through one client: heap and wasm memory flat, every call settled as its kind`, async (t) => {
  const script = path.join(scratchDir(), "soak.mjs");
  fs.copyFileSync(path.join(here, "soak.mjs"), script);
  const child = spawn(process.execPath, ["--expose-gc", script, server.baseUrl, String(TOTAL)], {
    cwd: scratchDir(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  const killer = setTimeout(() => child.kill(), 300000);
  const code = await new Promise((resolve) => child.on("close", resolve));
  clearTimeout(killer);
  assert.equal(code, 0, out + err);
  const line = out.split("\n").find((l) => l.startsWith("SOAK "));
  assert.ok(line, out + err);
  const r = JSON.parse(line.slice(5));
  t.diagnostic(`soak: ${TOTAL} calls in ${r.seconds.toFixed(1)} s (the client's process: ${r.cpuSeconds.toFixed(1)} s of CPU)`);
  for (const row of out.split("\n").filter((l) => l && !l.startsWith("SOAK "))) t.diagnostic(row);

  // Every call settled, once, as its kind says (per 100: 84 ok, 6 flaky,
  // 5 missing, 3 bad, 1 hang, 1 backoff).
  const per = TOTAL / 100;
  assert.deepEqual(r.unexpected, []);
  assert.deepEqual(r.outcomes, {
    "ok:200:1": 84 * per,
    "flaky:200:2": 6 * per,
    "missing:404": 5 * per,
    "bad:400": 3 * per,
    "hang:aborted": 1 * per,
    "backoff:aborted": 1 * per,
  });
  assert.deepEqual(r.settled, { resolved: 90 * per, rejected: 10 * per });
  assert.equal(r.activeCalls, 0);
  assert.equal(r.inFlight, 0);
  assert.equal(r.circuit, "closed");
  // The server saw each call once, the flaky ones twice; a backoff call was
  // sent once and aborted while waiting for its retry (hang calls may be
  // aborted before they are sent).
  assert.equal(requestsByKind.ok, 84 * per);
  assert.equal(requestsByKind.flaky, 2 * 6 * per);
  assert.equal(requestsByKind.missing, 5 * per);
  assert.equal(requestsByKind.bad, 3 * per);
  assert.equal(requestsByKind.busy, 1 * per);
  assert.ok(requestsByKind.hang <= 1 * per);
  assert.equal(flaky.size, 0, "every flaky call came back for its 200");
  assert.equal(r.events.retry, 6 * per + 1 * per, "one retry scheduled per flaky and per backoff call");
  assert.equal(r.events.retryBusy, 1 * per);
  assert.equal(r.events.stateChange, 0);

  // Flat: the first sample after the warm-up against the last.
  const start = r.samples.find((s) => s.calls === r.warmUp);
  const end = r.samples.at(-1);
  assert.equal(end.calls, TOTAL);
  assert.ok(
    end.heapBytes <= start.heapBytes + HEAP_SLACK,
    `JS heap grew from ${start.heapBytes} to ${end.heapBytes} bytes over ${TOTAL - r.warmUp} calls`,
  );
  for (const s of r.samples.filter((s) => s.calls >= r.warmUp)) {
    assert.ok(
      s.wasmBytes <= start.wasmBytes + WASM_SLACK,
      `wasm memory grew from ${start.wasmBytes} to ${s.wasmBytes} bytes by call ${s.calls}`,
    );
  }
});
