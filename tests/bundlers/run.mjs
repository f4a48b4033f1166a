// `make test-bundlers`: the packed package bundled as users bundle it, each
// bundle run where it is deployed, each making a real call against the
// loopback server (tests/js/harness.mjs) that fails it once with a 503 and
// a retry that succeeds:
//   esbuild, browser: `steadfast/inline` (no file to copy) and the default
//     entry with `--loader:.wasm=file` and with `--loader:.wasm=binary`
//                                                → headless Chromium
//   esbuild, Node ESM and CJS: `steadfast/inline`, each bundle moved alone
//     into an empty folder, as a serverless deploy → node
//   esbuild, Node ESM of the default entry moved alone: must fail, saying
//     to import `steadfast/inline`
//   webpack 5 and Vite, browser: the default entry → headless Chromium
// The pages are served and Chromium is driven by tests/browser/chromium.mjs.
// esbuild is the one in tools/ (`make package` installs it); webpack and
// Vite are pinned in this folder's package-lock.json (the Makefile runs
// `npm ci` when they are missing or older than it). The entries (entries/)
// are copied into a scratch project where pkg/ is packed and installed
// (tests/js/install.mjs), so that `steadfast` resolves as a user's does.
// Last, the package README's bundler blocks and `npx esbuild` commands are
// held against the entries and the cases (readmeMatches). One line per
// bundle (its size, its result), then one in cargo's words.
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";
import { installTarball } from "../js/install.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const esbuild = path.join(here, "..", "..", "tools", "node_modules", ".bin", "esbuild");
for (const [what, file] of [
  ["esbuild", esbuild],
  ["webpack", path.join(here, "node_modules", "webpack")],
  ["vite", path.join(here, "node_modules", "vite")],
]) {
  if (!fs.existsSync(file)) {
    console.error(`tests/bundlers: ${what} is not installed: run \`make test-bundlers\` (it installs what is missing)`);
    process.exit(1);
  }
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "steadfast-bundlers-"));
// harness.mjs installs a scratch project of its own unless given one.
process.env.STEADFAST_SCRATCH = scratch;
const { startServer } = await import("../js/harness.mjs");
const { launch, startStatic } = await import("../browser/chromium.mjs");
const { default: webpack } = await import("webpack");
const { build: viteBuild } = await import("vite");

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
/** Every file under `dir`, recursively. */
const filesOf = (dir) =>
  fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath ?? e.path, e.name));
/** What a bundle weighs: every file it emitted (JS, .wasm, HTML), raw and gzipped. */
function sizeOf(files) {
  let raw = 0;
  let gz = 0;
  for (const f of files) {
    const bytes = fs.readFileSync(f);
    raw += bytes.length;
    gz += zlib.gzipSync(bytes, { level: 9 }).length;
  }
  return `${kb(raw)} (${kb(gz)} gzipped)`;
}

/** Runs the esbuild CLI in the scratch project with the README's arguments. */
const flagsRun = new Set();
function esbuildCli(args) {
  flagsRun.add(flagsOf(args));
  execFileSync(esbuild, [...args, "--log-level=warning"], { cwd: scratch, stdio: ["ignore", "inherit", "inherit"] });
}

/** An esbuild command's options, as a key: the entry and `--outfile` left out, the rest sorted. */
function flagsOf(args) {
  return args
    .filter((a) => a.startsWith("--") && !a.startsWith("--outfile=") && !a.startsWith("--log-level="))
    .sort()
    .join(" ");
}

/**
 * What the package README tells bundler users, held against what this
 * runner builds: each import in its bundler blocks (```js host=bundler,
 * vite, esbuild-browser, esbuild-node) is one the entries make, and each
 * `npx esbuild` command's options are those of a case here.
 */
