// The soak's client side, run by soak.test.mjs as a child process:
//
//   node --expose-gc soak.mjs <baseUrl> [calls]
//
// copied into the scratch project first, so that `steadfast` resolves by
// name as a user's script would. 100,000 calls through one client, 32 at a
// time, against soak.test.mjs's loopback server; the kind of each call is
// fixed by its index (KINDS). Between phases every call has settled; then
// the JS heap (after gc) and the wasm module's memory are sampled. Prints a
// table, then one line `SOAK {json}` for the test to check.

const [baseUrl, total = "100000"] = process.argv.slice(2);
const TOTAL = Number(total);
const WARM_UP = 2000;
const CONCURRENCY = 32;
if (!baseUrl || typeof global.gc !== "function") {
  console.error("usage: node --expose-gc soak.mjs <baseUrl> [calls]");
  process.exit(2);
}

// The package does not expose its WebAssembly.Memory, so catch the one
// instance its Node entry creates (`new WebAssembly.Instance(...)` on load),
// then put the constructor back. The memory object stays the same when it
// grows; its buffer is replaced.
const instances = [];
const Instance = WebAssembly.Instance;
WebAssembly.Instance = new Proxy(Instance, {
  construct(target, args, newTarget) {
    const instance = Reflect.construct(target, args, newTarget);
    instances.push(instance);
    return instance;
  },
});
const { createClient, ResilienceError } = await import("steadfast");
WebAssembly.Instance = Instance;
if (instances.length !== 1 || !(instances[0].exports.memory instanceof WebAssembly.Memory)) {
  console.error(`expected the package to create one wasm instance with a memory, saw ${instances.length}`);
  process.exit(2);
}
const memory = instances[0].exports.memory;

// Per 100 calls: 84 ok (200 JSON, Etsy's rate headers), 6 flaky (503 +
// Retry-After: 0, then 200), 5 missing (404), 3 bad (POST, 400 with a list),
// 1 hang (aborted in flight), 1 backoff (503 + Retry-After: 1, aborted while
// waiting to retry).
const KINDS = Array.from({ length: 100 }, (_, r) => {
  if (r % 17 === 5) return "flaky"; // 5 22 39 56 73 90
  if (r % 20 === 11) return "missing"; // 11 31 51 71 91
  if (r % 33 === 14) return "bad"; // 14 47 80
  if (r === 62) return "hang";
  if (r === 98) return "backoff";
  return "ok";
});
const kindOf = (i) => KINDS[i % 100];

const client = createClient({
  baseUrl,
  // Retry-After: 0 and a 1..10 ms backoff: a retry costs no real time.
  retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 10 },
  // 6% of calls fail once with a 503: a few in a row must not open the
  // circuit (that would turn calls into circuit_open and change the counts).
  breaker: { failureThreshold: 1000 },
  // No daily quota (10,000 by default); no shared pause after the backoff
  // kind's Retry-After: 1 (it would stall every worker for a second).
  limiter: { perSecond: 10000, burst: 100, perDay: null, maxPauseMs: 0 },
});
const events = { retry: 0, retryBusy: 0, stateChange: 0, rateLimited: 0, alert: 0, recovered: 0 };
// Backoff calls not yet aborted, oldest first: each is aborted from the
// listener when its retry is scheduled (at most one is out at a time: they
// are 100 calls apart, 32 at a time).
const backingOff = [];
client.on("retry", (e) => {
  events.retry++;
  if (e.endpoint === "/busy/{id}") {
    events.retryBusy++;
    const next = backingOff.shift();
    if (next) next.abort(new Error("backoff"));
  }
});
for (const name of ["stateChange", "rateLimited", "alert", "recovered"]) client.on(name, () => events[name]++);

// Each call counted once when it settles: resolved or rejected, and how.
const settled = { resolved: 0, rejected: 0 };
const outcomes = {};
const unexpected = [];
const count = (key, i, detail) => {
  outcomes[key] = (outcomes[key] ?? 0) + 1;
  if (key.startsWith("unexpected") && unexpected.length < 5) unexpected.push({ i, key, detail });
};
// A call that never settles would stall its phase: say which, and stop.
const pending = new Set();
let lastSettled = performance.now();
setInterval(() => {
  if (pending.size > 0 && performance.now() - lastSettled > 30000) {
    console.error(`stalled: no call settled for 30 s; pending: ${[...pending].slice(0, 10).join(", ")}`);
    process.exit(1);
  }
}, 1000).unref();

