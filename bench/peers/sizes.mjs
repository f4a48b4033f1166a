// The size table of `make bench-peers`: for each package, the files that
// `import "<package>"` loads in Node, as installed in node_modules — its
// entry (the exports map's node/import/default condition, else `main`), then
// every file it imports or requires, transitively, the runtime dependencies
// it pulls in included, Node's built-ins not — and, for Steadfast, the
// .wasm its entry reads from disk. Each file is counted raw and gzipped
// (level 9, each file on its own, as a server would send it), then summed.
// Static analysis: `import`/`export ... from`, `import("...")` and
// `require("...")` with a literal string, comments left out; a require the
// code would never reach still counts, one built from a variable does not.
import fs from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import zlib from "node:zlib";

const BUILTIN = new Set(builtinModules);

/** The conditions' target in an exports entry, or null. */
function byConditions(target, conds) {
  if (target === null || target === undefined) return null;
  if (typeof target === "string") return target;
  if (Array.isArray(target)) {
    for (const t of target) {
      const r = byConditions(t, conds);
      if (r) return r;
    }
    return null;
  }
  for (const [k, v] of Object.entries(target)) {
    if (k === "default" || conds.includes(k)) {
      const r = byConditions(v, conds);
      if (r) return r;
    }
  }
  return null;
}

/** Resolves `subpath` (".", "./x") of the package in `dir`, for `require` or `import`. */
function resolvePackage(dir, subpath, kind) {
  const pj = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
  const conds = ["node", kind === "require" ? "require" : "import"];
  if (pj.exports !== undefined) {
    const exp = pj.exports;
    const keyed = typeof exp === "object" && !Array.isArray(exp) && Object.keys(exp).some((k) => k.startsWith("."));
    let target = null;
    if (!keyed) target = subpath === "." ? byConditions(exp, conds) : null;
    else if (exp[subpath] !== undefined) target = byConditions(exp[subpath], conds);
    else {
      for (const [k, v] of Object.entries(exp)) {
        const star = k.indexOf("*");
        if (star < 0) continue;
        const [pre, post] = [k.slice(0, star), k.slice(star + 1)];
        if (subpath.startsWith(pre) && subpath.endsWith(post)) {
          const t = byConditions(v, conds);
          if (t) target = t.replace("*", subpath.slice(pre.length, subpath.length - post.length));
          break;
        }
      }
    }
    if (!target) throw new Error(`${dir}: no export ${subpath} for ${kind}`);
    return path.join(dir, target);
  }
  if (subpath !== ".") return resolveFile(path.join(dir, subpath));
  return resolveFile(path.join(dir, pj.main ?? "index.js"));
}

/** A path as Node completes it: as is, with an extension, or as a folder's index. */
function resolveFile(p) {
  for (const c of [p, `${p}.js`, `${p}.mjs`, `${p}.cjs`, `${p}.json`, path.join(p, "index.js"), path.join(p, "index.json")]) {
    if (fs.existsSync(c) && fs.statSync(c).isFile()) return c;
  }
  if (fs.existsSync(path.join(p, "package.json"))) {
    const pj = JSON.parse(fs.readFileSync(path.join(p, "package.json"), "utf8"));
    if (pj.main) return resolveFile(path.join(p, pj.main));
  }
  return null;
}

/** The folder of package `name` seen from `from`, walking up node_modules folders. */
function packageDir(name, from) {
  for (let d = path.dirname(from); ; d = path.dirname(d)) {
    const c = path.join(d, "node_modules", name);
    if (fs.existsSync(path.join(c, "package.json"))) return c;
    if (path.dirname(d) === d) return null;
  }
}

/** The specifiers `file` imports or requires, each with how. */
function specifiers(source) {
  // Block comments out; line comments that start a line out (a `//` inside
  // a string, a URL, stays).
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const found = [];
  const patterns = [
    // Statements only: where one may start (not `import "x"` inside a
    // string, as an error message that says what to import has it).
    [/(?:^|[;}\n])\s*import\s*(?:[\w*${}\s,]+?\s*from\s*)?["']([^"']+)["']/g, "import"],
    [/(?:^|[;}\n])\s*export\s*(?:\*|\{[^}]*\}|\*\s+as\s+\w+)\s*from\s*["']([^"']+)["']/g, "import"],
    [/\bimport\(\s*["']([^"']+)["']\s*\)/g, "import"],
    [/\brequire\(\s*["']([^"']+)["']\s*\)/g, "require"],
  ];
  for (const [re, kind] of patterns) for (const m of code.matchAll(re)) found.push([m[1], kind]);
  return found;
}

