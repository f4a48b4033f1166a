// Shared by the browser tests: Debian's Chromium under playwright-core (never
// a downloaded browser), and a static file server on loopback.
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

/** The browser: Debian's package (`make test-browser` installs it when missing). */
export const executablePath = process.env.STEADFAST_CHROMIUM || "/usr/bin/chromium";

// Root needs --no-sandbox; the rest keeps Chromium from calling home, which
// a closed network answers by refusing connections (and slow start-ups).
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * A persistent context in a new, empty profile (removed by `close()`),
 * headless, with the unpacked extensions of `extensions` loaded.
 */
export async function launch({ extensions = [] } = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "steadfast-chromium-"));
  const args = [...ARGS];
  if (extensions.length) {
    args.push(`--disable-extensions-except=${extensions.join(",")}`, `--load-extension=${extensions.join(",")}`);
  }
  const context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args });
  const close = context.close.bind(context);
  context.close = async () => {
    await close();
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return context;
}

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".css": "text/css",
  ".ts": "text/plain",
  ".md": "text/markdown",
};

/**
 * Serves the folders of `mounts` (`{ "/url/prefix/": "/dir" }`) on loopback
 * with their content types (`application/wasm` for .wasm, so that the web
 * build compiles while it downloads). Records what it served in `served`.
 */
export async function startStatic(mounts) {
  const served = [];
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    const pathname = decodeURIComponent(url.pathname);
    const prefix = Object.keys(mounts)
      .filter((p) => pathname.startsWith(p))
      .sort((a, b) => b.length - a.length)[0];
    const base = prefix === undefined ? null : path.resolve(mounts[prefix]);
    const file = base && path.resolve(base, pathname.slice(prefix.length) || "index.html");
    if (!file || (file !== base && !file.startsWith(base + path.sep)) || !fs.statSync(file, { throwIfNoEntry: false })?.isFile()) {
      served.push({ path: pathname, status: 404 });
      res.writeHead(404, { "content-type": "text/plain" });
      return res.end("not found");
    }
    const type = TYPES[path.extname(file)] ?? "application/octet-stream";
    served.push({ path: pathname, status: 200, type });
    res.writeHead(200, { "content-type": type, "cache-control": "no-store" });
    fs.createReadStream(file).pipe(res);
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    served,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
