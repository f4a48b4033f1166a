// Shared by `make test-js` and `make test-browser`: packs and installs the
// package once into a scratch project in a temp dir, runs every *.test.mjs
// of a folder against it with node:test, removes the project, and prints
// one line in cargo's words so that .ci/run's total counts these too.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * Runs the `*.test.mjs` files of `dir`; `what` names the suite in the
 * summary line. Resolves to the exit status (0: every test passed).
 */
export async function runSuite(dir, what) {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "steadfast-js-"));
  process.env.STEADFAST_SCRATCH = scratch;
  try {
    const { installPackage } = await import("./harness.mjs");
    installPackage(scratch);
    const files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".test.mjs"))
      // STEADFAST_ONLY=exit,bad-input runs only the files whose names hold
      // one of these (while working on them; CI runs every file).
      .filter((f) => !process.env.STEADFAST_ONLY || process.env.STEADFAST_ONLY.split(",").some((o) => f.includes(o)))
      .sort()
      .map((f) => path.join(dir, f));
    const child = spawn(process.execPath, ["--test", "--test-reporter=tap", ...files], {
      cwd: dir,
      stdio: ["ignore", "pipe", "inherit"],
      env: process.env,
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      process.stdout.write(d);
    });
    const status = (await new Promise((resolve) => child.on("close", resolve))) ?? 1;
    const count = (word) => Number((out.match(new RegExp(`^# ${word} (\\d+)$`, "m")) || [])[1] || 0);
    const failed = count("fail") + count("cancelled");
    // A todo test (a known gap, run but not counted as a failure) is ignored.
    const ignored = count("skipped") + count("todo");
    const ok = status === 0 && failed === 0;
    console.log(
      `test result: ${ok ? "ok" : "FAILED"}. ${count("pass")} passed; ${failed} failed; ` +
        `${ignored} ignored; 0 measured; 0 filtered out (${what})`,
    );
    return ok ? 0 : status || 1;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
