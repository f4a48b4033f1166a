// Auth that expires: a loopback server whose access tokens expire, a client
// whose `authorization` header is a function of the current token and whose
// `auth.refresh` gets a new one. 20 calls refused at once share one refresh
// and all succeed; a refresh that rejects or hangs fails the waiting calls
// once each (category auth); a header function that throws fails its call
// unsent; a second 401 is not looped on; close() during a refresh settles
// every call once; no token, old or new, shows anywhere.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import util from "node:util";
import { loadSteadfast, startServer, sleep } from "./harness.mjs";

const { esm: S } = await loadSteadfast();
const server = await startServer();
after(() => server.close());

// The server's tokens: only `valid` is accepted; each 401 echoes the token
// it refused, as servers do, in its body and a header.
let valid = "tok_initial_0001";
let issued = 0;
const seenTokens = new Set([valid]);
function issue() {
  valid = `tok_fresh_${String(++issued).padStart(4, "0")}_${Math.random().toString(36).slice(2, 10)}`;
  seenTokens.add(valid);
  return valid;
}
server.handle = (req, res) => {
  const auth = req.headers.authorization ?? "";
  const token = auth.replace(/^Bearer /, "");
  if (token !== valid) {
    return server.json(res, 401, { error: `token ${token} expired`, sent: auth }, { "x-echo": auth });
  }
  if (req.url.startsWith("/slow")) return server.later(30, () => server.json(res, 200, { ok: true }));
  return server.json(res, 200, { ok: true, path: req.url });
};

/** Everything a client shows, as text: the errors, events, health, snapshot. */
const shown = [];
function show(where, v) {
  shown.push([where, typeof v === "string" ? v : `${JSON.stringify(v)} ${util.inspect(v, { depth: 10 })}`]);
  if (v instanceof Error) shown.push([`${where} message/stack`, `${v.message} ${v.stack} ${String(v)}`]);
}
function assertNoToken() {
  const leaks = [];
  for (const [where, text] of shown) {
    for (const t of seenTokens) {
      for (const form of [t, encodeURIComponent(t), Buffer.from(t).toString("base64")]) {
        if (text.includes(form)) leaks.push(`${t} in ${where}: ${text.slice(0, 200)}`);
      }
    }
  }
  assert.deepEqual(leaks, []);
}

/** A client whose token is `current`, refreshed by `refresh`. */
function makeClient({ refresh, timeoutMs, ...extra } = {}) {
  const state = { current: valid, refreshes: 0 };
  const client = S.createClient({
    baseUrl: server.baseUrl,
    headers: { authorization: () => `Bearer ${state.current}`, accept: "application/json" },
    auth: {
      refresh:
        refresh ??
        (async () => {
          state.refreshes++;
          await sleep(20);
          state.current = issue();
        }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    },
    limiter: { perSecond: 1000, burst: 100 },
    retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 5 },
    ...extra,
  });
  for (const e of ["retry", "attempt", "success", "failure", "stateChange", "alert"]) {
    client.on(e, (p) => show(`event ${e}`, p));
  }
  return { client, state };
}

function collectState(client) {
  show("health", client.health());
  show("stats", client.stats());
  // Plain JSON since format 3: its text is what a store would keep.
  show("snapshot", JSON.stringify(client.snapshot()));
}

test("20 concurrent calls hit an expired token: exactly one refresh, every call succeeds", async () => {
  const { client, state } = makeClient();
  const before = server.requests.length;
  issue(); // the client's token just expired
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => client.get(`/slow/${i}`)));
  assert.equal(state.refreshes, 1);
  assert.equal(results.length, 20);
  for (const r of results) {
    assert.equal(r.status, 200);
    assert.equal(r.attempts, 2);
  }
  // 20 refused, 20 sent again with the new token.
  const sent = server.requests.slice(before);
  assert.equal(sent.length, 40);
  assert.equal(sent.filter((r) => r.headers.authorization === `Bearer ${valid}`).length, 20);
  // The header function runs before each attempt: the next call uses the
  // token as it is now, with no refresh.
  assert.equal((await client.get("/after")).attempts, 1);
  assert.equal(state.refreshes, 1);
  // The renewed expiry is no error for the monitor (no alert), but the
  // refused attempts are counted.
  assert.equal(client.health().monitor.totalErrors, 0);
  assert.equal(client.stats().attempts.byCategory.auth, 20);
  collectState(client);
  client.close();
  assertNoToken();
});

