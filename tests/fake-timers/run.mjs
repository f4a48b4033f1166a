// `make test-fake-timers`: the packed package under the fake timers users
// test with, each test file run by its own framework, as a user's is:
//   node-test.test.mjs  node:test's `mock.timers` (`node --test`)
//   sinon.test.mjs      @sinonjs/fake-timers (`node --test`)
//   jest.test.cjs       Jest's fake timers (`jest`, CommonJS)
//   vitest.test.mjs     Vitest's fake timers (`vitest run`)
// pkg/ is packed and installed (tests/js/install.mjs) into a scratch project
// made inside this folder, so that its files find `steadfast` in the
// scratch's node_modules and the frameworks in this folder's (pinned in
// package-lock.json; the Makefile runs `npm ci` when they are missing or
// older than the lockfile). The test files are copied there, with the
// package README's examples for these frameworks (fenced ```js host=jest,
// vitest, sinon), and run; one line per framework in cargo's words (so
// .ci/run's total counts them); exits non-zero on any failure, or when a
// framework ran no test.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { installTarball } from "../js/install.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = (name) => path.join(here, "node_modules", ".bin", name);
for (const name of ["jest", "vitest"]) {
  if (!fs.existsSync(bin(name))) {
    console.error(`tests/fake-timers: ${name} is not installed: run \`npm ci --prefix tests/fake-timers\` (make test-fake-timers does)`);
    process.exit(1);
  }
}

/** Runs `cmd args` in `cwd`; resolves to its exit status and output. */
function run(cmd, args, cwd) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CI: "true" } });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (status) => resolve({ status: status ?? 1, out }));
  });
}

const readJson = (file) => {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
};

// node:test files: the TAP summary's counts.
async function nodeTest(files, cwd) {
  const r = await run(process.execPath, ["--test", "--test-reporter=tap", "--test-timeout=30000", ...files], cwd);
  const count = (word) => Number((r.out.match(new RegExp(`^# ${word} (\\d+)$`, "m")) || [])[1] || 0);
  return { ...r, passed: count("pass"), failed: count("fail") + count("cancelled") };
}

// Jest or Vitest: their JSON report (the same shape).
async function jsonReport(cmd, args, cwd, report) {
  const r = await run(cmd, [...args, `--outputFile=${report}`], cwd);
  const j = readJson(report);
  return { ...r, passed: j ? j.numPassedTests : 0, failed: j ? j.numFailedTests + (j.numRuntimeErrorTestSuites ?? 0) : 0 };
}

const scratch = fs.mkdtempSync(path.join(here, ".scratch-"));
let ok = true;
try {
  const started = performance.now();
  installTarball(scratch);
  const files = ["node-test.test.mjs", "sinon.test.mjs", "jest.test.cjs", "vitest.test.mjs"];
  for (const f of files) fs.copyFileSync(path.join(here, f), path.join(scratch, f));
  // The README's example for each framework, as a test file of its own.
  const readme = fs.readFileSync(path.join(here, "..", "..", "pkg-template", "README.md"), "utf8").split("\n");
  for (const [host, file] of [["jest", "readme.jest.test.cjs"], ["vitest", "readme.vitest.test.mjs"], ["sinon", "readme.sinon.test.mjs"]]) {
    const at = readme.flatMap((line, i) => (line.trim() === `\`\`\`js host=${host}` ? [i] : []));
    if (at.length !== 1) throw new Error(`pkg-template/README.md: ${at.length} \`\`\`js host=${host} blocks, not one`);
    const end = readme.indexOf("```", at[0] + 1);
    fs.writeFileSync(path.join(scratch, file), readme.slice(at[0] + 1, end).join("\n") + "\n");
  }
  console.log(`packed package installed in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const suites = [
    ["node:test mock.timers", () => nodeTest(["node-test.test.mjs"], scratch)],
    ["@sinonjs/fake-timers", () => nodeTest(["sinon.test.mjs", "readme.sinon.test.mjs"], scratch)],
    [
      "jest fake timers",
      () =>
        jsonReport(
          bin("jest"),
          ["--ci", "--rootDir", scratch, "--config", JSON.stringify({ transform: {}, testEnvironment: "node" }), "--json", "jest\\.test\\.cjs$"],
          scratch,
          path.join(scratch, "jest.json"),
        ),
    ],
    [
      "vitest fake timers",
      () =>
        jsonReport(
          bin("vitest"),
          ["run", "--root", scratch, "--reporter=json", "vitest.test.mjs"],
          scratch,
          path.join(scratch, "vitest.json"),
        ),
    ],
  ];
  for (const [what, go] of suites) {
    const t = performance.now();
    const r = await go();
    const good = r.status === 0 && r.failed === 0 && r.passed > 0;
    if (!good) {
      ok = false;
      process.stdout.write(r.out);
    }
    console.log(
      `test result: ${good ? "ok" : "FAILED"}. ${r.passed} passed; ${good ? 0 : Math.max(r.failed, 1)} failed; ` +
        `0 ignored; 0 measured; 0 filtered out (${what}, ${((performance.now() - t) / 1000).toFixed(1)} s)`,
    );
  }
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
