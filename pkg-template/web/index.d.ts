// Types of the web build (web/index.js: browsers, workers, extensions,
// bundlers, Deno, workerd): every export by name, and `init` as the default
// export (`import init, { createClient } from "steadfast"`).
import { init } from "../index.js";

export * from "../index.js";
export default init;
