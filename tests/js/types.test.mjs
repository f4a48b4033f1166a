// The package's types: a typed usage example compiles with `tsc --strict`
// against the installed package, imported by name (TypeScript from
// tools/, the build's own devDependencies).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { scratchDir } from "./harness.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const tsc = path.join(here, "..", "..", "tools", "node_modules", "typescript", "bin", "tsc");

test("a typed usage example compiles with tsc --strict", () => {
  const dir = scratchDir();
  fs.copyFileSync(path.join(here, "typed-example.ts"), path.join(dir, "typed-example.ts"));
  // No @types/node here: only the DOM's fetch types, as in a browser project.
  const config = {
    compilerOptions: {
      strict: true,
      noEmit: true,
      module: "nodenext",
      moduleResolution: "nodenext",
      target: "es2022",
      lib: ["es2022", "dom"],
      types: [],
    },
    files: ["typed-example.ts"],
  };
  fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(config));
  const args = [tsc, "-p", "tsconfig.json"];
  let out = "";
  try {
    out = execFileSync(process.execPath, args, { cwd: dir, encoding: "utf8" });
  } catch (e) {
    assert.fail(`tsc failed:\n${e.stdout}${e.stderr}`);
  }
  assert.equal(out.trim(), "");
});
