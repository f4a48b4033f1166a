// Fuzzing the decoding of options from JS values: random option objects —
// every known option, nested, with values of every JS type (NaN, -0,
// ±Infinity, 2**53 and past, fractions, strings, BigInt, symbols, arrays,
// functions, null, getters and proxies that throw), unknown keys, wrong
// shapes — given to createClient and to a call's init. Each must either
// work or throw a TypeError/RangeError naming the option in backticks:
// never a trap from the WebAssembly (a RuntimeError), never another error.
// STEADFAST_FUZZ_CASES cases (2,000 by default), or as many as fit in
// STEADFAST_FUZZ_SECONDS (`make fuzz`), from a seeded generator
// (STEADFAST_FUZZ_SEED, printed) so that a finding replays.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadSteadfast } from "./harness.mjs";

const { esm } = await loadSteadfast();
const { createClient } = esm;

const CASES = Number(process.env.STEADFAST_FUZZ_CASES || 2000);
const SECONDS = Number(process.env.STEADFAST_FUZZ_SECONDS || 0);
const SEED = Number(process.env.STEADFAST_FUZZ_SEED || Date.now() % 2 ** 31);

/** mulberry32: a small seeded generator. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SECTIONS = {
  retry: ["maxRetries", "baseDelayMs", "maxDelayMs", "multiplier", "jitter", "maxRetryAfterMs", "deadlineMs", "budget"],
  "retry.budget": ["ratio", "minRetriesPerSecond", "maxTokens"],
  breaker: [
    "failureThreshold",
    "successThreshold",
    "openMs",
    "openBackoff",
    "maxOpenMs",
    "halfOpenMaxProbes",
    "failureRate",
    "slowCallMs",
    "failureCategories",
    "scope",
    "maxBreakers",
  ],
  "breaker.failureRate": ["threshold", "minimumCalls", "window"],
  "breaker.failureRate.window": ["kind", "size", "windowMs", "buckets"],
  limiter: [
    "perSecond",
    "burst",
    "perDay",
    "bufferRatio",
    "dayWindowMs",
    "adaptive",
    "maxSlowdown",
    "recoveryFactor",
    "rateLimitPauseMs",
    "quotaRecheckMs",
    "maxQueueMs",
    "maxPauseMs",
    "timerSlackMs",
  ],
  monitor: ["windowMs", "buckets", "alertThreshold", "alertRate", "minCalls", "maxEndpoints", "onAlert"],
  clock: ["now", "sleep", "wallNow"],
};
const TOP = ["retry", "breaker", "limiter", "monitor", "baseUrl", "headers", "attemptTimeoutMs", "seed", "restore"];
const WORDS = ["full", "equal", "decorrelated", "none", "count", "time", "endpoint", "client", "server", "rate_limit", "timeout", "network", ""];

function generator(next) {
  const pick = (xs) => xs[Math.floor(next() * xs.length)];
  const number = () =>
    pick([
      0,
      -0,
      1,
      -1,
      0.5,
      1.5,
      2,
      3,
      10,
      100,
      1000,
      60_000,
      86_400_000,
      86_400_001,
      2 ** 31,
      2 ** 32,
      2 ** 53 - 1,
      2 ** 53,
      2 ** 64,
      1e308,
      Number.MAX_VALUE,
      Number.MIN_VALUE,
      Number.EPSILON,
      NaN,
      Infinity,
      -Infinity,
      Math.floor(next() * 1e6),
      next(),
      -next() * 1e9,
    ]);
  const hostile = () =>
    pick([
      () => new Proxy({}, { ownKeys: () => { throw new Error("hostile ownKeys"); } }),
      () => new Proxy({}, { get: () => { throw new Error("hostile get"); } }),
      () => Object.defineProperty({}, "maxRetries", { enumerable: true, get: () => { throw new Error("hostile getter"); } }),
      () => Object.create(null),
      () => new Date(0),
      () => new Map(),
      () => Promise.resolve(1),
    ])();
  const value = (depth, path) => {
    const r = next();
    if (r < 0.3) return number();
    if (r < 0.4) return pick(WORDS);
    if (r < 0.45) return pick([true, false]);
    if (r < 0.5) return pick([null, undefined]);
    if (r < 0.53) return pick([1n, -1n, 2n ** 64n]);
    if (r < 0.55) return Symbol("s");
    if (r < 0.6) return () => 0;
    if (r < 0.65) return Array.from({ length: Math.floor(next() * 4) }, () => pick(WORDS));
    if (r < 0.7) return hostile();
    if (r < 0.75) return "x".repeat(Math.floor(next() * 2000));
    if (depth > 0 && SECTIONS[path]) return section(depth - 1, path);
    return number();
  };
  const section = (depth, path) => {
    const keys = SECTIONS[path] || TOP;
    const o = {};
    const n = Math.floor(next() * 5);
    for (let i = 0; i < n; i++) {
      const k = next() < 0.9 ? pick(keys) : pick(["nope", "maxretries", "__proto__", "constructor", ""]);
      const sub = path ? `${path}.${k}` : k;
      o[k] = SECTIONS[sub] && next() < 0.7 ? section(depth - 1, sub) : value(depth, sub);
    }
    return o;
  };
  const options = () => {
    const r = next();
    if (r < 0.05) return value(0, "");
    if (r < 0.1) return hostile();
    const o = section(3, "");
    if (next() < 0.2) o.clock = section(1, "clock");
    if (next() < 0.2) o.headers = { [pick(["x-api-key", "bad name", "ok", ""])]: value(0, "h") };
    return o;
  };
  const init = () => {
    const o = {};
    for (const k of ["timeoutMs", "signal", "query", "json", "body", "idempotencyKey", "headers", "responseType", "foo"]) {
      if (next() < 0.25) o[k] = k === "query" && next() < 0.5 ? { a: value(0, "q") } : value(1, k);
    }
    return o;
  };
  return { options, init };
}

/** A thrown value is a named option error, or the test fails. */
function named(e, what) {
  assert.ok(
    e instanceof TypeError || e instanceof RangeError,
    `${what}: ${e && e.constructor && e.constructor.name}: ${e && e.message}`,
  );
  assert.ok(/`[^`]*`/.test(e.message), `${what}: the option is not named: ${e.message}`);
}

test(`random client options and call inits: a client or a named error (seed ${SEED})`, async () => {
  const next = rng(SEED);
  const { options, init } = generator(next);
  let built = 0;
  let refused = 0;
  const started = Date.now();
  let i = 0;
  for (; i < CASES || Date.now() - started < SECONDS * 1000; i++) {
    const opts = options();
    let client;
    try {
      client = createClient(opts);
      built++;
    } catch (e) {
      refused++;
      named(e, `case ${i} (seed ${SEED})`);
      continue;
    }
    try {
      assert.ok(["closed", "open", "half-open", "half_open"].includes(client.health().circuit));
      const i2 = init();
      const fetch = async () => new Response("{}", { status: 200 });
      const c2 = createClient({ fetch, retry: { maxRetries: 0 } });
      try {
        await c2.get("/x", i2);
      } catch (e) {
        named(e, `case ${i} init (seed ${SEED})`);
      } finally {
        c2.close();
      }
    } finally {
      client.close();
    }
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `options fuzz: ${i} cases in ${seconds} s (seed ${SEED}): ${built} clients built, ${refused} refused by name, 0 findings`,
  );
  assert.ok(built > 0 && refused > 0, "both kinds of case happened");
});