test("a refresh that rejects fails every waiting call once, category auth", async () => {
  let calls = 0;
  const down = new Error("the token endpoint is down");
  const { client } = makeClient({
    refresh: async () => {
      calls++;
      await sleep(10);
      throw down;
    },
  });
  issue();
  const settled = await Promise.allSettled(Array.from({ length: 5 }, () => client.get("/x")));
  assert.equal(calls, 1);
  for (const s of settled) {
    assert.equal(s.status, "rejected");
    assert.ok(s.reason instanceof S.ResilienceError);
    assert.equal(s.reason.kind, "auth_refresh_failed");
    assert.equal(s.reason.cause, down, "what refresh() rejected with, untouched");
    assert.equal(s.reason.category, "auth");
    assert.equal(s.reason.status, 401);
    assert.equal(s.reason.isRetryable, false);
    show("refresh failed error", s.reason);
    show("refresh failed data", s.reason.data);
  }
  assert.equal(client.stats().calls.byKind.auth_refresh_failed, 5);
  assert.equal(client.health().monitor.totalErrors, 5, "the 401s that stood are errors");
  collectState(client);
  client.close();
  assertNoToken();
});

test("a refresh that hangs ends the waiting calls with auth_refresh_timeout", async () => {
  const { client } = makeClient({ refresh: () => new Promise(() => {}), timeoutMs: 80 });
  issue();
  const started = performance.now();
  const settled = await Promise.allSettled([client.get("/a"), client.get("/b")]);
  const took = performance.now() - started;
  assert.ok(took >= 70 && took < 2000, `${took} ms`);
  for (const s of settled) {
    assert.equal(s.status, "rejected");
    assert.equal(s.reason.kind, "auth_refresh_timeout");
    assert.equal(s.reason.category, "auth");
    show("refresh timeout error", s.reason);
  }
  client.close();
  assertNoToken();
});

test("a header function that throws or rejects fails its call unsent (header_failed)", async () => {
  for (const bad of [
    () => {
      throw new Error("no token in the vault");
    },
    async () => {
      throw new Error("no token in the vault");
    },
    () => 42,
    () => "Bearer bad\r\nx-injected: 1",
  ]) {
    const before = server.requests.length;
    const client = S.createClient({ baseUrl: server.baseUrl, headers: { authorization: bad } });
    const e = await client.get("/x").catch((x) => x);
    assert.ok(e instanceof S.ResilienceError, String(e));
    assert.equal(e.kind, "header_failed");
    assert.equal(e.category, "auth");
    assert.equal(e.attempts, 0);
    assert.equal(server.requests.length, before, "nothing was sent");
    client.close();
  }
  // The thrown error travels as `cause`.
  const thrown = new Error("vault sealed");
  const client = S.createClient({
    baseUrl: server.baseUrl,
    headers: [["authorization", async () => Promise.reject(thrown)]],
  });
  const e = await client.get("/x").catch((x) => x);
  assert.equal(e.cause, thrown);
  client.close();
});

test("header functions in a Map or pairs are called before each attempt, sync or async", async () => {
  let n = 0;
  const forms = [
    new Map([["authorization", () => `Bearer ${valid}`]]),
    [["authorization", async () => `Bearer ${valid}`], ["x-count", () => String(++n)]],
  ];
  for (const headers of forms) {
    const client = S.createClient({ baseUrl: server.baseUrl, headers });
    const before = server.requests.length;
    assert.equal((await client.get("/y")).status, 200);
    // A call's own value for the field wins over the function.
    const own = await client.get("/z", { headers: { authorization: "Bearer nope_nope" } }).catch((x) => x);
    assert.equal(own.status, 401);
    assert.equal(server.requests[before + 1].headers.authorization, "Bearer nope_nope");
    client.close();
  }
  assert.equal(n, 2, "x-count was called once per attempt");
});

