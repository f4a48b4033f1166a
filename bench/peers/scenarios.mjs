// The scenarios of `make bench-peers`: what the fault server does, and the
// workload every client runs against it. Shared by server.mjs (the faults),
// run.mjs (the workload, the table) and README.md (which quotes them).
//
// Time is real, except for Etsy's day: its quota window is compressed to
// DAY_MS (one minute) so that a run of seconds can spend it. The headers stay
// Etsy's (`x-limit-per-day`, `x-remaining-today` count the compressed day).

/** The compressed "day" of the daily quota, in ms. */
export const DAY_MS = 60_000;

/**
 * The same knobs for every client, where it has them (see clients/*.mjs for
 * how each is given them). The limiter figures are Etsy's documented ones:
 * what a user configures for Etsy, not what this server enforces.
 */
export const KNOBS = {
  maxRetries: 3,
  baseDelayMs: 250,
  maxDelayMs: 10_000,
  attemptTimeoutMs: 5_000,
  breakerFailures: 5,
  breakerOpenMs: 10_000,
  perSecond: 10,
  perDay: 10_000,
  dayWindowMs: DAY_MS,
};

/** The server's defaults (an Etsy-like API behaving well). */
const SERVER = {
  // Token bucket: refill per second, size; and what x-limit-per-second says.
  perSecond: 10,
  burst: 10,
  advertisedPerSecond: 10,
  // Requests per rolling DAY_MS, said in x-limit-per-day.
  dailyQuota: 10_000,
  // [start, end) ms after the run's start: every request answered 503.
  outages: [],
  // How a 429 for rate names its delay: "seconds", "date" or "mixed".
  retryAfter: "seconds",
  // Probabilities per request.
  pServerError: 0,
  pResetBefore: 0,
  pResetAfter: 0,
  pSlow: 0,
  // Latency of an answer, uniform in ms; a slow one takes slowMs.
  latencyMs: [10, 60],
  slowMs: 8_000,
};

/**
 * Every scenario: `server` (over SERVER), and the workload: `gets` GETs and
 * `posts` POSTs (half of them keyed), arriving at `ratePerS` per second
 * (exponential gaps, seeded), at most `concurrency` in flight; `capMs`: the
 * run is cut there (what is still pending then counts as failed).
 */
export const SCENARIOS = [
  {
    name: "rate_limit_pressure",
    about:
      "12 calls/s against an API that allows 5/s (a bucket of 5) and says so in x-limit-per-second; " +
      "429 with Retry-After: 1; clients configured for Etsy's 10/s",
    server: { perSecond: 5, burst: 5, advertisedPerSecond: 5 },
    gets: 56,
    posts: 14,
    ratePerS: 12,
    concurrency: 16,
    capMs: 30_000,
  },
  {
    name: "outage",
    about: "6 calls/s; every request answered 503 from 3 s to 11 s; 5 % random 500/502/504 (half after acting)",
    server: { outages: [[3_000, 11_000]], pServerError: 0.05 },
    gets: 64,
    posts: 16,
    ratePerS: 6,
    concurrency: 16,
    capMs: 30_000,
  },
  {
    name: "mixed_faults",
    about:
      "8 calls/s; 5 % 500/502/504 (half after acting), 4 % resets before and 4 % after the server acted, " +
      "4 % answers slower (8 s) than the 5 s attempt timeout; Retry-After in both forms",
    server: { pServerError: 0.05, pResetBefore: 0.04, pResetAfter: 0.04, pSlow: 0.04, retryAfter: "mixed" },
    gets: 64,
    posts: 32,
    ratePerS: 8,
    concurrency: 16,
    capMs: 30_000,
  },
  {
    name: "quota_exhaustion",
    about:
      "6 calls/s, 90 calls against a daily quota of 60 (a 60 s 'day'), said in x-limit-per-day; " +
      "clients configured for Etsy's 10 000/day",
    server: { dailyQuota: 60 },
    gets: 72,
    posts: 18,
    ratePerS: 6,
    concurrency: 16,
    capMs: 30_000,
  },
];

/** The scenario called `name`, its server settings complete. */
export function scenario(name) {
  const s = SCENARIOS.find((x) => x.name === name);
  if (!s) throw new Error(`unknown scenario '${name}' (one of ${SCENARIOS.map((x) => x.name).join(", ")})`);
  return { ...s, server: { ...SERVER, ...s.server } };
}

/** A seeded PRNG: SplitMix32-style mulberry32, floats in [0, 1). */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The workload of scenario `s` for `seed`: the same for every client.
 * Each call: { i, at (ms after the start), method, path, ref, key, body }.
 * POSTs carry a client reference (`ref`, sent as `x-client-ref` and in the
 * body) by which the server detects a write applied twice; every other POST
 * also has an idempotency key (`key`, sent as `Idempotency-Key`), by which
 * the server deduplicates.
 */
export function workload(s, seed) {
  const rand = prng(seed ^ 0xca11);
  const n = s.gets + s.posts;
  // Which calls are POSTs: a seeded shuffle of the kinds.
  const kinds = [...Array(s.gets).fill("GET"), ...Array(s.posts).fill("POST")];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j], kinds[i]];
  }
  const calls = [];
  let t = 0;
  let posts = 0;
  for (let i = 0; i < n; i++) {
    t += (-Math.log(Math.max(rand(), 1e-12)) / s.ratePerS) * 1000;
    const listing = 1_000_000 + Math.floor(rand() * 100_000);
    if (kinds[i] === "GET") {
      calls.push({ i, at: Math.round(t), method: "GET", path: `/v3/application/listings/${listing}` });
    } else {
      const ref = `${s.name}-${seed}-${i}`;
      const keyed = posts++ % 2 === 0;
      calls.push({
        i,
        at: Math.round(t),
        method: "POST",
        path: "/v3/application/shops/42/listings",
        ref,
        key: keyed ? ref : null,
        body: { title: `Listing ${i}`, price: 24.0, quantity: 1, client_ref: ref },
      });
    }
  }
  return calls;
}
