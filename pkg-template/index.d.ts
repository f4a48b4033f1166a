// Types of the npm package `steadfast`: every export, as both builds have it.
// The build ships this file as index.d.ts (ES module syntax) and as
// index.d.cts (`require("steadfast")`, node/index.cjs); the entries with a
// default export re-export it: node/index.d.mts (Node's `import`, whose
// default is this API as one object) and web/index.d.ts (browsers, workers,
// bundlers: whose default is `init`).
//
// It names the web platform's types (AbortSignal, Headers, Blob, FormData,
// URLSearchParams, Request, Response, URL): a project needs the DOM lib
// (`"lib": ["dom"]`) or @types/node, or both, for them. WebAssembly.Module,
// which @types/node does not declare, is named only through WasmModule.
// The `fetch` option is typed by what the client does with it (FetchInit,
// FetchResponse), not by either lib's RequestInit, so that the DOM's fetch,
// Node's (undici's) and a wrapper of either fit it whichever libs are in.

/** What kind of failure, as a user branches on it. */
export type Category =
  | "auth"
  | "rate_limit"
  | "validation"
  | "not_found"
  | "conflict"
  | "server"
  | "network"
  | "timeout"
  | "unknown";

/** Why a call ended without success. */
export type FailureKind =
  | "gave_up"
  | "circuit_open"
  | "rate_limited"
  | "quota_exhausted"
  | "deadline_exceeded"
  | "cancelled"
  | "closed"
  | "header_failed"
  | "auth_refresh_failed"
  | "auth_refresh_timeout";

/** Why the retry policy stopped (`kind: "gave_up"`). */
export type GiveUpReason =
  | "not_retryable"
  | "attempts_exhausted"
  | "would_duplicate_write"
  | "retry_after_too_long"
  | "deadline_exceeded"
  | "budget_exhausted";

export type CircuitState = "closed" | "open" | "half_open";

export type HttpMethod = "GET" | "HEAD" | "OPTIONS" | "TRACE" | "PUT" | "DELETE" | "POST" | "PATCH";

/** An injectable clock: time in milliseconds, and a cancellable sleep. */
export interface Clock {
  /** Monotonic milliseconds (default `performance.now()`, moved on by a fake `Date` or timer too). */
  now(): number;
  /** Resolves after `ms` (by this clock); should reject or stay pending once `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<unknown>;
  /** Wall-clock milliseconds since 1970 (default `Date.now()`): dates snapshots and reads HTTP-date `Retry-After`. */
  wallNow?(): number;
}

export interface RetryOptions {
  /** Retries after the first attempt. Default 3, 0..=100. */
  maxRetries?: number;
  /** First backoff ceiling in ms. Default 1000. */
  baseDelayMs?: number;
  /** No backoff exceeds this, in ms. Default 60000, 1..=86400000. */
  maxDelayMs?: number;
  /** Growth per retry. Default 2, 1..=100. */
  multiplier?: number;
  /** Default "full". */
  jitter?: "none" | "full" | "equal" | "decorrelated";
  /** Longest server-requested wait a call sits through, in ms. Default 60000. */
  maxRetryAfterMs?: number;
  /** Overall deadline of a call from its start, in ms; `null`: none (default). */
  deadlineMs?: number | null;
  /** Retry budget shared by all calls; `false`/`null` turns it off. */
  budget?: false | null | {
    /** Retries per first attempt. Default 0.2. */
    ratio?: number;
    /** Retries always allowed per second. Default 1. */
    minRetriesPerSecond?: number;
    /** Most tokens banked. Default 20. */
    maxTokens?: number;
  };
}

