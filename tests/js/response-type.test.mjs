// init.responseType: a successful body read as JSON (else text, the
// default), text, an ArrayBuffer, a Uint8Array, a Blob or the stream itself,
// byte-exact, against a loopback server; an error's body is still read for
// classification whatever the choice; a bad choice is a RangeError.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { loadSteadfast, startServer } from "./harness.mjs";

const { esm } = await loadSteadfast();
const { createClient, ResilienceError } = esm;
const server = await startServer();
after(() => server.close());

// A PNG signature, then every byte value: text() would replace each byte
// at or above 0x80.
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from(Array.from({ length: 256 }, (_, i) => i))]);
let failFirst = 0;
server.handle = (req, res) => {
  const route = req.url.split("?")[0];
  if (route === "/png") {
    if (failFirst > 0) {
      failFirst--;
      return server.json(res, 503, { error: "busy" }, { "retry-after": "0" });
    }
    res.writeHead(200, { "content-type": "image/png", "content-length": PNG.length });
    return res.end(PNG);
  }
  if (route === "/json") return server.json(res, 200, { a: 1 });
  if (route === "/empty") {
    res.writeHead(204);
    return res.end();
  }
  if (route === "/denied") return server.json(res, 403, { error: "no access to this shop" });
  server.json(res, 404, { error: "no such route" });
};

const fast = { retry: { baseDelayMs: 1, maxDelayMs: 5 }, limiter: { perSecond: 1000, burst: 100 } };
const client = createClient({ baseUrl: server.baseUrl, ...fast });
after(() => client.close());

test("the default reads JSON, else text; a binary body as text is not intact", async () => {
  assert.deepEqual((await client.get("/json")).data, { a: 1 });
  const png = await client.get("/png");
  assert.equal(typeof png.data, "string");
  assert.notEqual(Buffer.from(png.data, "latin1").compare(PNG), 0);
  assert.equal((await client.get("/empty")).data, null);
});

test("bytes, arrayBuffer and blob give the body byte for byte, also after a retry", async () => {
  failFirst = 1;
  const bytes = await client.get("/png", { responseType: "bytes" });
  assert.equal(bytes.attempts, 2);
  assert.ok(bytes.data instanceof Uint8Array);
  assert.equal(Buffer.from(bytes.data).compare(PNG), 0);
  const ab = await client.get("/png", { responseType: "arrayBuffer" });
  assert.ok(ab.data instanceof ArrayBuffer);
  assert.equal(Buffer.from(ab.data).compare(PNG), 0);
  const blob = await client.get("/png", { responseType: "blob" });
  assert.ok(blob.data instanceof Blob);
  assert.equal(blob.data.type, "image/png");
  assert.equal(Buffer.from(await blob.data.arrayBuffer()).compare(PNG), 0);
  assert.equal((await client.get("/empty", { responseType: "bytes" })).data.length, 0);
});

test("text gives the text, JSON unparsed; stream gives the body unread", async () => {
  const text = await client.get("/json", { responseType: "text" });
  assert.equal(text.data, '{"a":1}');
  assert.equal((await client.get("/empty", { responseType: "text" })).data, "");
  const stream = await client.get("/png", { responseType: "stream" });
  assert.ok(stream.data instanceof ReadableStream);
  assert.equal(Buffer.from(await new Response(stream.data).arrayBuffer()).compare(PNG), 0);
  assert.equal((await client.get("/empty", { responseType: "stream" })).data, null);
});

test("an error's body is read for the core whatever the choice: classified, its message and data there", async () => {
  for (const responseType of ["bytes", "blob", "stream", "arrayBuffer", "text"]) {
    const e = await client.get("/denied", { responseType }).catch((x) => x);
    assert.ok(e instanceof ResilienceError, responseType);
    assert.equal(e.status, 403);
    assert.equal(e.category, "auth");
    assert.equal(e.serverMessage, "no access to this shop");
    assert.deepEqual(e.data, { error: "no access to this shop" });
  }
});

test("a bad responseType is a TypeError or RangeError naming it; a fetch whose response cannot be read so fails the call", async () => {
  await assert.rejects(
    client.get("/json", { responseType: "buffer" }),
    (e) => e instanceof RangeError && e.message === 'steadfast: `init.responseType` must be "json", "text", "arrayBuffer", "bytes", "blob" or "stream", got "buffer"',
  );
  await assert.rejects(
    client.get("/json", { responseType: 1 }),
    (e) => e instanceof TypeError && e.message === "steadfast: `init.responseType` must be a string",
  );
  // A fetch of the user's whose answers have status and text() only.
  const bare = createClient({ baseUrl: "https://api.example.com", fetch: async () => ({ status: 200, headers: {}, text: async () => "{}" }), retry: { maxRetries: 0 } });
  const e = await bare.get("/x", { responseType: "bytes" }).catch((x) => x);
  assert.ok(e instanceof ResilienceError, String(e));
  assert.ok(e.cause instanceof TypeError);
  assert.equal(e.cause.message, "steadfast: init.responseType reads the body with arrayBuffer(), which the response lacks");
  assert.deepEqual((await bare.get("/x")).data, {});
  bare.close();
});
