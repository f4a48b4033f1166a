// The packed package's metadata, as the tools a TypeScript user trusts read
// it: publint --strict and @arethetypeswrong/cli (attw, strict profile) on
// the very tarball the scratch project installed, clean for every entry and
// subpath; attw shown to catch a subpath without types; the licence texts
// shipped as in the repository.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { scratchDir } from "../js/harness.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..", "..");

/** The script of `pkg`'s bin `name` in this folder's node_modules. */
function bin(pkg, name) {
  const dir = path.join(here, "node_modules", pkg);
  const { bin } = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
  return path.join(dir, typeof bin === "string" ? bin : bin[name]);
}

/** Runs a node script; resolves to its exit status and output. */
function run(script, args, cwd) {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { cwd, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      resolve({ status: error ? error.code : 0, stdout, stderr });
    });
  });
}

/** The tarball `npm pack` made in the scratch project (tests/js/install.mjs). */
function tarball() {
  const found = fs.readdirSync(scratchDir()).filter((f) => /^steadfast-.*\.tgz$/.test(f));
  assert.equal(found.length, 1, `one tarball in the scratch project, found ${found.join(", ")}`);
  return path.join(scratchDir(), found[0]);
}

/** attw's JSON report of `target` (a tarball, or a folder with `--pack`). */
async function attw(args) {
  const r = await run(bin("@arethetypeswrong/cli", "attw"), [...args, "--format", "json", "--no-color"], scratchDir());
  let report;
  try {
    report = JSON.parse(r.stdout);
  } catch {
    assert.fail(`attw printed no JSON (status ${r.status}):\n${r.stdout}${r.stderr}`);
  }
  return { status: r.status, report };
}

// Every entry point the exports map names, and where each resolution found
// its types.
const ENTRIES = [".", "./inline", "./steadfast_wasm_bg.wasm", "./package.json"];
const RESOLUTIONS = ["node10", "node16-cjs", "node16-esm", "bundler"];
function typesFound(report) {
  const out = {};
  for (const entry of ENTRIES) {
    for (const kind of RESOLUTIONS) {
      const r = report.analysis.entrypoints[entry]?.resolutions[kind]?.resolution;
      out[`${entry} ${kind}`] = r ? r.fileName.replace(/^.*\/node_modules\/steadfast\//, "") : null;
    }
  }
  return out;
}

test("publint --strict finds nothing in the tarball", async () => {
  const r = await run(bin("publint", "publint"), ["run", tarball(), "--strict"], scratchDir());
  assert.equal(r.status, 0, `publint:\n${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /All good!/, r.stdout);
});

test("attw finds no problem, and types for every entry point under every resolution", async () => {
  const { status, report } = await attw([tarball()]);
  assert.deepEqual(report.analysis.problems, [], JSON.stringify(report.analysis.problems, null, 2));
  assert.equal(status, 0);
  assert.deepEqual(Object.keys(report.analysis.entrypoints).sort(), [...ENTRIES].sort());
  assert.deepEqual(typesFound(report), {
    ". node10": "index.d.ts",
    ". node16-cjs": "index.d.cts",
    ". node16-esm": "node/index.d.mts",
    ". bundler": "web/index.d.ts",
    "./inline node10": "index.d.ts",
    "./inline node16-cjs": "index.d.cts",
    "./inline node16-esm": "inline/node/index.d.mts",
    "./inline bundler": "inline/web/index.d.ts",
    "./steadfast_wasm_bg.wasm node10": "steadfast_wasm_bg.wasm.d.ts",
    "./steadfast_wasm_bg.wasm node16-cjs": "steadfast_wasm_bg.wasm.d.cts",
    "./steadfast_wasm_bg.wasm node16-esm": "steadfast_wasm_bg.wasm.d.ts",
    "./steadfast_wasm_bg.wasm bundler": "steadfast_wasm_bg.wasm.d.ts",
    "./package.json node10": "package.json",
    "./package.json node16-cjs": "package.json",
    "./package.json node16-esm": "package.json",
    "./package.json bundler": "package.json",
  });
});

test("attw reports a subpath whose export has no types (the check is not blind)", async () => {
  // The installed package with the .wasm subpath exported as it was before
  // it had types: a bare file.
  const dir = path.join(scratchDir(), "untyped-wasm");
  fs.cpSync(path.join(scratchDir(), "node_modules", "steadfast"), dir, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
  manifest.exports["./steadfast_wasm_bg.wasm"] = "./steadfast_wasm_bg.wasm";
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(manifest, null, 2));
  const { status, report } = await attw(["--pack", dir]);
  assert.notEqual(status, 0);
  const kinds = report.analysis.problems.map((p) => `${p.kind} ${p.entrypoint}`);
  assert.ok(kinds.includes("NoResolution ./steadfast_wasm_bg.wasm"), kinds.join("\n"));
});

test("the package ships both licence texts of `MIT OR Apache-2.0`, as in the repository", () => {
  const installed = path.join(scratchDir(), "node_modules", "steadfast");
  const manifest = JSON.parse(fs.readFileSync(path.join(installed, "package.json"), "utf8"));
  assert.equal(manifest.license, "MIT OR Apache-2.0");
  assert.equal(manifest.repository, undefined, "no repository URL is invented");
  for (const f of ["LICENSE-MIT", "LICENSE-APACHE"]) {
    const shipped = fs.readFileSync(path.join(installed, f), "utf8");
    assert.equal(shipped, fs.readFileSync(path.join(root, f), "utf8"), f);
    assert.match(shipped, /Copyright \(c\) 2026 The Steadfast authors/, f);
  }
  assert.match(fs.readFileSync(path.join(installed, "LICENSE-MIT"), "utf8"), /^MIT License\n/);
  assert.match(fs.readFileSync(path.join(installed, "LICENSE-APACHE"), "utf8"), /Apache License\s+Version 2\.0, January 2004/);
});
