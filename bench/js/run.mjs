// `make bench-js`: the npm package's per-call overhead, side by side in one
// run, then one markdown table.
//   (a) `client.get` vs a bare `fetch` (+ `.json()`) to a keep-alive HTTP
//       server on loopback (its own process, so that its work is not done
//       on the measured thread), one call at a time and 16 at once;
//   (b) `CircuitBreaker.execute` and `RetryPolicy.execute` over a resolved
//       async function vs cockatiel's retry and breaker and opossum, as the
//       cost over a bare `await fn()`.
// Each comparison runs in a fresh Node process of its own (so that one
// library's code never shapes the JIT's view of another's), in rounds: every
// case of the comparison once per round, back to back, the order rotating,
// so a busy machine slows all alike; figures are medians over the rounds.
// Exits 0 when a target is missed (this is a measurement), non-zero on any
// error. The package is packed from pkg/ and installed into a scratch
// project, as a user installs it; the peers come from this folder's
// node_modules (`npm ci`, pinned in package-lock.json).
import { fork } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { installTarball } from "../../tests/js/install.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const self = fileURLToPath(import.meta.url);

// The answer of the loopback server: a small JSON body.
const BODY = JSON.stringify({
  listing_id: 1,
  title: "Hand-thrown mug",
  price: { amount: 2400, divisor: 100, currency_code: "USD" },
  tags: ["mug", "ceramic"],
});

// Rounds measured per comparison, after WARMUP rounds thrown away.
const ROUNDS = 21;
const WARMUP = 2;

const [mode, arg] = process.argv.slice(2);
const entry = mode === "--serve" ? serve : mode === "--group" ? () => runGroup(arg) : main;
Promise.resolve()
  .then(entry)
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });

// ----- the loopback server (its own process) --------------------------------------

function serve() {
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(BODY) });
    res.end(BODY);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1", () => process.send({ port: server.address().port }));
  process.on("disconnect", () => process.exit(0));
}

