// `make test-browser`: every *.test.mjs here, in headless Chromium, against
// the packed package installed into a scratch project (see
// tests/js/suite.mjs).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runSuite } from "../js/suite.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const chromium = process.env.STEADFAST_CHROMIUM || "/usr/bin/chromium";
if (!fs.existsSync(chromium)) {
  console.error(`${chromium} is missing: \`make test-browser\` installs Debian's chromium package`);
  process.exit(1);
}
process.exit(await runSuite(here, "the package in headless Chromium"));
