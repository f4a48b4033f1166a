// The smoke test in Cloudflare's workerd, as a Worker bundled the way
// wrangler bundles one (esbuild, conditions workerd/worker/browser: the web
// build), the .wasm imported as a module (Workers compile no WebAssembly at
// run time) and handed to init(). Runs as the Worker's test handler
// (`workerd test`): outbound fetch needs a request context, which the
// global scope has not. Prints one JSON line for tests/runtimes/run.mjs.
import * as steadfast from "steadfast";
import { createClient, ResilienceError, init } from "steadfast";
import wasm from "steadfast/steadfast_wasm_bg.wasm";
import { smoke } from "./smoke-lib.mjs";

export default {
  async test(_controller, env) {
    const results = await smoke(steadfast, {
      baseUrl: env.BASE_URL,
      token: env.TOKEN,
      named: { createClient, ResilienceError },
      init: () => init(wasm),
    });
    console.log(JSON.stringify(results));
  },
};