async function startServer() {
  const child = fork(self, ["--serve"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const port = await new Promise((resolve, reject) => {
    child.once("message", (m) => resolve(m.port));
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the loopback server exited (${code})`)));
  });
  child.removeAllListeners("exit");
  return { baseUrl: `http://127.0.0.1:${port}`, close: () => child.kill() };
}

// ----- the package, installed as a user installs it ---------------------------------


/** The package's exports, imported by name from the scratch project. */
const loadSteadfast = () => import(pathToFileURL(path.join(process.env.STEADFAST_BENCH_SCRATCH, "user.mjs")).href);

// ----- measuring ----------------------------------------------------------------------

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Runs `run(n)` once; answers its wall time per operation in ns. */
async function timeBatch(run, n) {
  globalThis.gc?.();
  const t0 = performance.now();
  await run(n);
  return ((performance.now() - t0) * 1e6) / n;
}

/**
 * Measures every case of `cases` ({ name: async (n) => void }): a batch size
 * per case so that one batch takes about `batchMs`, WARMUP rounds thrown
 * away, then ROUNDS rounds, each running every case once, the order
 * rotating from round to round. Answers { name: [ns per op, per round] }.
 */
async function measure(cases, { batchMs, minN = 1 }) {
  const names = Object.keys(cases);
  const n = {};
  for (const name of names) {
    // Calibrate: grow the batch until it takes a tenth of batchMs, twice
    // (the first pass also warms the code up).
    for (let pass = 0; pass < 2; pass++) {
      for (let k = minN; ; k *= 4) {
        const ns = await timeBatch(cases[name], k);
        if (ns * k >= batchMs * 1e5 || k >= 1 << 24) {
          n[name] = Math.max(minN, Math.round((batchMs * 1e6) / ns));
          break;
        }
      }
    }
  }
  const out = Object.fromEntries(names.map((name) => [name, []]));
  for (let r = 0; r < WARMUP + ROUNDS; r++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + r) % names.length];
      const ns = await timeBatch(cases[name], n[name]);
      if (r >= WARMUP) out[name].push(ns);
    }
  }
  return out;
}

function check(ok, what) {
  if (!ok) throw new Error(`wrong result: ${what}`);
}

// ----- the comparisons, each in a process of its own --------------------------------

const GROUPS = {
  // (a) client.get vs a bare fetch.
  async http() {
    const steadfast = await loadSteadfast();
    const server = await startServer();
    try {
      const url = `${server.baseUrl}/listings/1`;
      // A realistic client that never paces this loop: the limiter as fast
      // as it goes (10000/s, a burst of as many) and no daily quota; retry,
      // breaker, monitor and the 30 s attempt timeout at their defaults.
      const client = steadfast.createClient({
        baseUrl: server.baseUrl,
        limiter: { perSecond: 10000, burst: 10000, perDay: null },
      });
      let paced = 0;
      let retried = 0;
      client.on("rateLimited", () => paced++);
      client.on("retry", () => retried++);

      const bareOne = async () => {
        const res = await fetch(url);
        const data = await res.json();
        check(res.status === 200 && data.listing_id === 1, "bare fetch");
      };
      // Diagnostic: a bare fetch given what the client gives each attempt
      // (an AbortController's signal, for its timeout, and headers).
      const signalOne = async () => {
        const res = await fetch(url, { method: "GET", headers: {}, signal: new AbortController().signal });
        const data = await res.json();
        check(res.status === 200 && data.listing_id === 1, "fetch with a signal");
      };
      const clientOne = async () => {
        const res = await client.get("/listings/1");
        check(res.status === 200 && res.data.listing_id === 1, "client.get");
      };
      const sequential = (one) => async (n) => {
        for (let i = 0; i < n; i++) await one();
      };
      const concurrent = (one, width) => async (n) => {
        let next = 0;
        const worker = async () => {
          while (next++ < n) await one();
        };
        await Promise.all(Array.from({ length: width }, worker));
      };

      const seq = await measure(
        { "bare fetch": sequential(bareOne), "client.get": sequential(clientOne), "fetch + signal": sequential(signalOne) },
        { batchMs: 100, minN: 50 },
      );
      const conc = await measure(
        { "bare fetch": concurrent(bareOne, 16), "client.get": concurrent(clientOne, 16) },
        { batchMs: 150, minN: 200 },
      );

      // Diagnostic: the client's own cost per call, without the network — a
      // `fetch` answering at once with the server's answer (its headers too).
      const headers = Object.fromEntries((await fetch(url)).headers);
      const memoryFetch = async () => new Response(BODY, { status: 200, headers });
      const memoryClient = steadfast.createClient({
        baseUrl: server.baseUrl,
        fetch: memoryFetch,
        limiter: { perSecond: 10000, burst: 10000, perDay: null },
      });
      const memory = await measure(
        {
          "in-memory fetch": sequential(async () => {
            const data = await (await memoryFetch(url)).json();
            check(data.listing_id === 1, "in-memory fetch");
          }),
          "client.get over it": sequential(async () => {
            const res = await memoryClient.get("/listings/1");
            check(res.status === 200 && res.data.listing_id === 1, "client.get, in memory");
          }),
        },
        { batchMs: 60 },
      );
      client.close();
      memoryClient.close();
      return { seq, conc, memory, paced, retried };
    } finally {
      server.close();
    }
  },

  // (b) the building blocks over `async () => 1`. Like for like: 3 retries
  // with exponential backoff; a breaker opening after 5 consecutive
  // failures, probing after 10 s. One loop per case, written out, so that no
  // call site is shared; each case adds 1 per call to `sum`, checked.
  async breaker() {
    const steadfast = await loadSteadfast();
    const { circuitBreaker, handleAll, ConsecutiveBreaker } = await import("cockatiel");
    const { default: Opossum } = await import("opossum");
    const fn = async () => 1;
    const ours = new steadfast.CircuitBreaker({ failureThreshold: 5, openMs: 10_000 });
    // Diagnostic: given a clock, the wasm side no longer looks
    // `performance.now` up by name on every call.
    const oursClock = new steadfast.CircuitBreaker({ failureThreshold: 5, openMs: 10_000, clock: performance });
    const ck = circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) });
    // opossum's defaults (50 % errors over a 10 s rolling window), without
    // its per-call timeout timer, which none of the others has.
    const op = new Opossum(fn, { timeout: false, resetTimeout: 10_000 });
    let sum = 0;
    try {
      const out = await measure(
        counted(() => sum, {
          baseline: async (n) => {
            for (let i = 0; i < n; i++) sum += await fn();
          },
          "steadfast CircuitBreaker": async (n) => {
            for (let i = 0; i < n; i++) sum += await ours.execute(fn);
          },
          "cockatiel circuitBreaker": async (n) => {
            for (let i = 0; i < n; i++) sum += await ck.execute(fn);
          },
          "opossum fire": async (n) => {
            for (let i = 0; i < n; i++) sum += await op.fire();
          },
          "steadfast CircuitBreaker, clock: performance": async (n) => {
            for (let i = 0; i < n; i++) sum += await oursClock.execute(fn);
          },
        }),
        { batchMs: 60 },
      );
      check(ours.state === "closed" && oursClock.state === "closed", "steadfast's circuits closed");
      check(op.stats.failures === 0, "opossum saw no failure");
      return out;
    } finally {
      op.shutdown();
    }
  },

  async retry() {
    const steadfast = await loadSteadfast();
    const { retry, handleAll, ExponentialBackoff } = await import("cockatiel");
    const fn = async () => 1;
    const ours = new steadfast.RetryPolicy({ maxRetries: 3 });
    const oursClock = new steadfast.RetryPolicy({ maxRetries: 3, clock: performance });
    const ck = retry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() });
    let sum = 0;
    return measure(
      counted(() => sum, {
        baseline: async (n) => {
          for (let i = 0; i < n; i++) sum += await fn();
        },
        "steadfast RetryPolicy": async (n) => {
          for (let i = 0; i < n; i++) sum += await ours.execute(fn);
        },
        "cockatiel retry": async (n) => {
          for (let i = 0; i < n; i++) sum += await ck.execute(fn);
        },
        "steadfast RetryPolicy, clock: performance": async (n) => {
          for (let i = 0; i < n; i++) sum += await oursClock.execute(fn);
        },
      }),
      { batchMs: 60 },
    );
  },

  async both() {
    const steadfast = await loadSteadfast();
    const { retry, circuitBreaker, wrap, handleAll, ExponentialBackoff, ConsecutiveBreaker } = await import("cockatiel");
    const fn = async () => 1;
    const retryPolicy = new steadfast.RetryPolicy({ maxRetries: 3 });
    const breaker = new steadfast.CircuitBreaker({ failureThreshold: 5, openMs: 10_000 });
    const ck = wrap(
      retry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() }),
      circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) }),
    );
    let sum = 0;
    return measure(
      counted(() => sum, {
        baseline: async (n) => {
          for (let i = 0; i < n; i++) sum += await fn();
        },
        "steadfast RetryPolicy(CircuitBreaker)": async (n) => {
          for (let i = 0; i < n; i++) sum += await retryPolicy.execute(() => breaker.execute(fn));
        },
        "cockatiel wrap(retry, circuitBreaker)": async (n) => {
          for (let i = 0; i < n; i++) sum += await ck.execute(fn);
        },
      }),
      { batchMs: 60 },
    );
  },
};

