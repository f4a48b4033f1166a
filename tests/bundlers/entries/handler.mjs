// esbuild for Node, an ES module (a serverless function): `steadfast/inline`.
import { createClient } from "steadfast/inline";
import { retriedCall } from "./call.js";

const [baseUrl, name] = process.argv.slice(2);
console.log(JSON.stringify(await retriedCall(createClient, baseUrl, name)));
