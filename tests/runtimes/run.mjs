// `make test-runtimes`: the packed package on the runtimes users run it on
// besides the Node that builds it — Node 18, Node 22, Deno, Bun, and
// Cloudflare's workerd.
//
//   1. The runtimes, pinned in package.json / package-lock.json here, are
//      installed from the npm registry with `npm ci` into a cache folder
//      that survives between runs: ${STEADFAST_TOOLS:-~/.cache/steadfast}/
//      runtimes/<versions>-<hash of the lockfile>. A missing or stale entry
//      is installed again (older entries are removed); nothing assumes the
//      cache is there.
//   2. pkg/ is packed (`npm pack`) and installed as each runtime's users
//      install it: npm into a scratch project for Node; Deno's own `npm:`
//      resolver and `bun add` against a registry on loopback that serves
//      only that tarball; for workerd, the npm-installed package bundled
//      into a Worker by esbuild with a Workers bundler's conditions
//      (workerd, worker, browser: the web build), the .wasm kept as a
//      module of its own, as wrangler does.
//   3. One smoke script per runtime (smoke.mjs; for Node also
//      smoke-require.cjs; smoke-workerd.mjs, the Worker's test handler, run
//      by `workerd test`) runs against the fault-injecting server of
//      tests/js/harness.mjs and prints JSON; this file judges it: one
//      passed/failed per runtime × check, then cargo's closing line.
//   4. The package README's examples for these hosts (```js host=node-cjs,
//      deno, bun, workerd) run there too, against the same server.
import { execFileSync, spawn } from "node:child_process";
import { createRequire } from "node:module";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const started = performance.now();
const secs = (since) => `${((performance.now() - since) / 1000).toFixed(1)} s`;
const timings = [];
/** Runs `fn`, noting how long it took under `what`. */
async function timed(what, fn) {
  const t = performance.now();
  try {
    return await fn();
  } finally {
    timings.push([what, secs(t)]);
  }
}

// ---------------------------------------------------------------- runtimes

const lockText = fs.readFileSync(path.join(here, "package-lock.json"), "utf8");
const manifestText = fs.readFileSync(path.join(here, "package.json"), "utf8");
const lock = JSON.parse(lockText);
/** The exact version the lockfile pins for a top-level dependency. */
const pinned = (name) => lock.packages[`node_modules/${name}`].version;
const versions = {
  node18: pinned("node18"),
  node22: pinned("node22"),
  deno: pinned("deno"),
  bun: pinned("bun"),
  workerd: pinned("workerd"),
  esbuild: pinned("esbuild"),
};

const cacheRoot = path.join(process.env.STEADFAST_TOOLS || path.join(os.homedir(), ".cache", "steadfast"), "runtimes");
const key =
  Object.entries(versions)
    .map(([name, v]) => `${name.replace(/\d+$/, "")}${v}`)
    .join("-") +
  "-" +
  crypto.createHash("sha256").update(manifestText).update(lockText).digest("hex").slice(0, 8);
const runtimesDir = path.join(cacheRoot, key);
const bin = {
  node18: path.join(runtimesDir, "node_modules", "node18", "bin", "node"),
  node22: path.join(runtimesDir, "node_modules", "node22", "bin", "node"),
  deno: path.join(runtimesDir, "node_modules", ".bin", "deno"),
  bun: path.join(runtimesDir, "node_modules", ".bin", "bun"),
  workerd: path.join(runtimesDir, "node_modules", ".bin", "workerd"),
  esbuild: path.join(runtimesDir, "node_modules", ".bin", "esbuild"),
};
/** What each binary's `--version` must print, first line. */
const versionLine = {
  node18: `v${versions.node18}`,
  node22: `v${versions.node22}`,
  deno: new RegExp(`^deno ${versions.deno.replaceAll(".", "\\.")} `),
  bun: versions.bun,
  // workerd's npm version 1.YYYYMMDD.N is its build date.
  workerd: `workerd ${versions.workerd.replace(/^1\.(\d{4})(\d\d)(\d\d)\..*$/, "$1-$2-$3")}`,
  esbuild: versions.esbuild,
};

