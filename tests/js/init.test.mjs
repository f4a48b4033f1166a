// The web build's loader (`init`), run in Node, which has what a browser
// gives it (fetch, Response, WebAssembly): each form of input it takes, a
// failed load that a later call retries, and the error before any load.
// Each test imports its own instance of the entry (a query string makes a
// new module), as a fresh page would.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { scratchDir } from "./harness.mjs";

const root = path.join(scratchDir(), "node_modules", "steadfast");
const entry = pathToFileURL(path.join(root, "web", "index.js")).href;
const bytes = fs.readFileSync(path.join(root, "steadfast_wasm_bg.wasm"));
let n = 0;
const fresh = () => import(`${entry}?page=${n++}`);

// A call through the loaded module: options are judged, a breaker decides.
async function works(S) {
  assert.throws(() => S.createClient({ retry: { maxRetries: -1 } }), RangeError);
  const breaker = new S.CircuitBreaker({ failureThreshold: 1 });
  assert.equal(await breaker.execute(async () => 7), 7);
  assert.equal(breaker.state, "closed");
}

test("before init, createClient and the building blocks say to call init", async () => {
  const S = await fresh();
  assert.throws(() => S.createClient({}), /call `await init\(\)` before/);
  assert.throws(() => new S.CircuitBreaker(), /call `await init\(\)` before/);
});

test("init takes the bytes (ArrayBuffer or typed array) and a compiled module", async () => {
  for (const input of [bytes, new Uint8Array(bytes).buffer, await WebAssembly.compile(bytes)]) {
    const S = await fresh();
    await S.init(input);
    await works(S);
  }
});

test("init takes a Response, a promise of one, and compiles one not served as application/wasm", async () => {
  const served = (type) => new Response(bytes, { status: 200, headers: { "content-type": type } });
  for (const input of [served("application/wasm"), Promise.resolve(served("application/wasm")), served("application/octet-stream")]) {
    const S = await fresh();
    await S.init(input);
    await works(S);
  }
});

test("a failed load rejects with what went wrong, and a later init tries again; once loaded, init does nothing", async () => {
  const S = await fresh();
  await assert.rejects(S.init(new Response("no", { status: 404 })), /could not fetch the WebAssembly module: HTTP 404/);
  await assert.rejects(S.init({ not: "a module" }), (e) => e instanceof TypeError && /`init` takes a URL/.test(e.message));
  assert.throws(() => S.createClient({}), /call `await init\(\)` before/);
  await S.init(bytes);
  await works(S);
  // Loaded: whatever a later call is given, it resolves, and nothing changes.
  await S.init(new Response("no", { status: 404 }));
  await works(S);
});
