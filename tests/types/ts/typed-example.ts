// A typed usage example: compiled (never run) with `tsc --strict` against
// the installed package, imported by name, in every project
// tests/types/typescript.test.mjs makes (node16, nodenext, bundler; the DOM
// lib, @types/node, both). Any error here fails the test.
import {
  createClient,
  type AttemptEvent,
  type SuccessEvent,
  type FailureEvent,
  type Stats,
  classifyError,
  init,
  CircuitBreaker,
  RateLimiter,
  RetryPolicy,
  ErrorMonitor,
  ResilienceError,
  type CallInit,
  type Fetch,
  type FetchInit,
  type FetchResponse,
  type FailureKind,
  type ResponseType,
  type Health,
  type Snapshot,
  type SteadfastResponse,
  type WasmModule,
  type AuthOptions,
  type ClientHeaders,
  type HeaderFunction,
} from "steadfast";
import wasm from "steadfast/steadfast_wasm_bg.wasm";

interface Listing {
  listing_id: number;
  title: string;
}

// The platform's fetch as it is, whichever lib types it.
export const platform = createClient({ fetch: globalThis.fetch });
export const bare = createClient({ fetch });

// A wrapper that reads what the client passes and forwards it, as it is or
// spread with a field of the standard RequestInit added.
export const logged = createClient({
  fetch: async (url, init) => {
    const method: string = init.method;
    const headers: Record<string, string> = init.headers;
    const signal: AbortSignal = init.signal;
    console.log(method, url, Object.keys(headers).length, signal.aborted, init.body === undefined);
    return fetch(url, init);
  },
});
export const spread = createClient({
  fetch: (url, init) => fetch(url, { ...init, keepalive: true, headers: { ...init.headers, "x-trace": "1" } }),
});

// A fetch of your own, typed by the package's names, answering a plain
// object (what the client reads of a Response), or a Response.
const fake: Fetch = (_url: string, init: FetchInit): FetchResponse =>
  init.method === "GET" ? { status: 200, headers: { "content-type": "text/plain" }, text: () => "ok" } : { status: 204 };
export const faked = createClient({ fetch: fake });
export const responses = createClient({ fetch: async () => new Response("{}", { status: 200 }) });

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
  etsy.on("attempt", (e: AttemptEvent) => console.log(e.attempt, e.status ?? 0, e.category ?? "ok", e.latencyMs, e.willRetry));
  etsy.on("success", (e: SuccessEvent) => console.log(e.method, e.endpoint, e.status, e.attempts, e.latencyMs));
  etsy.on("failure", (e: FailureEvent) => console.log(e.kind, e.category, e.status ?? 0, e.attempts, e.latencyMs));
  try {
    const init: CallInit = {
      signal: AbortSignal.timeout(10000),
      query: { includes: ["Images", "Shop"] },
      headers: new Headers({ "x-request": "1" }),
    };
    const r: SteadfastResponse<Listing> = await etsy.get<Listing>("/application/listings/123", init);
    await etsy.post("/uploads", undefined, { body: new Uint8Array([1, 2, 3]), idempotencyKey: "k" });
    await etsy.put("/notes/1", undefined, { body: new URLSearchParams({ a: "1" }) });
    return r.data.title;
  } catch (e) {
    return describe(e);
  } finally {
    const h: Health = etsy.health();
    console.log(h.circuit, h.circuits.length, h.limiter.pauseAskedUntil, h.monitor.totalErrors);
    const stats: Stats = etsy.stats();
    const failed: number = stats.calls.byKind.gave_up + stats.attempts.byCategory.server;
    console.log(stats.windowMs, stats.calls.total, failed, stats.latencyMs.p99 ?? 0);
    const snapshot: Snapshot = etsy.snapshot();
    console.log(JSON.stringify(snapshot).length);
    // Readable: until when each open circuit stays open, the quota left.
    for (const c of snapshot.circuits ?? []) {
      if (c.state === "open") console.log(c.endpoint ?? "(client)", new Date(c.until ?? 0).toISOString());
    }
    console.log(snapshot.format === 3, snapshot.limiter.quota?.remaining ?? null);
    // Restored from the object or from its JSON text.
    createClient({ restore: snapshot }).close();
    createClient({ restore: JSON.stringify(snapshot) }).close();
    off();
    etsy.close();
  }
}