/** Each runtime's first `--version` line, or null if one is missing or wrong. */
function probe(dir) {
  const seen = {};
  for (const [name, file] of Object.entries(bin)) {
    const exe = path.join(dir, path.relative(runtimesDir, file));
    try {
      seen[name] = execFileSync(exe, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 30000 })
        .split("\n")[0]
        .trim();
    } catch {
      return null;
    }
    const want = versionLine[name];
    if (want instanceof RegExp ? !want.test(seen[name]) : seen[name] !== want) return null;
  }
  return seen;
}

async function ensureRuntimes() {
  const ready = path.join(runtimesDir, ".complete");
  if (fs.existsSync(ready)) {
    const seen = probe(runtimesDir);
    if (seen) return { seen, how: "cached" };
    console.log(`runtimes: ${runtimesDir} is incomplete; installing again`);
  }
  fs.mkdirSync(cacheRoot, { recursive: true });
  // Install beside it, then rename: an interrupted install never looks complete.
  const tmp = path.join(cacheRoot, `.${key}.${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  fs.writeFileSync(path.join(tmp, "package.json"), manifestText);
  fs.writeFileSync(path.join(tmp, "package-lock.json"), lockText);
  console.log(`runtimes: npm ci into ${runtimesDir}`);
  execFileSync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: tmp, stdio: ["ignore", "inherit", "inherit"] });
  const seen = probe(tmp);
  if (!seen) throw new Error(`runtimes: after npm ci in ${tmp}, a runtime is missing or not at its pinned version`);
  fs.writeFileSync(path.join(tmp, ".complete"), `${new Date().toISOString()}\n`);
  // Every other entry (older pins, leftovers of interrupted installs) goes.
  for (const entry of fs.readdirSync(cacheRoot)) {
    if (entry !== path.basename(tmp)) fs.rmSync(path.join(cacheRoot, entry), { recursive: true, force: true });
  }
  fs.renameSync(tmp, runtimesDir);
  return { seen, how: "installed" };
}

// ------------------------------------------------------------------ checks

const results = []; // [runtime, check, error or null]
function judge(runtime, check, fn) {
  try {
    fn();
    results.push([runtime, check, null]);
  } catch (e) {
    results.push([runtime, check, e]);
  }
}

/** Fails with what the smoke script reported if the check threw there. */
function got(report, check) {
  const value = report?.[check];
  assert.ok(value !== undefined, `no result for ${check}`);
  assert.ok(!value?.threw, `threw: ${JSON.stringify(value?.threw, null, 2)}`);
  return value;
}

const EXPORTS = ["CircuitBreaker", "ErrorMonitor", "RateLimiter", "ResilienceError", "RetryPolicy", "classifyError", "createClient", "init"];

function judgeSmoke(runtime, report, server, token) {
  judge(runtime, "import", () => {
    const r = got(report, "import");
    for (const name of EXPORTS) assert.ok(r.exports.includes(name), `no export ${name}: ${r.exports}`);
    assert.equal(r.createClient, "function");
    assert.equal(r.resilienceError, "function");
    assert.equal(r.namedImportsSame, true, "import { createClient, ResilienceError } differs from the namespace's");
    // Node, Deno and Bun all take the exports map's "node" condition: no
    // init(). A Worker gets the web build, which needs it.
    assert.equal(r.needsInit, runtime.startsWith("workerd"), r.needsInit ? "this runtime got the web build" : "this runtime got the node build");
  });
  judge(runtime, "retry", () => {
    const r = got(report, "retry");
    assert.equal(r.status, 200);
    assert.deepEqual(r.data, { ok: true, token });
    assert.equal(r.attempts, 2);
    const hits = server.requests.filter((q) => q.url === `/flaky/${token}`);
    assert.equal(hits.length, 2, "the server saw two attempts");
  });
  judge(runtime, "breaker", () => {
    const r = got(report, "breaker");
    assert.equal(r.failures.length, 2);
    for (const f of r.failures) {
      assert.ok(f.isResilienceError, `not a ResilienceError: ${JSON.stringify(f)}`);
      assert.equal(f.kind, "gave_up");
      assert.equal(f.category, "server");
      assert.equal(f.status, 500);
    }
    const refused = r.refused;
    assert.ok(refused?.isResilienceError, `third call: ${JSON.stringify(refused)}`);
    assert.equal(refused.kind, "circuit_open");
    assert.equal(refused.attempts, 0);
    assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 60000, `retryAfterMs ${refused.retryAfterMs}`);
    assert.ok(r.refusedMs < 1000, `refused after ${r.refusedMs} ms: not fast`);
    assert.equal(r.circuit, "open");
    const hits = server.requests.filter((q) => q.url === `/down/${token}`);
    assert.equal(hits.length, 2, "the open circuit sent nothing");
  });
  judge(runtime, "options", () => {
    const { negative, unknown } = got(report, "options");
    assert.ok(negative?.isRangeError, `maxRetries: -1 gave ${JSON.stringify(negative)}`);
    assert.match(negative.message, /retry\.maxRetries/);
    assert.ok(unknown?.isTypeError, `an unknown option gave ${JSON.stringify(unknown)}`);
    assert.match(unknown.message, /retry\.maxRetires/);
  });
}

function judgeRequire(runtime, report) {
  judge(runtime, "require", () => {
    const r = got(report, "require");
    for (const name of EXPORTS) assert.ok(r.exports.includes(name), `no export ${name}: ${r.exports}`);
    assert.equal(r.resilienceError, "function");
    assert.match(r.entry, /node_modules\/steadfast\/node\/index\.cjs$/);
    assert.ok(r.bad?.isRangeError && /retry\.maxRetries/.test(r.bad.message), JSON.stringify(r.bad));
  });
}

/** Runs a command; answers its exit code and output. Never rejects. */
function run(cmd, args, { cwd, env = {}, timeoutMs = 120000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: `${stderr}${e.message}` });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? `signal ${signal}`, stdout, stderr });
    });
  });
}

/**
 * The JSON line a smoke script printed, or an object saying why there is
 * none (in full under `first`, the check that shows it).
 */
function report({ code, stdout, stderr }, first = "import") {
  const line = stdout.trim().split("\n").filter(Boolean).pop();
  try {
    if (code !== 0) throw new Error(`exit ${code}`);
    return JSON.parse(line);
  } catch (e) {
    const why = { threw: { message: `${e.message}\nstdout:\n${stdout}\nstderr:\n${stderr}` } };
    const same = { threw: { message: `${e.message}: see ${first}` } };
    return { import: same, require: same, retry: same, breaker: same, options: same, [first]: why };
  }
}

// ------------------------------------------------------- the README's blocks

// The package README's blocks for other hosts, fenced ```js host=NAME (plain
// ```js blocks run under Node in tests/js/readme.test.mjs). These hosts' run
// here; jest, vitest and sinon ones in tests/fake-timers/run.mjs; the others
// are for hosts no test has (a browser, a bundler).
const README_RUN = ["node-cjs", "deno", "bun", "workerd"];
const README_NOT_RUN = ["bundler", "vite", "esbuild-browser", "esbuild-node", "worker", "extension", "jest", "vitest", "sinon"];
const readmeLines = fs.readFileSync(path.join(here, "..", "..", "pkg-template", "README.md"), "utf8").split("\n");
const readmeBlocks = new Map();
for (let i = 0; i < readmeLines.length; i++) {
  const m = readmeLines[i].trim().match(/^```js host=(\S+)$/);
  if (!m) continue;
  const end = readmeLines.indexOf("```", i + 1);
  if (end < 0) throw new Error(`README.md:${i + 1}: unclosed block`);
  readmeBlocks.set(m[1], [...(readmeBlocks.get(m[1]) ?? []), readmeLines.slice(i + 1, end).join("\n")]);
  i = end;
}

/** The README's one block for `host`, calling `baseUrl` instead of Etsy. */
function readmeBlock(host, baseUrl) {
  const blocks = readmeBlocks.get(host) ?? [];
  assert.equal(blocks.length, 1, `the README has one \`\`\`js host=${host} block`);
  return blocks[0].replaceAll("https://openapi.etsy.com/v3", `${baseUrl}/v3`);
}

/** A README block's run: exit 0, and its output has what the block prints. */
function judgeReadme(runtime, out, expected) {
  judge(runtime, "README", () => {
    assert.ok(!out.threw, String(out.threw?.message ?? out.threw));
    assert.equal(out.code, 0, `exit ${out.code}\nstdout:\n${out.stdout}\nstderr:\n${out.stderr}`);
    assert.ok(out.stdout.includes(expected), `printed ${JSON.stringify(out.stdout)}, not ${JSON.stringify(expected)}`);
  });
}

// -------------------------------------------------------------------- main

/**
 * Bundles dir/<entry> as wrangler does: esbuild, ES module
 * output, conditions workerd/worker/browser, and each `.wasm` import
 * resolved (through the package's exports map) but left out of the bundle
 * as a Wasm module of its own. Answers the Worker's modules.
 */
async function bundleWorker(dir, entry = "smoke-workerd.mjs") {
  const esbuild = createRequire(path.join(runtimesDir, "package.json"))("esbuild");
  const wasm = new Map();
  await esbuild.build({
    entryPoints: [path.join(dir, entry)],
    outfile: path.join(dir, "dist", "worker.mjs"),
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    logLevel: "silent",
    plugins: [
      {
        name: "wasm-modules",
        setup(build) {
          build.onResolve({ filter: /\.wasm$/ }, async (args) => {
            if (args.pluginData?.wasmModules) return undefined;
            const found = await build.resolve(args.path, {
              kind: args.kind,
              importer: args.importer,
              resolveDir: args.resolveDir,
              pluginData: { wasmModules: true },
            });
            if (found.errors.length > 0) return { errors: found.errors };
            const name = path.basename(found.path);
            wasm.set(name, found.path);
            return { path: name, external: true };
          });
        },
      },
    ],
  });
  return [
    // Paths relative to the config in dir: capnp reads an absolute one
    // against its import path, not the root.
    { name: "worker.mjs", type: "esModule", file: path.join("dist", "worker.mjs") },
    ...[...wasm].map(([name, file]) => ({ name, type: "wasm", file: path.relative(dir, file) })),
  ];
}

/** A workerd config: the Worker's modules and text bindings; fetch reaches loopback only. */
function workerdConfig(modules, bindings) {
  const str = (s) => JSON.stringify(String(s));
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "loopback", network = (allow = ["local"])),
  ],
);
const worker :Workerd.Worker = (
  modules = [
${modules.map((m) => `    (name = ${str(m.name)}, ${m.type} = embed ${str(m.file)}),`).join("\n")}
  ],
  bindings = [
${Object.entries(bindings).map(([k, v]) => `    (name = ${str(k)}, text = ${str(v)}),`).join("\n")}
  ],
  compatibilityDate = "2026-01-01",
  globalOutbound = "loopback",
);
`;
}

let seenVersions;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "steadfast-runtimes-"));
let server;
let status = 1;
try {
  const { seen, how } = await timed("runtimes", ensureRuntimes);
  seenVersions = seen;
  console.log(`runtimes: ${how} in ${timings.at(-1)[1]}: ${Object.entries(seen).map(([k, v]) => `${k} ${v}`).join(", ")}`);

  // The package, as npm users install it (tests/js/harness.mjs).
  const nodeDir = path.join(scratch, "node");
  process.env.STEADFAST_SCRATCH = nodeDir;
  const harness = await import("../js/harness.mjs");
  await timed("pack + npm install", () => harness.installPackage(nodeDir));
  const tarball = path.join(nodeDir, fs.readdirSync(nodeDir).find((f) => f.endsWith(".tgz")));
  const tgz = fs.readFileSync(tarball);
  const manifest = JSON.parse(fs.readFileSync(path.join(nodeDir, "node_modules", "steadfast", "package.json"), "utf8"));
  console.log(`package: ${path.basename(tarball)} (${(tgz.length / 1024).toFixed(0)} KiB), packed and installed in ${timings.at(-1)[1]}`);

  // One loopback server: the API the smoke scripts call, and an npm registry
  // that knows one package, `steadfast`, for Deno's and Bun's installers.
  server = await harness.startServer();
  const registry = `${server.baseUrl}/registry/`;
  const packument = {
    name: manifest.name,
    "dist-tags": { latest: manifest.version },
    versions: {
      [manifest.version]: {
        ...manifest,
        dist: {
          tarball: `${registry}${manifest.name}/-/${path.basename(tarball)}`,
          shasum: crypto.createHash("sha1").update(tgz).digest("hex"),
          integrity: `sha512-${crypto.createHash("sha512").update(tgz).digest("base64")}`,
        },
      },
    },
  };
  const seenUrls = new Map();
  server.handle = (req, res) => {
    const url = req.url;
    seenUrls.set(url, (seenUrls.get(url) ?? 0) + 1);
    if (url === `/registry/${manifest.name}`) return server.json(res, 200, packument);
    if (url === new URL(packument.versions[manifest.version].dist.tarball).pathname) {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": tgz.length });
      return res.end(tgz);
    }
    if (url.startsWith("/registry/")) return server.json(res, 404, { error: "Not found" });
    let m = url.match(/^\/flaky\/([\w-]+)$/);
    if (m) {
      if (seenUrls.get(url) === 1) {
        res.writeHead(503, { "retry-after": "0", "content-type": "text/plain" });
        return res.end("busy");
      }
      return server.json(res, 200, { ok: true, token: m[1] });
    }
    m = url.match(/^\/down\/([\w-]+)$/);
    if (m) return server.json(res, 500, { error: "down" });
    // The README's blocks: an Etsy-like listing, as in tests/js/readme.test.mjs.
    m = url.match(/^\/v3\/application\/listings\/(\d+)$/);
    if (m) return server.json(res, 200, { listing_id: Number(m[1]), title: "A mug" });
    server.json(res, 404, { error: "No such route" });
  };

  const smoke = fs.readFileSync(path.join(here, "smoke.mjs"), "utf8");
  const node = (version) => async (dir) => {
    fs.copyFileSync(path.join(here, "smoke.mjs"), path.join(dir, "smoke.mjs"));
    fs.copyFileSync(path.join(here, "smoke-lib.mjs"), path.join(dir, "smoke-lib.mjs"));
    fs.copyFileSync(path.join(here, "smoke-require.cjs"), path.join(dir, "smoke-require.cjs"));
    const token = `node${version}`;
    const esm = report(await run(bin[token], ["smoke.mjs", server.baseUrl, token], { cwd: dir }));
    const cjs = report(await run(bin[token], ["smoke-require.cjs"], { cwd: dir }), "require");
    return [{ ...esm, require: cjs.require }, token];
  };
  const nodeReadme = (version) => async (dir) => {
    fs.writeFileSync(path.join(dir, "readme-block.cjs"), readmeBlock("node-cjs", server.baseUrl));
    return { out: await run(bin[`node${version}`], ["readme-block.cjs"], { cwd: dir }), expected: "function closed" };
  };
  const etsyKey = { ETSY_KEY: "readme-test-key" };
  const runtimes = [
    // Node: the scratch project npm installed the tarball into.
    { name: `node ${versions.node18}`, checks: ["require"], setup: () => nodeDir, smoke: node(18), readme: nodeReadme(18) },
    { name: `node ${versions.node22}`, checks: ["require"], setup: () => nodeDir, smoke: node(22), readme: nodeReadme(22) },
    {
      // Deno: `import ... from "npm:steadfast"` in a folder with no
      // package.json; Deno fetches it from the registry into its own cache.
      name: `deno ${versions.deno}`,
      setup: (dir) => {
        const source = smoke.replaceAll('from "steadfast"', 'from "npm:steadfast"');
        assert.equal(source.split('from "npm:steadfast"').length, 3, "smoke.mjs's two imports");
        fs.writeFileSync(path.join(dir, "smoke.mjs"), source);
        fs.copyFileSync(path.join(here, "smoke-lib.mjs"), path.join(dir, "smoke-lib.mjs"));
        return dir;
      },
      smoke: async (dir) => {
        const env = { DENO_DIR: path.join(dir, ".deno"), NPM_CONFIG_REGISTRY: registry, DENO_NO_UPDATE_CHECK: "1" };
        const args = ["run", "--no-prompt", "--allow-net=127.0.0.1", "--allow-read", "smoke.mjs", server.baseUrl, "deno"];
        return [report(await run(bin.deno, args, { cwd: dir, env })), "deno"];
      },
      readme: async (dir) => {
        // The block's own command, its --allow-net pointed at loopback.
        fs.writeFileSync(path.join(dir, "readme-block.mjs"), readmeBlock("deno", server.baseUrl));
        const env = { DENO_DIR: path.join(dir, ".deno"), NPM_CONFIG_REGISTRY: registry, DENO_NO_UPDATE_CHECK: "1", ...etsyKey };
        const args = ["run", "--no-prompt", "--allow-net=127.0.0.1", "--allow-read", "--allow-env=ETSY_KEY", "readme-block.mjs"];
        return { out: await run(bin.deno, args, { cwd: dir, env }), expected: "A mug 1" };
      },
    },
    {
      // Bun: `bun add steadfast` into a new project, then `bun smoke.mjs`.
      name: `bun ${versions.bun}`,
      setup: (dir) => {
        fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "scratch", private: true, type: "module" }));
        fs.copyFileSync(path.join(here, "smoke.mjs"), path.join(dir, "smoke.mjs"));
        fs.copyFileSync(path.join(here, "smoke-lib.mjs"), path.join(dir, "smoke-lib.mjs"));
        return dir;
      },
      smoke: async (dir) => {
        const env = { BUN_CONFIG_REGISTRY: registry, BUN_INSTALL_CACHE_DIR: path.join(dir, ".bun-cache"), DO_NOT_TRACK: "1" };
        const add = await run(bin.bun, ["add", "steadfast"], { cwd: dir, env });
        if (add.code !== 0) return [report(add), "bun"];
        return [report(await run(bin.bun, ["smoke.mjs", server.baseUrl, "bun"], { cwd: dir, env })), "bun"];
      },
      readme: async (dir) => {
        fs.writeFileSync(path.join(dir, "readme-block.mjs"), readmeBlock("bun", server.baseUrl));
        const env = { DO_NOT_TRACK: "1", ...etsyKey };
        return { out: await run(bin.bun, ["readme-block.mjs"], { cwd: dir, env }), expected: "A mug 1" };
      },
    },
    {
      // workerd: a Worker bundled from the npm-installed package, run by
      // `workerd test` with fetch allowed to loopback only.
      name: `workerd ${seenVersions.workerd.replace(/^workerd /, "")}`,
      setup: (dir) => {
        fs.cpSync(path.join(nodeDir, "node_modules"), path.join(dir, "node_modules"), { recursive: true });
        fs.copyFileSync(path.join(here, "smoke-workerd.mjs"), path.join(dir, "smoke-workerd.mjs"));
        fs.copyFileSync(path.join(here, "smoke-lib.mjs"), path.join(dir, "smoke-lib.mjs"));
        return dir;
      },
      smoke: async (dir) => {
        let modules;
        try {
          modules = await bundleWorker(dir);
        } catch (e) {
          return [report({ code: "bundle", stdout: "", stderr: String(e.stack ?? e) }), "workerd"];
        }
        fs.writeFileSync(path.join(dir, "config.capnp"), workerdConfig(modules, { BASE_URL: server.baseUrl, TOKEN: "workerd" }));
        const out = await run(bin.workerd, ["test", "config.capnp"], { cwd: dir });
        // workerd logs as it goes; the Worker's one line is the JSON one.
        const line = `${out.stdout}\n${out.stderr}`.split("\n").find((l) => l.startsWith('{"import"'));
        return [report({ ...out, stdout: line ?? out.stdout }), "workerd"];
      },
      readme: async (dir) => {
        // The block is the Worker; a test handler calls its fetch once.
        fs.mkdirSync(path.join(dir, "readme"));
        fs.writeFileSync(path.join(dir, "readme", "worker.mjs"), readmeBlock("workerd", server.baseUrl));
        fs.writeFileSync(
          path.join(dir, "readme", "test.mjs"),
          `import worker from "./worker.mjs";
export default {
  async test(_controller, env) {
    const res = await worker.fetch(new Request("http://worker.test/"), env);
    console.log("README Worker answered", res.status, JSON.stringify(await res.json()));
  },
};
`,
        );
        const modules = await bundleWorker(dir, path.join("readme", "test.mjs"));
        fs.writeFileSync(path.join(dir, "readme.capnp"), workerdConfig(modules, etsyKey));
        const out = await run(bin.workerd, ["test", "readme.capnp"], { cwd: dir });
        // workerd logs to stderr, the Worker's console.log included.
        return { out: { ...out, stdout: `${out.stdout}${out.stderr}` }, expected: `README Worker answered 200 {"listing_id":123,"title":"A mug"}` };
      },
    },
  ];

  for (const rt of runtimes) {
    let dir = fs.mkdtempSync(path.join(scratch, rt.name.replace(/\W+/g, "-")));
    const [out, token] = await timed(rt.name, async () => rt.smoke((dir = rt.setup(dir))));
    const from = results.length;
    judgeSmoke(rt.name, out, server, token);
    if (rt.checks?.includes("require")) judgeRequire(rt.name, out);
    if (rt.readme) {
      const t = performance.now();
      let ran;
      try {
        ran = await rt.readme(dir);
      } catch (e) {
        ran = { out: { threw: e }, expected: "" };
      }
      judgeReadme(rt.name, ran.out, ran.expected);
      timings.at(-1)[1] = `${timings.at(-1)[1]} + README ${secs(t)}`;
    }
    const mine = results.slice(from);
    console.log(`${rt.name} (${timings.at(-1)[1]}): retry took ${out.retry?.ms ?? "?"} ms`);
    for (const [, check, err] of mine) {
      console.log(`  ${err ? "FAILED" : "ok    "} ${rt.name} × ${check}`);
      if (err) console.log(String(err.message).replace(/^/gm, "      "));
    }
  }
  judge("README", "hosts", () => {
    for (const host of readmeBlocks.keys()) {
      assert.ok([...README_RUN, ...README_NOT_RUN].includes(host), `\`\`\`js host=${host}: no such host here`);
    }
    for (const host of README_RUN) assert.ok(readmeBlocks.has(host), `no \`\`\`js host=${host} block`);
  });
  console.log(`  ${results.at(-1)[2] ? "FAILED" : "ok    "} README × hosts (${[...readmeBlocks.keys()].join(", ")})`);
  if (results.at(-1)[2]) console.log(String(results.at(-1)[2].message).replace(/^/gm, "      "));
  status = results.some(([, , err]) => err) ? 1 : 0;
} catch (e) {
  console.error(e);
  results.push(["runner", "setup", e]);
} finally {
  await server?.close();
  fs.rmSync(scratch, { recursive: true, force: true });
}

const failed = results.filter(([, , err]) => err).length;
console.log(`timings: ${timings.map(([w, t]) => `${w} ${t}`).join(", ")}; total ${secs(started)}`);
console.log(
  `test result: ${status === 0 && failed === 0 ? "ok" : "FAILED"}. ${results.length - failed} passed; ${failed} failed; ` +
    `0 ignored; 0 measured; 0 filtered out (the packed package on Node 18, Node 22, Deno, Bun and workerd)`,
);
process.exit(status === 0 && failed === 0 ? 0 : 1);
