// The failure path: esbuild for Node with the default entry, which reads the
// .wasm beside the package; moved alone, it must fail saying what to import.
import { createClient } from "steadfast";
import { retriedCall } from "./call.js";

const [baseUrl, name] = process.argv.slice(2);
console.log(JSON.stringify(await retriedCall(createClient, baseUrl, name)));
