// Bad input, table-driven, over every exported function, constructor,
// method and option (each option at every nesting level, as index.d.ts
// lists them): undefined, null, NaN, ±Infinity, -1, 1e300, 2**53+2, 0.5
// where a whole number belongs, "", "12", {}, [], a symbol, a BigInt, a
// function, a Proxy whose every trap throws, a revoked Proxy, and the
// option defined by a getter that throws.
//
// Each either throws (or, for a call, rejects with) a TypeError or a
// RangeError whose message names the culprit (`retry.maxRetries`,
// `init.timeoutMs`, `signal`), or is accepted — and then only as listed
// here, each with the README sentence that documents it. After every case
// the module still works (a fresh client completes a call against the
// loopback server), a client or building block given bad input keeps
// working and counted nothing, and nothing is ever a WebAssembly trap.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { loadSteadfast, scratchDir, startServer } from "./harness.mjs";

const { esm: S } = await loadSteadfast();
// The README as shipped, its lines joined.
const README = fs
  .readFileSync(path.join(scratchDir(), "node_modules", "steadfast", "README.md"), "utf8")
  .replace(/\s+/g, " ");
const server = await startServer();
after(() => server.close());

// ----- the values ----------------------------------------------------------

function hostile() {
  const trap = () => {
    throw new Error("hostile trap");
  };
  return new Proxy(
    {},
    { get: trap, has: trap, ownKeys: trap, getOwnPropertyDescriptor: trap, getPrototypeOf: trap, apply: trap },
  );
}
function revoked() {
  const r = Proxy.revocable({}, {});
  r.revoke();
  return r.proxy;
}
/** [label, make]: a fresh value per case. */
const VALUES = [
  ["undefined", () => undefined],
  ["null", () => null],
  ["NaN", () => NaN],
  ["Infinity", () => Infinity],
  ["-Infinity", () => -Infinity],
  ["-1", () => -1],
  ["1e300", () => 1e300],
  ["2**53+2", () => 2 ** 53 + 2],
  ["0.5", () => 0.5],
  ['""', () => ""],
  ['"12"', () => "12"],
  ["{}", () => ({})],
  ["[]", () => []],
  ["Symbol()", () => Symbol("bad")],
  ["10n", () => 10n],
  ["a function", () => function f() {}],
  ["a hostile Proxy", hostile],
  ["a revoked Proxy", revoked],
];
/** The option defined by a getter that throws (not one of VALUES: it needs its parent). */
const GETTER = "a throwing getter";

// ----- what each value must come to -----------------------------------------

// Kinds: what a wrong value of the right JS type gives (RangeError) versus
// a wrong type (TypeError).
//   num:  a number; a number out of range is a RangeError
//   str:  a string; an unusable string is a RangeError
//   other kinds: every wrong value is a TypeError
function expectedError(kind, value) {
  if (typeof value === "number" && kind === "num") return RangeError;
  if (typeof value === "string" && kind === "str") return RangeError;
  return TypeError;
}

// Accepted values beyond `undefined` (always the default, except where a
// row says `required`), each with the README text that documents it:
// "valid" is a value of the expected kind (a function for a callback, a
// string for a path), "row:NAME" the Options table's row giving its range.
const DOC = {
  restoreObject: "| `restore` | — | what `snapshot()` returned",
  restoreText: "or its JSON text",
  nullDefault: "`null` for `options`, a section",
  nullNone: "`null` for `retry.deadlineMs`",
  falseOff: "`false` for `retry.budget`: off",
  emptyArray: "`breaker.failureCategories: []`",
  json: "what `JSON.stringify` makes of it",
  body: "`body`: a string, `ArrayBuffer`",
  bodyNull: "`null` is no body",
  signalNull: "`init.signal: null` is no signal",
  path: '`""` is `baseUrl` itself',
  baseUrlEmpty: '| `baseUrl` | `""` |',
  noHeaders: "`undefined` and `null` are no headers",
  headerForms: "a plain object, a `Headers`, a `Map` or an array of `[name, value]` pairs",
  status200: "a `status` of `undefined` or `null` is 200",
  blockSignal: "`signal` may be `undefined`, `null` or an `AbortSignal`",
  entry: "missing `category` and `status` make a success",
  classifyBody: "a body that is not a string is read as `JSON.stringify` writes it",
  errorCtor: "a `fields` that is not an object is ignored",
  node: "in Node it does nothing",
  authNull: "`auth: null` is no refresh",
  headerFn: "a header's value may be a function",
  valid: null,
};
const documented = (doc) => (doc.startsWith("row:") ? `| \`${doc.slice(4)}\` |` : DOC[doc]);
for (const [name, text] of Object.entries(DOC)) {
  if (text) assert.ok(README.includes(text), `README lacks the sentence for ${name}: ${text}`);
}

/**
 * An option or argument: `name` as error messages name it, `kind`, and
 * `ok`: { label: DOC key } for the values accepted besides `undefined`.
 */
const opt = (name, kind, ok = {}, extra = {}) => ({ name, kind, ok, ...extra });
const SECTION = { null: "nullDefault", "{}": "valid" };

