// Shared by the JS tests: the packed package installed into a scratch
// project and loaded by name, and a fault-injecting HTTP server on loopback.
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { installTarball } from "./install.mjs";

/**
 * Installs the packed package into the scratch project `dir` (install.mjs),
 * plus a second copy (as `steadfast-copy`) to check that errors are
 * recognised across copies, and a user's CommonJS module requiring both;
 * answers `dir`.
 */
export function installPackage(dir) {
  installTarball(dir);
  fs.cpSync(path.join(dir, "node_modules", "steadfast"), path.join(dir, "node_modules", "steadfast-copy"), {
    recursive: true,
  });
  fs.writeFileSync(
    path.join(dir, "user.cjs"),
    'module.exports = { main: require("steadfast"), copy: require("steadfast-copy") };\n',
  );
  return dir;
}

let scratch = process.env.STEADFAST_SCRATCH;
if (!scratch) {
  // Run directly (`node --test tests/js`): a scratch project of our own.
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "steadfast-js-"));
  installPackage(scratch);
  process.on("exit", () => fs.rmSync(scratch, { recursive: true, force: true }));
}

/** The scratch project the package is installed in. */
export const scratchDir = () => scratch;

/** The package, loaded by name: `esm` by `import`, `cjs` by `require`, `copy` a second copy. */
export async function loadSteadfast() {
  const esm = await import(pathToFileURL(path.join(scratch, "user.mjs")).href);
  const { main: cjs, copy } = createRequire(path.join(scratch, "user.cjs"))(path.join(scratch, "user.cjs"));
  return { esm, cjs, copy };
}

// What a page on another origin needs to call the server and read Etsy's
// rate headers: a browser hides every response header not listed here.
const CORS = {
  "access-control-allow-origin": "*",
  "access-control-expose-headers":
    "x-limit-per-second, x-remaining-this-second, x-limit-per-day, x-remaining-today, retry-after",
};
const PREFLIGHT = {
  ...CORS,
  "access-control-allow-methods": "GET, HEAD, POST, PUT, PATCH, DELETE",
  "access-control-allow-headers": "idempotency-key, content-type, authorization, x-api-key",
  "access-control-max-age": "600",
};

/**
 * Makes `server` an API that allows 5 requests a second and says so
 * (`x-limit-per-second: 5`, `x-remaining-this-second`); a sixth request
 * inside any second (one of slack for timer granularity) gets a 429.
 * Answers the arrival instants (`performance.now()`) and the 429 count.
 */
export function limitToFivePerSecond(server) {
  const state = { arrivals: [], refused: 0 };
  server.handle = (req, res) => {
    const now = performance.now();
    state.arrivals.push(now);
    const inLastSecond = state.arrivals.filter((t) => now - t < 1000).length;
    if (inLastSecond > 6) {
      state.refused++;
      return server.json(res, 429, { error: "Too many requests" }, { "x-limit-per-second": "5", "x-remaining-this-second": "0" });
    }
    server.json(res, 200, { ok: true }, {
      "x-limit-per-second": "5",
      "x-remaining-this-second": String(Math.max(0, 5 - inLastSecond)),
    });
  };
  return state;
}

/**
 * A loopback HTTP server whose answers a test scripts with `handle(req, res)`.
 * Records every request; `close()` ends every connection and pending timer.
 * With `cors: true` (for browsers on another origin) every answer carries the
 * CORS headers, and a preflight (OPTIONS with Access-Control-Request-Method)
 * is answered 204 by the server itself and recorded in `preflights`, not
 * `requests`.
 */
export async function startServer({ cors = false } = {}) {
  const requests = [];
  const preflights = [];
  const timers = new Set();
  const sockets = new Set();
  const state = {
    handle: (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    },
  };
  const server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const entry = { method: req.method, url: req.url, headers: req.headers, body, at: performance.now() };
      if (cors && req.method === "OPTIONS" && req.headers["access-control-request-method"]) {
        preflights.push(entry);
        res.writeHead(204, PREFLIGHT);
        return res.end();
      }
      if (cors) for (const [name, value] of Object.entries(CORS)) res.setHeader(name, value);
      requests.push(entry);
      state.handle(req, res, entry);
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    preflights,
    set handle(fn) {
      state.handle = fn;
    },
    /** setTimeout that close() clears. */
    later(ms, fn) {
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, ms);
      timers.add(t);
    },
    json(res, status, value, headers = {}) {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(value));
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Resolves after `ms`. */
/**
 * GETs `path` of `server` as user code around a building block does:
 * answers the parsed body, throws an Error with the answer's `status` for
 * a non-2xx one.
 */
export async function getOrThrow(server, path) {
  const res = await fetch(server.baseUrl + path);
  const body = await res.json();
  if (!res.ok) throw Object.assign(new Error(body.error ?? "failed"), { status: res.status });
  return body;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Waits until `cond()` holds, checking every 5 ms, at most `ms`. */
export async function until(cond, ms = 2000) {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error("condition not reached in time");
    await sleep(5);
  }
}
