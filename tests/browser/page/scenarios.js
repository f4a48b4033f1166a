// The page's side of tests/browser/page.test.mjs: the package's web build,
// loaded by its bare name, and four scenarios against the fault server on
// another origin. Each scenario answers plain JSON the test asserts on;
// the server's own record of what reached it is the test's other witness.
import { init, createClient, ResilienceError } from "steadfast";

const started = performance.now();
await init();
const initMs = performance.now() - started;

// Every call carries a credential header, as an Etsy client would: the
// browser must ask the server first (a CORS preflight).
const HEADERS = { authorization: "Bearer page-test" };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function describe(e) {
  return {
    resilienceError: e instanceof ResilienceError,
    name: e?.name ?? null,
    message: e?.message ?? String(e),
    kind: e?.kind ?? null,
    category: e?.category ?? null,
    status: e?.status ?? null,
    retryAfterMs: e?.retryAfterMs ?? null,
    attempts: e?.attempts ?? null,
  };
}

const settle = (promise) =>
  promise.then(
    (r) => ({ ok: true, status: r.status, attempts: r.attempts, data: r.data }),
    (e) => ({ ok: false, error: describe(e) }),
  );

const scenarios = {
  /** Where the wasm came from. */
  loaded() {
    const wasm = performance.getEntriesByType("resource").filter((e) => e.name.endsWith(".wasm"));
    return { initMs, wasm: wasm.map((e) => e.name) };
  },

  /**
   * One call to learn the server's x-limit-per-second (a cross-origin
   * response header the page may read only when the server exposes it),
   * then `calls` at once: the client paces them under that limit.
   */
  async burst({ baseUrl, calls }) {
    const client = createClient({
      baseUrl,
      headers: HEADERS,
      limiter: { perSecond: 50, burst: 1 },
      retry: { maxRetries: 0 },
    });
    const rateLimited = [];
    client.on("rateLimited", (e) => rateLimited.push(e.delayMs));
    const first = await settle(client.get("/listings/0"));
    const learned = client.health().limiter.effectivePerSecond;
    const start = performance.now();
    const finished = [];
    const results = await Promise.all(
      Array.from({ length: calls }, (_, i) =>
        settle(client.get(`/listings/${i + 1}`)).then((r) => {
          finished.push(Math.round(performance.now() - start));
          return r;
        }),
      ),
    );
    client.close();
    return {
      first,
      learned,
      tookMs: performance.now() - start,
      results,
      finished,
      rateLimitedEvents: rateLimited.length,
    };
  },

  /** A call whose first answer (503 or 429) carries `Retry-After: 1`. */
  async retryAfter({ baseUrl, path }) {
    const client = createClient({
      baseUrl,
      headers: HEADERS,
      retry: { maxRetries: 2, baseDelayMs: 10, jitter: "none" },
      limiter: { perSecond: 100 },
    });
    const retries = [];
    client.on("retry", (e) => retries.push({ attempt: e.attempt, delayMs: e.delayMs, status: e.status }));
    const start = performance.now();
    const result = await settle(client.get(path));
    const tookMs = performance.now() - start;
    client.close();
    return { result, tookMs, retries };
  },

  /** Failures until the circuit opens, then one more call. */
  async circuit({ baseUrl, failures }) {
    const client = createClient({
      baseUrl,
      headers: HEADERS,
      breaker: { failureThreshold: failures, openMs: 30000 },
      retry: { maxRetries: 0 },
      limiter: { perSecond: 100 },
    });
    const changes = [];
    client.on("stateChange", (e) => changes.push(`${e.from}->${e.to}`));
    const failed = [];
    for (let i = 0; i < failures; i++) failed.push(await settle(client.get("/orders")));
    const start = performance.now();
    const refused = await settle(client.get("/orders"));
    const refusedMs = performance.now() - start;
    const health = client.health();
    client.close();
    return { failed, refused, refusedMs, changes, circuit: health.circuit, circuitOpenUntil: health.circuitOpenUntil, now: performance.now() };
  },

  /** A call the server holds; the page aborts it `afterMs` later. */
  async abort({ baseUrl, afterMs }) {
    const client = createClient({ baseUrl, headers: HEADERS, limiter: { perSecond: 100 } });
    const controller = new AbortController();
    const reason = new Error("the user left the page");
    const call = client.get("/slow", { signal: controller.signal });
    await sleep(afterMs);
    const abortedAt = performance.now();
    controller.abort(reason);
    let outcome;
    try {
      outcome = { resolved: await call };
    } catch (e) {
      outcome = { sameReason: e === reason, error: describe(e) };
    }
    const rejectMs = performance.now() - abortedAt;
    const activeCalls = client.health().activeCalls;
    client.close();
    return { ...outcome, rejectMs, activeCalls };
  },
};

window.scenarios = scenarios;
document.getElementById("status").textContent = "ready";