const RETRY = [
  opt("maxRetries", "num"),
  opt("baseDelayMs", "num"),
  opt("maxDelayMs", "num"),
  opt("multiplier", "num"),
  opt("jitter", "str"),
  opt("maxRetryAfterMs", "num"),
  opt("deadlineMs", "num", { null: "nullNone" }),
  opt("budget", "obj", SECTION),
  opt("budget.ratio", "num", { 0.5: "row:retry.budget.ratio" }),
  opt("budget.minRetriesPerSecond", "num", { 0.5: "row:retry.budget.minRetriesPerSecond" }),
  opt("budget.maxTokens", "num", { 0.5: "row:retry.budget.maxTokens" }),
];
const BREAKER = [
  opt("failureThreshold", "num"),
  opt("successThreshold", "num"),
  opt("openMs", "num"),
  opt("openBackoff", "num"),
  opt("maxOpenMs", "num"),
  opt("halfOpenMaxProbes", "num"),
  opt("failureRate", "obj", SECTION),
  opt("failureRate.threshold", "num", { 0.5: "row:breaker.failureRate.threshold" }),
  opt("failureRate.minimumCalls", "num"),
  opt("failureRate.window", "obj", SECTION),
  opt("failureRate.window.kind", "str"),
  opt("failureRate.window.size", "num"),
  opt("failureRate.window.windowMs", "num"),
  opt("failureRate.window.buckets", "num"),
  opt("slowCallMs", "num", { null: "nullNone" }),
  opt("failureCategories", "arr", { "[]": "emptyArray" }),
];
const LIMITER = [
  opt("perSecond", "num", { 0.5: "row:limiter.perSecond" }),
  opt("burst", "num"),
  opt("perDay", "num", { null: "nullNone" }),
  opt("bufferRatio", "num", { 0.5: "row:limiter.bufferRatio" }),
  opt("dayWindowMs", "num"),
  opt("adaptive", "bool"),
  opt("maxSlowdown", "num"),
  opt("recoveryFactor", "num", { 0.5: "row:limiter.recoveryFactor" }),
  opt("rateLimitPauseMs", "num"),
  opt("quotaRecheckMs", "num"),
  opt("maxQueueMs", "num"),
  opt("maxPauseMs", "num"),
  opt("timerSlackMs", "num"),
];
const MONITOR = [
  opt("windowMs", "num"),
  opt("buckets", "num"),
  opt("alertThreshold", "num"),
  opt("alertRate", "num", { null: "nullNone", 0.5: "row:monitor.alertRate" }),
  opt("minCalls", "num"),
  opt("maxEndpoints", "num"),
  opt("onAlert", "fn", { "a function": "valid" }),
];
const CLOCK = opt("clock", "obj", { null: "nullDefault" });
const under = (prefix, rows) => rows.map((r) => ({ ...r, name: `${prefix}.${r.name}` }));

const CLIENT_OPTIONS = [
  opt("baseUrl", "str", { '""': "baseUrlEmpty" }),
  opt("headers", "obj", { "{}": "valid", "[]": "headerForms" }),
  opt("fetch", "fn", { "a function": "valid" }),
  CLOCK,
  opt("attemptTimeoutMs", "num"),
  opt("seed", "num"),
  opt("restore", "obj", { null: "nullDefault" }),
  opt("retry", "obj", SECTION),
  ...under("retry", RETRY),
  opt("breaker", "obj", SECTION),
  ...under("breaker", BREAKER),
  opt("breaker.scope", "str"),
  opt("breaker.maxBreakers", "num"),
  opt("limiter", "obj", SECTION),
  ...under("limiter", LIMITER),
  opt("monitor", "obj", SECTION),
  ...under("monitor", MONITOR),
  opt("auth", "obj", { null: "authNull" }),
  opt("auth.refresh", "fn", { "a function": "valid" }, { required: true }),
  // Checked with a refresh given: without one, `auth.refresh` is the error.
  opt("auth.timeoutMs", "num", {}, { base: () => ({ auth: { refresh() {} } }) }),
];
const BLOCK_OPTIONS = {
  CircuitBreaker: [...BREAKER, CLOCK],
  RateLimiter: [...LIMITER, CLOCK],
  RetryPolicy: [...RETRY, opt("idempotent", "bool"), opt("seed", "num"), CLOCK],
  ErrorMonitor: [...MONITOR, CLOCK],
};

/**
 * `{ a: { b: value } }` for "a.b"; with GETTER, `b` is a getter that
 * throws; over `root` (a row's `base`: the options it needs besides).
 */
function nest(name, value, getter = false, root = {}) {
  const keys = name.split(".");
  let cur = root;
  for (const k of keys.slice(0, -1)) cur = cur[k] ??= {};
  const last = keys.at(-1);
  if (getter) {
    Object.defineProperty(cur, last, {
      enumerable: true,
      get() {
        throw new Error("getter trap");
      },
    });
  } else cur[last] = value;
  return root;
}

/** Every (row, label, value) of a table, the throwing getter last. */
function* cases(rows) {
  for (const row of rows) {
    for (const [label, make] of VALUES) yield { row, label, value: make() };
    if (!row.noGetter) yield { row, label: GETTER, value: undefined, getter: true };
  }
}

function isTrap(e) {
  return (
    e instanceof WebAssembly.RuntimeError ||
    /unreachable|recursive use of an object|unsafe aliasing/.test(String(e && e.message))
  );
}

/**
 * Runs one case: `run()` (sync or async) must throw a TypeError/RangeError
 * naming the row, or succeed when the row accepts the label. Answers
 * whether it was accepted; `accepted` collects [where, label, doc].
 */
