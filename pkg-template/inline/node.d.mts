// Types of `import ... from "steadfast/inline"` in Node (inline/node/
// index.mjs): the same API as `import ... from "steadfast"` (node/
// index.d.mts), the module's bytes carried in the JavaScript instead of read
// from the package's .wasm. `require("steadfast/inline")`: index.d.cts.
import * as steadfast from "../../index.js";

export * from "../../index.js";
export default steadfast;
