// `make test-browser`: packs and installs the package once into a scratch
// project in a temp dir (as tests/js/run.mjs does), runs every *.test.mjs
// here against it in headless Chromium, removes it; then one line in
// cargo's words, which .ci/run totals.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const chromium = process.env.STEADFAST_CHROMIUM || "/usr/bin/chromium";
if (!fs.existsSync(chromium)) {
  console.error(`${chromium} is missing: \`make test-browser\` installs Debian's chromium package`);
  process.exit(1);
}
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "steadfast-browser-"));
process.env.STEADFAST_SCRATCH = scratch;
let status = 1;
try {
  const { installPackage } = await import("../js/harness.mjs");
  installPackage(scratch);
  const files = fs
    .readdirSync(here)
    .filter((f) => f.endsWith(".test.mjs"))
    .sort()
    .map((f) => path.join(here, f));
  const child = spawn(process.execPath, ["--test", "--test-reporter=tap", ...files], {
    cwd: here,
    stdio: ["ignore", "pipe", "inherit"],
    env: process.env,
  });
  let out = "";
  child.stdout.on("data", (d) => {
    out += d;
    process.stdout.write(d);
  });
  status = (await new Promise((resolve) => child.on("close", resolve))) ?? 1;
  const count = (what) => Number((out.match(new RegExp(`^# ${what} (\\d+)$`, "m")) || [])[1] || 0);
  const failed = count("fail") + count("cancelled");
  console.log(
    `test result: ${status === 0 && failed === 0 ? "ok" : "FAILED"}. ${count("pass")} passed; ${failed} failed; ` +
      `${count("skipped")} ignored; 0 measured; 0 filtered out (the package in headless Chromium)`,
  );
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
process.exit(status);
