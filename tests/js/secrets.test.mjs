// Secrets never leak: a client sends an API key and a bearer token (and, per
// call, a session-token header and an api_key in the query) through every
// failure path against a loopback server that echoes them back — in error
// bodies, as JSON with escaped slashes, as the request URL. Every error
// (message, stack, every own field, `cause` recursively, JSON.stringify,
// String, util.inspect), every event payload of every type, health(), the
// monitor's summary, a standalone ErrorMonitor fed the same errors and
// snapshot() (plain JSON: its endpoints and last error's message too) is searched for each secret and its
// URL-encoded, base64, hex and JSON-escaped forms.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import util from "node:util";
import { loadSteadfast, startServer } from "./harness.mjs";

const { esm: S } = await loadSteadfast();
const server = await startServer();
after(() => server.close());

// Long enough to be scrubbed (6 characters or more), with characters that
// URL encoding and PHP-style JSON (`\/`) change.
const KEY = "sk_live_K3yValue+/=9a8b";
const TOKEN = "tok.Bearer/Value+xyz=123";
const CALL_TOKEN = "sess/Call+Token=777";
const QUERY_KEY = "qk/Query+Key=4242";
const USER_PASS = "alice:pa55/w0rd+Basic";
const BASIC = Buffer.from(USER_PASS).toString("base64");
// Digest credentials have quotes, which JSON escapes.
const DIGEST = 'username="alice", response="6629fae49393a053974509"';
// Tokens that expire: the one a header function sends first, the one
// `auth.refresh` gets, and a value a header function computes under a name
// that does not say credential (its source does).
const OLD_ACCESS = "old/Access+Token=1111";
const NEW_ACCESS = "new/Access+Token=2222";
const SIGNED = "sig/Computed+Value=3333";
const SECRETS = { KEY, TOKEN, CALL_TOKEN, QUERY_KEY, BASIC, DIGEST, OLD_ACCESS, NEW_ACCESS, SIGNED };

/** Every form a secret could take in our output. */
function forms(secret) {
  const b64 = Buffer.from(secret).toString("base64");
  return [
    secret,
    encodeURIComponent(secret),
    encodeURIComponent(secret).toLowerCase(),
    secret.replaceAll("/", "\\/"),
    JSON.stringify(secret).slice(1, -1),
    b64,
    Buffer.from(secret).toString("base64url"),
    b64.replace(/=+$/, ""),
    Buffer.from(secret).toString("hex"),
    Buffer.from(secret).toString("hex").toUpperCase(),
  ];
}
const FORBIDDEN = Object.entries(SECRETS).flatMap(([name, s]) => [...new Set(forms(s))].map((f) => [name, f]));

// ----- the echoing server -----------------------------------------------------

let acted = 0;
server.handle = (req, res, entry) => {
  const url = new URL(req.url, "http://x");
  const route = url.pathname.split("/")[1];
  // Everything the request carried, every way a server might send it back.
  const echo = {
    error: `bad key ${req.headers["x-api-key"]} / ${req.headers.authorization} / ${req.headers["x-session-token"]} at ${req.url}`,
    headers: req.headers,
    url: req.url,
    query: Object.fromEntries(url.searchParams),
  };
  const json = (status, headers = {}) => {
    // As PHP's json_encode writes it: slashes escaped.
    const text = JSON.stringify(echo).replaceAll("/", "\\/");
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(text);
  };
  switch (route) {
    case "e400":
      return json(400);
    case "e401":
      return json(401, { "www-authenticate": `Bearer error="invalid_token"` });
    case "e403":
      return json(403);
    case "e404":
      return json(404);
    case "e429":
      return json(429, { "retry-after": "30" });
    case "e500":
      return json(500);
    case "e503":
      return json(503, { "retry-after": "0" });
    case "text500":
      // Plain text, the secret straddling the 200-character cut.
      res.writeHead(500, { "content-type": "text/plain" });
      return res.end(`${"x".repeat(190)}${req.headers["x-api-key"]} ${req.headers.authorization} ${req.url}`);
    case "expiring":
      // Only the new access token is accepted.
      if (req.headers.authorization === `Bearer ${NEW_ACCESS}`) return server.json(res, 200, { ok: true });
      return json(401, { "www-authenticate": `Bearer error="invalid_token"` });
    case "reset":
      return req.socket.destroy();
    case "acted":
      // Takes effect, then the connection drops: a POST may have landed.
      acted++;
      return req.socket.destroy();
    case "hang":
      return; // never answers
    case "slow":
      return server.later(400, () => json(200));
    case "quota":
      return server.json(res, 200, {}, { "x-limit-per-day": "10", "x-remaining-today": "0" });
    default:
      return server.json(res, 200, { ok: true });
  }
};

