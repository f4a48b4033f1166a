// Assembles the npm package in pkg/ from pkg-template/ and the optimised
// module, then prints its size (wasm + JS, raw and gzipped).
//
//   node tools/assemble.mjs <module-dir> <pkg-dir> <version>
//
// <module-dir> holds steadfast_wasm_bg.wasm (wasm-opt already applied).
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";
import { transformSync } from "esbuild";

const [moduleDir, pkgDir, version] = process.argv.slice(2);
if (!moduleDir || !pkgDir || !version) {
  console.error("usage: node tools/assemble.mjs <module-dir> <pkg-dir> <version>");
  process.exit(2);
}
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const template = path.join(root, "pkg-template");
// The driver: the default clock (clock.js, used by api.js) and the API.
const api = ["clock.js", "api.js"].map((f) => fs.readFileSync(path.join(template, "lib", f), "utf8")).join("\n");

fs.rmSync(pkgDir, { recursive: true, force: true });
fs.mkdirSync(pkgDir, { recursive: true });

const copy = (from, to) => {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
};
// An entry with the driver inlined, minified, local names shortened
// (-0.5 KB gzipped) but every function and class keeping its `name`
// (esbuild's keepNames): a stack frame of ours and `console.log(client)`
// read as in the source.
// `swap` ([what, by]) replaces the entry's source of the module's bytes
// (the `steadfast/inline` builds, below).
const inline = (from, to, swap) => {
  let text = fs.readFileSync(from, "utf8");
  if (!text.includes("/*@@API@@*/")) throw new Error(`${from}: no /*@@API@@*/ placeholder`);
  if (swap) {
    if (text.split(swap[0]).length !== 2) throw new Error(`${from}: not exactly one ${swap[0]}`);
    text = text.replace(swap[0], () => swap[1]);
  }
  fs.mkdirSync(path.dirname(to), { recursive: true });
  const { code } = transformSync(text.replace("/*@@API@@*/", () => api), {
    minify: true,
    keepNames: true,
    legalComments: "none",
    format: from.endsWith(".cjs") ? "cjs" : "esm",
  });
  fs.writeFileSync(to, code);
};

// package.json with the workspace's version.
const manifest = JSON.parse(fs.readFileSync(path.join(template, "package.json"), "utf8"));
manifest.version = version;
fs.writeFileSync(path.join(pkgDir, "package.json"), JSON.stringify(manifest, null, 2) + "\n");

copy(path.join(template, "README.md"), path.join(pkgDir, "README.md"));
// The licence texts (`MIT OR Apache-2.0`), from the repository's root.
for (const f of ["LICENSE-MIT", "LICENSE-APACHE"]) copy(path.join(root, f), path.join(pkgDir, f));
// The types: one declaration of the API, as an ES module (index.d.ts) and
// as CommonJS (index.d.cts, `require`'s); the entries that add a default
// export to it (node/index.d.mts: the API object; web/index.d.ts: `init`);
// the .wasm subpath's (`import`, `require`).
copy(path.join(template, "index.d.ts"), path.join(pkgDir, "index.d.ts"));
copy(path.join(template, "index.d.ts"), path.join(pkgDir, "index.d.cts"));
copy(path.join(template, "node", "index.d.mts"), path.join(pkgDir, "node", "index.d.mts"));
copy(path.join(template, "web", "index.d.ts"), path.join(pkgDir, "web", "index.d.ts"));
for (const f of ["steadfast_wasm_bg.wasm.d.ts", "steadfast_wasm_bg.wasm.d.cts"]) copy(path.join(template, f), path.join(pkgDir, f));

const WASM = "steadfast_wasm_bg.wasm";
copy(path.join(moduleDir, WASM), path.join(pkgDir, WASM));
copy(path.join(template, "node", "package.json"), path.join(pkgDir, "node", "package.json"));
copy(path.join(template, "node", "index.mjs"), path.join(pkgDir, "node", "index.mjs"));
inline(path.join(template, "node", "index.cjs"), path.join(pkgDir, "node", "index.cjs"));
inline(path.join(template, "web", "index.js"), path.join(pkgDir, "web", "index.js"));