export interface BreakerOptions {
  /** Consecutive failures that open the circuit. Default 5. */
  failureThreshold?: number;
  /** Half-open successes that close it. Default 2. */
  successThreshold?: number;
  /** How long it stays open before probing, in ms. Default 60000. */
  openMs?: number;
  /** Each consecutive trip multiplies the open time by this. Default 1, 1..=10. */
  openBackoff?: number;
  /** Cap of the open time, in ms. Default 600000 (or `openMs` if larger). */
  maxOpenMs?: number;
  /** Probes at once while half-open. Default 1. */
  halfOpenMaxProbes?: number;
  /** Failure-rate rule in addition to consecutive failures; `null`: off (default). */
  failureRate?: null | {
    /** 0 < threshold <= 1. Default 0.5. */
    threshold?: number;
    /** Default 10. */
    minimumCalls?: number;
    /** Default `{ kind: "count", size: 100 }`. */
    window?: { kind?: "count"; size?: number } | { kind?: "time"; windowMs?: number; buckets?: number };
  };
  /** Calls slower than this (ms) count as failures; `null`: off (default). */
  slowCallMs?: number | null;
  /** Which categories count as failures. Default ["server", "network", "timeout"]. */
  failureCategories?: Category[];
  /** One circuit for the whole client (default), or one per normalised endpoint (`/listings/{id}`). */
  scope?: "client" | "endpoint";
  /** With `scope: "endpoint"`: most circuits kept (least recently used dropped). Default 64, 1..=10000. */
  maxBreakers?: number;
}

export interface LimiterOptions {
  /** Requests per second. Default 10. */
  perSecond?: number;
  /** Back-to-back requests before pacing. Default 1. */
  burst?: number;
  /** Requests per rolling day; `null`: no quota. Default 10000. */
  perDay?: number | null;
  /** Fraction of the daily quota never used. Default 0.1, 0..=0.99. */
  bufferRatio?: number;
  /** The quota's rolling window in ms. Default 86400000. */
  dayWindowMs?: number;
  /** Slow down on 429, recover on success. Default true. */
  adaptive?: boolean;
  /** Largest slow-down factor. Default 10. */
  maxSlowdown?: number;
  /** Each success multiplies the slow-down by this. Default 0.9. */
  recoveryFactor?: number;
  /** Pause after a 429 naming no delay, in ms. Default 1000. */
  rateLimitPauseMs?: number;
  /** After the server says no quota is left, how long before one request asks again. Default 60000. */
  quotaRecheckMs?: number;
  /** Longest a call may queue for a slot, in ms. Default 300000. */
  maxQueueMs?: number;
  /** Longest pause one server answer (Retry-After on 429/503) imposes on every call, in ms. Default 120000, 0..=86400000. */
  maxPauseMs?: number;
  /**
   * How late a timer may fire and the time still be caught up, in ms: a request sent up to this late keeps
   * the schedule. The pace leaves room in each second for the lateness the host's timers have shown so far,
   * up to this much, so that late sends never put more than the rate into one second (the pace is
   * `perSecond × 1000 / (1001 + L)` with `L` the latest a timer has fired within this, or `perSecond` while
   * timers are on time; a timer later than this is a stall, whose lateness is lost). Default 20, 0..=1000;
   * 0 paces strictly at `perSecond` and loses every lateness.
   */
  timerSlackMs?: number;
}

export interface MonitorOptions {
  /** Sliding window in ms. Default 300000. */
  windowMs?: number;
  /** Buckets of the window. Default 60. */
  buckets?: number;
  /** Alert at this many errors in the window. Default 10. */
  alertThreshold?: number;
  /** Or at this error rate (with `minCalls`); `null`: off (default). */
  alertRate?: number | null;
  /** Calls needed before `alertRate` applies. Default 20. */
  minCalls?: number;
  /** Distinct endpoints tracked; more count as "{other}". Default 32. */
  maxEndpoints?: number;
  /** Called with the summary when the alert fires. */
  onAlert?: (summary: MonitorSummary) => void;
}