// ----- collecting everything ----------------------------------------------------

const seen = [];
const seenObjects = new Set();

/** Records a value and everything reachable from it (own fields, causes). */
function collect(where, value, depth = 0) {
  if (value === null || value === undefined) return;
  if (typeof value !== "object" && typeof value !== "function") {
    seen.push([where, String(value)]);
    return;
  }
  if (seenObjects.has(value) || depth > 10) return;
  seenObjects.add(value);
  if (value instanceof Error) {
    seen.push([`${where}.message`, value.message]);
    seen.push([`${where}.stack`, String(value.stack)]);
    seen.push([`${where} String()`, String(value)]);
    seen.push([`${where} inspect`, util.inspect(value, { depth: 10 })]);
  }
  try {
    seen.push([`${where} JSON`, JSON.stringify(value) ?? ""]);
  } catch {
    // cycles
  }
  for (const key of Reflect.ownKeys(value)) {
    const d = Object.getOwnPropertyDescriptor(value, key);
    if (d && "value" in d) collect(`${where}.${String(key)}`, d.value, depth + 1);
  }
  if (value instanceof Error && value.cause !== undefined) collect(`${where}.cause`, value.cause, depth + 1);
}

/** Asserts no secret, in any form, in anything collected. */
function assertClean() {
  assert.ok(seen.length > 0);
  const leaks = [];
  for (const [where, text] of seen) {
    for (const [name, form] of FORBIDDEN) {
      if (text.includes(form)) leaks.push(`${name} (as ${JSON.stringify(form)}) in ${where}: ${text.slice(0, 300)}`);
    }
  }
  assert.deepEqual(leaks, [], `${leaks.length} leak(s):\n${leaks.slice(0, 30).join("\n")}`);
}

const EVENTS = ["retry", "rateLimited", "stateChange", "alert", "recovered", "attempt", "success", "failure"];
const fired = new Set();
/** A client with the secrets in its headers; every event payload collected. */
function makeClient(label, extra = {}) {
  const client = S.createClient({
    baseUrl: server.baseUrl,
    headers: { "x-api-key": KEY, authorization: `Bearer ${TOKEN}` },
    retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 1000 },
    limiter: { perSecond: 1000, burst: 100, maxPauseMs: 0, rateLimitPauseMs: 0 },
    breaker: { failureThreshold: 20, openMs: 60_000 },
    monitor: { alertThreshold: 2, onAlert: (s) => collect(`${label} onAlert`, s) },
    attemptTimeoutMs: 300,
    ...extra,
  });
  for (const e of EVENTS) {
    client.on(e, (p) => {
      fired.add(e);
      collect(`${label} event ${e}`, p);
    });
  }
  return client;
}

/** The per-call secrets: a session-token header and an api_key in the query. */
const perCall = (init = {}) => ({
  headers: { "x-session-token": CALL_TOKEN },
  query: { api_key: QUERY_KEY, page: 2 },
  ...init,
});

const monitor = new S.ErrorMonitor({ alertThreshold: 1000 });
const errors = [];

/** Runs a call expected to fail; collects the error and feeds the monitor. */
async function failing(label, promise) {
  let error;
  try {
    await promise;
    assert.fail(`${label}: resolved`);
  } catch (e) {
    error = e;
  }
  errors.push([label, error]);
  collect(`${label} error`, error);
  monitor.record({
    category: error.category ?? "unknown",
    status: error.status ?? undefined,
    endpoint: error.endpoint ?? "/",
    message: error.serverMessage ?? error.message,
  });
  return error;
}

/** health(), its monitor summary and snapshot() (plain JSON, as stored) collected. */
function collectState(label, client) {
  const h = client.health();
  collect(`${label} health`, h);
  collect(`${label} health().monitor`, h.monitor);
  const snap = client.snapshot();
  collect(`${label} snapshot`, snap);
  // As a store holds it: the text, with every field a person reads in it
  // (endpoints, the last error's message).
  seen.push([`${label} snapshot as JSON`, JSON.stringify(snap)]);
  assert.ok(snap.format === 3 && typeof snap.savedAt === "number", `${label}: ${JSON.stringify(snap)}`);
}

