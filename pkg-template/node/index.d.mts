// Types of `import ... from "steadfast"` in Node (node/index.mjs): every
// export by name, and a default export that is the same API as one object
// (the CommonJS module's `exports`, so `import steadfast from "steadfast"`
// then `steadfast.createClient()`). `require("steadfast")` has no default:
// index.d.cts.
import * as steadfast from "../index.js";

export * from "../index.js";
export default steadfast;