export interface ClientOptions {
  /** Prefix of every path (`https://openapi.etsy.com/v3`). */
  baseUrl?: string;
  /** Sent with every request. Credentials (names with key, token, auth, cookie, secret...), here or in a call's headers or query, never appear in errors, events, health() or snapshot(). Any form `fetch` takes: a plain object, a `Headers`, a `Map` or `[name, value]` pairs. A value may be a `HeaderFunction` (in a plain object, a `Map` or pairs), called before each attempt; what it returns is a secret. */
  headers?: ClientHeaders;
  /** Default `globalThis.fetch`. Called once per attempt as `fetch(url, init)`: see `Fetch`. */
  fetch?: Fetch;
  /** Default `performance.now()` and `setTimeout`, looked up on `globalThis` at each use: fake timers (node:test, sinon, Jest, Vitest) drive it. */
  clock?: Clock;
  /** Each attempt's timeout in ms. Default 30000. */
  attemptTimeoutMs?: number;
  /** Seed of the jitter generator (default: random). */
  seed?: number;
  retry?: RetryOptions;
  breaker?: BreakerOptions;
  limiter?: LimiterOptions;
  monitor?: MonitorOptions;
  /** A snapshot from `client.snapshot()` (maybe of an earlier process), or its JSON text, to resume from. Every field is checked: a TypeError or RangeError names the one at fault. */
  restore?: Snapshot | string | null;
  /** Credentials that expire: how to renew them when the server answers 401. */
  auth?: AuthOptions | null;
}

/** A header field's value computed before each attempt (an access token that expires); a rejection or throw fails the call unsent (`kind: "header_failed"`, category `auth`). */
export type HeaderFunction = () => string | PromiseLike<string>;

/** The client's `headers`: as `HeadersLike`, with values that may be functions. */
export type ClientHeaders =
  | Headers
  | Map<string, string | HeaderFunction>
  | Array<[string, string | HeaderFunction]>
  | Record<string, string | HeaderFunction>;

/** `auth`: on a 401, `refresh` runs once for every call the 401s refused, then each is sent again once. */
export interface AuthOptions {
  /** Renews the credentials your header functions read (a string it resolves to is a secret too). A rejection fails the waiting calls (`kind: "auth_refresh_failed"`, the rejection as `cause`). */
  refresh: () => unknown;
  /** How long `refresh` may take before the waiting calls fail with `kind: "auth_refresh_timeout"`, in ms (1..=600000). Default 10000. */
  timeoutMs?: number;
}

/**
 * `client.snapshot()`: plain JSON a person can read (no credentials); pass it
 * back as `restore`. Every instant is wall-clock ms since 1970; a field
 * left out holds what a fresh client would (0, none, empty).
 */
export interface Snapshot {
  readonly format: 3;
  /** When it was taken (`Date.now()`, or the clock's `wallNow()`). */
  readonly savedAt: number;
  /** The jitter generator's 64-bit state, as decimal digits. */
  readonly rng: string;
  /** The circuits that know something (a closed one with no failure is left out). */
  readonly circuits?: readonly SavedCircuit[];
  readonly limiter: SavedLimiter;
  readonly monitor: SavedMonitor;
  /** The retry budget, when one is on. */
  readonly budget?: { readonly balanceMilli?: number; readonly reserveMilli?: number; readonly refilledAt?: number };
}

/** One circuit in a snapshot. */
export interface SavedCircuit {
  /** Its normalised endpoint (`/listings/{id}`); absent for the client's one circuit. */
  readonly endpoint?: string;
  /** As `health()` names it. */
  readonly state: "closed" | "open" | "half_open";
  /** Open: when it half-opens. */
  readonly until?: number;
  /** Closed: failures in a row. */
  readonly failures?: number;
  /** Half-open: probe successes so far. */
  readonly successes?: number;
  /** Trips since it last closed. */
  readonly trips?: number;
  /** A count window's outcomes, oldest first: `s` success, `f` failure. */
  readonly outcomes?: string;
  /** A time window's slices: `[end, calls, failures]`. */
  readonly buckets?: readonly (readonly [number, number, number])[];
}

/** The limiter in a snapshot: what the server said and what was counted. */
export interface SavedLimiter {
  readonly serverPerSecond?: number;
  readonly serverPerDay?: number;
  /** The pace's slow-down after 429s (>= 1, up to three decimals). */
  readonly slowdown?: number;
  readonly rateLimits?: number;
  readonly pausedUntil?: number;
  readonly pauseAskedUntil?: number;
  /** The next request goes no sooner. */
  readonly paceAt?: number;
  readonly slackMs?: number;
  readonly quota?: { readonly remaining: number; readonly exhaustedAt?: number };
  readonly second?: { readonly remaining: number; readonly until: number };
  /** The daily window's count: `[end, requests]` per slice. */
  readonly sent?: readonly (readonly [number, number])[];
}