async function check(where, c, run, accepted) {
  const { row, label } = c;
  const okDoc = label === "undefined" && !row.required ? "default" : row.ok[label];
  let error = null;
  try {
    await run();
  } catch (e) {
    error = e;
  }
  const what = `${where} ${row.name} = ${label}`;
  assert.ok(!isTrap(error), `${what}: a trap: ${error && error.stack}`);
  if (okDoc) {
    assert.equal(error, null, `${what}: should be accepted (${okDoc}), threw ${error}`);
    accepted.push([where, row.name, label, okDoc]);
    return true;
  }
  assert.ok(error !== null, `${what}: accepted, but no documented default covers it`);
  const type = c.getter ? TypeError : expectedError(row.kind, c.value);
  assert.equal(error.constructor, type, `${what}: ${error}`);
  const named = row.named ?? row.name;
  assert.ok(error.message.includes(`\`${named}`), `${what}: the message does not name it: ${error.message}`);
  return false;
}

/** A fresh client completes a call: the module is fine. */
async function moduleWorks() {
  const client = S.createClient({ baseUrl: server.baseUrl, retry: { maxRetries: 0 } });
  try {
    const r = await client.get("/ok");
    assert.equal(r.status, 200);
  } finally {
    client.close();
  }
}

const accepted = [];

// ----- createClient and the building blocks' constructors -----------------

test("createClient: every option at every level, every bad value", async () => {
  const whole = [opt("options", "obj", SECTION, { noGetter: true })];
  for (const c of cases(whole)) {
    await check("createClient", c, () => S.createClient(c.value).close(), accepted);
    await moduleWorks();
  }
  for (const c of cases(CLIENT_OPTIONS)) {
    const options = nest(c.row.name, c.value, c.getter, c.row.base?.());
    await check("createClient", c, () => S.createClient(options).close(), accepted);
    await moduleWorks();
  }
  // Not among the values: `false` turns the budget off.
  S.createClient({ retry: { budget: false } }).close();
  accepted.push(["createClient", "retry.budget", "false", "falseOff"]);
  // A client header's value may be a function (a call's may not).
  S.createClient({ headers: { authorization: () => "Bearer x" } }).close();
  accepted.push(["createClient", "headers[name]", "a function", "headerFn"]);
});

test("the building blocks' constructors: every option, every bad value", async () => {
  for (const [ctor, rows] of Object.entries(BLOCK_OPTIONS)) {
    for (const c of cases([opt("options", "obj", SECTION, { noGetter: true }), ...rows])) {
      const options = c.row.name === "options" ? c.value : nest(c.row.name, c.value, c.getter);
      await check(`new ${ctor}`, c, () => new S[ctor](options), accepted);
      await moduleWorks();
    }
  }
});

