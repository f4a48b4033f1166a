// `make test-js`: packs and installs the package once into a scratch
// project in a temp dir, runs every *.test.mjs here against it, removes it.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "steadfast-js-"));
process.env.STEADFAST_SCRATCH = scratch;
let status = 1;
try {
  const { installPackage } = await import("./harness.mjs");
  installPackage(scratch);
  const files = fs
    .readdirSync(here)
    .filter((f) => f.endsWith(".test.mjs"))
    .sort()
    .map((f) => path.join(here, f));
  const child = spawn(process.execPath, ["--test", "--test-reporter=tap", ...files], {
    stdio: ["ignore", "pipe", "inherit"],
    env: process.env,
  });
  let out = "";
  child.stdout.on("data", (d) => {
    out += d;
    process.stdout.write(d);
  });
  status = (await new Promise((resolve) => child.on("close", resolve))) ?? 1;
  // One line in cargo's words, so that .ci/run's total counts these too.
  const count = (what) => Number((out.match(new RegExp(`^# ${what} (\\d+)$`, "m")) || [])[1] || 0);
  const failed = count("fail") + count("cancelled");
  // A todo test (a known gap, run but not counted as a failure) is ignored.
  const ignored = count("skipped") + count("todo");
  console.log(
    `test result: ${status === 0 && failed === 0 ? "ok" : "FAILED"}. ${count("pass")} passed; ${failed} failed; ` +
      `${ignored} ignored; 0 measured; 0 filtered out (JS tests of the packed package)`,
  );
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
process.exit(status);
