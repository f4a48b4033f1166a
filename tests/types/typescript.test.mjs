// The package's types as a TypeScript user meets them: the packed package,
// installed by name into the scratch project (tests/js/harness.mjs), checked
// by `tsc --strict` in one project per moduleResolution (node16, nodenext,
// bundler) and set of libs (the DOM lib, @types/node, both): 9 projects made
// here from one table. In each, the usage files (ts/typed-example.ts, the
// default export of the build that resolution picks, the package README's
// ```ts blocks) compile without an error, and the misuse files draw exactly the errors their lines are
// marked with (`// expect: TSnnnn`), no more: types that went `any`, or
// missing, would fail both ways.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { scratchDir } from "../js/harness.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const tsc = path.join(here, "node_modules", "typescript", "bin", "tsc");
const sources = path.join(here, "ts");

// What each moduleResolution resolves "steadfast" to, and so which default
// export its files use: Node's `import` (the API object) and `require` (no
// default) for node16 and nodenext; the web build (`init`) for bundler.
const NODE = {
  usage: ["typed-example.ts", "default-node.ts", "require.cts"],
  misuse: ["misuse.ts", "misuse-node.ts", "misuse.cts"],
};
const RESOLUTIONS = {
  node16: { module: "node16", ...NODE },
  nodenext: { module: "nodenext", ...NODE },
  bundler: {
    module: "esnext",
    usage: ["typed-example.ts", "default-web.ts"],
    misuse: ["misuse.ts", "misuse-web.ts"],
  },
};
// With the DOM lib, which declares WebAssembly (@types/node does not), the
// .wasm subpath's type is checked to be its WebAssembly.Module too.
const LIBS = {
  dom: { lib: ["es2022", "dom"], types: [], usage: ["wasm-dom.ts"] },
  node: { lib: ["es2022"], types: ["node"], usage: [] },
  "dom+node": { lib: ["es2022", "dom"], types: ["node"], usage: ["wasm-dom.ts"] },
};

// The package README's ```ts blocks, compiled as usage files too.
const readme = fs.readFileSync(path.join(here, "..", "..", "pkg-template", "README.md"), "utf8").split("\n");
const README_BLOCKS = [];
for (let i = 0; i < readme.length; i++) {
  if (readme[i].trim() !== "```ts") continue;
  const end = readme.indexOf("```", i + 1);
  assert.ok(end > i, `unclosed block at README.md:${i + 1}`);
  README_BLOCKS.push({ file: `readme-${i + 1}.ts`, code: readme.slice(i + 1, end).join("\n") + "\n" });
  i = end;
}

/** `file:line TSnnnn` for each `// expect: TSnnnn` marker of `files`. */
function expected(files) {
  const out = [];
  for (const f of files) {
    fs.readFileSync(path.join(sources, f), "utf8")
      .split("\n")
      .forEach((line, i) => {
        const m = /\/\/ expect: (TS\d+)$/.exec(line);
        if (m) out.push(`${f}:${i + 1} ${m[1]}`);
      });
  }
  return out.sort();
}

/** Runs tsc in `dir`: its exit status and diagnostics (`file:line TSnnnn message`). */
function compile(dir) {
  return new Promise((resolve) => {
    execFile(process.execPath, [tsc, "-p", "tsconfig.json", "--pretty", "false"], { cwd: dir }, (error, stdout, stderr) => {
      const diagnostics = [];
      for (const line of `${stdout}${stderr}`.split("\n")) {
        const m = /^(.+?)\((\d+),\d+\): error (TS\d+): (.*)$/.exec(line);
        const last = diagnostics[diagnostics.length - 1];
        if (m) diagnostics.push({ at: `${m[1]}:${m[2]} ${m[3]}`, file: m[1], message: m[4] });
        // An indented line goes on with the message above it.
        else if (/^\s/.test(line) && last !== undefined) last.message += `\n${line}`;
        else if (line.trim() !== "") diagnostics.push({ at: "?", file: "?", message: line });
      }
      resolve({ status: error ? error.code : 0, diagnostics });
    });
  });
}

test("the package README has TypeScript blocks to compile", () => {
  assert.ok(README_BLOCKS.length >= 1, "no ```ts block in pkg-template/README.md");
});

test("the types compile as used, and refuse misuse, under every moduleResolution and lib", { concurrency: 2 }, async (t) => {
  const runs = [];
  for (const [resolution, r] of Object.entries(RESOLUTIONS)) {
    for (const [libs, l] of Object.entries(LIBS)) {
      runs.push(
        t.test(`${resolution}, ${libs}`, async () => {
          const dir = path.join(scratchDir(), `ts-${resolution}-${libs.replace("+", "-")}`);
          fs.mkdirSync(dir, { recursive: true });
          for (const f of [...r.usage, ...l.usage, ...r.misuse]) fs.copyFileSync(path.join(sources, f), path.join(dir, f));
          for (const b of README_BLOCKS) fs.writeFileSync(path.join(dir, b.file), b.code);
          const files = [...r.usage, ...l.usage, ...README_BLOCKS.map((b) => b.file), ...r.misuse];
          const config = {
            compilerOptions: {
              strict: true,
              noEmit: true,
              skipLibCheck: false,
              target: "es2022",
              module: r.module,
              moduleResolution: resolution,
              lib: l.lib,
              types: l.types,
              // @types/node is this folder's (pinned in package-lock.json).
              typeRoots: [path.join(here, "node_modules", "@types")],
            },
            files,
          };
          fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(config, null, 2));
          const { status, diagnostics } = await compile(dir);
          const show = (ds) => ds.map((d) => `${d.at} ${d.message}`).join("\n");
          const unexpected = diagnostics.filter((d) => !r.misuse.includes(d.file));
          assert.equal(unexpected.length, 0, `errors outside the misuse files:\n${show(unexpected)}`);
          const got = diagnostics.map((d) => d.at).sort();
          assert.deepEqual(got, expected(r.misuse), `the misuse files' errors:\n${show(diagnostics)}`);
          assert.equal(status, 2, "tsc reports the misuse as errors");
        }),
      );
    }
  }
  await Promise.all(runs);
});
