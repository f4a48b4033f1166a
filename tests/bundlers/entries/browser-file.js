// esbuild for the browser, the .wasm kept as a file: `--loader:.wasm=file`
// copies it into the output and gives its URL to `init`.
import { init, createClient } from "steadfast";
import wasmUrl from "steadfast/steadfast_wasm_bg.wasm";
import { inPage } from "./call.js";

inPage(init(wasmUrl), createClient);
