// The packed package, installed into a scratch project, imported by name.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadSteadfast } from "./harness.mjs";

const { esm, cjs, copy } = await loadSteadfast();

test("import and require both work by name, with no init step", () => {
  for (const api of [esm, cjs]) {
    assert.equal(typeof api.createClient, "function");
    assert.equal(typeof api.ResilienceError, "function");
    const client = api.createClient({ baseUrl: "http://127.0.0.1:9" });
    assert.equal(client.health().circuit, "closed");
    client.close();
  }
  // The ES module build wraps the CommonJS one: one class, one instance.
  assert.equal(esm.ResilienceError, cjs.ResilienceError);
  assert.equal(esm.createClient, cjs.createClient);
});

test("ResilienceError is a real Error, recognised across copies", () => {
  const e = new cjs.ResilienceError("boom", { category: "server", status: 503, attempts: 2 });
  assert.ok(e instanceof Error);
  assert.ok(e instanceof cjs.ResilienceError);
  assert.equal(e.name, "ResilienceError");
  assert.equal(e.message, "boom");
  assert.equal(e.category, "server");
  assert.equal(e.status, 503);
  assert.match(e.stack, /ResilienceError: boom/);
  // Another copy of the package (a second version installed side by side).
  assert.notEqual(copy.ResilienceError, cjs.ResilienceError);
  assert.ok(e instanceof copy.ResilienceError);
  assert.ok(new copy.ResilienceError("x") instanceof esm.ResilienceError);
  // Not everything is one.
  assert.ok(!(new Error("x") instanceof cjs.ResilienceError));
  assert.ok(!(null instanceof cjs.ResilienceError));
  // A subclass keeps ordinary instanceof semantics.
  class Mine extends cjs.ResilienceError {}
  assert.ok(new Mine("m") instanceof cjs.ResilienceError);
  assert.ok(!(e instanceof Mine));
  const cause = new Error("socket");
  assert.equal(new cjs.ResilienceError("c", { cause }).cause, cause);
});