test("a second 401 after the refresh fails the call, with no second refresh", async () => {
  let calls = 0;
  const { client } = makeClient({
    refresh: async () => {
      calls++; // a refresh that does not help: the token stays refused
    },
  });
  issue();
  const before = server.requests.length;
  const e = await client.get("/x").catch((x) => x);
  assert.equal(calls, 1);
  assert.equal(e.kind, "gave_up");
  assert.equal(e.category, "auth");
  assert.equal(e.status, 401);
  assert.equal(e.attempts, 2);
  assert.equal(server.requests.length - before, 2, "sent twice, not looped");
  show("second 401 error", e);
  client.close();
  assertNoToken();
});

test("close() during a refresh settles every call once", async () => {
  let release;
  const { client } = makeClient({ refresh: () => new Promise((r) => (release = r)) });
  issue();
  let settledCount = 0;
  const calls = Array.from({ length: 6 }, () =>
    client.get("/x").then(
      () => assert.fail("resolved"),
      (e) => {
        settledCount++;
        return e;
      },
    ),
  );
  while (release === undefined) await sleep(5);
  client.close();
  const errors = await Promise.all(calls);
  for (const e of errors) assert.equal(e.kind, "closed");
  release(); // the refresh ends after close: nothing more happens
  await sleep(20);
  assert.equal(settledCount, 6);
  assertNoToken();
});

test("auth options are checked", () => {
  const make = (auth) => () => S.createClient({ baseUrl: server.baseUrl, auth });
  assert.throws(make({}), { name: "TypeError", message: /auth\.refresh/ });
  assert.throws(make({ refresh: "x" }), { name: "TypeError", message: /auth\.refresh/ });
  assert.throws(make(() => {}), { name: "TypeError", message: /auth/ });
  assert.throws(make({ refresh() {}, timeoutMs: 0 }), { name: "RangeError", message: /auth\.timeoutMs/ });
  assert.throws(make({ refresh() {}, timeoutMs: 600_001 }), { name: "RangeError", message: /auth\.timeoutMs/ });
  assert.throws(make({ refresh() {}, timeOutMs: 5 }), { name: "TypeError", message: /auth\.timeOutMs.*timeoutMs/ });
  assert.throws(() => S.createClient({ headers: { authorization: 5 } }), {
    name: "TypeError",
    message: /headers\["authorization"\].*a string or a function/,
  });
  assert.throws(() => S.createClient({ headers: { "bad name": () => "x" } }), { name: "RangeError" });
  // A call's own headers take strings only.
  return S.createClient({ baseUrl: server.baseUrl })
    .get("/x", { headers: { authorization: () => "x" } })
    .then(
      () => assert.fail("resolved"),
      (e) => assert.equal(e.name, "TypeError"),
    );
});

test("a header given twice, as a function and as a string, keeps the later", async () => {
  const sent = [];
  const fetch = async (url, init) => {
    sent.push(init.headers["x-a"]);
    return new Response("{}", { status: 200 });
  };
  const later = S.createClient({ baseUrl: server.baseUrl, fetch, headers: [["x-a", () => "from-fn"], ["X-A", "from-string"]] });
  await later.get("/1");
  await later.get("/2", { headers: { "x-b": "own" } });
  later.close();
  const fnLast = S.createClient({ baseUrl: server.baseUrl, fetch, headers: [["x-a", "from-string"], ["X-A", () => "from-fn"]] });
  await fnLast.get("/1");
  await fnLast.get("/2", { headers: { "x-b": "own" } });
  fnLast.close();
  assert.deepEqual(sent, ["from-string", "from-string", "from-fn", "from-fn"]);
});
