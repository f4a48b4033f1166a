// Abort, per-attempt timeout and close(): every call settles once, quickly,
// and no timer is left behind.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { loadSteadfast, scratchDir, startServer, sleep, until } from "./harness.mjs";

const { esm } = await loadSteadfast();
const { createClient, ResilienceError } = esm;
const server = await startServer();
after(() => server.close());
const limiter = { perSecond: 1000, burst: 100 };

test("abort mid-backoff rejects with the signal's reason, at once", async () => {
  server.handle = (req, res) => server.json(res, 503, { error: "busy" });
  const client = createClient({
    baseUrl: server.baseUrl,
    retry: { baseDelayMs: 5000, maxDelayMs: 5000, jitter: "none" },
    limiter,
  });
  let retried = false;
  client.on("retry", () => (retried = true));
  const start = server.requests.length;
  const controller = new AbortController();
  const reason = new Error("the user left");
  const call = client.get("/slowly", { signal: controller.signal });
  await until(() => retried);
  const t0 = performance.now();
  controller.abort(reason);
  await assert.rejects(call, (e) => e === reason);
  assert.ok(performance.now() - t0 < 200);
  await sleep(50);
  assert.equal(server.requests.length - start, 1, "no retry after the abort");
  assert.equal(client.health().activeCalls, 0);
  client.close();
});

test("abort in flight aborts the request and rejects with the reason", async () => {
  let closed = false;
  server.handle = (req, res) => {
    res.on("close", () => (closed = true));
    server.later(10000, () => server.json(res, 200, {}));
  };
  const client = createClient({ baseUrl: server.baseUrl, limiter });
  const controller = new AbortController();
  const call = client.get("/hang", { signal: controller.signal });
  await until(() => server.requests.some((r) => r.url === "/hang"));
  controller.abort("stop");
  await assert.rejects(call, (e) => e === "stop");
  await until(() => closed, 2000);
  // An already aborted signal rejects without sending.
  const before = server.requests.length;
  await assert.rejects(client.get("/hang", { signal: AbortSignal.abort("early") }), (e) => e === "early");
  assert.equal(server.requests.length, before);
  client.close();
});

test("each attempt times out after timeoutMs", async () => {
  server.handle = (req, res) => server.later(5000, () => server.json(res, 200, {}));
  const client = createClient({ baseUrl: server.baseUrl, retry: { maxRetries: 0 }, limiter });
  const t0 = performance.now();
  const err = await client.get("/slow", { timeoutMs: 100 }).then(
    () => assert.fail("resolved"),
    (e) => e,
  );
  const took = performance.now() - t0;
  assert.ok(err instanceof ResilienceError);
  assert.equal(err.category, "timeout");
  assert.equal(err.attempts, 1);
  assert.ok(took >= 95 && took < 1000, `took ${took} ms`);
  client.close();
});

test("close() rejects every pending call once", async () => {
  server.handle = (req, res) => {
    if (req.url === "/busy") return server.json(res, 503, { error: "busy" });
    server.later(10000, () => server.json(res, 200, {}));
  };
  const client = createClient({
    baseUrl: server.baseUrl,
    retry: { baseDelayMs: 5000, maxDelayMs: 5000, jitter: "none" },
    limiter,
  });
  let retried = false;
  client.on("retry", () => (retried = true));
  const settled = [];
  const calls = ["/hang/1", "/hang/2", "/busy"].map((p, i) =>
    client.get(p).then(
      (v) => settled.push([i, "resolved", v]),
      (e) => settled.push([i, "rejected", e]),
    ),
  );
  await until(() => retried && server.requests.filter((r) => r.url.startsWith("/hang/")).length >= 2);
  client.close();
  await Promise.all(calls);
  assert.equal(settled.length, 3);
  for (const [, how, e] of settled) {
    assert.equal(how, "rejected");
    assert.ok(e instanceof ResilienceError);
    assert.equal(e.kind, "closed");
  }
  client.close(); // twice is harmless
  await assert.rejects(client.get("/after"), (e) => e instanceof ResilienceError && e.kind === "closed");
});