test("restore: older formats, not JSON, every field hostile: an error naming the field", async () => {
  const now = Date.now();
  // A snapshot with something in every part (format 3, as snapshot() writes).
  const good = {
    format: 3,
    savedAt: now,
    rng: "18446744073709551615",
    circuits: [{ state: "open", until: now + 30_000, trips: 1 }],
    limiter: { serverPerSecond: 5, slowdown: 2, rateLimits: 1, quota: { remaining: 90 }, sent: [[now + 59_999, 10]] },
    monitor: {
      buckets: [{ end: now + 29_999, calls: 10, errors: 2, server: 2, endpoints: { "/a/{id}": [10, 2] } }],
      lastError: { category: "server", status: 503, endpoint: "/a/{id}", at: now },
    },
  };
  const c = S.createClient({ baseUrl: server.baseUrl, restore: good });
  assert.equal(c.health().circuit, "open");
  // Until-when as saved (within a millisecond or two: the monotonic clock
  // and the wall clock are read apart, each to the whole ms).
  assert.ok(Math.abs(c.snapshot().circuits[0].until - good.circuits[0].until) <= 2, "until-when as saved");
  c.close();
  // Its JSON text is taken too.
  S.createClient({ baseUrl: server.baseUrl, restore: JSON.stringify(good) }).close();
  accepted.push(["createClient", "restore", "a snapshot", "restoreObject"]);
  accepted.push(["createClient", "restore", "its JSON text", "restoreText"]);

  const edit = (f) => {
    const v = structuredClone(good);
    f(v);
    return v;
  };
  const garbage = [
    // [label, restore, error, words the message must hold]
    ["a string", "yesterday", TypeError, "`restore` is not JSON"],
    ["an sf1 text", "sf1:0a0b0c", TypeError, "older format"],
    ["an sf2 text", "sf2:0a0b0c", TypeError, "older format"],
    ["a format 2 object", { format: 2, state: "sf2:00ff" }, TypeError, "older format"],
    ["format 4", edit((v) => (v.format = 4)), TypeError, "`restore.format` must be 3"],
    ['format "3"', edit((v) => (v.format = "3")), TypeError, "`restore.format`"],
    ["no format", edit((v) => delete v.format), TypeError, "`restore.format` is missing"],
    ["an array", [good], TypeError, "`restore` must be an object"],
    ["savedAt a string", edit((v) => (v.savedAt = "now")), TypeError, "`restore.savedAt` must be a whole number"],
    ["savedAt negative", edit((v) => (v.savedAt = -1)), RangeError, "`restore.savedAt` is out of range"],
    ["savedAt past 2^53", edit((v) => (v.savedAt = 2 ** 60)), RangeError, "`restore.savedAt`"],
    ["rng a number", edit((v) => (v.rng = 7)), TypeError, "`restore.rng` must be a string"],
    ["rng past 64 bits", edit((v) => (v.rng = "18446744073709551616")), RangeError, "`restore.rng`"],
    ["circuits an object", edit((v) => (v.circuits = {})), TypeError, "`restore.circuits` must be an array"],
    ["a circuit ajar", edit((v) => (v.circuits[0].state = "ajar")), RangeError, "`restore.circuits[0].state`"],
    ["an open circuit without until", edit((v) => delete v.circuits[0].until), TypeError, "`restore.circuits[0].until` is missing"],
    ["until a fraction", edit((v) => (v.circuits[0].until = now + 0.5)), RangeError, "`restore.circuits[0].until`"],
    ["a circuit's extra field", edit((v) => (v.circuits[0].colour = "red")), TypeError, "`restore.circuits[0].colour` is not a field"],
    ["slowdown below 1", edit((v) => (v.limiter.slowdown = 0.5)), RangeError, "`restore.limiter.slowdown`"],
    ["serverPerSecond 0", edit((v) => (v.limiter.serverPerSecond = 0)), RangeError, "`restore.limiter.serverPerSecond`"],
    ["quota without remaining", edit((v) => (v.limiter.quota = {})), TypeError, "`restore.limiter.quota.remaining` is missing"],
    ["sent of pairs of 3", edit((v) => (v.limiter.sent = [[1, 2, 3]])), TypeError, "`restore.limiter.sent[0]`"],
    ["sent count a string", edit((v) => (v.limiter.sent = [[1, "2"]])), TypeError, "`restore.limiter.sent[0][1]`"],
    ["more errors than calls", edit((v) => (v.monitor.buckets[0].errors = 11)), RangeError, "`restore.monitor.buckets[0].errors`"],
    ["a bucket without end", edit((v) => delete v.monitor.buckets[0].end), TypeError, "`restore.monitor.buckets[0].end` is missing"],
    ["an unknown category", edit((v) => (v.monitor.lastError.category = "gremlins")), RangeError, "`restore.monitor.lastError.category`"],
    ["alerting a number", edit((v) => (v.monitor.alerting = 1)), TypeError, "`restore.monitor.alerting` must be true or false"],
    ["an extra part", edit((v) => (v.cache = {})), TypeError, "`restore.cache` is not a field"],
    ["huge", edit((v) => (v.monitor.lastError.message = "x".repeat(4_000_000))), RangeError, "`restore.monitor.lastError.message`"],
    ["deeply nested", edit((v) => (v.limiter.quota = JSON.parse("[".repeat(500) + "]".repeat(500)))), TypeError, "`restore` is not JSON"],
    ["a BigInt inside", edit((v) => (v.savedAt = 10n)), TypeError, "`restore`"],
    ["a number", 5, TypeError, "`restore` must be what client.snapshot() returned"],
    [
      "a throwing getter",
      {
        format: 3,
        get savedAt() {
          throw new Error("getter trap");
        },
      },
      TypeError,
      "`restore`",
    ],
    ["a hostile Proxy", hostile(), TypeError, "`restore`"],
    ["a revoked Proxy", revoked(), TypeError, "`restore`"],
  ];
  for (const [label, restore, type, words] of garbage) {
    assert.throws(
      () => S.createClient({ baseUrl: server.baseUrl, restore }),
      (e) => {
        assert.ok(!isTrap(e), `${label}: ${e.stack}`);
        assert.equal(e.constructor, type, `${label}: ${e}`);
        assert.ok(e.message.includes(words), `${label}: ${e.message}`);
        return true;
      },
      label,
    );
    await moduleWorks();
  }
  // Characters of the text changed at random: an error naming `restore`,
  // or a client that works (a changed number may still be in range).
  const text = JSON.stringify(good);
  let seed = 2026;
  const rand = (n) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  let decoded = 0;
  for (let i = 0; i < 300; i++) {
    const chars = text.split("");
    for (let k = 0; k <= i % 4; k++) chars[rand(chars.length)] = '0123456789",:{}[]-.e'[rand(21)];
    let client;
    try {
      client = S.createClient({
        baseUrl: server.baseUrl,
        restore: chars.join(""),
        retry: { maxRetries: 0 },
        limiter: { maxQueueMs: 0 },
      });
    } catch (e) {
      assert.ok(!isTrap(e), e.stack);
      assert.ok(e.constructor === TypeError || e.constructor === RangeError, String(e));
      assert.ok(e.message.includes("`restore"), e.message);
      continue;
    }
    decoded++;
    client.health();
    client.snapshot();
    if (decoded % 10 === 1) {
      await client.get("/ok", { signal: AbortSignal.timeout(500) }).catch((e) => {
        assert.ok(!isTrap(e), e.stack);
      });
    }
    client.close();
  }
  assert.ok(decoded > 0, "some edits still decode");
  await moduleWorks();
});

// ----- calls ----------------------------------------------------------------