// `data` typed by the body's reading: each responseType, by default JSON.
export async function bodies(c: ReturnType<typeof createClient>): Promise<number> {
  const json: { id: number } = (await c.get<{ id: number }>("/j")).data;
  const untyped: unknown = (await c.get("/j", { query: { a: 1 } })).data;
  const text: string = (await c.get("/t", { responseType: "text" })).data;
  const bytes: Uint8Array = (await c.get("/b", { responseType: "bytes" })).data;
  const buffer: ArrayBuffer = (await c.post("/b", { a: 1 }, { responseType: "arrayBuffer" })).data;
  const blob: Blob = (await c.request("GET", "/b", { responseType: "blob" })).data;
  const stream: ReadableStream<Uint8Array> | null = (await c.get("/s", { responseType: "stream" })).data;
  const chosen: ResponseType = Math.random() > 0.5 ? "text" : "bytes";
  const either: string | Uint8Array = (await c.get("/x", { responseType: chosen })).data;
  void untyped;
  void either;
  await stream?.cancel();
  return json.id + text.length + bytes.length + buffer.byteLength + blob.size;
}

// Narrowing a rejection: `instanceof`, then its kind and category.
export function describe(e: unknown): string {
  if (!(e instanceof ResilienceError)) return String(e);
  if (e.category === "validation") return `${e.status} ${e.serverMessage ?? ""} ${JSON.stringify(e.data)}`;
  switch (e.kind) {
    case "gave_up":
      return `gave up (${e.reason ?? "?"}) after ${e.attempts}`;
    case "circuit_open":
    case "rate_limited":
    case "quota_exhausted":
      return `back in ${e.retryAfterMs ?? "?"} ms`;
    case "deadline_exceeded":
    case "cancelled":
    case "closed":
    case "unknown":
      return e.kind;
    case "header_failed":
    case "auth_refresh_failed":
    case "auth_refresh_timeout":
      return `credentials (${e.category}): ${e.kind}`;
    default: {
      const never: never = e.kind;
      return never;
    }
  }
}
const kinds: FailureKind[] = ["gave_up", "closed"];
export const mine = new ResilienceError("mine", { kind: kinds[0], status: 503, cause: new Error("x") });

export async function blocks(): Promise<number> {
  const c = classifyError(429, "{}", { "x-remaining-this-second": "0" });
  const wait: number | null = c.retryAfterMs;
  const breaker = new CircuitBreaker({ failureThreshold: 3, clock: { now: () => performance.now() } });
  const changes: string[] = [];
  const off: () => void = breaker.on("stateChange", (e) => changes.push(`${e.from}→${e.to}@${e.at}`));
  const n: number = await breaker.execute(async () => 42);
  off();
  return n + (wait ?? 0) + (breaker.isAvailable() ? 1 : 0) + (breaker.state === "open" ? 1 : 0);
}

export async function moreBlocks(signal: AbortSignal): Promise<number> {
  const limiter = new RateLimiter({ perSecond: 5, perDay: null });
  await limiter.acquire(signal);
  limiter.updateFromHeaders({ "x-limit-per-second": "5" }, 200);
  const pace: number = limiter.status().effectivePerSecond;
  const retry = new RetryPolicy({ maxRetries: 2, idempotent: false, seed: 1 });
  retry.on("retry", (e) => console.log(e.attempt, e.delayMs, e.category, e.status));
  retry.on("giveUp", (e) => console.log(e.attempts, e.reason.length));
  const res: { status: number } = await retry.execute(async () => ({ status: 200 }), signal);
  const monitor = new ErrorMonitor({ alertThreshold: 3, clock: { now: () => 0 } });
  const off: () => void = monitor.onAlert((s, type) => console.log(type, s.totalErrors));
  monitor.record({ status: 503, endpoint: "/x", message: "down" });
  off();
  return pace + res.status + monitor.summary().totalErrors;
}

// The .wasm subpath: the compiled module, handed to `init` (Cloudflare
// Workers); `init` also takes a URL, a Response or the bytes.
export async function load(bytes: ArrayBuffer): Promise<void> {
  const compiled: WasmModule = wasm;
  await init(compiled);
  await init(new URL("./steadfast_wasm_bg.wasm", import.meta.url));
  await init(bytes);
  await init();
}

// Tokens that expire: a header function (sync or async, in an object, a
// Map or pairs) and `auth.refresh`, typed by the package's own names.
let accessToken = "t";
const headers: ClientHeaders = { authorization: () => `Bearer ${accessToken}`, "x-api-key": "k" };
const auth: AuthOptions = {
  async refresh() {
    accessToken = "t2";
  },
  timeoutMs: 5000,
};
export const expiring = createClient({ headers, auth });
export const asyncHeader = createClient({
  headers: new Map<string, string | HeaderFunction>([["authorization", async () => `Bearer ${accessToken}`]]),
  auth: { refresh: () => "a-token" },
});
export const pairHeader = createClient({ headers: [["authorization", () => "Bearer x"]], auth: null });
export const authKinds: FailureKind[] = ["header_failed", "auth_refresh_failed", "auth_refresh_timeout"];
