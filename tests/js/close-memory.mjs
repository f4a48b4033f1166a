// The client side of close-memory.test.mjs, run as a child process:
//
//   node close-memory.mjs <baseUrl> closed     (no --expose-gc)
//   node --expose-gc close-memory.mjs <baseUrl> collected
//
// copied into the scratch project first, so that `steadfast` resolves by
// name as a user's script would. Prints one line `CLOSE {json}` for the test
// to check.
//
// closed: 1,000 clients, one after the other, each making one call and
// closed, every one kept referenced (so that no collection can free one:
// only close() can), the wasm memory sampled after each; then 100 clients
// at once, each with a call in flight, all closed, then 100 more the same.
//
// collected: what the collector still frees. A closed client, once
// collected, must not free the client that took its handle; and clients
// never closed are freed when collected (the package's FinalizationRegistry).

const [baseUrl, mode] = process.argv.slice(2);
if (!baseUrl || (mode !== "closed" && mode !== "collected") || (mode === "closed") !== (typeof globalThis.gc !== "function")) {
  console.error("usage: node close-memory.mjs <baseUrl> closed | node --expose-gc close-memory.mjs <baseUrl> collected");
  process.exit(2);
}

// The package does not expose its WebAssembly.Memory: catch the one
// instance its Node entry creates on load (as soak.mjs does).
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
const wasmBytes = () => memory.buffer.byteLength;
const options = { baseUrl, retry: { maxRetries: 0 }, limiter: { perSecond: 10000, burst: 1000 } };

/** How `p` settled: "ok:<status>", "closed", or what else it threw. */
const outcome = (p) =>
  p.then(
    (r) => `ok:${r.status}`,
    (e) => (e instanceof ResilienceError ? e.kind : `threw:${e && e.name}`),
  );

/** Counts of each string in `list`. */
function tally(list) {
  const out = {};
  for (const s of list) out[s] = (out[s] ?? 0) + 1;
  return out;
}

if (mode === "closed") {
  const kept = [];
  const samples = [];
  const outcomes = [];
  for (let i = 0; i < 1000; i++) {
    const client = createClient(options);
    outcomes.push(await outcome(client.get(`/listings/${i}`)));
    client.close();
    kept.push(client);
    samples.push(wasmBytes());
  }
  // A closed client's call still ends as a closed client's.
  const after = await outcome(kept[999].get("/listings/1000"));

  // At once: 100 clients, each with a call the server holds, all closed
  // while in flight; then the same again in the memory that freed.
  const burst = async () => {
    const clients = Array.from({ length: 100 }, () => createClient(options));
    const calls = clients.map((c, i) => outcome(c.get(`/hang/${i}`)));
    const before = wasmBytes();
    for (const c of clients) c.close();
    return { outcomes: tally(await Promise.all(calls)), open: before, closed: wasmBytes() };
  };
  const first = await burst();
  const second = await burst();
  kept.length = 0;
  console.log("CLOSE " + JSON.stringify({ samples, outcomes: tally(outcomes), after, first, second }));
} else {
  const collect = async () => {
    for (let i = 0; i < 5; i++) {
      globalThis.gc();
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  // A closed client, dropped; the next client gets its handle's number.
  let gone = false;
  const watch = new FinalizationRegistry(() => (gone = true));
  (() => {
    const a = createClient(options);
    watch.register(a, "a");
    a.close();
  })();
  const b = createClient(options);
  for (let i = 0; i < 50 && !gone; i++) await collect();
  // The package's own finalizers run in the same collections as ours; give
  // them a few more turns.
  await collect();
  const afterCollection = { collected: gone, call: await outcome(b.get("/listings/1")), circuit: b.health().circuit };
  b.close();

  // Clients never closed, 50 at a time, each used once, then dropped: the
  // collector frees them (counted by a registry of our own), and the next
  // 50 reuse that memory. (On the real clock a client keeps the timer of
  // its last call's attempt timeout, 30 s, and the timer keeps it reachable
  // till then; a clock whose sleep holds no timer lets it go at once.)
  const clock = {
    now: () => performance.now(),
    sleep: (_ms, signal) => new Promise((resolve) => signal.addEventListener("abort", resolve)),
  };
  let freed = 0;
  const counted = new FinalizationRegistry(() => freed++);
  const rounds = [];
  for (let round = 1; round <= 5; round++) {
    await (async () => {
      const clients = Array.from({ length: 50 }, () => createClient({ ...options, clock }));
      for (const c of clients) counted.register(c, round);
      await Promise.all(clients.map((c, i) => c.get(`/listings/${i}`)));
    })();
    for (let i = 0; i < 50 && freed < round * 50; i++) await collect();
    await collect();
    rounds.push({ freed, wasmBytes: wasmBytes() });
  }
  console.log("CLOSE " + JSON.stringify({ afterCollection, rounds }));
}
