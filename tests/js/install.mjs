// The package installed as a user installs it: pkg/ packed with `npm pack`,
// the tarball installed into a scratch project, and a user's module there
// that imports it by name. Shared by the JS tests (harness.mjs) and the
// benchmarks (bench/js, bench/peers); no side effect on import.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * Packs pkg/ and installs the tarball into the scratch project `dir` (made
 * if missing), with `user.mjs` re-exporting the package; answers `dir`.
 */
export function installTarball(dir) {
  const pkg = path.join(root, "pkg");
  if (!fs.existsSync(path.join(pkg, "package.json"))) {
    throw new Error("pkg/ is missing: run `make package` first");
  }
  fs.mkdirSync(dir, { recursive: true });
  const npm = (args) =>
    execFileSync("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], {
      cwd: dir,
      stdio: ["ignore", "pipe", "inherit"],
      encoding: "utf8",
    });
  const out = npm(["pack", pkg, "--pack-destination", dir, "--json"]);
  const tarball = path.join(dir, JSON.parse(out)[0].filename);
  fs.writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: "scratch", private: true, type: "module" }),
  );
  npm(["install", tarball, "--offline"]);
  // A user's ES module, importing the package by name.
  fs.writeFileSync(path.join(dir, "user.mjs"), 'export * from "steadfast";\n');
  return dir;
}