/** The monitor in a snapshot: its window's counts by slice. */
export interface SavedMonitor {
  readonly alerting?: boolean;
  /** Each slice: `end`, `calls`, `errors`, errors under each category's name, and `endpoints`: `[calls, errors]` by endpoint. */
  readonly buckets?: readonly {
    readonly end: number;
    readonly calls: number;
    readonly errors?: number;
    readonly endpoints?: { readonly [endpoint: string]: readonly [number, number] };
    readonly [category: string]: number | undefined | { readonly [endpoint: string]: readonly [number, number] };
  }[];
  readonly lastError?: {
    readonly category: string;
    readonly status?: number;
    readonly endpoint: string;
    readonly message?: string;
    readonly at: number;
  };
}

export interface CircuitHealth {
  /** The endpoint it guards; `null`: the whole client. */
  endpoint: string | null;
  state: CircuitState;
  openUntil: number | null;
  probesInFlight: number;
}

/**
 * A body sent as it is: the forms that the DOM's and Node's `fetch` both
 * take. The client refuses any other with a TypeError naming `init.body`
 * (a stream too: a retry sends the same body again), except that it passes
 * a `SharedArrayBuffer` or a view of one on to `fetch` as well.
 */
export type CallBody = string | ArrayBuffer | BufferView | Blob | FormData | URLSearchParams;

/**
 * A typed array or a `DataView` over an `ArrayBuffer` (the DOM's `fetch`
 * takes no view of a `SharedArrayBuffer`). Spelt without TypeScript 5.7's
 * type arguments (`Uint8Array<ArrayBuffer>`) so that earlier compilers read
 * it too.
 */
export type BufferView = (
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array
  | DataView
) & { readonly buffer: ArrayBuffer };

/**
 * What the client hands its `fetch` for each attempt: a plain object with
 * exactly these fields, a standard `RequestInit` as the DOM and Node type it
 * (a wrapper may forward it to `fetch` as it is, or spread it).
 */
export interface FetchInit {
  /** The call's method. */
  method: HttpMethod;
  /**
   * The client's `headers` with the call's over them, one string per name
   * (credentials included: they are for the server, and are scrubbed from
   * errors, events and snapshots only).
   */
  headers: Record<string, string>;
  /**
   * The attempt's signal: aborted on the attempt's timeout, when the call is
   * cancelled and when the client closes. Made when first read (a `fetch`
   * that never reads it does not pay for it); `{ ...init }` copies it.
   */
  signal: AbortSignal;
  /** The call's `body`, or its `json` as JSON text; absent without one. */
  body?: CallBody;
}

/**
 * What the client reads of what its `fetch` answered: a `Response` fits. A
 * `status` that is not a number fails the attempt (a TypeError as the
 * error's `cause`); `headers` that cannot be read are none; the body is read
 * with `text()` (none without it).
 */
export interface FetchResponse {
  readonly status: number;
  readonly headers?: HeadersLike | null;
  text?(): PromiseLike<string> | string;
}

/**
 * The `fetch` the client calls: `globalThis.fetch` (the DOM's or Node's), or
 * your own, e.g. `(url, init) => fetch(url, { ...init, keepalive: true })`.
 * Called without a `this`; what it throws or rejects with fails the attempt
 * (the core types the failure by the error's `code` and `name`).
 */
export type Fetch = (url: string, init: FetchInit) => PromiseLike<FetchResponse> | FetchResponse;

/** How a successful body is read (`init.responseType`); an error's body is always read as text. */
export type ResponseType = "json" | "text" | "bytes" | "arrayBuffer" | "blob" | "stream";

/** What `data` is for each `responseType`; `T` is what you say JSON holds. */
export interface ResponseData<T = unknown> {
  /** Parsed JSON, else the text; `null` for an empty body. */
  json: T;
  /** The text (`""` for an empty body). */
  text: string;
  /** The body byte for byte. */
  bytes: Uint8Array;
  arrayBuffer: ArrayBuffer;
  /** Its `type` the response's content type. */
  blob: Blob;
  /** The response's stream, unread (`null` for no body): yours to read or cancel. */
  stream: ReadableStream<Uint8Array> | null;
}

