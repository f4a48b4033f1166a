// Request headers in every form `fetch` takes (a plain object, a Headers, a
// Map, an array of pairs), in createClient({ headers }) and in a call's
// init.headers, reach the server: the API key included. Anything else is a
// TypeError naming the option; nothing is dropped without a word.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { loadSteadfast, startServer } from "./harness.mjs";

const { esm } = await loadSteadfast();
const { createClient } = esm;
const server = await startServer();
after(() => server.close());
server.handle = (req, res) => server.json(res, 200, { headers: req.headers });

const FORMS = {
  "a plain object": (o) => ({ ...o }),
  "a Headers": (o) => new Headers(o),
  "a Map": (o) => new Map(Object.entries(o)),
  "an array of pairs": (o) => Object.entries(o),
};

for (const [form, make] of Object.entries(FORMS)) {
  test(`headers as ${form} reach the server, from the client and from a call`, async () => {
    const client = createClient({ baseUrl: server.baseUrl, headers: make({ "X-Api-Key": "key-123456", accept: "text/plain" }) });
    const plain = await client.get("/a");
    assert.equal(plain.data.headers["x-api-key"], "key-123456");
    assert.equal(plain.data.headers.accept, "text/plain");
    // The call's fields are added, and replace the client's of the same name
    // (names compared without case).
    const own = await client.get("/b", { headers: make({ "x-call": "yes", Accept: "application/json" }) });
    assert.equal(own.data.headers["x-api-key"], "key-123456");
    assert.equal(own.data.headers["x-call"], "yes");
    assert.equal(own.data.headers.accept, "application/json");
    client.close();
  });
}

test("a name given twice in pairs or a Map of both cases: the values are joined, as Headers.append joins them", async () => {
  const client = createClient({
    baseUrl: server.baseUrl,
    headers: [
      ["x-tag", "a"],
      ["X-Tag", "b"],
    ],
  });
  const r = await client.get("/c", { headers: new Map([["x-other", "1"], ["X-OTHER", "2"]]) });
  assert.equal(r.data.headers["x-tag"], "a, b");
  assert.equal(r.data.headers["x-other"], "1, 2");
  client.close();
});

test("headers in a form fetch does not take, or with a bad field, are a TypeError or RangeError naming it", async () => {
  const base = { baseUrl: server.baseUrl };
  const cases = [
    [{ headers: "x-api-key: 1" }, TypeError, "`headers` must be an object of header fields, a Headers, a Map or an array of [name, value] pairs"],
    [{ headers: new Set(["a"]) }, TypeError, "`headers` must be a plain object, a Headers, a Map or an array of [name, value] pairs"],
    [{ headers: [["x-a", "1", "extra"]] }, TypeError, "`headers[0]` must be a [name, value] pair of strings"],
    [{ headers: [["x-a"]] }, TypeError, "`headers[0]` must be a [name, value] pair of strings"],
    [{ headers: ["x-a"] }, TypeError, "`headers[0]` must be a [name, value] pair of strings"],
    [{ headers: [["x-a", 1]] }, TypeError, '`headers["x-a"]` must be a string or a function'],
    [{ headers: new Map([["x-a", 1]]) }, TypeError, '`headers["x-a"]` must be a string or a function'],
    [{ headers: new Map([[1, "x"]]) }, TypeError, "`headers[0]` must be a [name, value] pair of strings"],
    [{ headers: [["bad name", "1"]] }, RangeError, '`headers["bad name"]` is not a valid header name'],
    [{ headers: new Map([["x-a", "1\r\nx-b: 2"]]) }, RangeError, '`headers["x-a"]` must not contain CR, LF or NUL'],
    [{ headers: Array.from({ length: 1001 }, (_, i) => [`x-${i}`, "v"]) }, RangeError, "`headers` must have at most 1000 fields"],
  ];
  for (const [options, type, message] of cases) {
    assert.throws(() => createClient({ ...base, ...options }), (e) => e instanceof type && e.message === `steadfast: ${message}`, message);
  }
  const client = createClient(base);
  await assert.rejects(client.get("/d", { headers: new Map([["x-a", 5]]) }), (e) => e instanceof TypeError && e.message === 'steadfast: `init.headers["x-a"]` must be a string');
  await assert.rejects(client.get("/d", { headers: [["x-a"]] }), (e) => e instanceof TypeError && e.message === "steadfast: `init.headers[0]` must be a [name, value] pair of strings");
  // A Headers whose iteration throws is refused, not sent half-read.
  const broken = new Headers({ "x-a": "1" });
  broken[Symbol.iterator] = () => {
    throw new Error("no");
  };
  await assert.rejects(client.get("/d", { headers: broken }), (e) => e instanceof TypeError && e.message === "steadfast: `init.headers` must be readable");
  client.close();
});

test("a response with 300 header fields: the first 256 are read, the call succeeds, and so does the next", async () => {
  const many = await startServer();
  try {
    many.handle = (_req, res) => {
      for (let i = 0; i < 300; i++) res.setHeader(`x-f${String(i).padStart(3, "0")}`, String(i));
      many.json(res, 200, { ok: true });
    };
    const client = createClient({ baseUrl: many.baseUrl });
    for (const path of ["/first", "/second"]) {
      const r = await client.get(path);
      assert.deepEqual(r.data, { ok: true });
      // Fields come sorted by name: the fetch's own few, then x-f000...
      const names = Object.keys(r.headers);
      assert.equal(names.length, 256, `${path}: ${names.length} fields`);
      assert.equal(r.headers["x-f000"], "0");
      assert.equal(r.headers["x-f299"], undefined);
    }
    client.close();
  } finally {
    await many.close();
  }
});