test("calls: method, path, init and every init field; the client survives and counts nothing", async () => {
  const client = S.createClient({
    baseUrl: server.baseUrl,
    retry: { maxRetries: 0 },
    limiter: { perSecond: 10000, burst: 10000, perDay: null },
  });
  const events = [];
  for (const e of ["retry", "stateChange", "rateLimited", "alert", "recovered"]) client.on(e, (p) => events.push([e, p]));
  let acceptedCalls = 0;

  const call = async (where, rows, send) => {
    for (const c of cases(rows)) {
      const before = server.requests.length;
      const ok = await check(where, c, () => send(c), accepted);
      if (ok) acceptedCalls++;
      else assert.equal(server.requests.length, before, `${where} ${c.row.name} = ${c.label}: sent anyway`);
      // The same client makes the next call.
      const r = await client.get("/ok");
      assert.equal(r.status, 200);
    }
  };
  const initOf = (c) => nest(c.row.name.replace(/^init\./, ""), c.value, c.getter);

  await call("request", [opt("method", "str", {}, { required: true, noGetter: true })], (c) =>
    client.request(c.value, "/bad"),
  );
  await call("get", [opt("path", "path", { '""': "path", '"12"': "valid" }, { required: true, noGetter: true })], (c) =>
    client.get(c.value),
  );
  await call("get", [opt("init", "obj", SECTION, { noGetter: true })], (c) => client.get("/bad", c.value));
  await call(
    "get",
    [
      opt("init.query", "obj", { "{}": "valid" }),
      opt("init.headers", "obj", { "{}": "valid", "[]": "headerForms" }),
      opt("init.signal", "signal", { null: "signalNull" }),
      opt("init.timeoutMs", "num"),
      opt("init.deadlineMs", "num"),
      opt("init.responseType", "str"),
    ],
    (c) => client.get("/bad", initOf(c)),
  );
  const JSON_OK = Object.fromEntries(
    ["null", "NaN", "Infinity", "-Infinity", "-1", "1e300", "2**53+2", "0.5", '""', '"12"', "{}", "[]"].map((l) => [
      l,
      "json",
    ]),
  );
  await call("post", [opt("init.json", "json", JSON_OK, { noGetter: true })], (c) => client.post("/bad", c.value));
  await call(
    "post",
    [
      opt("init.json", "json", JSON_OK),
      opt("init.body", "body", { null: "bodyNull", '""': "body", '"12"': "body" }),
      opt("init.idempotencyKey", "str", { '"12"': "valid" }),
    ],
    (c) => client.post("/bad", undefined, initOf(c)),
  );
  // A body or JSON with GET or HEAD: fetch would refuse it (and the
  // refusal would count as a network failure).
  for (const [method, init] of [
    ["GET", { body: "x" }],
    ["GET", { json: {} }],
    ["HEAD", { body: "" }],
  ]) {
    await assert.rejects(client.request(method, "/bad", init), (e) => {
      assert.equal(e.constructor, RangeError, String(e));
      assert.match(e.message, /`init\.(body|json)` cannot be sent with/);
      return true;
    });
  }
  // Values fetch would refuse or mangle, rejected before anything is sent.
  const refused = [
    ["init.body", TypeError, () => client.post("/bad", undefined, { body: new ReadableStream() })],
    ["init.body", TypeError, () => client.post("/bad", undefined, { body: new Date() })],
    ['init.headers["a"]', RangeError, () => client.get("/bad", { headers: { a: "✓" } })],
    ["init.idempotencyKey", RangeError, () => client.post("/bad", {}, { idempotencyKey: "✓" })],
    ["init.query.a", RangeError, () => client.get("/bad", { query: { a: new Array(2 ** 32 - 1) } })],
    ["init.query.a", TypeError, () => client.get("/bad", { query: { a: [1, hostile()] } })],
    ["path", RangeError, () => client.get("http://user:pass@127.0.0.1:9/x")],
    ["method", RangeError, () => client.request("TRACE", "/bad")],
  ];
  for (const [name, type, run] of refused) {
    const before = server.requests.length;
    await assert.rejects(run(), (e) => {
      assert.equal(e.constructor, type, `${name}: ${e}`);
      assert.ok(e.message.includes(`\`${name}`), `${name}: ${e.message}`);
      return true;
    });
    assert.equal(server.requests.length, before, `${name}: sent anyway`);
  }
  // Without a baseUrl, the path is the whole URL: http(s) only.
  const noUrl = S.createClient({});
  await assert.rejects(noUrl.get("ftp://h/x"), (e) => {
    assert.equal(e.constructor, RangeError, String(e));
    assert.match(e.message, /`path` must be an http: or https: URL/);
    return true;
  });
  // A path that makes no URL is named without its query (where keys hide).
  await assert.rejects(noUrl.get("/x?api_key=sekrit-123456"), (e) => {
    assert.equal(e.constructor, TypeError);
    assert.match(e.message, /`path` "\/x" does not make a valid URL/);
    assert.ok(!e.message.includes("sekrit"));
    return true;
  });
  noUrl.close();

  await call("on", [opt("event", "str-type", {}, { required: true, noGetter: true })], (c) => client.on(c.value, () => {}));
  await call("on", [opt("listener", "fn", { "a function": "valid" }, { required: true, noGetter: true })], (c) =>
    client.on("retry", c.value),
  );

  // Bad input counted nowhere: no failure, no retry, no state change.
  const h = client.health();
  assert.equal(h.circuit, "closed");
  assert.equal(h.monitor.totalErrors, 0);
  assert.deepEqual(events, []);
  assert.ok(acceptedCalls > 0);
  client.close();
  await moduleWorks();
});