/** A call's options (`client.get(path, init)` and the others); `R` is its `responseType` (a plain `CallInit` reads JSON; `CallInit<"bytes">` and the others say another). */
export interface CallInit<R extends ResponseType = "json"> {
  /** Query parameters, appended percent-encoded; arrays repeat the name. */
  query?: Record<string, string | number | boolean | null | undefined | Array<string | number | boolean>>;
  /** A body sent as JSON (sets content-type). */
  json?: unknown;
  /** A body sent as it is (`null`: none). Not with GET or HEAD, nor with `json`. */
  body?: CallBody | null;
  /** Added to the client's headers (a field replaces the client's of the same name); any form the client's `headers` takes. */
  headers?: HeadersLike;
  /** Cancels the call at any point; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** This call's per-attempt timeout in ms. */
  timeoutMs?: number;
  /** This call's overall deadline in ms. */
  deadlineMs?: number;
  /** Sent as `Idempotency-Key`; makes a POST or PATCH safe to retry. */
  idempotencyKey?: string;
  /** How a successful body is read into `data` (default `"json"`: JSON, else text). */
  responseType?: R;
}

export interface SteadfastResponse<T = unknown> {
  status: number;
  /** Header fields, names lower-cased. */
  headers: Record<string, string>;
  /** The body as `init.responseType` says (by default parsed JSON, else text; `null` for an empty body). */
  data: T;
  /** Attempts sent (1 = no retry). */
  attempts: number;
}

export interface MonitorSummary {
  windowMs: number;
  totalCalls: number;
  totalErrors: number;
  errorRate: number;
  byCategory: Array<[Category, number]>;
  byEndpoint: Array<{ endpoint: string; calls: number; errors: number }>;
  mostRecent: null | {
    category: Category;
    status: number | null;
    endpoint: string;
    message: string | null;
    at: number;
  };
  alerting: boolean;
}

/** The limiter's measured state (instants in clock milliseconds). */
export interface LimiterStatus {
  effectivePerSecond: number;
  slowdown: number;
  dayUsed: number;
  dayAllowance: number | null;
  serverDayRemaining: number | null;
  inFlight: number;
  heldUntil: number | null;
  /** When the server asked for a pause longer than `maxPauseMs`: the end it asked for. */
  pauseAskedUntil: number | null;
  exhaustedUntil: number | null;
}

export interface Health {
  circuit: CircuitState;
  /** When an open circuit starts probing (clock milliseconds). */
  circuitOpenUntil: number | null;
  /** Every live circuit (one, or one per endpoint). */
  circuits: CircuitHealth[];
  limiter: LimiterStatus;
  monitor: MonitorSummary;
  activeCalls: number;
  inFlight: number;
}

export interface RetryEvent {
  attempt: number;
  delayMs: number;
  category: Category;
  status: number | null;
  method: HttpMethod;
  endpoint: string;
}

export interface RateLimitedEvent {
  delayMs: number;
  method: HttpMethod;
  endpoint: string;
}

export interface StateChangeEvent {
  from: CircuitState;
  to: CircuitState;
  at: number;
  /** The endpoint whose circuit it is; `null`: the client's one circuit. */
  endpoint: string | null;
}

/** An attempt was answered or timed out (one per request the server saw, bar those a cancel or `close()` aborted). */
export interface AttemptEvent {
  method: HttpMethod;
  /** Templated (`/listings/{id}`), no query. */
  endpoint: string;
  /** 1-based. */
  attempt: number;
  status: number | null;
  /** What went wrong; `null` when the attempt succeeded. */
  category: Category | null;
  /** From its send to its answer or timeout, on the client's clock. */
  latencyMs: number;
  willRetry: boolean;
}

/** A call succeeded, told just before its promise resolves. */
export interface SuccessEvent {
  method: HttpMethod;
  endpoint: string;
  status: number;
  attempts: number;
  /** From the call's start to its end, waits and retries included. */
  latencyMs: number;
}

/** A call failed, told just before its promise rejects (its `kind` and `category` are the error's). */
export interface FailureEvent {
  method: HttpMethod;
  endpoint: string;
  kind: FailureKind;
  category: Category;
  status: number | null;
  attempts: number;
  latencyMs: number;
}