// ----- every failure path ------------------------------------------------------

test("every failure path of a client: no secret in errors, events, health, monitor or snapshot", async () => {
  const client = makeClient("client");
  for (const [route, status, kind] of [
    ["e400", 400, "gave_up"],
    ["e401", 401, "gave_up"],
    ["e403", 403, "gave_up"],
    ["e404", 404, "gave_up"],
    ["e429", 429, "gave_up"],
    ["e500", 500, "gave_up"],
    ["text500", 500, "gave_up"],
  ]) {
    const e = await failing(route, client.get(`/${route}`, perCall()));
    assert.equal(e.status, status, route);
    assert.equal(e.kind, kind, route);
    // The echo arrived, scrubbed: the data is there, the secrets are not.
    if (route !== "text500") assert.ok(e.data && typeof e.data === "object", `${route}: ${e.data}`);
  }
  const e429 = errors.find(([l]) => l === "e429")[1];
  assert.equal(e429.reason, "retry_after_too_long");
  assert.ok(String(errors.find(([l]) => l === "e400")[1].serverMessage).includes("[redacted]"));
  collectState("client", client);
  client.close();

  // A 503 (retried, then given up), then the circuit opens and fails fast.
  const down = makeClient("down", { breaker: { failureThreshold: 1, openMs: 60_000 } });
  const e503 = await failing("e503", down.get("/e503", perCall()));
  assert.equal(e503.status, 503);
  const open = await failing("open circuit", down.get("/e500", perCall()));
  assert.equal(open.kind, "circuit_open");
  collectState("down", down);
  down.close();

  // Resets before and after acting; a timeout; the caller's abort; a
  // deadline; an unkeyed POST that may have landed; quota spent; a closed
  // client; connection refused.
  const t = makeClient("transport", { breaker: { failureThreshold: 100 } });
  const reset = await failing("reset", t.get("/reset", perCall()));
  assert.equal(reset.category, "network");
  const dup = await failing("would duplicate", t.post("/acted", { secret: "body" }, perCall()));
  assert.equal(dup.reason, "would_duplicate_write");
  assert.equal(acted, 1, "the unkeyed POST was not sent again");
  const dupPatch = await failing("would duplicate (PATCH)", t.patch("/acted", { secret: "body" }, perCall()));
  assert.equal(dupPatch.reason, "would_duplicate_write");
  assert.equal(acted, 2, "nor the unkeyed PATCH");
  const timeout = await failing("timeout", t.get("/hang", perCall({ timeoutMs: 100 })));
  assert.equal(timeout.category, "timeout");
  const controller = new AbortController();
  const aborted = failing("abort", t.get("/hang", perCall({ signal: controller.signal })));
  setTimeout(() => controller.abort(new Error("the caller gave up")), 50);
  await aborted;
  const deadline = await failing("deadline", t.get("/slow", perCall({ deadlineMs: 150 })));
  assert.ok(["deadline_exceeded", "gave_up"].includes(deadline.kind), deadline.kind);
  collectState("transport", t);
  t.close();

  const q = makeClient("quota", { limiter: { perSecond: 1000, burst: 100, perDay: 1000 } });
  await q.get("/quota", perCall());
  const spent = await failing("quota", q.get("/quota", perCall()));
  assert.equal(spent.kind, "quota_exhausted");
  collectState("quota", q);
  q.close();
  await failing("closed", q.get("/x", perCall()));

  const refusing = http.createServer();
  await new Promise((r) => refusing.listen(0, "127.0.0.1", r));
  const { port } = refusing.address();
  await new Promise((r) => refusing.close(r));
  const r = makeClient("refused", { baseUrl: `http://127.0.0.1:${port}` });
  const refused = await failing("refused", r.get("/x", perCall()));
  assert.equal(refused.category, "network");
  assert.ok(refused.cause, "the transport error travels as cause");
  collectState("refused", r);
  r.close();

  // Basic and Digest credentials, and an api_key written into the path.
  const basic = makeClient("basic", { headers: { authorization: `Basic ${BASIC}` } });
  await failing("basic", basic.get(`/e400?api_key=${encodeURIComponent(QUERY_KEY)}`));
  collectState("basic", basic);
  basic.close();
  const digest = makeClient("digest", { headers: { authorization: `Digest ${DIGEST}` } });
  const d = await failing("digest", digest.get("/e401"));
  assert.ok(JSON.stringify(d.data).includes("[redacted]"), JSON.stringify(d.data));
  collectState("digest", digest);
  digest.close();

  // A 429 pauses every call (at most maxPauseMs): the next one waits, a
  // `rateLimited` event.
  const paced = makeClient("paced", { limiter: { perSecond: 1000, burst: 100, maxPauseMs: 100 } });
  const pauses = [];
  paced.on("rateLimited", (p) => pauses.push(p.delayMs));
  await failing("paced 429", paced.get("/e429", perCall()));
  const waited = performance.now();
  await failing("paced after", paced.get("/e404", perCall()));
  // The server asked for 30 s: every call waits at most maxPauseMs.
  assert.ok(pauses.length > 0 && pauses.every((ms) => ms <= 100), `${pauses}`);
  assert.ok(performance.now() - waited < 1000, "waited out the server's 30 s");
  collectState("paced", paced);
  paced.close();

  // An alert that clears: `recovered` carries the summary too.
  const brief = makeClient("recovering", { monitor: { windowMs: 200, buckets: 2, alertThreshold: 1 } });
  await failing("before recovery", brief.get("/e400", perCall()));
  await new Promise((r) => setTimeout(r, 300));
  await brief.get("/ok", perCall());
  collectState("recovering", brief);
  brief.close();

  collect("ErrorMonitor summary", monitor.summary());
  // Every kind of failure was seen.
  const kinds = new Set(errors.map(([, e]) => e.kind));
  for (const k of ["gave_up", "circuit_open", "quota_exhausted", "closed"]) assert.ok(kinds.has(k), `no ${k}`);
  assert.ok(errors.some(([, e]) => e.kind === "deadline_exceeded" || e.reason === "deadline_exceeded"));
  // And every event type fired.
  for (const e of EVENTS) assert.ok(fired.has(e), `no ${e} event`);
  assertClean();
});