/** Each case of `cases`, checking that it ran `fn` (1 added to the sum) once per call. */
function counted(sum, cases) {
  return Object.fromEntries(
    Object.entries(cases).map(([name, run]) => [
      name,
      async (n) => {
        const before = sum();
        await run(n);
        check(sum() - before === n, `${name}: ${sum() - before} of ${n}`);
      },
    ]),
  );
}

/** In a child process: measures one group, sends the result to the parent. */
async function runGroup(name) {
  const result = await GROUPS[name]();
  await new Promise((resolve) => process.send({ result }, resolve));
  process.exit(0);
}

/** Runs group `name` in a fresh Node process; answers its result. */
function group(name) {
  const child = fork(self, ["--group", name], {
    execArgv: ["--expose-gc"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    let result;
    child.on("message", (m) => (result = m.result));
    child.on("error", reject);
    child.on("exit", (code, signal) =>
      result && code === 0 ? resolve(result) : reject(new Error(`benchmark ${name} failed (${signal ?? code})`)),
    );
  });
}

// ----- the table ----------------------------------------------------------------------

const fmt = (x, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : "n/a");

/** The quartiles of `xs`, scaled, as "q1–q3". */
function iqr(xs, scale, digits) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.round(p * (s.length - 1))] * scale;
  return `${fmt(q(0.25), digits)}–${fmt(q(0.75), digits)}`;
}

