// `make bench-js`: the npm package's per-call overhead, side by side in one
// run, and the limiter's pace, then markdown tables.
//   (a) `client.get` vs a bare `fetch` (+ `.json()`) to a keep-alive HTTP
//       server on loopback (its own process, so that its work is not done
//       on the measured thread), one call at a time and 16 at once;
//   (b) `CircuitBreaker.execute` and `RetryPolicy.execute` over a resolved
//       async function vs cockatiel's retry and breaker and opossum, as the
//       cost over a bare `await fn()`;
//   (c) pacing: 5,000 `client.get`s queued at once through one client
//       (perSecond 10, 50, 100, 200, 1000, a burst of 1) over an in-memory
//       `fetch`, the sends per second achieved against the rate configured,
//       over all 5,000 or the first 20 s, and the busiest second (never above
//       the rate); the calls left are aborted, and each must settle once.
// Each comparison runs in a fresh Node process of its own (so that one
// library's code never shapes the JIT's view of another's), in rounds: every
// case of the comparison once per round, back to back, the order rotating,
// so a busy machine slows all alike; figures are medians over the rounds.
// Exits 0 when a target is missed (this is a measurement), non-zero on any
// error. The package is packed from pkg/ and installed into a scratch
// project, as a user installs it; the peers come from this folder's
// node_modules (`npm ci`, pinned in package-lock.json).
import { fork } from "node:child_process";
import { setMaxListeners } from "node:events";
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

