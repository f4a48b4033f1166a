// Assembles the npm package in pkg/ from pkg-template/ and wasm-bindgen's
// output, then prints its size (wasm + JS, raw and gzipped).
//
//   node tools/assemble.mjs <bindgen-out-dir> <pkg-dir> <version>
//
// <bindgen-out-dir> holds node/ and web/ (wasm-bindgen --target nodejs and
// --target web, wasm-opt already applied).
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";

const [bindgenDir, pkgDir, version] = process.argv.slice(2);
if (!bindgenDir || !pkgDir || !version) {
  console.error("usage: node tools/assemble.mjs <bindgen-out-dir> <pkg-dir> <version>");
  process.exit(2);
}
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const template = path.join(root, "pkg-template");
const api = fs.readFileSync(path.join(template, "lib", "api.js"), "utf8");

fs.rmSync(pkgDir, { recursive: true, force: true });
fs.mkdirSync(pkgDir, { recursive: true });

const copy = (from, to) => {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
};
const inline = (from, to) => {
  const text = fs.readFileSync(from, "utf8");
  if (!text.includes("/*@@API@@*/")) throw new Error(`${from}: no /*@@API@@*/ placeholder`);
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.writeFileSync(to, text.replace("/*@@API@@*/", () => api));
};

// package.json with the workspace's version.
const manifest = JSON.parse(fs.readFileSync(path.join(template, "package.json"), "utf8"));
manifest.version = version;
fs.writeFileSync(path.join(pkgDir, "package.json"), JSON.stringify(manifest, null, 2) + "\n");

copy(path.join(template, "README.md"), path.join(pkgDir, "README.md"));
copy(path.join(template, "index.d.ts"), path.join(pkgDir, "index.d.ts"));
copy(path.join(template, "index.d.ts"), path.join(pkgDir, "index.d.cts"));

// One module for both builds (wasm-bindgen emits the same one for each
// target; only the glue differs): the glue is pointed at ../ so the package
// carries it once.
const WASM = "steadfast_wasm_bg.wasm";
copy(path.join(bindgenDir, "node", WASM), path.join(pkgDir, WASM));
const glue = {
  node: ["`${__dirname}/steadfast_wasm_bg.wasm`", "`${__dirname}/../steadfast_wasm_bg.wasm`"],
  web: ["new URL('steadfast_wasm_bg.wasm', import.meta.url)", "new URL('../steadfast_wasm_bg.wasm', import.meta.url)"],
};
for (const [target, [from, to]] of Object.entries(glue)) {
  const text = fs.readFileSync(path.join(bindgenDir, target, "steadfast_wasm.js"), "utf8");
  if (text.split(from).length !== 2) throw new Error(`${target} glue: expected one ${from}`);
  fs.mkdirSync(path.join(pkgDir, target), { recursive: true });
  fs.writeFileSync(path.join(pkgDir, target, "steadfast_wasm.js"), text.replace(from, () => to));
}
copy(path.join(template, "node", "package.json"), path.join(pkgDir, "node", "package.json"));
copy(path.join(template, "node", "index.mjs"), path.join(pkgDir, "node", "index.mjs"));
inline(path.join(template, "node", "index.cjs"), path.join(pkgDir, "node", "index.cjs"));
inline(path.join(template, "web", "index.js"), path.join(pkgDir, "web", "index.js"));

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
const nodeJs = ["steadfast_wasm.js", "index.cjs", "index.mjs"].map((f) => inPkg("node", f));
const webJs = ["steadfast_wasm.js", "index.js"].map((f) => inPkg("web", f));
row("wasm", [inPkg(WASM)]);
row("node: JS", nodeJs);
row("node: wasm + JS", [inPkg(WASM), ...nodeJs]);
row("web: wasm + JS", [inPkg(WASM), ...webJs]);
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