/** Every file `import`ing the package at `dir` loads; plus `extra` files of the package. */
function trace(dir, extra = []) {
  const files = new Set();
  const todo = [resolvePackage(dir, ".", "import")];
  while (todo.length) {
    const f = todo.pop();
    if (!f || files.has(f)) continue;
    files.add(f);
    if (!/\.(m|c)?js$/.test(f)) continue;
    for (const [spec, kind] of specifiers(fs.readFileSync(f, "utf8"))) {
      if (spec.startsWith("node:") || BUILTIN.has(spec) || BUILTIN.has(spec.split("/")[0])) continue;
      if (spec.startsWith(".") || spec.startsWith("/")) {
        todo.push(resolveFile(path.resolve(path.dirname(f), spec)));
        continue;
      }
      const parts = spec.split("/");
      const name = spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
      const sub = spec.slice(name.length);
      const pdir = packageDir(name, f);
      if (!pdir) continue; // an optional dependency that is not installed
      try {
        todo.push(resolvePackage(pdir, sub ? `.${sub}` : ".", kind));
      } catch {
        // not exported for this condition: Node would throw; not loaded
      }
    }
  }
  for (const e of extra) files.add(path.join(dir, e));
  return [...files];
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

/**
 * The table: Steadfast from the scratch project run.mjs installed it in,
 * the peers from bench/peers/node_modules.
 */
export function sizeTable(scratch, here) {
  const entries = [
    ["steadfast", path.join(scratch, "node_modules", "steadfast"), ["steadfast_wasm_bg.wasm"], "the Node entry's JS and the .wasm it reads"],
    ["cockatiel", path.join(here, "node_modules", "cockatiel"), [], ""],
    ["opossum", path.join(here, "node_modules", "opossum"), [], ""],
    ["p-retry", path.join(here, "node_modules", "p-retry"), [], ""],
    ["ky", path.join(here, "node_modules", "ky"), [], ""],
    ["bottleneck", path.join(here, "node_modules", "bottleneck"), [], ""],
    ["undici", path.join(here, "node_modules", "undici"), [], "for RetryAgent (Node's global fetch runs on a copy of undici built into Node)"],
  ];
  const rows = [];
  for (const [name, dir, extra, note] of entries) {
    if (!fs.existsSync(dir)) continue;
    const files = trace(dir, extra);
    let raw = 0;
    let gz = 0;
    const deps = new Set();
    for (const f of files) {
      const b = fs.readFileSync(f);
      raw += b.length;
      gz += zlib.gzipSync(b, { level: 9 }).length;
      const rel = path.relative(dir, f);
      const m = rel.match(/node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/);
      if (m) deps.add(m[1]);
    }
    // A dependency installed beside the package (hoisted) shows as ../name.
    for (const f of files) {
      const rel = path.relative(path.dirname(dir), f).split(path.sep)[0];
      if (rel !== path.basename(dir) && !rel.startsWith("..")) deps.add(rel);
    }
    const version = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version;
    const wasm = files.filter((f) => f.endsWith(".wasm")).reduce((n, f) => n + fs.statSync(f).size, 0);
    rows.push({ name, version, files: files.length, raw, gzipped: gz, wasm, deps: [...deps], note });
  }
  const lines = [
    "| package | version | files | raw | gzipped | pulls in | note |",
    "|---|---|---:|---:|---:|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.version} | ${r.files} | ${kb(r.raw)} | ${kb(r.gzipped)} | ${r.deps.join(", ") || "—"} | ${r.note}${
          r.wasm ? `${r.note ? "; " : ""}.wasm ${kb(r.wasm)} of the raw size` : ""
        } |`,
    ),
  ];
  return { rows, markdown: lines.join("\n") };
}
