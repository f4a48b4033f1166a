// One runtime's smoke test of the installed package, as a user's ES module:
// imports `steadfast` by name, makes one call that is retried, opens a
// circuit, passes bad options (smoke-lib.mjs). Runs unchanged under Node,
// Deno and Bun. Prints one JSON line for tests/runtimes/run.mjs to judge.
//
//   <runtime> smoke.mjs <base url> <token>
import * as steadfast from "steadfast";
import { createClient, ResilienceError } from "steadfast";
import { smoke } from "./smoke-lib.mjs";

const [baseUrl, token] = typeof Deno !== "undefined" ? Deno.args : process.argv.slice(2);
console.log(JSON.stringify(await smoke(steadfast, { baseUrl, token, named: { createClient, ResilienceError } })));