// `steadfast/inline`: the same two entries with the module's bytes carried
// in the JavaScript as base64 (of the very .wasm copied above) in place of
// the file they read or fetch, for bundles that leave the package's folder
// behind: esbuild's (browser or Node), a serverless function's single file.
// Node compiles them as the entry loads, as the default build does. The web
// build carries them gzipped first (a bundle served to browsers: about
// 141 KB, 97 KB gzipped in transit, where plain base64 is 281 KB and 121 KB)
// and its `init()` inflates them with DecompressionStream, then compiles them
// asynchronously (the main thread refuses a synchronous compile that big).
// The default entries are unchanged.
const wasmBytes = fs.readFileSync(path.join(pkgDir, WASM));
inline(path.join(template, "node", "index.cjs"), path.join(pkgDir, "inline", "node", "index.cjs"), [
  'require("node:fs").readFileSync(require("node:path").join(__dirname, "..", "steadfast_wasm_bg.wasm"))',
  `Buffer.from("${wasmBytes.toString("base64")}", "base64")`,
]);
copy(path.join(template, "node", "index.mjs"), path.join(pkgDir, "inline", "node", "index.mjs"));
copy(path.join(template, "node", "package.json"), path.join(pkgDir, "inline", "node", "package.json"));
inline(path.join(template, "web", "index.js"), path.join(pkgDir, "inline", "web", "index.js"), [
  'new URL("../steadfast_wasm_bg.wasm", import.meta.url)',
  `new Response(new Blob([Uint8Array.from(atob("${zlib.gzipSync(wasmBytes, { level: 9 }).toString("base64")}"), (c) => c.charCodeAt(0))]).stream().pipeThrough(new DecompressionStream("gzip")))`,
]);
// Its types (node/index.d.mts, web/index.d.ts: the same API), and for
// resolvers that read no exports map (TypeScript's node10) the folder's
// package.json: the Node build and the root's types, as for `steadfast`.
copy(path.join(template, "inline", "node.d.mts"), path.join(pkgDir, "inline", "node", "index.d.mts"));
copy(path.join(template, "inline", "web.d.ts"), path.join(pkgDir, "inline", "web", "index.d.ts"));
copy(path.join(template, "inline", "package.json"), path.join(pkgDir, "inline", "package.json"));

// Size: what one environment loads (wasm + its JS), and the whole package.
const sizeOf = (files) => {
  let raw = 0;
  let gz = 0;
  for (const f of files) {
    const bytes = fs.readFileSync(f);
    raw += bytes.length;
    gz += zlib.gzipSync(bytes, { level: 9 }).length;
  }
  return { raw, gz };
};
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const row = (label, files) => {
  const { raw, gz } = sizeOf(files);
  console.log(`  ${label.padEnd(26)} ${kb(raw).padStart(10)} raw ${kb(gz).padStart(10)} gzipped`);
};
const inPkg = (...p) => path.join(pkgDir, ...p);
console.log(`steadfast ${version} assembled in ${pkgDir}`);
const nodeJs = ["index.cjs", "index.mjs"].map((f) => inPkg("node", f));
const webJs = ["index.js"].map((f) => inPkg("web", f));
row("wasm", [inPkg(WASM)]);
row("node: JS", nodeJs);
row("node: wasm + JS", [inPkg(WASM), ...nodeJs]);
row("web: wasm + JS", [inPkg(WASM), ...webJs]);
row("inline, node: JS", ["index.cjs", "index.mjs"].map((f) => inPkg("inline", "node", f)));
row("inline, web: JS", [inPkg("inline", "web", "index.js")]);
const all = [];
const walk = (d) => {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p);
    else all.push(p);
  }
};
walk(pkgDir);
row("whole package (all files)", all);
