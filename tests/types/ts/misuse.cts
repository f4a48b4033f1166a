// `require("steadfast")` has no default export.
import steadfast = require("steadfast");

export const none = steadfast.default; // expect: TS2339