test("baseUrl: an absolute http(s) URL without credentials", async () => {
  for (const [label, baseUrl] of [
    ["relative", "12"],
    ["no scheme", "localhost:8080"],
    ["ftp", "ftp://h/x"],
    ["credentials", "https://user:hunter2-secret@h/v3"],
  ]) {
    assert.throws(
      () => S.createClient({ baseUrl }),
      (e) => {
        assert.equal(e.constructor, RangeError, `${label}: ${e}`);
        assert.ok(e.message.includes("`baseUrl`"), `${label}: ${e.message}`);
        assert.ok(!e.message.includes("hunter2"), `${label}: echoes the credentials: ${e.message}`);
        return true;
      },
    );
  }
  await moduleWorks();
});

// ----- the building blocks' methods -----------------------------------------

test("CircuitBreaker.execute, RetryPolicy.execute, RateLimiter.acquire: bad fn and signal", async () => {
  // failureThreshold 1: a bad argument counted as a failure would open it.
  const breaker = new S.CircuitBreaker({ failureThreshold: 1 });
  const retry = new S.RetryPolicy({ maxRetries: 1, baseDelayMs: 1, budget: false });
  const limiter = new S.RateLimiter({ perSecond: 10000, burst: 10000, perDay: null });
  let ran = 0;
  const fnOk = async () => {
    ran++;
    return 7;
  };
  const FN = opt("fn", "fn", { "a function": "valid" }, { required: true, noGetter: true });
  const SIGNAL = opt("signal", "signal", { null: "blockSignal" }, { noGetter: true });
  const survive = async () => {
    assert.equal(await breaker.execute(fnOk), 7);
    assert.equal(breaker.state, "closed");
    assert.equal(await retry.execute(fnOk), 7);
    await limiter.acquire();
  };
  for (const c of cases([FN])) {
    await check("CircuitBreaker.execute", c, () => breaker.execute(c.value), accepted);
    await check("RetryPolicy.execute", c, () => retry.execute(c.value), accepted);
    await survive();
  }
  for (const c of cases([SIGNAL])) {
    const before = ran;
    const b = await check("CircuitBreaker.execute", c, () => breaker.execute(fnOk, c.value), accepted);
    const r = await check("RetryPolicy.execute", c, () => retry.execute(fnOk, c.value), accepted);
    // Rejected before `fn` ran.
    assert.equal(ran - before, Number(b) + Number(r), `signal = ${c.label}: fn ran anyway`);
    await check("RateLimiter.acquire", c, () => limiter.acquire(c.value), accepted);
    await survive();
  }
  assert.equal(breaker.state, "closed");
  await moduleWorks();
});

test("RateLimiter.updateFromHeaders, ErrorMonitor.record/onAlert, classifyError: garbage in", async () => {
  const limiter = new S.RateLimiter({ perSecond: 10000, burst: 10000, perDay: null });
  const monitor = new S.ErrorMonitor();
  let recorded = 0;
  const HEADERS_OK = { null: "noHeaders", "{}": "noHeaders", "[]": "noHeaders" };
  const survive = async () => {
    limiter.updateFromHeaders({ "x-limit-per-second": "10000" }, 200);
    await limiter.acquire();
    monitor.record({ endpoint: "/ok", status: 200 });
    recorded++;
    assert.equal(monitor.summary().totalCalls, recorded);
  };
  for (const c of cases([opt("headers", "hdrs", HEADERS_OK, { noGetter: true })])) {
    await check("RateLimiter.updateFromHeaders", c, () => limiter.updateFromHeaders(c.value), accepted);
    await check("classifyError", c, () => S.classifyError(429, "", c.value), accepted);
    await survive();
  }
  for (const c of cases([opt("status", "num", { null: "status200" }, { noGetter: true })])) {
    await check("RateLimiter.updateFromHeaders", c, () => limiter.updateFromHeaders({}, c.value), accepted);
    await survive();
  }
  for (const c of cases([opt("status", "num", {}, { required: true, noGetter: true })])) {
    await check("classifyError", c, () => S.classifyError(c.value), accepted);
  }
  // Any body: what is not a string is read as JSON.stringify writes it.
  const ANY = Object.fromEntries(VALUES.map(([l]) => [l, "classifyBody"]));
  for (const c of cases([opt("body", "any", ANY, { noGetter: true })])) {
    await check("classifyError", c, () => S.classifyError(500, c.value), accepted);
  }
  // Entries: an object, each field checked; a field whose getter throws is
  // a bad entry, not a success.
  for (const c of cases([opt("entry", "obj", { "{}": "entry" }, { required: true, noGetter: true })])) {
    if (await check("ErrorMonitor.record", c, () => monitor.record(c.value), accepted)) recorded++;
    await survive();
  }
  for (const c of cases([
    opt("entry.category", "str", { null: "entry" }),
    opt("entry.status", "num", { null: "entry" }),
    opt("entry.endpoint", "text", { null: "entry", '""': "valid", '"12"': "valid" }),
    opt("entry.message", "text", { null: "entry", '""': "valid", '"12"': "valid" }),
  ])) {
    const entry = nest(c.row.name.replace(/^entry\./, ""), c.value, c.getter);
    if (await check("ErrorMonitor.record", c, () => monitor.record(entry), accepted)) recorded++;
    await survive();
  }
  for (const c of cases([opt("listener", "fn", { "a function": "valid" }, { required: true, noGetter: true })])) {
    await check("ErrorMonitor.onAlert", c, () => monitor.onAlert(c.value), accepted);
  }
  // Nothing bad was counted as an error.
  assert.equal(monitor.summary().totalErrors, 0);
  await moduleWorks();
});

