// `make test-js`: every *.test.mjs here against the packed package,
// installed into a scratch project as a user would (see suite.mjs).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runSuite } from "./suite.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
process.exit(await runSuite(here, "JS tests of the packed package"));