export interface Events {
  retry: RetryEvent;
  rateLimited: RateLimitedEvent;
  stateChange: StateChangeEvent;
  alert: MonitorSummary;
  recovered: MonitorSummary;
  attempt: AttemptEvent;
  success: SuccessEvent;
  failure: FailureEvent;
}

/**
 * `client.stats()`: counts over the monitor's window (`monitor.windowMs`,
 * kept in tenths: an outcome leaves up to a tenth early). Every kind and
 * category is present, zeros included. Latencies are of calls that ended,
 * start to settle: exact below 16 ms and at the max, else at most 12.5 %
 * high; `null` while no call ended in the window.
 */
export interface Stats {
  windowMs: number;
  calls: { total: number; success: number; failure: number; byKind: Record<FailureKind, number> };
  /** Attempts answered or timed out; `failed` of them by category. */
  attempts: { total: number; failed: number; byCategory: Record<Category, number> };
  latencyMs: { p50: number | null; p90: number | null; p99: number | null; max: number | null };
}

export interface Client {
  /** `T`: what the JSON body holds; `data` is typed by `init.responseType` (a `Uint8Array` for `"bytes"`...). */
  request<T = unknown, R extends ResponseType = "json">(method: HttpMethod, path: string, init?: CallInit<R>): Promise<SteadfastResponse<ResponseData<T>[R]>>;
  get<T = unknown, R extends ResponseType = "json">(path: string, init?: CallInit<R>): Promise<SteadfastResponse<ResponseData<T>[R]>>;
  post<T = unknown, R extends ResponseType = "json">(path: string, json?: unknown, init?: CallInit<R>): Promise<SteadfastResponse<ResponseData<T>[R]>>;
  put<T = unknown, R extends ResponseType = "json">(path: string, json?: unknown, init?: CallInit<R>): Promise<SteadfastResponse<ResponseData<T>[R]>>;
  patch<T = unknown, R extends ResponseType = "json">(path: string, json?: unknown, init?: CallInit<R>): Promise<SteadfastResponse<ResponseData<T>[R]>>;
  delete<T = unknown, R extends ResponseType = "json">(path: string, init?: CallInit<R>): Promise<SteadfastResponse<ResponseData<T>[R]>>;
  /** Circuit state, limiter status, monitor summary (after `close()`: as they were when it closed). */
  health(): Health;
  /** Durable state (open circuits, quota spent, counts) as plain JSON; `createClient({ restore })` resumes from it (after `close()`: as it was when it closed). */
  snapshot(): Snapshot;
  /** Calls by outcome, attempts by category, latency percentiles over the monitor's window (after `close()`: as they were just before it). */
  stats(): Stats;
  /** Subscribes; answers the function that unsubscribes. An `attempt`, `success` or `failure` event costs nothing while it has no listener. */
  on<E extends keyof Events>(event: E, listener: (payload: Events[E]) => void): () => void;
  /**
   * Rejects every pending call once (`kind: "closed"`), aborts requests in
   * flight, clears every timer, and frees what the client holds at once.
   * Later calls reject with `kind: "closed"`, unsent; a second `close()`
   * does nothing.
   */
  close(): void;
  /** `JSON.stringify(client)`: its health. */
  toJSON(): Health;
}

/** Builds a client. Throws a TypeError / RangeError naming a bad option. */
export function createClient(options?: ClientOptions): Client;

/** Every failed call rejects with this (a user's abort rejects with the signal's reason). */
export class ResilienceError extends Error {
  /** For your own code's errors and tests; `message` is made a string. */
  constructor(message?: string, fields?: ResilienceErrorFields);
  readonly category: Category;
  /** Always a `FailureKind` on the package's errors; `"unknown"` only on one constructed without a `kind`. */
  readonly kind: FailureKind | "unknown";
  readonly reason: GiveUpReason | null;
  readonly status: number | null;
  /** When trying again makes sense, if known. */
  readonly retryAfterMs: number | null;
  readonly attempts: number;
  readonly isRetryable: boolean;
  readonly method: HttpMethod | null;
  /** The normalised endpoint (`/listings/{id}`). */
  readonly endpoint: string | null;
  /** The server's message, cut short, secrets removed. */
  readonly serverMessage: string | null;
  /** The parsed error body (JSON, else text), secrets removed. */
  readonly data: unknown;
}

