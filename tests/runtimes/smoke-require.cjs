// Node's CommonJS path: `require("steadfast")` by name in the user's project
// and a client created from it (no init step). Prints one JSON line.
"use strict";
let result;
try {
  const steadfast = require("steadfast");
  const { createClient, ResilienceError } = steadfast;
  createClient({ baseUrl: "http://127.0.0.1:9" }).close();
  let bad = null;
  try {
    createClient({ retry: { maxRetries: -1 } });
  } catch (e) {
    bad = { isRangeError: e instanceof RangeError, message: e.message };
  }
  result = {
    exports: Object.keys(steadfast).sort(),
    resilienceError: typeof ResilienceError,
    entry: require.resolve("steadfast"),
    bad,
  };
} catch (e) {
  result = { threw: { name: e && e.name, message: String(e && e.message), stack: e && e.stack } };
}
console.log(JSON.stringify({ require: result }));
