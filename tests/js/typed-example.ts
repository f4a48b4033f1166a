// A typed usage example: compiled with `tsc --strict` against the installed
// package by tests/js/types.test.mjs (never run).
import {
  createClient,
  classifyError,
  CircuitBreaker,
  RateLimiter,
  RetryPolicy,
  ErrorMonitor,
  ResilienceError,
  type Health,
  type Snapshot,
  type SteadfastResponse,
} from "steadfast";

interface Listing {
  listing_id: number;
  title: string;
}

export async function example(key: string, saved: Snapshot | null): Promise<string> {
  const etsy = createClient({
    baseUrl: "https://openapi.etsy.com/v3",
    headers: { "x-api-key": key },
    retry: { maxRetries: 3, baseDelayMs: 1000, maxDelayMs: 60000, jitter: "full" },
    breaker: { failureThreshold: 5, successThreshold: 2, openMs: 60000, scope: "endpoint" },
    limiter: { perSecond: 10, perDay: 10000, bufferRatio: 0.1, adaptive: true, maxPauseMs: 120000 },
    monitor: { windowMs: 300000, alertThreshold: 10, onAlert: (s) => console.warn(s.errorRate) },
    restore: saved,
  });
  const off = etsy.on("stateChange", (e) => console.log(e.from, e.to, e.endpoint ?? "client"));
  etsy.on("retry", (e) => console.log(e.attempt, e.delayMs, e.category));
  try {
    const r: SteadfastResponse<Listing> = await etsy.get<Listing>("/application/listings/123", {
      signal: AbortSignal.timeout(10000),
      query: { includes: ["Images", "Shop"] },
    });
    return r.data.title;
  } catch (e) {
    if (e instanceof ResilienceError && e.category === "validation") {
      return `${e.status} ${e.serverMessage ?? ""} ${JSON.stringify(e.data)}`;
    }
    throw e;
  } finally {
    const h: Health = etsy.health();
    console.log(h.circuit, h.circuits.length, h.limiter.pauseAskedUntil, h.monitor.totalErrors);
    const snapshot: Snapshot = etsy.snapshot();
    console.log(JSON.stringify(snapshot).length);
    off();
    etsy.close();
  }
}

export async function blocks(): Promise<number> {
  const c = classifyError(429, "{}", { "x-remaining-this-second": "0" });
  const wait: number | null = c.retryAfterMs;
  const breaker = new CircuitBreaker({ failureThreshold: 3, clock: { now: () => performance.now() } });
  const n: number = await breaker.execute(async () => 42);
  // @ts-expect-error: a number is not a jitter kind
  createClient({ retry: { jitter: 3 } });
  // @ts-expect-error: no such event
  createClient().on("exploded", () => {});
  return n + (wait ?? 0) + (breaker.isAvailable() ? 1 : 0) + (breaker.state === "open" ? 1 : 0);
}

export async function moreBlocks(signal: AbortSignal): Promise<number> {
  const limiter = new RateLimiter({ perSecond: 5, perDay: null });
  await limiter.acquire(signal);
  limiter.updateFromHeaders({ "x-limit-per-second": "5" }, 200);
  const pace: number = limiter.status().effectivePerSecond;
  const retry = new RetryPolicy({ maxRetries: 2, idempotent: false, seed: 1 });
  const res: { status: number } = await retry.execute(async () => ({ status: 200 }), signal);
  const monitor = new ErrorMonitor({ alertThreshold: 3, clock: { now: () => 0 } });
  const off: () => void = monitor.onAlert((s, type) => console.log(type, s.totalErrors));
  monitor.record({ status: 503, endpoint: "/x", message: "down" });
  // @ts-expect-error: not a category
  monitor.record({ category: "broken" });
  off();
  return pace + res.status + monitor.summary().totalErrors;
}
