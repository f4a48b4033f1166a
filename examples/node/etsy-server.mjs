// A small Etsy-like API on loopback for the example: a listing that does not
// exist, a listing creation that fails validation, listings under Etsy's
// per-second limit (announced in its headers, enforced with 429s), and
// receipts that can be switched into an outage. Every timer is cleared on
// close().
import http from "node:http";

export async function startEtsyLikeServer({ perSecond = 5 } = {}) {
  const stats = { requests: 0, tooMany: 0, byPath: new Map() };
  const sent = [];
  let remainingToday = 10000;
  const state = { outage: false };
  const sockets = new Set();

  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      stats.requests++;
      const path = new URL(req.url, "http://x").pathname;
      stats.byPath.set(path, (stats.byPath.get(path) ?? 0) + 1);
      const now = performance.now();
      sent.push(now);
      while (sent.length && now - sent[0] >= 1000) sent.shift();
      remainingToday--;
      const rate = {
        "x-limit-per-second": String(perSecond),
        "x-remaining-this-second": String(Math.max(0, perSecond - sent.length)),
        "x-limit-per-day": "10000",
        "x-remaining-today": String(remainingToday),
      };
      const json = (status, body) => {
        res.writeHead(status, { "content-type": "application/json", ...rate });
        res.end(JSON.stringify(body));
      };
      // One request of slack over the announced limit, for timer granularity.
      if (sent.length > perSecond + 1) {
        stats.tooMany++;
        return json(429, { error: "Too many requests" });
      }
      let m;
      if (req.method === "GET" && path === "/v3/application/listings/999999999") {
        return json(404, { error: "Listing with listing_id 999999999 does not exist" });
      }
      if (req.method === "POST" && (m = path.match(/^\/v3\/application\/shops\/(\d+)\/listings$/))) {
        return json(400, {
          error: "Invalid listing",
          errors: [
            { field: "title", message: "is required" },
            { field: "price", message: "must be a positive number" },
            { field: "who_made", message: "must be one of i_did, someone_else, collective" },
          ],
        });
      }
      if (req.method === "GET" && (m = path.match(/^\/v3\/application\/listings\/(\d+)$/))) {
        return json(200, { listing_id: Number(m[1]), title: `Listing ${m[1]}`, state: "active" });
      }
      if (req.method === "GET" && /^\/v3\/application\/shops\/\d+\/receipts$/.test(path)) {
        if (state.outage) return json(503, { error: "Service temporarily unavailable" });
        return json(200, { count: 0, results: [] });
      }
      json(404, { error: "No such route" });
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    baseUrl: `http://127.0.0.1:${server.address().port}/v3`,
    stats,
    state,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