test("ResilienceError and init: any value, or a TypeError naming it", async () => {
  const MSG = Object.fromEntries(VALUES.map(([l]) => [l, "errorCtor"]));
  delete MSG["a hostile Proxy"];
  delete MSG["a revoked Proxy"];
  for (const c of cases([opt("message", "any", MSG, { noGetter: true })])) {
    await check("new ResilienceError", c, () => new S.ResilienceError(c.value, {}), accepted);
  }
  for (const c of cases([opt("fields", "any", MSG, { noGetter: true })])) {
    await check("new ResilienceError", c, () => new S.ResilienceError("m", c.value), accepted);
  }
  const e = new S.ResilienceError("m", 5);
  assert.equal(e.kind, "unknown");
  const INIT = Object.fromEntries(VALUES.map(([l]) => [l, "node"]));
  for (const c of cases([opt("input", "any", INIT, { noGetter: true })])) {
    await check("init", c, () => S.init(c.value), accepted);
  }
  await moduleWorks();
});

test("user functions answering garbage: fetch, clock, a block's fn; every call settles, nothing crashes", async () => {
  const arrayTrap = () =>
    new Proxy([1, 2], {
      get() {
        throw new Error("array trap");
      },
    });
  const stepTrap = () => ({
    [Symbol.iterator]() {
      return {
        next() {
          return {
            get done() {
              throw new Error("step trap");
            },
          };
        },
      };
    },
  });
  const promiseTrap = (v) => {
    const p = Promise.resolve(v);
    Object.defineProperty(p, "constructor", {
      get() {
        throw new Error("constructor trap");
      },
    });
    return p;
  };
  const res = (status, headers, text = async () => "") => ({ status, headers, text });
  /** A function that throws `e`; `later`: an async one (rejects). */
  const thrower = (e, later = false) =>
    later
      ? async () => {
          throw e;
        }
      : () => {
          throw e;
        };
  const fetches = [
    ["throws", thrower(new Error("sync"))],
    ["answers undefined", () => undefined],
    ["answers a number", () => 5],
    ["answers {}", async () => ({})],
    ["status 0", async () => res(0, [])],
    ["status 1e300", async () => res(1e300, [])],
    ["text() throws", async () => res(200, [], thrower(new Error("text")))],
    ["text() answers a number", async () => res(500, [], async () => 5)],
    ["headers a hostile Proxy", async () => res(503, hostile())],
    ["headers a revoked Proxy", async () => res(503, revoked())],
    ["headers whose iterator throws", async () => res(503, stepTrap())],
    ["headers of junk pairs", async () => res(429, [[1, 2], [null], "ab", ["retry-after", 5]])],
    ["a hostile Proxy", async () => hostile()],
    ["a revoked Proxy", async () => revoked()],
    ["rejects with a hostile Proxy", thrower(hostile(), true)],
    ["rejects with cause.errors a trapping array", thrower(Object.assign(new Error("x"), { cause: { errors: arrayTrap() } }), true)],
    ["rejects with cause.errors revoked", thrower(Object.assign(new Error("x"), { cause: { errors: revoked() } }), true)],
    ["a promise whose constructor getter throws", () => promiseTrap(new Response("ok"))],
    ["a thenable whose then getter throws", () => ({ get then() { return thrower(new Error("then"))(); } })],
  ];
  for (const [label, fetch] of fetches) {
    const client = S.createClient({
      baseUrl: "http://api.test",
      fetch,
      retry: { maxRetries: 1, baseDelayMs: 1 },
      limiter: { perSecond: 10000, burst: 10000 },
    });
    let outcome;
    try {
      outcome = await client.get("/x");
    } catch (e) {
      outcome = e;
    }
    assert.ok(!isTrap(outcome), `fetch ${label}: ${outcome && outcome.stack}`);
    assert.ok(
      outcome instanceof S.ResilienceError || outcome.status >= 100,
      `fetch ${label}: settled as ${outcome}`,
    );
    assert.equal(client.health().activeCalls, 0, `fetch ${label}`);
    client.close();
  }
  let flaky = 0;
  server.handle = (req, res) => {
    // Every other answer a 503: each call retries once.
    if (req.url === "/flaky" && flaky++ % 2 === 0) {
      res.writeHead(503, { "retry-after": "0" });
      return res.end();
    }
    server.json(res, 200, { ok: true });
  };
  // Stops when the client cancels it (else its timer would hold the process).
  const sleep = (ms, signal) =>
    new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      signal.addEventListener("abort", () => clearTimeout(t), { once: true });
    });
  const clocks = [
    ["now() throws", { now: thrower(new Error("now")), sleep }],
    ["sleep() throws", { now: () => performance.now(), sleep: thrower(new Error("sleep")) }],
    ["sleep() a trapping promise", { now: () => performance.now(), sleep: (ms, signal) => promiseTrap(sleep(ms, signal)) }],
    ["wallNow() NaN", { now: () => performance.now(), sleep, wallNow: () => NaN }],
    ["wallNow() throws", { now: () => performance.now(), sleep, wallNow: thrower(1) }],
    ["wallNow() 1e300", { now: () => performance.now(), sleep, wallNow: () => 1e300 }],
  ];
  for (const [label, clock] of clocks) {
    const client = S.createClient({ baseUrl: server.baseUrl, clock, retry: { maxRetries: 1, baseDelayMs: 5 } });
    let outcome;
    try {
      // A clock whose now() throws stands still (documented): its backoff
      // never ends, the call ends by its signal.
      outcome = await client.get("/flaky", { signal: AbortSignal.timeout(1000) });
    } catch (e) {
      outcome = e;
    }
    assert.ok(!isTrap(outcome), `clock ${label}: ${outcome && outcome.stack}`);
    if (label !== "now() throws") assert.equal(outcome.status, 200, `clock ${label}: ${outcome}`);
    client.snapshot();
    client.health();
    client.close();
    // Closed, it holds the process by no timer (a sleep it gave up on is
    // told so through its signal).
    await new Promise((r) => setImmediate(r));
    const timers = process.getActiveResourcesInfo().filter((t) => t === "Timeout").length;
    assert.equal(timers, 0, `clock ${label}: ${timers} timer(s) left`);
  }
  server.handle = (req, res) => server.json(res, 200, {});

  // A block's fn throwing or answering garbage: the block settles and
  // keeps working.
  const retry = new S.RetryPolicy({ maxRetries: 1, baseDelayMs: 1, budget: false });
  const breaker = new S.CircuitBreaker({ failureThreshold: 1000 });
  const limiter = new S.RateLimiter({ perSecond: 10000, burst: 10000, perDay: null });
  const thrown = [
    ["a hostile Proxy", hostile],
    ["a revoked Proxy", revoked],
    ["headers a hostile Proxy", () => ({ status: 503, headers: hostile() })],
    ["headers whose iterator throws", () => ({ status: 503, headers: stepTrap() })],
    ["cause.errors a trapping array", () => ({ cause: { errors: arrayTrap() } })],
    ["status a hostile Proxy", () => ({ status: hostile() })],
  ];
  for (const [label, make] of thrown) {
    for (const [name, block] of [
      ["RetryPolicy", retry],
      ["CircuitBreaker", breaker],
    ]) {
      const value = make();
      let error = null;
      try {
        await block.execute(async () => {
          throw value;
        });
      } catch (e) {
        error = e;
      }
      // The retry policy wraps it (a trap would be a RuntimeError); the
      // breaker passes it on untouched.
      if (name === "RetryPolicy") {
        assert.ok(error instanceof S.ResilienceError, `${name} ${label}: ${error}`);
        assert.equal(error.cause, value);
      } else assert.equal(error, value, `${name} ${label}`);
      assert.equal(await block.execute(async () => 7), 7, `${name} after ${label}`);
    }
    // Returned rather than thrown: judged as a response where it has a
    // status (a proxy whose `then` throws rejects the function's promise).
    const r = await retry.execute(async () => make()).catch((e) => e);
    assert.ok(!isTrap(r), String(r && r.stack));
    for (const headers of [stepTrap(), { entries: () => stepTrap() }, new Map([["retry-after", "1"]])]) {
      try {
        limiter.updateFromHeaders(headers, 200);
      } catch (e) {
        assert.ok(!isTrap(e), e.stack);
        assert.equal(e.constructor, TypeError);
        assert.ok(e.message.includes("`headers`"), e.message);
      }
      await limiter.acquire();
    }
  }
  await moduleWorks();
});