/**
 * What `new ResilienceError(message, fields)` reads, once (no other key): a
 * field left out takes its default (`category` and `kind` `"unknown"`,
 * `attempts` 0, `isRetryable` false, the others `null`); `cause` becomes the
 * error's `cause`.
 */
export interface ResilienceErrorFields {
  category?: Category;
  kind?: FailureKind | "unknown";
  reason?: GiveUpReason | null;
  status?: number | null;
  retryAfterMs?: number | null;
  attempts?: number;
  isRetryable?: boolean;
  method?: HttpMethod | null;
  endpoint?: string | null;
  serverMessage?: string | null;
  data?: unknown;
  cause?: unknown;
}

/** What `classifyError` reads from rate-limit headers (one window). */
export interface WindowReading {
  limit: number | null;
  remaining: number | null;
  resetMs: number | null;
}

/** The core's verdict on one HTTP answer. */
export interface Classification {
  /** `null` for a success. */
  category: Category | null;
  status: number | null;
  isRetryable: boolean;
  /** The server's delay: `Retry-After` (both forms), or an exhausted window's reset. */
  retryAfterMs: number | null;
  /** Whether the request can have taken effect on the server. */
  effect: "not_applied" | "unknown" | "applied";
  /** The server's message, cut short. */
  message: string | null;
  /** Etsy's per-second and per-day windows, and the generic `RateLimit` / `X-RateLimit-*` one. */
  rate: { perSecond: WindowReading; perDay: WindowReading; general: WindowReading };
}

/** Classifies an HTTP answer as the client does. `headers`: a `Headers`, a `Map`, pairs or a plain object. */
export function classifyError(
  status: number,
  body?: string | unknown,
  headers?: Headers | Map<string, string> | Array<[string, string]> | Record<string, string>,
): Classification;

export interface CircuitBreakerOptions
  extends Omit<BreakerOptions, "scope" | "maxBreakers"> {
  /** Default `performance.now()`, looked up on `globalThis` at each use (a fake `Date` moves it too). */
  clock?: { now(): number };
}

/** The circuit breaker alone, over any async function. */
export class CircuitBreaker {
  constructor(options?: CircuitBreakerOptions);
  readonly state: CircuitState;
  /** Whether a call now would be let through. */
  isAvailable(): boolean;
  /**
   * Runs `fn` if the circuit lets it; rejects at once with a `ResilienceError`
   * (`kind: "circuit_open"`, `retryAfterMs`) if not. What `fn` throws is judged
   * by its `status` (or `response.status`), else as a network failure.
   */
  execute<T>(fn: (signal?: AbortSignal) => Promise<T> | T, signal?: AbortSignal): Promise<T>;
  /** Listens; answers the function that stops listening. A listener added later hears only later changes. */
  on<E extends keyof BreakerEvents>(event: E, listener: (e: BreakerEvents[E]) => void): () => void;
}

/** A standalone breaker's state change: the client's `StateChangeEvent` without `endpoint` (`at` on the breaker's clock). */
export interface BreakerStateChangeEvent {
  from: CircuitState;
  to: CircuitState;
  at: number;
}

export interface BreakerEvents {
  stateChange: BreakerStateChangeEvent;
}

/** Headers as a `Headers`, a `Map`, an array of pairs or a plain object. */
export type HeadersLike = Headers | Map<string, string> | Array<[string, string]> | Record<string, string>;

export interface RateLimiterOptions extends LimiterOptions {
  /** Default `performance.now()` and `setTimeout`, looked up on `globalThis` at each use: fake timers (node:test, sinon, Jest, Vitest) drive it. */
  clock?: { now(): number; sleep?(ms: number, signal?: AbortSignal): Promise<void> };
}

/** The rate limiter alone: pacing, the daily quota, the server's headers. */
export class RateLimiter {
  constructor(options?: RateLimiterOptions);
  /**
   * Resolves when a slot is the caller's. Rejects with a `ResilienceError`
   * (`kind: "quota_exhausted"`, or `"rate_limited"` when the line is longer
   * than `maxQueueMs`; `retryAfterMs` says when to come back), or with the
   * signal's reason.
   */
  acquire(signal?: AbortSignal): Promise<void>;
  /** Learns from a response's rate-limit headers and status (default 200). */
  updateFromHeaders(headers: HeadersLike, status?: number): void;
  status(): LimiterStatus;
}