function readmeMatches() {
  const readme = fs.readFileSync(path.join(here, "..", "..", "pkg-template", "README.md"), "utf8");
  const entries = fs
    .readdirSync(path.join(here, "entries"))
    .map((f) => fs.readFileSync(path.join(here, "entries", f), "utf8"))
    .join("\n");
  const specifiers = (text) => [...text.matchAll(/(?:from|require\()\s*"([^"]+)"/g)].map((m) => m[1].replace(/\?url$/, ""));
  const ours = new Set(specifiers(entries));
  const problems = [];
  let blocks = 0;
  for (const m of readme.matchAll(/```js host=(bundler|vite|esbuild-browser|esbuild-node)\n([\s\S]*?)```/g)) {
    blocks++;
    for (const s of specifiers(m[2])) if (!ours.has(s)) problems.push(`README (${m[1]}) imports "${s}", which no entry here does`);
  }
  const commands = [...readme.matchAll(/^npx esbuild (.*)$/gm)].map((m) => m[1].split(/\s+/));
  for (const c of commands) {
    if (!flagsRun.has(flagsOf(c))) problems.push(`README's \`npx esbuild ${c.join(" ")}\`: no case here builds with those options`);
  }
  if (blocks < 5 || commands.length < 4) problems.push(`found ${blocks} bundler blocks and ${commands.length} esbuild commands in the README, expected at least 5 and 4`);
  if (problems.length) throw new Error(problems.join("\n"));
  return `${blocks} blocks and ${commands.length} esbuild commands match the cases`;
}

const server = await startServer({ cors: true });
// Each bundle calls /flaky/<its name>: a 503 first, then 200 with the name.
const seen = new Map();
server.handle = (req, res) => {
  const name = decodeURIComponent(req.url.replace(/^\/flaky\//, ""));
  const n = (seen.get(name) ?? 0) + 1;
  seen.set(name, n);
  if (n === 1) return server.json(res, 503, { error: "try again" });
  server.json(res, 200, { bundle: name });
};

/** The answer a bundle named `name` must have got, and the server's side of it. */
function checkCall(name, result) {
  const want = { status: 200, data: { bundle: name }, attempts: 2 };
  if (JSON.stringify(result) !== JSON.stringify(want)) {
    throw new Error(`expected ${JSON.stringify(want)}, got ${JSON.stringify(result)}`);
  }
  if (seen.get(name) !== 2) throw new Error(`the server saw ${seen.get(name) ?? 0} requests, not 2 (the 503, the retry)`);
}

let context;
/**
 * Serves `dir` on a loopback origin of its own, opens `page` there in
 * Chromium and waits for the entry's `window.result`; checks the call and
 * the .wasm fetched (`wasm`: how many the page must have fetched, 0 for an
 * inlined module), and that nothing else went wrong on the page.
 */
async function inChromium(name, dir, page, wasm) {
  context ??= await launch();
  const site = await startStatic({ "/": dir });
  const tab = await context.newPage();
  const errors = [];
  tab.on("pageerror", (e) => errors.push(String(e)));
  try {
    const q = new URLSearchParams({ api: server.baseUrl, name });
    await tab.goto(`${site.origin}/${page}?${q}`);
    await tab.waitForFunction(() => window.result !== undefined, null, { timeout: 20000 }).catch((e) => {
      throw new Error(`the page never answered: ${errors.join("\n") || e.message}`);
    });
    const r = await tab.evaluate(() => window.result);
    if (!r.ok) throw new Error(`the call failed in the page: ${r.error}`);
    checkCall(name, r.value);
    const served = site.served.filter((s) => s.path !== "/favicon.ico");
    const wasmServed = served.filter((s) => s.path.endsWith(".wasm"));
    if (wasmServed.length !== wasm || wasmServed.some((s) => s.status !== 200 || s.type !== "application/wasm")) {
      throw new Error(`expected ${wasm} .wasm fetched (200, application/wasm), got ${JSON.stringify(wasmServed)}`);
    }
    const missing = served.filter((s) => s.status !== 200);
    if (missing.length) throw new Error(`the page asked for what the bundle lacks: ${JSON.stringify(missing)}`);
    if (errors.length) throw new Error(`errors on the page: ${errors.join("\n")}`);
    return "ok in Chromium: 200 after a 503, 2 attempts";
  } finally {
    await tab.close();
    await site.close();
  }
}

/**
 * Moves the Node bundle `file` alone into an empty temp folder (nothing
 * beside it, no node_modules above it) and runs it there with node (not
 * synchronously: the server answering it runs in this process).
 */
async function aloneInNode(file, name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steadfast-deploy-"));
  try {
    const moved = path.join(dir, path.basename(file));
    fs.copyFileSync(file, moved);
    return await new Promise((resolve) =>
      execFile(process.execPath, [moved, server.baseUrl, name], { cwd: dir, timeout: 20000 }, (err, stdout, stderr) =>
        resolve({ status: err ? (err.code ?? 1) : 0, stdout, stderr }),
      ),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const page = (script, type = "module") =>
  `<!doctype html>\n<meta charset="utf-8">\n<script${type ? ` type="${type}"` : ""} src="./${script}"></script>\n`;

/** Builds in `out` (emptied first); answers the files to weigh. */
const cases = [
  {
    name: "esbuild browser, steadfast/inline",
    async run(out) {
      esbuildCli(["browser-inline.js", "--bundle", "--format=esm", `--outfile=${out}/main.js`]);
      fs.writeFileSync(path.join(out, "index.html"), page("main.js"));
      return inChromium(this.name, out, "index.html", 0);
    },
  },
  {
    name: "esbuild browser, --loader:.wasm=file",
    async run(out) {
      esbuildCli(["browser-file.js", "--bundle", "--format=esm", "--loader:.wasm=file", `--outfile=${out}/main.js`]);
      fs.writeFileSync(path.join(out, "index.html"), page("main.js"));
      return inChromium(this.name, out, "index.html", 1);
    },
  },
  {
    name: "esbuild browser, --loader:.wasm=binary",
    async run(out) {
      // The same entry: under the binary loader the import is the bytes.
      esbuildCli(["browser-file.js", "--bundle", "--format=esm", "--loader:.wasm=binary", `--outfile=${out}/main.js`]);
      fs.writeFileSync(path.join(out, "index.html"), page("main.js"));
      return inChromium(this.name, out, "index.html", 0);
    },
  },
  {
    name: "esbuild Node ESM, steadfast/inline, moved alone",
    async run(out) {
      esbuildCli(["handler.mjs", "--bundle", "--platform=node", "--format=esm", `--outfile=${out}/handler.mjs`]);
      const r = await aloneInNode(path.join(out, "handler.mjs"), this.name);
      if (r.status !== 0) throw new Error(`exit ${r.status}: ${r.stderr}`);
      checkCall(this.name, JSON.parse(r.stdout));
      return "ok in Node, alone in an empty folder: 200 after a 503, 2 attempts";
    },
  },
  {
    name: "esbuild Node CJS, steadfast/inline, moved alone",
    async run(out) {
      esbuildCli(["handler.cjs", "--bundle", "--platform=node", "--format=cjs", `--outfile=${out}/handler.cjs`]);
      const r = await aloneInNode(path.join(out, "handler.cjs"), this.name);
      if (r.status !== 0) throw new Error(`exit ${r.status}: ${r.stderr}`);
      checkCall(this.name, JSON.parse(r.stdout));
      return "ok in Node, alone in an empty folder: 200 after a 503, 2 attempts";
    },
  },
  {
    name: "esbuild Node ESM, default entry, moved alone (must fail)",
    async run(out) {
      esbuildCli(["handler-default.mjs", "--bundle", "--platform=node", "--format=esm", `--outfile=${out}/handler.mjs`]);
      const r = await aloneInNode(path.join(out, "handler.mjs"), this.name);
      const said = 'steadfast: cannot read steadfast_wasm_bg.wasm beside the package; in a bundle, import "steadfast/inline"';
      if (r.status === 0 || !r.stderr.includes(said)) {
        throw new Error(`expected a failure saying ${said}; exit ${r.status}, stderr: ${r.stderr}`);
      }
      if (seen.has(this.name)) throw new Error("it called the server");
      return "refused as it should, naming steadfast/inline";
    },
  },
  {
    name: "webpack 5 browser, default entry",
    async run(out) {
      const stats = await new Promise((resolve, reject) =>
        webpack(
          { mode: "production", context: scratch, entry: "./browser-default.js", output: { path: out, filename: "main.js" } },
          (err, s) => (err ? reject(err) : resolve(s)),
        ),
      );
      if (stats.hasErrors()) throw new Error(stats.toString("errors-only"));
      fs.writeFileSync(path.join(out, "index.html"), page("main.js", ""));
      return inChromium(this.name, out, "index.html", 1);
    },
  },
  {
    name: "Vite browser, default entry",
    async run(out) {
      const root = path.join(scratch, "vite");
      fs.mkdirSync(root, { recursive: true });
      for (const f of ["browser-default.js", "call.js"]) fs.copyFileSync(path.join(scratch, f), path.join(root, f));
      fs.writeFileSync(path.join(root, "index.html"), page("browser-default.js"));
      await viteBuild({ root, configFile: false, logLevel: "warn", build: { outDir: out, emptyOutDir: true } });
      return inChromium(this.name, out, "index.html", 1);
    },
  },
];

let passed = 0;
let failed = 0;
try {
  const t0 = performance.now();
  installTarball(scratch);
  for (const f of fs.readdirSync(path.join(here, "entries"))) fs.copyFileSync(path.join(here, "entries", f), path.join(scratch, f));
  console.log(`packed package installed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  for (const [i, c] of cases.entries()) {
    const out = path.join(scratch, `out-${i}`);
    fs.mkdirSync(out, { recursive: true });
    const t = performance.now();
    try {
      const said = await c.run(out);
      passed++;
      console.log(`  ${c.name}: ${sizeOf(filesOf(out))}; ${said} (${((performance.now() - t) / 1000).toFixed(1)} s)`);
    } catch (e) {
      failed++;
      console.log(`  ${c.name}: FAILED: ${e.stack || e}`);
    }
  }
  try {
    const said = readmeMatches();
    passed++;
    console.log(`  the package README's bundler instructions: ${said}`);
  } catch (e) {
    failed++;
    console.log(`  the package README's bundler instructions: FAILED: ${e.message}`);
  }
} finally {
  await context?.close();
  await server.close();
  fs.rmSync(scratch, { recursive: true, force: true });
}
console.log(
  `test result: ${failed ? "FAILED" : "ok"}. ${passed} passed; ${failed} failed; 0 ignored; 0 measured; 0 filtered out (the package in bundlers)`,
);
process.exit(failed ? 1 : 0);