/** One call of the kind of index `i`; answers when it has settled. */
async function call(i) {
  const kind = kindOf(i);
  let signal;
  let timer;
  let controller;
  if (kind === "hang" || kind === "backoff") {
    controller = new AbortController();
    signal = controller.signal;
    // hang: the server never answers, the call is aborted 5 ms in (in
    // flight, or now and then before it was sent); backoff: the 503 comes
    // with Retry-After: 1, the retry listener aborts the call.
    if (kind === "hang") timer = setTimeout(() => controller.abort(new Error(`hang ${i}`)), 5);
    else backingOff.push(controller);
  }
  const promise =
    kind === "ok"
      ? client.get(`/listings/${i}`, { query: { includes: "images", i } })
      : kind === "flaky"
        ? client.get(`/flaky/${i}`)
        : kind === "missing"
          ? client.get(`/listings/${i}/missing`)
          : kind === "bad"
            ? client.post("/listings", { title: "", i })
            : kind === "hang"
              ? client.get(`/hang/${i}`, { signal })
              : client.get(`/busy/${i}`, { signal });
  pending.add(i);
  try {
    const r = await promise;
    settled.resolved++;
    const want = kind === "ok" ? 1 : kind === "flaky" ? 2 : -1;
    const good = r.status === 200 && r.attempts === want && r.data && r.data.id === i;
    count(good ? `${kind}:200:${r.attempts}` : `unexpected:resolved:${kind}`, i, { status: r.status, attempts: r.attempts });
  } catch (e) {
    settled.rejected++;
    if (signal && e === signal.reason) count(`${kind}:aborted`, i);
    else if (e instanceof ResilienceError && kind === "missing" && e.category === "not_found" && e.status === 404)
      count("missing:404", i);
    else if (e instanceof ResilienceError && kind === "bad" && e.category === "validation" && e.status === 400)
      count("bad:400", i);
    else count(`unexpected:rejected:${kind}`, i, { kind: e && e.kind, category: e && e.category, message: String(e && e.message) });
  } finally {
    clearTimeout(timer);
    if (kind === "backoff" && backingOff.includes(controller)) backingOff.splice(backingOff.indexOf(controller), 1);
    pending.delete(i);
    lastSettled = performance.now();
  }
}

/** Calls [from, to), CONCURRENCY at a time; answers when all have settled. */
async function phase(from, to) {
  let next = from;
  const worker = async () => {
    while (next < to) await call(next++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/** The heap after full collections (and the finalizers they queue), and the wasm memory. */
async function sample(calls) {
  for (let k = 0; k < 4; k++) {
    global.gc();
    await new Promise((r) => setImmediate(r));
  }
  return { calls, heapBytes: process.memoryUsage().heapUsed, wasmBytes: memory.buffer.byteLength };
}

const t0 = performance.now();
const samples = [await sample(0)];
const marks = [WARM_UP];
for (let m = WARM_UP + 20000; m < TOTAL; m += 20000) marks.push(m);
marks.push(TOTAL);
let done = 0;
for (const mark of marks) {
  await phase(done, mark);
  done = mark;
  samples.push(await sample(done));
}
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage();
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const health = client.health();
client.close();

const mb = (b) => (b / 1048576).toFixed(2);
const kb = (b) => (b / 1024).toFixed(0);
console.log("calls     heap MB   wasm KB");
for (const s of samples) {
  const label = s.calls === 0 ? "0 (before)" : s.calls === WARM_UP ? `${WARM_UP} (start)` : String(s.calls);
  console.log(`${label.padEnd(10)}${mb(s.heapBytes).padStart(7)}${kb(s.wasmBytes).padStart(10)}`);
}
console.log(
  "SOAK " +
    JSON.stringify({
      total: TOTAL,
      warmUp: WARM_UP,
      seconds,
      cpuSeconds,
      samples,
      settled,
      outcomes,
      unexpected,
      events,
      activeCalls: health.activeCalls,
      inFlight: health.inFlight,
      circuit: health.circuit,
    }),
);
