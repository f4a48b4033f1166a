// Types of the web build of `steadfast/inline` (inline/web/index.js:
// bundlers building for the browser, esbuild's among them): the same API as
// the web build of `steadfast` (web/index.d.ts); `init()` with no argument
// compiles the bytes this build carries instead of fetching the .wasm.
import { init } from "../../index.js";

export * from "../../index.js";
export default init;