// (c) pacing: the rates configured, the calls queued at once at each, how
// long the sends are measured at most, and the target, achieved / configured
// (the pace leaves the limiter's 20 ms of timer slack in each second:
// 1000 / 1020 ≈ 0.98 at best).
const PACE_RATES = [10, 50, 100, 200, 1000];
const PACE_CALLS = 5000;
const PACE_CAP_MS = 20_000;
const PACE_TARGET = 0.97;

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
  // (d) the client's own cost, by what a call carries: over an in-memory
  // `fetch` (a ready Response) beside cockatiel's wrap(retry,
  // circuitBreaker, timeout) over the same; over a fake response (an object
  // with `status`, `headers`, `text()`), with 5 and with 200 header fields;
  // a 124 KB JSON body. Each "own cost" is the case minus its baseline in
  // the same round.
  async costs(which = "costs") {
    const steadfast = await loadSteadfast();
    const fast = { limiter: { perSecond: 10000, burst: 10000, perDay: null } };
    // A client paces at most 10,000 calls a second (its limiter cannot be
    // turned off), and a call here costs less than the 100 µs that allows:
    // each case spreads its calls over 8 clients, so that what is timed is
    // the client's work and never its limiter's wait.
    const pool = (options) => {
      const clients = Array.from({ length: 8 }, () => steadfast.createClient(options));
      let i = 0;
      const next = () => clients[i++ & 7];
      next.close = () => clients.forEach((c) => c.close());
      return next;
    };
    const seqOf = (one) => async (n) => {
      for (let i = 0; i < n; i++) await one();
    };
    const json = { "content-type": "application/json" };
    const ready = async () => new Response(BODY, { status: 200, headers: json });
    const fake = (text, headers) => async () => ({ status: 200, headers, text: async () => text });
    const fields = (n) => {
      const h = new Headers(json);
      for (let i = 1; i < n; i++) h.set(`x-field-${i}`, "v".repeat(100));
      return h;
    };
    const cases = {};
    const closers = [];
    const fakeCase = (name, text, headers) => {
      const f = fake(text, headers);
      const c = pool({ fetch: f, ...fast });
      cases[`${name}: text() + JSON.parse`] = seqOf(async () => {
        const r = await f();
        check(JSON.parse(await r.text()) !== null, name);
      });
      cases[`${name}: client.get`] = seqOf(async () => check((await c().get("https://h/l")).data !== null, name));
      closers.push(c.close);
    };
    let bigBytes;
    if (which === "fields") {
      // The header-field cases in a process of their own: the big body's
      // garbage and the real Responses' code paths would otherwise be part
      // of what they time.
      fakeCase("fake, 5 fields", BODY, fields(5));
      fakeCase("fake, 200 fields", BODY, fields(200));
    } else {
      const { retry, circuitBreaker, timeout, wrap, handleAll, ExponentialBackoff, ConsecutiveBreaker, TimeoutStrategy } =
        await import("cockatiel");
      const client = pool({ fetch: ready, ...fast });
      closers.push(client.close);
      const policy = wrap(
        retry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() }),
        circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) }),
        timeout(30_000, TimeoutStrategy.Aggressive),
      );
      cases.baseline = seqOf(async () => check((await (await ready()).json()).listing_id === 1, "fetch"));
      cases["client.get"] = seqOf(async () => check((await client().get("https://h/l")).data.listing_id === 1, "client.get"));
      cases["cockatiel wrap"] = seqOf(async () =>
        check((await policy.execute(async () => (await ready()).json())).listing_id === 1, "cockatiel"),
      );
      const big = JSON.stringify({
        results: Array.from({ length: 400 }, (_, i) => ({ listing_id: i, title: "t".repeat(200), price: { amount: i, currency_code: "USD" } })),
      });
      bigBytes = big.length;
      fakeCase("124 KB body", big, fields(5));
    }
    const out = await measure(cases, { batchMs: 60 });
    for (const close of closers) close();
    return bigBytes === undefined ? out : { ...out, bigBytes };
  },

  fields() {
    return GROUPS.costs("fields");
  },

  // (e) CPU per call as concurrency grows: N calls at once over an
  // in-memory fetch, process CPU time per call.
  async concurrency() {
    const steadfast = await loadSteadfast();
    const ready = async () => new Response(BODY, { status: 200, headers: { "content-type": "application/json" } });
    const client = steadfast.createClient({ fetch: ready, limiter: { perSecond: 10000, burst: 10000, perDay: null } });
    const out = {};
    for (const n of [100, 1000, 5000, 20000]) {
      const rounds = [];
      for (let r = 0; r < 5; r++) {
        globalThis.gc?.();
        const c0 = process.cpuUsage();
        await Promise.all(Array.from({ length: n }, () => client.get("https://h/l")));
        const c = process.cpuUsage(c0);
        rounds.push((c.user + c.system) / n);
      }
      out[n] = rounds;
    }
    client.close();
    return out;
  },

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

      const { default: ky } = await import("ky");
      // ky, as its users call it: its default retry (GET retried on 408,
      // 413, 429, 5xx) and its 10 s timeout (an AbortController per call).
      const kyOne = async () => {
        const data = await ky.get(url).json();
        check(data.listing_id === 1, "ky");
      };
      const seq = await measure(
        {
          "bare fetch": sequential(bareOne),
          "client.get": sequential(clientOne),
          "fetch + signal": sequential(signalOne),
          ky: sequential(kyOne),
        },
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

  // (c) the limiter's pace, one rate after another, each with a client of
  // its own.
  async pacing() {
    const steadfast = await loadSteadfast();
    const out = [];
    for (const perSecond of PACE_RATES) out.push(await pace(steadfast, perSecond));
    return out;
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

/**
 * Queues PACE_CALLS `client.get`s at once through one client paced at
 * `perSecond` (a burst of 1, no daily quota; retry and the rest at their
 * defaults) over a `fetch` that answers at once, each call with the signal
 * of one AbortController, and records the instant of every fetch. The
 * window ends when every call went or PACE_CAP_MS after the queueing began;
 * then the calls left are aborted, every call must settle once (those sent
 * fulfilled, the others rejected, with the abort's reason or refused at once
 * by the limiter; no send after the abort) and the client is closed. Answers
 * the sends' figures (instants in ms).
 */
async function pace(steadfast, perSecond) {
  const sends = [];
  const fetches = new Uint8Array(PACE_CALLS);
  const client = steadfast.createClient({
    baseUrl: "https://api.example.test",
    fetch: async (url) => {
      sends.push(performance.now());
      const u = String(url);
      fetches[Number(u.slice(u.lastIndexOf("/") + 1))]++;
      return new Response(BODY, { status: 200, headers: { "content-type": "application/json" } });
    },
    limiter: { perSecond, burst: 1, perDay: null },
  });
  let retried = 0;
  client.on("retry", () => retried++);

  const controller = new AbortController();
  setMaxListeners(PACE_CALLS + 1, controller.signal); // a listener per call
  const reason = new Error("the measurement window closed");
  const settled = new Uint8Array(PACE_CALLS);
  let fulfilled = 0;
  let rejected = 0;
  // Refused at once, never sent: the calls that would queue past
  // limiter.maxQueueMs (300 s by default; at 10/s, 5,000 calls need more).
  let refused = 0;
  let wrong = 0; // fulfilled with another answer, or rejected for another reason
  let timer;
  const capped = new Promise((resolve) => (timer = setTimeout(resolve, PACE_CAP_MS, "cap")));
  const calls = Array.from({ length: PACE_CALLS }, (_, i) =>
    client.get(`/listings/${i}`, { signal: controller.signal }).then(
      (res) => {
        settled[i]++;
        fulfilled++;
        if (res.status !== 200 || res.data.listing_id !== 1) wrong++;
      },
      (e) => {
        settled[i]++;
        rejected++;
        if (e instanceof steadfast.ResilienceError && e.kind === "rate_limited" && e.attempts === 0) refused++;
        else if (e !== reason) wrong++;
      },
    ),
  );
  const all = Promise.all(calls);

  // The window: every call settled, or the cap. The abort follows at once,
  // before any other timer of the client's can fire.
  const ended = await Promise.race([all.then(() => "all"), capped]);
  clearTimeout(timer);
  const n = sends.length;
  controller.abort(reason);
  const done = await Promise.race([
    all.then(() => true),
    new Promise((resolve) => (timer = setTimeout(resolve, 10_000, false))),
  ]);
  clearTimeout(timer);
  const never = settled.filter((x) => x === 0).length;
  const twice = settled.filter((x) => x > 1).length;
  client.close();

  const at = `${perSecond}/s`;
  check(done && never === 0, `${at}: ${never} call(s) never settled`);
  check(twice === 0, `${at}: ${twice} call(s) settled more than once`);
  check(sends.length === n, `${at}: ${sends.length - n} send(s) after the abort`);
  check(fetches.every((x) => x <= 1) && retried === 0, `${at}: a call sent twice (${retried} retries)`);
  check(fulfilled === n, `${at}: ${fulfilled} call(s) fulfilled, ${n} sent`);
  check(rejected === PACE_CALLS - n, `${at}: ${rejected} call(s) rejected, ${PACE_CALLS - n} not sent`);
  check(wrong === 0, `${at}: ${wrong} call(s) settled with another answer or reason`);
  check(n >= 3, `${at}: ${n} send(s) in the window`);

  // The first send goes while the calls are being queued, the second once
  // that synchronous loop is over: the 1st → 2nd gap is the loop's; the
  // worst gap is taken from the 2nd send on, over the span of `achieved`.
  let worstGap = 0;
  for (let i = 2; i < n; i++) worstGap = Math.max(worstGap, sends[i] - sends[i - 1]);
  return {
    perSecond,
    sends: n,
    ended,
    refused,
    spanMs: sends[n - 1] - sends[0],
    // Steady state: from the 2nd send (the first goes at once) to the last.
    achieved: ((n - 2) * 1000) / (sends[n - 1] - sends[1]),
    firstGap: sends[1] - sends[0],
    worstGap,
    busiest: busiestSecond(sends),
  };
}

/** The most of the sorted instants `ts` (ms) in any window [t, t + 1000) starting at one of them. */
function busiestSecond(ts) {
  let most = 0;
  for (let i = 0, j = 0; i < ts.length; i++) {
    while (j < ts.length && ts[j] < ts[i] + 1000) j++;
    most = Math.max(most, j - i);
  }
  return most;
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
  console.log(`(c) pacing: ${PACE_CALLS} calls queued at once through one client, at ${PACE_RATES.join(", ")}/s…`);
  const pc = await group("pacing");
  console.log("(d) the client's own cost, by what a call carries…");
  const co = { ...(await group("costs")), ...(await group("fields")) };
  console.log("(e) CPU per call as concurrency grows…");
  const cc = await group("concurrency");

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

  console.log(
    `\n(c) pacing: ${PACE_CALLS} \`client.get\`s queued at once, \`limiter: { perSecond, burst: 1, perDay: null }\`, ` +
      `an in-memory \`fetch\`; sends measured until all went or for ${PACE_CAP_MS / 1e3} s; achieved: sends per second ` +
      `from the 2nd send to the last; busiest second: the most sends in any [t, t + 1000 ms) from a send.\n`,
  );
  console.log("| configured /s | sends measured | achieved /s | achieved / configured | busiest second | target | met? |");
  console.log("|---:|---:|---:|---:|---:|---|---|");
  for (const p of pc) {
    const held = p.ended === "all" ? `all ${p.sends}, in ${fmt(p.spanMs / 1e3)} s` : `${p.sends}, in ${PACE_CAP_MS / 1e3} s`;
    console.log(
      `| ${p.perSecond} | ${held} | ${fmt(p.achieved, 2)} | ${fmt(p.achieved / p.perSecond, 3)} | ${p.busiest} | ` +
        `≥ ${PACE_TARGET.toFixed(2)} | ${p.achieved / p.perSecond >= PACE_TARGET ? "yes" : "**no**"} |`,
    );
  }
  console.log(
    `\nworst gap between consecutive sends from the 2nd on (the configured interval): ` +
      pc.map((p) => `${p.perSecond}/s ${fmt(p.worstGap)} ms (${fmt(1000 / p.perSecond)} ms)`).join(", ") +
      `; the 1st → 2nd gap, the synchronous queueing of the ${PACE_CALLS} calls: ` +
      pc.map((p) => `${fmt(p.firstGap, 0)} ms`).join(", ") +
      ".",
  );
  for (const p of pc.filter((p) => p.refused)) {
    console.log(
      `note: at ${p.perSecond}/s the client refused ${p.refused} call(s) at once (rate_limited, never sent): ` +
        `they would have queued past limiter.maxQueueMs (300 s by default).`,
    );
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
    `\nratio: steadfast / peer, the median over ${ROUNDS} rounds of the ratio within a round (below 1: we cost less); ` +
      `for (c), achieved / configured (above is better).\n`,
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
  for (const p of pc) {
    const ratio = p.achieved / p.perSecond;
    console.log(
      `| (c) pacing at ${p.perSecond}/s, burst 1, sends/s achieved | ${fmt(p.achieved, 2)} | configured | ${p.perSecond} | ` +
        `${fmt(ratio, 3)} | ≥ ${PACE_TARGET.toFixed(2)} | ${ratio >= PACE_TARGET ? "yes" : "**no**"} |`,
    );
  }
  // (a) ky: overheads over the bare fetch, ours against ky's.
  const kyOver = median(h.seq["client.get"].map((x, r) => (x - h.seq["bare fetch"][r]) / (h.seq.ky[r] - h.seq["bare fetch"][r])));
  const own = (name, base) => co[name].map((x, r) => x - co[base][r]);
  const ownGet = own("client.get", "baseline");
  const ownWrap = own("cockatiel wrap", "baseline");
  const own5 = own("fake, 5 fields: client.get", "fake, 5 fields: text() + JSON.parse");
  const own200 = own("fake, 200 fields: client.get", "fake, 200 fields: text() + JSON.parse");
  const bigRatio = median(co["124 KB body: client.get"].map((x, r) => x / co["124 KB body: text() + JSON.parse"][r]));
  const us = (xs) => fmt(median(xs) / 1e3, 1);
  const cpu = Object.entries(cc).map(([n, v]) => [n, median(v)]);
  const flat = cpu.every(([, v], i) => i === 0 || v <= cpu[0][1] * 1.1);
  const targets = [
    ["(a) overhead over bare `fetch` on loopback: client.get / ky", fmt(kyOver, 2), "≤ 1.00", kyOver <= 1],
    [
      "(d) own cost over an in-memory `fetch` + `.json()`, µs: client.get vs cockatiel wrap(retry, circuitBreaker, timeout)",
      `${us(ownGet)} vs ${us(ownWrap)}`,
      "≤ cockatiel's",
      median(ownGet) <= median(ownWrap),
    ],
    ["(d) own cost over a fake response, 5 header fields, µs", us(own5), "≤ 15", median(own5) <= 15_000],
    [
      "(d) own cost with 200 header fields / with 5",
      fmt(median(own200.map((x, r) => x / own5[r])), 2),
      "≤ 2.00",
      median(own200.map((x, r) => x / own5[r])) <= 2,
    ],
    [`(d) a ${fmt(co.bigBytes / 1024, 0)} KB JSON body: client.get / (text() + JSON.parse)`, fmt(bigRatio, 2), "≤ 1.10", bigRatio <= 1.1],
    [
      `(e) CPU per call at ${cpu.map(([n]) => n).join(", ")} concurrent calls, µs`,
      cpu.map(([, v]) => fmt(v, 1)).join(", "),
      "flat or falling (≤ 1.1× the first)",
      flat,
    ],
  ];
  console.log("\n| the issue's targets | measured | target | met? |");
  console.log("|---|---:|---|---|");
  for (const [what, value, target, met] of targets) console.log(`| ${what} | ${value} | ${target} | ${met ? "yes" : "**no**"} |`);
  console.log("\n| case (d) | median | IQR |");
  console.log("|---|---:|---:|");
  for (const [k, v] of Object.entries(co)) if (Array.isArray(v)) console.log(`| ${k} | ${fmt(median(v) / 1e3)} µs/call | ${iqr(v, 1e-3, 1)} |`);

  console.log(`\n(${fmt((performance.now() - started) / 1e3, 0)} s; load average ${os.loadavg()[0].toFixed(2)} at the end)`);

  // A busiest second above the rate is a wrong result, not a missed target.
  const crowded = pc.filter((p) => p.busiest > p.perSecond);
  check(crowded.length === 0, crowded.map((p) => `${p.busiest} sends in one second at ${p.perSecond}/s`).join(", "));
}