test("breaker.failureRate left out is off, as documented (it was on: half of 10 calls failing opened the circuit)", async () => {
  let n = 0;
  server.handle = (req, res) => server.json(res, n++ % 2 === 0 ? 503 : 200, {});
  const client = S.createClient({
    baseUrl: server.baseUrl,
    retry: { maxRetries: 0 },
    limiter: { perSecond: 10000, burst: 10000 },
  });
  for (let i = 0; i < 24; i++) await client.get("/half").catch(() => {});
  assert.equal(client.health().circuit, "closed");
  client.close();
  server.handle = (req, res) => server.json(res, 200, {});
  const breaker = new S.CircuitBreaker();
  for (let i = 0; i < 24; i++) {
    await breaker
      .execute(async () => {
        if (i % 2 === 0) throw Object.assign(new Error("down"), { status: 503 });
      })
      .catch(() => {});
  }
  assert.equal(breaker.state, "closed");
  // Given, it applies.
  const rated = new S.CircuitBreaker({ failureRate: { minimumCalls: 10 } });
  for (let i = 0; i < 24; i++) {
    await rated
      .execute(async () => {
        if (i % 2 === 0) throw Object.assign(new Error("down"), { status: 503 });
      })
      .catch(() => {});
  }
  assert.equal(rated.state, "open");
});

test("what was accepted is the documented list", () => {
  // Printed for the record (`node --test` shows diagnostics).
  const byDoc = {};
  for (const [where, name, label, doc] of accepted) {
    if (doc === "default") continue;
    (byDoc[doc] ??= []).push(`${where} ${name} = ${label}`);
  }
  for (const [doc, list] of Object.entries(byDoc)) {
    const text = doc === "valid" ? "a value of the expected kind" : documented(doc);
    assert.ok(doc === "valid" || README.includes(text), `README lacks ${text}`);
    console.log(`# accepted (${text}): ${list.length}: ${list.slice(0, 5).join("; ")}${list.length > 5 ? "; ..." : ""}`);
  }
  assert.ok(accepted.length > 100);
});