// ----- the building blocks -------------------------------------------------------

test("the building blocks copy nothing of what the caller's fn threw; it travels untouched as `cause`", async () => {
  seen.length = 0;
  const thrown = () => Object.assign(new Error(`upstream said: bad token ${TOKEN}`), { status: 503 });
  const retry = new S.RetryPolicy({ maxRetries: 1, baseDelayMs: 1 });
  let last;
  const e = await retry
    .execute(async () => {
      last = thrown();
      throw last;
    })
    .catch((x) => x);
  assert.ok(e instanceof S.ResilienceError);
  assert.equal(e.kind, "gave_up");
  assert.equal(e.cause, last, "the user's error, untouched");
  assert.equal(e.serverMessage, null);
  // Ours: the message, the stack's first line and every field (`cause`,
  // the user's own error, is not enumerable).
  collect("RetryPolicy error fields", Object.fromEntries(Object.entries(e)));
  collect("RetryPolicy error message", e.message);
  collect("RetryPolicy error stack", String(e.stack).split("\n")[0]);

  const breaker = new S.CircuitBreaker({ failureThreshold: 1 });
  const passed = await breaker
    .execute(async () => {
      last = thrown();
      throw last;
    })
    .catch((x) => x);
  assert.equal(passed, last, "the breaker passes the user's error on as it is");
  const open = await breaker.execute(async () => 1).catch((x) => x);
  assert.equal(open.kind, "circuit_open");
  collect("CircuitBreaker open error", open);

  const limiter = new S.RateLimiter({ perDay: 1, bufferRatio: 0 });
  limiter.updateFromHeaders({ "x-remaining-today": "0", "x-echo": TOKEN }, 200);
  const spent = await limiter.acquire().catch((x) => x);
  assert.equal(spent.kind, "quota_exhausted");
  collect("RateLimiter error", spent);
  collect("RateLimiter status", limiter.status());
  assertClean();
});

// ----- headers in every form ------------------------------------------------------

