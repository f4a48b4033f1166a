// `make test-sim-wasm`: replays every scenario inside WebAssembly under Node
// and compares each run's trace hash (and sends, successes) with the native
// run's. Equal hashes: the engine made the same decision at the same
// simulated instant for every call in both places.
//
//   node sim-wasm/compare.mjs NATIVE.json MODULE.wasm
//
// NATIVE.json is what `trace_hashes SEED...` printed; exits 1 on any
// difference, 2 on bad arguments.
import fs from "node:fs";

const [nativePath, wasmPath] = process.argv.slice(2);
if (!nativePath || !wasmPath) {
  console.error("usage: node sim-wasm/compare.mjs NATIVE.json MODULE.wasm");
  process.exit(2);
}
const native = JSON.parse(fs.readFileSync(nativePath, "utf8"));
const { instance } = await WebAssembly.instantiate(fs.readFileSync(wasmPath), {});
const sim = instance.exports;

const POLICY = { steadfast: 0, seed: 1 };
let passed = 0;
let failed = 0;
const fail = (what) => {
  failed += 1;
  console.log(`FAILED ${what}`);
};

// Both sides must know the same scenarios, in the same order.
const nativeScenarios = [...new Set(native.map((r) => r.index))].length;
if (sim.scenario_count() !== nativeScenarios) {
  fail(`scenario count: wasm ${sim.scenario_count()}, native ${nativeScenarios}`);
} else {
  passed += 1;
}

const rows = [];
for (const want of native) {
  const started = performance.now();
  const ran = sim.run(want.index, POLICY[want.policy], BigInt(want.seed));
  const ms = performance.now() - started;
  const got = {
    // u64 comes back as a signed i64: read it unsigned.
    traceHash: BigInt.asUintN(64, sim.last_trace_hash()).toString(),
    sends: Number(sim.last_sends()),
    successes: Number(sim.last_successes()),
  };
  const same =
    ran === 1 &&
    got.traceHash === want.traceHash &&
    got.sends === want.sends &&
    got.successes === want.successes;
  rows.push({ ...want, got, same, ms });
  if (same) passed += 1;
  else
    fail(
      `${want.scenario} / ${want.policy} / seed ${want.seed}: ` +
        `wasm ${got.traceHash} (${got.sends} sends, ${got.successes} ok), ` +
        `native ${want.traceHash} (${want.sends} sends, ${want.successes} ok)`,
    );
}

const hex = (h) => BigInt(h).toString(16).padStart(16, "0");
console.log("\n| scenario | policy | seed | sends | successes | trace hash (native) | wasm | ms in wasm |");
console.log("|---|---|---:|---:|---:|---|---|---:|");
for (const r of rows) {
  console.log(
    `| ${r.scenario} | ${r.policy} | ${r.seed} | ${r.sends} | ${r.successes} | ` +
      `${hex(r.traceHash)} | ${r.same ? "same" : hex(r.got.traceHash)} | ${r.ms.toFixed(0)} |`,
  );
}
// One line in cargo's words, so that .ci/run's total counts these too.
console.log(
  `\ntest result: ${failed === 0 ? "ok" : "FAILED"}. ${passed} passed; ${failed} failed; ` +
    `0 ignored; 0 measured; 0 filtered out (scenarios replayed in WebAssembly vs natively)`,
);
process.exit(failed === 0 ? 0 : 1);
