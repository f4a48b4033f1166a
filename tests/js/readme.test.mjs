// The package README's JavaScript blocks, each run as a user's ES module in
// the scratch project (the package installed by name), against a local
// Etsy-like server standing in for https://openapi.etsy.com/v3 (and for
// https://api.etsy.com/v3, Etsy's OAuth token endpoint's host). A block that
// is deliberately partial is marked in the README with
// `<!-- readme-test: skip (why) -->` on the line before its fence. A block
// for another host is fenced ```js host=NAME and is not one of these
// (tests/runtimes/run.mjs runs the node-cjs, deno, bun and workerd ones).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { scratchDir, startServer } from "./harness.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const readme = fs.readFileSync(path.join(root, "pkg-template", "README.md"), "utf8").split("\n");

const blocks = [];
for (let i = 0; i < readme.length; i++) {
  if (readme[i].trim() !== "```js") continue;
  const end = readme.indexOf("```", i + 1);
  assert.ok(end > i, `unclosed block at README.md:${i + 1}`);
  const skip = /^<!-- readme-test: skip/.test(readme[i - 1] ?? "");
  blocks.push({ line: i + 1, code: readme.slice(i + 1, end).join("\n"), skip });
  i = end;
}

// The Observability block imports prom-client: pinned in
// tests/observability/package-lock.json (the Makefile's test-js target runs
// `npm ci` there when missing or out of date), copied into the scratch
// project as a user's dependency.
const observability = path.join(root, "tests", "observability", "node_modules");
assert.ok(
  fs.existsSync(path.join(observability, "prom-client")),
  "prom-client is missing: npm ci --prefix tests/observability (make test-js does it)",
);
for (const name of fs.readdirSync(observability)) {
  if (name.startsWith(".")) continue;
  fs.cpSync(path.join(observability, name), path.join(scratchDir(), "node_modules", name), { recursive: true });
}

const server = await startServer();
after(() => server.close());
server.handle = (req, res) => {
  const m = req.url.match(/^\/v3\/application\/listings\/(\d+)$/);
  const rate = { "x-limit-per-second": "10", "x-remaining-this-second": "9", "x-limit-per-day": "10000", "x-remaining-today": "9990" };
  if (m) return server.json(res, 200, { listing_id: Number(m[1]), title: "A mug" }, rate);
  if (/^\/v3\/application\/listings\/\d+\/images\/\d+\.png$/.test(req.url)) {
    res.writeHead(200, { "content-type": "image/png", ...rate });
    return res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0x00]));
  }
  // OAuth (the Tokens that expire block): the token endpoint issues a new
  // access token; only the latest is accepted.
  if (req.method === "POST" && req.url === "/v3/public/oauth/token") {
    accessToken = `fresh-access-token-${++issued}`;
    return server.json(res, 200, { access_token: accessToken, refresh_token: `refresh-${issued}`, token_type: "Bearer" });
  }
  if (/^\/v3\/application\/(users\/me|shops\/\d+)$/.test(req.url)) {
    if (req.headers.authorization !== `Bearer ${accessToken}`) return server.json(res, 401, { error: "invalid_token" }, rate);
    return server.json(res, 200, { user_id: 1, shop_id: 1 }, rate);
  }
  server.json(res, 404, { error: "No such route" }, rate);
};
let accessToken = "";
let issued = 0;

test("most of the README's JavaScript blocks run", () => {
  const run = blocks.filter((b) => !b.skip).length;
  assert.ok(blocks.length >= 5 && run >= blocks.length - 1, `${run} of ${blocks.length} blocks run`);
});

for (const block of blocks) {
  test(`README.md:${block.line} runs`, { skip: block.skip && "marked partial in the README" }, async () => {
    const dir = path.join(scratchDir(), `readme-${block.line}`);
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, "block.mjs");
    const source = block.code
      .replaceAll("https://openapi.etsy.com/v3", `${server.baseUrl}/v3`)
      .replaceAll("https://api.etsy.com/v3", `${server.baseUrl}/v3`);
    fs.writeFileSync(file, source);
    const { code, stdout, stderr } = await new Promise((resolve) =>
      execFile(
        process.execPath,
        [file],
        { cwd: dir, timeout: 20000, env: { ...process.env, ETSY_KEY: "readme-test-key" } },
        (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }),
      ),
    );
    assert.equal(code, 0, `README.md:${block.line} failed:\n${stdout}${stderr}`);
  });
}
