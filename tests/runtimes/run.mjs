// `make test-runtimes`: the packed package on the runtimes users run it on
// besides the Node that builds it — Node 18, Node 22, Deno and Bun.
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
//      only that tarball.
//   3. One smoke script per runtime (smoke.mjs; for Node also
//      smoke-require.cjs) runs against the fault-injecting server of
//      tests/js/harness.mjs and prints JSON; this file judges it: one
//      passed/failed per runtime × check, then cargo's closing line.
import { execFileSync, spawn } from "node:child_process";
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
const versions = { node18: pinned("node18"), node22: pinned("node22"), deno: pinned("deno"), bun: pinned("bun") };

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
};
/** What each binary's `--version` must print, first line. */
const versionLine = {
  node18: `v${versions.node18}`,
  node22: `v${versions.node22}`,
  deno: new RegExp(`^deno ${versions.deno.replaceAll(".", "\\.")} `),
  bun: versions.bun,
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
  console.log(`runtimes: npm ci into ${runtimesDir} (node ${versions.node18} and ${versions.node22}, deno ${versions.deno}, bun ${versions.bun})`);
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
    // Node, Deno and Bun all take the exports map's "node" condition: no init().
    assert.equal(r.needsInit, false, "this runtime got the web entry");
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

/** The JSON line a smoke script printed, or an object saying why there is none. */
function report({ code, stdout, stderr }) {
  const line = stdout.trim().split("\n").filter(Boolean).pop();
  try {
    if (code !== 0) throw new Error(`exit ${code}`);
    return JSON.parse(line);
  } catch (e) {
    const why = { threw: { message: `${e.message}\nstdout:\n${stdout}\nstderr:\n${stderr}` } };
    return { import: why, require: why, retry: why, breaker: why, options: why };
  }
}

// -------------------------------------------------------------------- main

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "steadfast-runtimes-"));
let server;
let status = 1;
try {
  const { seen, how } = await timed("runtimes", ensureRuntimes);
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
    server.json(res, 404, { error: "No such route" });
  };

  const smoke = fs.readFileSync(path.join(here, "smoke.mjs"), "utf8");
  const node = (version) => async (dir) => {
    fs.copyFileSync(path.join(here, "smoke.mjs"), path.join(dir, "smoke.mjs"));
    fs.copyFileSync(path.join(here, "smoke-require.cjs"), path.join(dir, "smoke-require.cjs"));
    const token = `node${version}`;
    const esm = report(await run(bin[token], ["smoke.mjs", server.baseUrl, token], { cwd: dir }));
    const cjs = report(await run(bin[token], ["smoke-require.cjs"], { cwd: dir }));
    return [{ ...esm, require: cjs.require }, token];
  };
  const runtimes = [
    // Node: the scratch project npm installed the tarball into.
    { name: `node ${versions.node18}`, checks: ["require"], setup: () => nodeDir, smoke: node(18) },
    { name: `node ${versions.node22}`, checks: ["require"], setup: () => nodeDir, smoke: node(22) },
    {
      // Deno: `import ... from "npm:steadfast"` in a folder with no
      // package.json; Deno fetches it from the registry into its own cache.
      name: `deno ${versions.deno}`,
      setup: (dir) => {
        const source = smoke.replaceAll('from "steadfast"', 'from "npm:steadfast"');
        assert.equal(source.split('from "npm:steadfast"').length, 3, "smoke.mjs's two imports");
        fs.writeFileSync(path.join(dir, "smoke.mjs"), source);
        return dir;
      },
      smoke: async (dir) => {
        const env = { DENO_DIR: path.join(dir, ".deno"), NPM_CONFIG_REGISTRY: registry, DENO_NO_UPDATE_CHECK: "1" };
        const args = ["run", "--no-prompt", "--allow-net=127.0.0.1", "--allow-read", "smoke.mjs", server.baseUrl, "deno"];
        return [report(await run(bin.deno, args, { cwd: dir, env })), "deno"];
      },
    },
    {
      // Bun: `bun add steadfast` into a new project, then `bun smoke.mjs`.
      name: `bun ${versions.bun}`,
      setup: (dir) => {
        fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "scratch", private: true, type: "module" }));
        fs.copyFileSync(path.join(here, "smoke.mjs"), path.join(dir, "smoke.mjs"));
        return dir;
      },
      smoke: async (dir) => {
        const env = { BUN_CONFIG_REGISTRY: registry, BUN_INSTALL_CACHE_DIR: path.join(dir, ".bun-cache"), DO_NOT_TRACK: "1" };
        const add = await run(bin.bun, ["add", "steadfast"], { cwd: dir, env });
        if (add.code !== 0) return [report(add), "bun"];
        return [report(await run(bin.bun, ["smoke.mjs", server.baseUrl, "bun"], { cwd: dir, env })), "bun"];
      },
    },
  ];

  for (const rt of runtimes) {
    const dir = fs.mkdtempSync(path.join(scratch, rt.name.replace(/\W+/g, "-")));
    const [out, token] = await timed(rt.name, async () => rt.smoke(rt.setup(dir)));
    const from = results.length;
    judgeSmoke(rt.name, out, server, token);
    if (rt.checks?.includes("require")) judgeRequire(rt.name, out);
    const mine = results.slice(from);
    console.log(`${rt.name} (${timings.at(-1)[1]}): retry took ${out.retry?.ms ?? "?"} ms`);
    for (const [, check, err] of mine) {
      console.log(`  ${err ? "FAILED" : "ok    "} ${rt.name} × ${check}`);
      if (err) console.log(String(err.message).replace(/^/gm, "      "));
    }
  }
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
    `0 ignored; 0 measured; 0 filtered out (the packed package on Node 18, Node 22, Deno and Bun)`,
);
process.exit(status === 0 && failed === 0 ? 0 : 1);