test("after close() nothing keeps the process alive", async () => {
  // A user's script in the scratch project: calls in flight and in backoff,
  // then close(); the process must end on its own.
  server.handle = (req, res) => {
    if (req.url === "/busy") return server.json(res, 503, { error: "busy" });
    server.later(10000, () => server.json(res, 200, {}));
  };
  const script = path.join(scratchDir(), "close-exit.mjs");
  fs.writeFileSync(
    script,
    `import { createClient } from "steadfast";
const client = createClient({ baseUrl: process.argv[2], retry: { baseDelayMs: 5000, maxDelayMs: 5000, jitter: "none" } });
let retried = false;
client.on("retry", () => (retried = true));
const calls = ["/hang/a", "/busy"].map((p) => client.get(p).then(() => "resolved", (e) => e.kind));
for (let i = 0; i < 200 && !retried; i++) await new Promise((r) => setTimeout(r, 10));
client.close();
console.log(JSON.stringify(await Promise.all(calls)));
`,
  );
  const t0 = performance.now();
  const child = spawn(process.execPath, [script, server.baseUrl], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  const killer = setTimeout(() => child.kill(), 8000);
  const code = await new Promise((resolve) => child.on("exit", resolve));
  clearTimeout(killer);
  assert.equal(code, 0, "exited by itself");
  assert.deepEqual(JSON.parse(out), ["closed", "closed"]);
  assert.ok(performance.now() - t0 < 4000, "did not wait for the backoff");
});

test("one signal shared by 50 calls is listened to once, cancels every one once, and is let go", async () => {
  const { getEventListeners } = await import("node:events");
  const warnings = [];
  const onWarning = (w) => warnings.push(w);
  process.on("warning", onWarning);
  try {
    server.handle = () => {}; // never answers: every call stays in flight
    const client = createClient({ baseUrl: server.baseUrl, limiter: { perSecond: 1000, burst: 100 } });
    const controller = new AbortController();
    const reason = new Error("batch cancelled");
    const settled = [];
    const calls = Array.from({ length: 50 }, (_, i) =>
      client.get(`/hang/${i}`, { signal: controller.signal }).then(
        () => settled.push("resolved"),
        (e) => settled.push(e === reason ? "reason" : String(e)),
      ),
    );
    await until(() => client.health().inFlight === 50);
    assert.equal(getEventListeners(controller.signal, "abort").length, 1, "one listener for the 50 calls");
    controller.abort(reason);
    await Promise.all(calls);
    assert.deepEqual(settled, Array(50).fill("reason"), "each call rejected once with the signal's reason");
    assert.equal(getEventListeners(controller.signal, "abort").length, 0);
    assert.equal(client.health().activeCalls, 0);

    // Calls that end by themselves let the signal go too.
    server.handle = (req, res) => server.json(res, 200, { ok: true });
    const other = new AbortController();
    await Promise.all(Array.from({ length: 20 }, () => client.get("/fine", { signal: other.signal })));
    assert.equal(getEventListeners(other.signal, "abort").length, 0, "no listener left once every call ended");
    // And close() lets go of a signal whose calls it ended.
    server.handle = () => {};
    const third = new AbortController();
    const pending = Array.from({ length: 3 }, () => client.get("/hang", { signal: third.signal }).catch((e) => e.kind));
    await until(() => client.health().inFlight === 3);
    client.close();
    assert.deepEqual(await Promise.all(pending), ["closed", "closed", "closed"]);
    assert.equal(getEventListeners(third.signal, "abort").length, 0);
    await sleep(0);
    assert.deepEqual(
      warnings.filter((w) => w.name === "MaxListenersExceededWarning").map(String),
      [],
      "Node warns of no listener leak",
    );
  } finally {
    process.off("warning", onWarning);
  }
});