test("headers given as a Headers, a Map or pairs (client and call) are scrubbed as a plain object's are", async () => {
  seen.length = 0;
  const forms = {
    Headers: (o) => new Headers(o),
    Map: (o) => new Map(Object.entries(o)),
    pairs: (o) => Object.entries(o),
  };
  for (const [form, make] of Object.entries(forms)) {
    const client = makeClient(`headers as ${form}`, {
      headers: make({ "X-Api-Key": KEY, authorization: `Bearer ${TOKEN}` }),
    });
    for (const route of ["e400", "e401", "text500"]) {
      const e = await failing(`${form} ${route}`, client.get(`/${route}`, { headers: make({ "x-session-token": CALL_TOKEN }) }));
      assert.equal(e.kind, "gave_up");
    }
    collectState(`headers as ${form}`, client);
    client.close();
  }
  assertClean();
});

// ----- tokens that expire ----------------------------------------------------------

test("tokens from header functions and auth.refresh, old and new, appear nowhere", async () => {
  seen.length = 0;
  let access = OLD_ACCESS;
  let refreshes = 0;
  const client = makeClient("expiring", {
    headers: { "x-api-key": KEY, authorization: () => `Bearer ${access}`, "x-signed": async () => SIGNED },
    auth: {
      async refresh() {
        refreshes++;
        access = NEW_ACCESS;
        return NEW_ACCESS;
      },
    },
  });
  // Refused with the old token (echoed back), refreshed once, sent again.
  const done = await Promise.all([1, 2, 3].map(() => client.get("/expiring", perCall())));
  assert.deepEqual(
    done.map((r) => r.attempts),
    [2, 2, 2],
  );
  assert.equal(refreshes, 1);
  // The new token refused too: a second refresh, then the call fails with
  // the echo of the new token and the computed value in its data.
  const e = await failing("new token refused", client.get("/e401", perCall()));
  assert.equal(e.category, "auth");
  assert.ok(JSON.stringify(e.data).includes("[redacted]"), JSON.stringify(e.data));
  collectState("expiring", client);
  client.close();

  // A refresh that fails, and one that hangs: their errors carry no token.
  access = OLD_ACCESS;
  const failed = makeClient("refresh fails", {
    headers: { authorization: () => `Bearer ${access}`, "x-signed": () => SIGNED },
    auth: {
      refresh: async () => {
        throw new Error("token endpoint down");
      },
    },
  });
  const f = await failing("refresh failed", failed.get("/expiring", perCall()));
  assert.equal(f.kind, "auth_refresh_failed");
  collectState("refresh fails", failed);
  failed.close();
  const hung = makeClient("refresh hangs", {
    headers: { authorization: () => `Bearer ${access}` },
    auth: { refresh: () => new Promise(() => {}), timeoutMs: 50 },
  });
  const h = await failing("refresh timed out", hung.get("/expiring", perCall()));
  assert.equal(h.kind, "auth_refresh_timeout");
  collectState("refresh hangs", hung);
  hung.close();
  assertClean();
});

test("a value a header function sent is scrubbed from its own call's answer however many values came since", async () => {
  // A signature per request: each is a secret, and the client keeps only
  // the recent ones; the call that sent one keeps its own.
  const own = await startServer();
  let held;
  own.handle = (req, res) => {
    if (req.url.startsWith("/hold")) {
      held = { req, res };
      return;
    }
    own.json(res, 200, { ok: true });
  };
  let n = 0;
  const sig = () => `sig/Unique+Value=${String(n++).padStart(6, "0")}`;
  const client = S.createClient({ baseUrl: own.baseUrl, headers: { "x-signature": sig }, limiter: { perSecond: 1000, burst: 100 } });
  try {
    const first = client.get("/hold").then(
      () => assert.fail("resolved"),
      (e) => e,
    );
    while (held === undefined) await new Promise((r) => setTimeout(r, 5));
    const sent = held.req.headers["x-signature"];
    assert.equal(sent, "sig/Unique+Value=000000");
    // Thirty more calls, thirty more signatures: far past what the client
    // keeps of recent values (every form of each).
    await Promise.all(Array.from({ length: 30 }, () => client.get("/quick")));
    held.res.writeHead(400, { "content-type": "application/json" });
    held.res.end(JSON.stringify({ error: `bad signature ${sent}`, signature: sent }));
    const e = await first;
    assert.equal(e.category, "validation");
    const text = [e.message, e.serverMessage, JSON.stringify(e.data), e.stack, util.inspect(e)].join("\n");
    for (const f of new Set(forms(sent))) assert.ok(!text.includes(f), `the call's own signature (${f}) leaked: ${text}`);
    assert.match(e.serverMessage, /bad signature/);
  } finally {
    client.close();
    await own.close();
  }
});
