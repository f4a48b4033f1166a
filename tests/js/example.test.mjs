// examples/node/ runs against the installed package (by name) and its own
// local Etsy-like server, and says that everything it showed happened.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { scratchDir } from "./harness.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

test("examples/node: not found, validation list, paced burst, outage, health, summary", async () => {
  const dir = path.join(scratchDir(), "example-node");
  fs.mkdirSync(dir, { recursive: true });
  for (const f of ["etsy-errors.mjs", "etsy-server.mjs"]) {
    fs.copyFileSync(path.join(root, "examples", "node", f), path.join(dir, f));
  }
  // Resolves "steadfast" from the scratch project's node_modules.
  const { code, stdout, stderr } = await new Promise((resolve) =>
    execFile(process.execPath, [path.join(dir, "etsy-errors.mjs")], { cwd: dir, timeout: 40000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }),
    ),
  );
  assert.equal(code, 0, stdout + stderr);
  assert.doesNotMatch(stdout, /✗/);
  for (const line of [
    /not_found \(404\)/,
    /- title: is required/,
    /12 calls in [\d.]+ s, 0 answered 429/,
    /stateChange: closed → open/,
    /rejected in [\d.]+ ms: circuit_open/,
    /stateChange: half_open → closed/,
    /circuit: closed/,
    /by category: .*not_found 1/,
    /everything shown happened/,
  ]) {
    assert.match(stdout, line);
  }
});
