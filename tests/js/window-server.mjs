// A rate-limited API in its own process, as a real server is: it counts the
// requests of each wall-clock second (Math.floor(Date.now() / 1000)), answers
// 429 without any header past `--limit`, and says its limit and what is left
// of the second in Etsy's headers on every other answer. Started by
// pacing.test.mjs; prints its port, then serves until killed.
//
//   GET /__arrivals  every request so far as [unix ms, path, status]
//   anything else    the API
import http from "node:http";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const limit = arg("limit", 20);
const perDay = arg("per-day", 100_000);

const arrivals = [];
let second = -1;
let count = 0;
let acceptedToday = 0;

const server = http.createServer((req, res) => {
  if (req.url === "/__arrivals") {
    res.writeHead(200, { "content-type": "application/json" });
    return res.end(JSON.stringify(arrivals));
  }
  const at = performance.timeOrigin + performance.now();
  const s = Math.floor(at / 1000);
  if (s !== second) {
    second = s;
    count = 0;
  }
  count++;
  if (count > limit) {
    arrivals.push([at, req.url, 429]);
    res.writeHead(429, { "content-type": "application/json" });
    return res.end('{"error":"Too Many Requests"}');
  }
  acceptedToday++;
  arrivals.push([at, req.url, 200]);
  res.writeHead(200, {
    "content-type": "application/json",
    "x-limit-per-second": String(limit),
    "x-remaining-this-second": String(limit - count),
    "x-limit-per-day": String(perDay),
    "x-remaining-today": String(Math.max(0, perDay - acceptedToday)),
  });
  res.end('{"ok":true}');
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${server.address().port}\n`);
});
