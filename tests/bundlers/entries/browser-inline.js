// esbuild for the browser: `steadfast/inline`, the module inside the JS.
import { init, createClient } from "steadfast/inline";
import { inPage } from "./call.js";

inPage(init(), createClient);