async function main() {
  const started = performance.now();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "steadfast-bench-"));
  process.on("exit", () => fs.rmSync(scratch, { recursive: true, force: true }));
  installTarball(scratch);
  process.env.STEADFAST_BENCH_SCRATCH = scratch;
  const version = (dir) => JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version;
  console.log(
    `steadfast ${version(path.join(scratch, "node_modules", "steadfast"))} (packed from pkg/), ` +
      `cockatiel ${version(path.join(here, "node_modules", "cockatiel"))}, ` +
      `opossum ${version(path.join(here, "node_modules", "opossum"))}; ` +
      `node ${process.version}, ${os.cpus().length} CPU(s), load average ${os.loadavg()[0].toFixed(2)} at the start`,
  );

  console.log("(a) client.get vs a bare fetch on loopback…");
  const h = await group("http");
  console.log("(b) the building blocks over `async () => 1`: breakers…");
  const br = await group("breaker");
  console.log("    retry policies…");
  const re = await group("retry");
  console.log("    retry over breaker…");
  const bo = await group("both");

  // Cost over the baseline, round by round (each round runs every case of
  // its comparison back to back, so they share the load of the moment).
  const over = (g) => Object.fromEntries(Object.entries(g).map(([k, v]) => [k, v.map((x, r) => x - g.baseline[r])]));
  const brO = over(br);
  const reO = over(re);
  const boO = over(bo);

  console.log(`\nEvery case: the median over ${ROUNDS} rounds, the interquartile range; for (b), the cost over \`await fn()\`.\n`);
  console.log("| case | median | IQR | cost over `await fn()` |");
  console.log("|---|---:|---:|---:|");
  for (const [k, v] of Object.entries(h.seq)) console.log(`| ${k}, one at a time | ${fmt(median(v) / 1e3)} µs/call | ${iqr(v, 1e-3, 1)} | |`);
  for (const [k, v] of Object.entries(h.conc)) console.log(`| ${k}, 16 at once | ${fmt(median(v) / 1e3)} µs/call | ${iqr(v, 1e-3, 1)} | |`);
  for (const [k, v] of Object.entries(h.memory)) console.log(`| ${k}, one at a time | ${fmt(median(v) / 1e3)} µs/call | ${iqr(v, 1e-3, 1)} | |`);
  for (const [g, o] of [
    [br, brO],
    [re, reO],
    [bo, boO],
  ]) {
    for (const [k, v] of Object.entries(g)) {
      console.log(`| ${k} | ${fmt(median(v), 0)} ns/op | ${iqr(v, 1, 0)} | ${k === "baseline" ? "" : `${fmt(median(o[k]), 0)} ns`} |`);
    }
  }
  if (h.paced || h.retried) {
    console.log(`\nnote: the client paced ${h.paced} and retried ${h.retried} call(s); its figures include that.`);
  }

  const rows = [
    ["(a) `client.get` vs bare `fetch` + `.json()`, one at a time, µs/call", h.seq, "client.get", "bare fetch", 1e-3, 1, 1.05],
    ["(a) same, 16 at once, µs/call (wall time / calls)", h.conc, "client.get", "bare fetch", 1e-3, 1, 1.05],
    ["(b) `CircuitBreaker.execute`, ns/op over `await fn()`", brO, "steadfast CircuitBreaker", "cockatiel circuitBreaker", 1, 0, 1],
    ["(b) `CircuitBreaker.execute`, ns/op over `await fn()`", brO, "steadfast CircuitBreaker", "opossum fire", 1, 0, null],
    ["(b) `RetryPolicy.execute`, ns/op over `await fn()`", reO, "steadfast RetryPolicy", "cockatiel retry", 1, 0, 1],
    [
      "(b) retry over breaker, ns/op over `await fn()`",
      boO,
      "steadfast RetryPolicy(CircuitBreaker)",
      "cockatiel wrap(retry, circuitBreaker)",
      1,
      0,
      1,
    ],
  ];
  console.log(
    `\nratio: steadfast / peer, the median over ${ROUNDS} rounds of the ratio within a round (below 1: we cost less).\n`,
  );
  console.log("| benchmark | steadfast | peer | peer value | ratio | target | met? |");
  console.log("|---|---:|---|---:|---:|---|---|");
  for (const [bench, g, ours, peer, scale, digits, target] of rows) {
    const ratio = median(g[ours].map((x, r) => x / g[peer][r]));
    const met = target === null ? "—" : ratio <= target ? "yes" : "**no**";
    console.log(
      `| ${bench} | ${fmt(median(g[ours]) * scale, digits)} | ${peer} | ${fmt(median(g[peer]) * scale, digits)} | ` +
        `${fmt(ratio, 2)} | ${target === null ? "—" : `≤ ${target.toFixed(2)}`} | ${met} |`,
    );
  }
  console.log(`\n(${fmt((performance.now() - started) / 1e3, 0)} s; load average ${os.loadavg()[0].toFixed(2)} at the end)`);
}
