// Copies the web build of the npm package `steadfast` into vendor/steadfast/
// next to this file, so that the extension loads as it is (an extension
// cannot import from node_modules/). Run it once before loading the folder
// unpacked, and again after updating the package:
//
//   node examples/extension/build.mjs                        # from this repository's pkg/ (make package)
//   node build.mjs node_modules/steadfast                    # from an installed package
//
// With no argument it takes the repository's pkg/, else the `steadfast`
// installed where it runs.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

function findPackage() {
  if (process.argv[2]) return path.resolve(process.argv[2]);
  const repoPkg = path.resolve(here, "..", "..", "pkg");
  if (fs.existsSync(path.join(repoPkg, "package.json"))) return repoPkg;
  try {
    return path.dirname(createRequire(path.join(process.cwd(), "x.js")).resolve("steadfast/package.json"));
  } catch {
    console.error("steadfast not found: run `make package` in the repository, or `npm install steadfast`, or name its folder");
    process.exit(1);
  }
}

const from = findPackage();
const manifest = JSON.parse(fs.readFileSync(path.join(from, "package.json"), "utf8"));
if (manifest.name !== "steadfast") {
  console.error(`${from} holds ${manifest.name}, not steadfast`);
  process.exit(1);
}
// The browser entry (the "default" export) and its folder, the .wasm the
// loader (`init()`) fetches relative to it, and package.json for the version.
const entry = manifest.exports["."].default;
const copies = [path.dirname(entry), ...manifest.files.filter((f) => f.endsWith(".wasm")), "package.json"];

const out = path.join(here, "vendor", "steadfast");
fs.rmSync(out, { recursive: true, force: true });
for (const item of copies) {
  fs.cpSync(path.join(from, item), path.join(out, item), { recursive: true });
}
console.log(`steadfast ${manifest.version} (${entry}) → ${path.relative(process.cwd(), out) || "."}`);
