// `make bench-peers`: Steadfast beside cockatiel, opossum + p-retry, ky,
// undici's RetryAgent, bottleneck + p-retry and plain fetch, on the same
// workload against the same fault-injecting server, in one run; then the
// per-call overhead (bench/js/run.mjs, spawned) and the size of each package.
//
//   node bench/peers/run.mjs [--seed N] [--scenario NAME]... [--client NAME]...
//                            [--smoke] [--no-overhead] [--no-sizes] [--out DIR]
//
// Every client runs every scenario, one after the other, each run in a fresh
// Node process against a fresh server process (scenarios.mjs: the same seed,
// so the same workload and the same draws of faults in the same order). It
// prints a markdown table per scenario, and writes out/results.json and
// out/<scenario>.svg. --smoke: a tenth of each workload, no overhead, for a
// quick check that everything runs. Exits 0 when a target is missed (this is
// a measurement), non-zero when something fails to run.
import { fork, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import { KNOBS, SCENARIOS, scenario, workload } from "./scenarios.mjs";
import { installTarball } from "../../tests/js/install.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..", "..");
const self = fileURLToPath(import.meta.url);

/** The runners, in the tables' order: file in clients/, as named in the tables. */
export const CLIENTS = [
  "steadfast",
  "cockatiel",
  "opossum-p-retry",
  "ky",
  "undici-retry-agent",
  "bottleneck-p-retry",
  "plain-fetch",
];

const argv = process.argv.slice(2);
if (argv[0] === "--run") {
  runChild(argv[1], argv[2], Number(argv[3]), argv[4], argv[5] === "smoke").catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  main(parseArgs(argv)).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

function parseArgs(args) {
  const o = { seed: 42, scenarios: [], clients: [], smoke: false, overhead: true, sizes: true, out: path.join(here, "out") };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = () => {
      if (i + 1 >= args.length) throw new Error(`${a} needs a value`);
      return args[++i];
    };
    if (a === "--seed") o.seed = Number(value());
    else if (a === "--scenario") o.scenarios.push(scenario(value()).name);
    else if (a === "--client") {
      const c = value();
      if (!CLIENTS.includes(c)) throw new Error(`unknown client '${c}' (one of ${CLIENTS.join(", ")})`);
      o.clients.push(c);
    } else if (a === "--smoke") {
      o.smoke = true;
      o.overhead = false;
    } else if (a === "--no-overhead") o.overhead = false;
    else if (a === "--no-sizes") o.sizes = false;
    else if (a === "--out") o.out = path.resolve(value());
    else throw new Error(`unknown argument '${a}'`);
  }
  if (!Number.isInteger(o.seed) || o.seed < 0) throw new Error("--seed takes a whole number");
  if (!o.scenarios.length) o.scenarios = SCENARIOS.map((s) => s.name);
  if (!o.clients.length) o.clients = [...CLIENTS];
  return o;
}

/** The scenario as run: in smoke mode a tenth of its workload (at least 4 calls) and a short cap. */
function asRun(name, smoke) {
  const s = scenario(name);
  if (!smoke) return s;
  return {
    ...s,
    gets: Math.max(2, Math.round(s.gets / 10)),
    posts: Math.max(2, Math.round(s.posts / 10)),
    capMs: 8_000,
  };
}

// ----- one client on one scenario (a child process) ----------------------------

