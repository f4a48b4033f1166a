// `make test-types`: every *.test.mjs here (the packed package's metadata,
// publint and attw; its types under tsc) against the package packed and
// installed into a scratch project, as tests/js/run.mjs does for the JS tests.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runSuite } from "../js/suite.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
process.exit(await runSuite(here, "types and metadata of the packed package"));
