// webpack 5 and Vite: the package's default web entry; `init()` fetches the
// .wasm the bundler copied into its output.
import { init, createClient } from "steadfast";
import { inPage } from "./call.js";

inPage(init(), createClient);