async function runChild(client, name, seed, baseUrl, smoke) {
  const s = asRun(name, smoke);
  const calls = workload(s, seed);
  const mod = await import(pathToFileURL(path.join(here, "clients", `${client}.mjs`)).href);
  const runner = await mod.create({ baseUrl, knobs: KNOBS, seed });
  process.send("ready");
  await new Promise((resolve) => process.once("message", (m) => m === "go" && resolve()));

  const t0 = performance.now();
  const now = () => performance.now() - t0;
  // Each call gets a signal of its own, aborted at the run's cap.
  const cap = new AbortController();
  const controllers = new Set();
  const results = calls.map((c) => ({ i: c.i, method: c.method, keyed: !!c.key, at: c.at, start: null, end: null, ok: false, error: null }));
  const queue = [];
  let inFlight = 0;
  let settled = 0;
  let done;
  const finished = new Promise((resolve) => (done = resolve));

  const start = (c) => {
    const r = results[c.i];
    inFlight++;
    r.start = now();
    const controller = new AbortController();
    controllers.add(controller);
    let p;
    try {
      p = Promise.resolve(runner.call(c, controller.signal));
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(
      () => (r.ok = true),
      (e) => (r.error = describe(e)),
    ).finally(() => {
      controllers.delete(controller);
      if (r.end !== null) return; // cut at the cap already
      r.end = now();
      inFlight--;
      if (++settled === calls.length) done();
      pump();
    });
  };
  const pump = () => {
    while (inFlight < s.concurrency && queue.length && !cap.signal.aborted) start(queue.shift());
  };
  const timers = calls.map((c) =>
    setTimeout(() => {
      queue.push(c);
      pump();
    }, c.at),
  );
  const capTimer = setTimeout(() => {
    cap.abort();
    for (const c of controllers) c.abort(new Error(CAP));
    for (const t of timers) clearTimeout(t);
    // What has not ended by the cap (plus a moment for aborts to land) failed.
    setTimeout(() => {
      for (const r of results) {
        if (r.end === null) {
          r.end = s.capMs;
          r.error = r.start === null ? "never started (cap)" : "unfinished at the cap";
        }
      }
      done();
    }, 300);
  }, s.capMs);
  await finished;
  clearTimeout(capTimer);
  try {
    await runner.close();
  } catch {
    // the run is over either way
  }
  process.send({ results }, () => process.exit(0));
}

const CAP = "the run's cap";

/** A failure in a few words: the library's error name, kind or code. */
function describe(e) {
  if (!e || typeof e !== "object") return String(e);
  if (e.message === CAP || e.cause?.message === CAP) return "cut at the cap";
  const cls = e.constructor?.name;
  const parts = [e.name && e.name !== "Error" ? e.name : cls && cls !== "Object" ? cls : "Error"];
  if (e.kind) parts.push(e.kind);
  if (e.reason) parts.push(e.reason);
  const status = e.status ?? e.response?.status ?? e.statusCode;
  if (status) parts.push(String(status));
  const code = e.code ?? e.cause?.code;
  if (typeof code === "string" && !status) parts.push(code);
  return parts.join(" ");
}

// ----- the parent --------------------------------------------------------------------

function childMessage(child, pred, what) {
  return new Promise((resolve, reject) => {
    const onMessage = (m) => {
      if (pred(m)) {
        cleanup();
        resolve(m);
      }
    };
    const onExit = (code, signal) => {
      cleanup();
      reject(new Error(`${what} exited (${signal ?? code}) before answering`));
    };
    const cleanup = () => {
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    child.on("message", onMessage);
    child.on("exit", onExit);
  });
}

/** One run: a fresh server, a fresh client process; answers { results, counts }. */
async function runOne(client, s, seed, smoke) {
  const server = fork(path.join(here, "server.mjs"), [s.name, String(seed), String(s.capMs + 30_000)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let child;
  try {
    const { port } = await childMessage(server, (m) => m?.port, "the server");
    const baseUrl = `http://127.0.0.1:${port}`;
    child = fork(self, ["--run", client, s.name, String(seed), baseUrl, smoke ? "smoke" : ""], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    await childMessage(child, (m) => m === "ready", `the ${client} runner`);
    const started = childMessage(server, (m) => m === "started", "the server");
    server.send("go");
    await started;
    const results = childMessage(child, (m) => m?.results, `the ${client} runner`);
    child.send("go");
    const r = (await results).results;
    const counts = childMessage(server, (m) => m?.counts, "the server");
    server.send("stop");
    return { results: r, counts: (await counts).counts };
  } finally {
    child?.kill();
    server.kill();
  }
}

const quantile = (xs, q) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.round((s.length - 1) * q)];
};

/** The table's figures for one run. */
function metrics(s, { results, counts }) {
  const ok = results.filter((r) => r.ok);
  const lat = ok.map((r) => r.end - r.at);
  // The run's span: from the first call's arrival to the last call's end.
  const firstArrival = Math.min(...results.map((r) => r.at));
  const elapsed = Math.max(...results.map((r) => r.end));
  const span = (elapsed - firstArrival) / 1000;
  const failures = {};
  for (const r of results) if (!r.ok) failures[r.error] = (failures[r.error] ?? 0) + 1;
  // Successes per whole second (by the call's end), for the picture.
  const okPerSecond = [];
  for (const r of ok) {
    const i = Math.floor(r.end / 1000);
    while (okPerSecond.length <= i) okPerSecond.push(0);
    okPerSecond[i]++;
  }
  return {
    calls: results.length,
    successes: ok.length,
    postSuccesses: ok.filter((r) => r.method === "POST").length,
    posts: results.filter((r) => r.method === "POST").length,
    goodput: span > 0 ? ok.length / span / s.server.perSecond : 0,
    attemptsPerSuccess: ok.length ? counts.requests / ok.length : Infinity,
    requests: counts.requests,
    rateLimited: counts.rateLimited,
    duringOutage: counts.duringOutage,
    duplicateWrites: counts.duplicateWrites,
    quotaOverruns: counts.quotaOverruns,
    peakPerSecond: counts.peakPerSecond,
    p50: quantile(lat, 0.5) / 1000,
    p99: quantile(lat, 0.99) / 1000,
    elapsed: elapsed / 1000,
    failures,
    okPerSecond,
  };
}

// The columns: key, heading, format, which way is better.
const COLUMNS = [
  ["successes", "successes", (v, m) => `${v}/${m.calls}`, "max"],
  ["goodput", "goodput", (v) => v.toFixed(2), "max"],
  ["attemptsPerSuccess", "att/succ", (v) => (Number.isFinite(v) ? v.toFixed(2) : "∞"), "min"],
  ["rateLimited", "429s", String, "min"],
  ["duringOutage", "into outage", String, "min"],
  ["duplicateWrites", "dup. writes", String, "min"],
  ["quotaOverruns", "past quota", String, "min"],
  ["peakPerSecond", "peak/s", String, "min"],
  ["p50", "p50 s", (v) => (Number.isFinite(v) ? v.toFixed(2) : "—"), "min"],
  ["p99", "p99 s", (v) => (Number.isFinite(v) ? v.toFixed(2) : "—"), "min"],
  ["elapsed", "elapsed s", (v) => v.toFixed(1), "min"],
];

/** The best value of a column over the runs (NaN ignored). */
function best(rows, key, dir) {
  const vs = rows.map((r) => r.m[key]).filter((v) => !Number.isNaN(v));
  return dir === "max" ? Math.max(...vs) : Math.min(...vs);
}

/** The markdown table of one scenario; the best of each column in bold. */
function table(rows) {
  const lines = [
    `| client | ${COLUMNS.map((c) => c[1]).join(" | ")} |`,
    `|---|${COLUMNS.map(() => "---:").join("|")}|`,
  ];
  for (const r of rows) {
    const cells = COLUMNS.map(([key, , fmt, dir]) => {
      const text = fmt(r.m[key], r.m);
      return text === fmt(best(rows, key, dir), r.m) ? `**${text}**` : text;
    });
    lines.push(`| ${r.name} | ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

/**
 * Whether Steadfast is best or tied-best on each column of a scenario:
 * equal to the best; or, for latency and elapsed time, within 10 % of a best
 * that provoked 429s or duplicate writes to get it. Answers the misses.
 */
function targetMisses(rows) {
  const ours = rows.find((r) => r.client === "steadfast");
  if (!ours) return null;
  const misses = [];
  for (const [key, heading, fmt, dir] of COLUMNS) {
    const b = best(rows, key, dir);
    const v = ours.m[key];
    if (fmt(v, ours.m) === fmt(b, ours.m)) continue; // tied, as printed
    if (["p50", "p99", "elapsed"].includes(key)) {
      const holders = rows.filter((r) => fmt(r.m[key], r.m) === fmt(b, r.m));
      const dirty = holders.every((r) => r.m.rateLimited > 0 || r.m.duplicateWrites > 0);
      if (dirty && v <= b * 1.1) continue;
    }
    const holders = rows.filter((r) => fmt(r.m[key], r.m) === fmt(b, r.m)).map((r) => r.name);
    misses.push(`${heading}: ${fmt(v, ours.m)} vs ${fmt(b, ours.m)} (${holders.join(", ")})`);
  }
  return misses;
}


const version = (dir) => JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version;

/** Runs bench/js/run.mjs (the per-call overhead) and answers its output. */
function overhead() {
  if (!fs.existsSync(path.join(root, "bench", "js", "node_modules", "cockatiel"))) {
    throw new Error("bench/js/node_modules is missing: `make bench-peers` installs it (npm ci --prefix bench/js)");
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, "bench", "js", "run.mjs")], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    let echoed = 0;
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (d) => {
      out += d;
      // Echoed indented, whole lines at a time.
      const end = out.lastIndexOf("\n") + 1;
      if (end > echoed) process.stdout.write(out.slice(echoed, end).replace(/^(?=.)/gm, "    "));
      echoed = Math.max(echoed, end);
    });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`bench/js/run.mjs failed (${code})`))));
  });
}

async function main(o) {
  const started = performance.now();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "steadfast-peers-"));
  process.on("exit", () => fs.rmSync(scratch, { recursive: true, force: true }));
  installTarball(scratch);
  process.env.STEADFAST_BENCH_SCRATCH = scratch;
  fs.mkdirSync(o.out, { recursive: true });

  const { timelineSvg } = await import("./svg.mjs");
  const modules = {};
  for (const c of o.clients) modules[c] = await import(pathToFileURL(path.join(here, "clients", `${c}.mjs`)).href);
  const versions = { steadfast: version(path.join(scratch, "node_modules", "steadfast")) };
  for (const c of o.clients) {
    for (const p of modules[c].packages) {
      if (p !== "steadfast") versions[p] = version(path.join(here, "node_modules", p));
    }
  }
  console.log(
    `# Steadfast and its peers, side by side (seed ${o.seed}${o.smoke ? ", smoke: a tenth of each workload" : ""})\n\n` +
      `${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(", ")}; node ${process.version}, ` +
      `${os.cpus().length} CPU(s), load average ${os.loadavg()[0].toFixed(2)} at the start\n\n` +
      `Knobs for all: ${KNOBS.maxRetries} retries, backoff from ${KNOBS.baseDelayMs} ms up to ${KNOBS.maxDelayMs / 1000} s, ` +
      `a ${KNOBS.attemptTimeoutMs / 1000} s attempt timeout, a breaker opening after ${KNOBS.breakerFailures} failures ` +
      `for ${KNOBS.breakerOpenMs / 1000} s; limiters set for Etsy's ${KNOBS.perSecond}/s and ${KNOBS.perDay}/day ` +
      `(a "day" of ${KNOBS.dayWindowMs / 1000} s).`,
  );

  const out = { seed: o.seed, smoke: o.smoke, node: process.version, versions, knobs: KNOBS, scenarios: [] };
  for (const name of o.scenarios) {
    const s = asRun(name, o.smoke);
    const calls = workload(s, o.seed);
    const posts = calls.filter((c) => c.method === "POST");
    console.log(
      `\n## ${s.name}\n\n${s.about}.\nWorkload: ${calls.length - posts.length} GETs and ${posts.length} POSTs ` +
        `(${posts.filter((c) => c.key).length} with an idempotency key) arriving at ${s.ratePerS}/s, ` +
        `at most ${s.concurrency} in flight; cut at ${s.capMs / 1000} s.\n`,
    );
    const rows = [];
    for (const client of o.clients) {
      process.stdout.write(`  ${modules[client].name}… `);
      const t = performance.now();
      const run = await runOne(client, s, o.seed, o.smoke);
      const m = metrics(s, run);
      console.log(`${m.successes}/${m.calls} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      rows.push({ client, name: modules[client].name, m, counts: run.counts });
    }
    console.log(`\n${table(rows)}\n`);
    const misses = targetMisses(rows);
    if (misses) {
      console.log(misses.length ? `Steadfast not best on: ${misses.join("; ")}.` : "Steadfast best or tied-best on every column.");
    }
    for (const r of rows) {
      const f = Object.entries(r.m.failures)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${v} × ${k}`);
      if (f.length) console.log(`  failures, ${r.name}: ${f.join(", ")}`);
    }
    const svgPath = path.join(o.out, `${s.name}.svg`);
    fs.writeFileSync(
      svgPath,
      timelineSvg({
        title: `${s.name} (seed ${o.seed}): requests the server received per second, by client`,
        subtitle: s.about,
        capacity: s.server.perSecond,
        outages: s.server.outages,
        runs: rows.map((r) => ({ name: r.name, timeline: r.counts.timeline, okPerSecond: r.m.okPerSecond })),
      }),
    );
    console.log(`  picture: ${path.relative(process.cwd(), svgPath)}`);
    out.scenarios.push({
      name: s.name,
      about: s.about,
      workload: { gets: s.gets, posts: s.posts, keyed: posts.filter((c) => c.key).length, ratePerS: s.ratePerS, concurrency: s.concurrency, capMs: s.capMs },
      server: s.server,
      table: table(rows),
      misses,
      runs: rows.map((r) => ({ client: r.client, name: r.name, notes: modules[r.client].notes, metrics: r.m, server: r.counts })),
    });
  }

  console.log(
    "\nsuccesses: calls that ended with a 2xx; goodput: successes per second from the first call's arrival to the " +
      "last call's end, over the server's capacity; att/succ: requests the server received per success; 429s: answers 429 sent; " +
      "into outage: requests received during the outage; dup. writes: POSTs applied twice; past quota: requests " +
      "received with the day's quota spent; peak/s: most requests received within any 1000 ms; p50/p99: latency of " +
      "the successful calls, from arrival to the answer; elapsed: from the start to the last call's end. Bold: the best.",
  );

  if (o.sizes) {
    const { sizeTable } = await import("./sizes.mjs");
    const sizes = sizeTable(scratch, here);
    out.sizes = sizes.rows;
    console.log(`\n## Size: what \`import\` loads in Node, as installed\n\n${sizes.markdown}`);
  }
  if (o.overhead) {
    console.log("\n## Per-call overhead (bench/js/run.mjs)\n");
    out.overhead = await overhead();
  }
  fs.writeFileSync(path.join(o.out, "results.json"), `${JSON.stringify(out, null, 1)}\n`);
  console.log(
    `\nwrote ${path.relative(process.cwd(), path.join(o.out, "results.json"))} ` +
      `(${((performance.now() - started) / 1000).toFixed(0)} s; load average ${os.loadavg()[0].toFixed(2)} at the end)`,
  );
}