export interface RetryPolicyOptions extends RetryOptions {
  /** Whether `fn` may run twice after a failure that may have taken effect (default true). */
  idempotent?: boolean;
  /** Seeds the jitter (default: random). */
  seed?: number;
  /** Default `performance.now()` and `setTimeout`, looked up on `globalThis` at each use: fake timers (node:test, sinon, Jest, Vitest) drive it. */
  clock?: { now(): number; sleep?(ms: number, signal?: AbortSignal): Promise<void> };
}

/** The retry policy alone, over any async function. */
export class RetryPolicy {
  constructor(options?: RetryPolicyOptions);
  /**
   * Runs `fn` until it succeeds or the policy stops. A resolved value with a
   * numeric `status` is judged as a response (an error status is retried, and
   * returned when the policy stops); a thrown value by its `status` (or
   * `response.status`), else as a transport failure by its `code`. When the
   * policy stops on a thrown value, rejects with a `ResilienceError`
   * (`kind: "gave_up"`, `reason`, `cause`: the last thing thrown).
   */
  execute<T>(fn: (signal?: AbortSignal) => Promise<T> | T, signal?: AbortSignal): Promise<T>;
  /** Listens; answers the function that stops listening. */
  on<E extends keyof RetryPolicyEvents>(event: E, listener: (e: RetryPolicyEvents[E]) => void): () => void;
}

/** Told before each wait: the attempt that failed (1-based), the wait that follows. */
export interface PolicyRetryEvent {
  attempt: number;
  delayMs: number;
  category: Category;
  status: number | null;
}

/** Told once when the policy stops on a failure (the rejection, or the error response it returns, follows). */
export interface GiveUpEvent {
  attempts: number;
  /** Why it stopped, as the error's `reason`. */
  reason: string;
  category: Category;
  status: number | null;
}

export interface RetryPolicyEvents {
  retry: PolicyRetryEvent;
  giveUp: GiveUpEvent;
}

export interface ErrorMonitorOptions extends MonitorOptions {
  /** Default `performance.now()`, looked up on `globalThis` at each use (a fake `Date` moves it too). */
  clock?: { now(): number };
}

/** One call as the monitor counts it: an error if it has a category or an error status. */
export interface MonitorEntry {
  category?: Category | null;
  status?: number | null;
  endpoint?: string;
  message?: string;
}

/** The error monitor alone. */
export class ErrorMonitor {
  constructor(options?: ErrorMonitorOptions);
  record(entry: MonitorEntry): void;
  summary(): MonitorSummary;
  /** Called once per crossing (`"alert"`) and when it clears (`"recovered"`); answers an unsubscribe. */
  onAlert(listener: (summary: MonitorSummary, type: "alert" | "recovered") => void): () => void;
}

/**
 * A compiled WebAssembly module: `WebAssembly.Module` where a lib declares it
 * (the DOM lib does; @types/node does not), else what every one is, an
 * object whose `Symbol.toStringTag` is "WebAssembly.Module".
 */
export type WasmModule = typeof globalThis extends { WebAssembly: { Module: { prototype: infer M } } }
  ? M
  : { readonly [Symbol.toStringTag]: "WebAssembly.Module" };

/**
 * Browsers and workers: load the WebAssembly module first (a no-op in Node).
 * No argument: fetches `../steadfast_wasm_bg.wasm` from the web build's URL
 * (`steadfast/inline`'s compiles the bytes it carries, fetching nothing);
 * else a URL, a `Request`, a `Response` (or a promise of one), the module's
 * bytes or the compiled module (`import wasm from
 * "steadfast/steadfast_wasm_bg.wasm"` in Cloudflare Workers). Once resolved,
 * later calls resolve at once; after a failure a later call tries again.
 */
export function init(
  input?: string | URL | Request | Response | PromiseLike<Response> | ArrayBuffer | ArrayBufferView | WasmModule,
): Promise<void>;
