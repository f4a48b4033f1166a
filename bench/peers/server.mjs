// The fault-injecting Etsy-like HTTP server of `make bench-peers`: loopback
// only, every fault drawn from one seeded generator, and it counts what it
// received, independently of what any client believes.
//
// Like the simulation's server (tests/src/server.rs): a per-second token
// bucket with a burst; a daily quota over a rolling window (DAY_MS, the
// compressed day); Etsy's four rate headers (x-limit-per-second,
// x-remaining-this-second, x-limit-per-day, x-remaining-today) on every
// answer past the outage check; 429 with Retry-After (seconds or an
// HTTP-date) when the bucket is empty, and with the seconds until the quota
// frees a request when the day's quota is spent; outage windows (503, no
// rate headers); random 500/502/504 (half of them after the write was
// applied); connection resets before the server acted and after it did;
// answers slower than any sane attempt timeout. A POST carries a client
// reference (`x-client-ref`): applied twice, it is a duplicate write, unless
// it also carries an `Idempotency-Key` the server has already seen, which it
// then deduplicates.
//
// Run as a child process (`node server.mjs SCENARIO SEED DEADLINE_MS`, with
// an IPC channel): it answers { port }, starts its clock on "go", answers
// "stop" with its counts and exits; it exits by itself at the deadline or
// when its parent goes away. Or in-process: startFaultServer(config, seed).
import http from "node:http";
import { fileURLToPath } from "node:url";

import { DAY_MS, prng, scenario } from "./scenarios.mjs";

/**
 * Starts the server on 127.0.0.1 (an ephemeral port). `config` is a
 * scenario's `server`. Answers { port, start(), counts(), close() }: start()
 * sets the run's instant zero (outage windows and the timeline count from
 * it); counts() is what it received; close() ends every connection and
 * timer.
 */
export async function startFaultServer(config, seed) {
  const rand = prng(seed ^ 0x5e4e);
  const chance = (p) => p > 0 && rand() < p;
  let t0 = performance.now();
  const sockets = new Set();
  const timers = new Set();

  // The bucket, in thousandths of a token.
  let tokens = config.burst * 1000;
  let refilledAt = 0;
  // Instants (ms since t0) of the requests the quota counted.
  const accepted = [];
  // Writes applied, by client reference; keys seen.
  const applied = new Map();

  const counts = {
    requests: 0,
    gets: 0,
    posts: 0,
    rateLimited: 0, // 429s sent, for rate or quota
    quotaOverruns: 0, // requests that arrived with the day's quota spent
    duringOutage: 0,
    duplicateWrites: 0,
    dedupedByKey: 0,
    writesApplied: 0,
    serverErrors: 0,
    resetsBefore: 0,
    resetsAfter: 0,
    slow: 0,
    peakPerSecond: 0,
    arrivals: [], // ms since t0, every request
    // Per whole second since t0: requests, 429s, requests during an outage, 2xx answers.
    timeline: [],
  };

  const second = (t) => {
    const s = Math.max(0, Math.floor(t / 1000));
    while (counts.timeline.length <= s) counts.timeline.push({ requests: 0, rateLimited: 0, outage: 0, ok: 0 });
    return counts.timeline[s];
  };

  const refill = (now) => {
    const elapsed = Math.max(0, now - refilledAt);
    refilledAt = now;
    tokens = Math.min(config.burst * 1000, tokens + elapsed * config.perSecond);
  };
  const quotaUsed = (now) => {
    while (accepted.length && now - accepted[0] >= DAY_MS) accepted.shift();
    return accepted.length;
  };
  const rateHeaders = (now) => ({
    "x-limit-per-second": String(config.advertisedPerSecond),
    "x-remaining-this-second": String(Math.floor(tokens / 1000)),
    "x-limit-per-day": String(config.dailyQuota),
    "x-remaining-today": String(Math.max(0, config.dailyQuota - quotaUsed(now))),
  });

  const later = (ms, fn) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const latency = () => config.latencyMs[0] + Math.floor(rand() * (config.latencyMs[1] - config.latencyMs[0] + 1));

  /** Sends the answer after `ms`, unless the connection is gone by then. */
  const answer = (res, ms, status, headers, body, now) => {
    later(ms, () => {
      if (res.destroyed || res.socket?.destroyed) return;
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(body));
      if (status < 300) second(now).ok++;
    });
  };
  /** Resets the connection (after a normal latency): no answer at all. */
  const reset = (req, ms) => later(ms, () => req.socket.destroy());

  const apply = (req) => {
    if (req.method !== "POST") return;
    const ref = req.headers["x-client-ref"];
    if (!ref) return;
    const n = applied.get(ref) ?? 0;
    if (req.headers["idempotency-key"] && n > 0) {
      counts.dedupedByKey++;
      return;
    }
    applied.set(ref, n + 1);
    counts.writesApplied++;
    if (n >= 1) counts.duplicateWrites++;
  };

  const handle = (req, res) => {
    const now = performance.now() - t0;
    counts.requests++;
    counts.arrivals.push(now);
    if (req.method === "POST") counts.posts++;
    else counts.gets++;
    const sec = second(now);
    sec.requests++;
    const ms = latency();

    if (chance(config.pResetBefore)) {
      counts.resetsBefore++;
      return reset(req, ms); // Nothing reached the application.
    }
    if (config.outages.some(([a, b]) => now >= a && now < b)) {
      counts.duringOutage++;
      sec.outage++;
      return answer(res, ms, 503, {}, { error: "Service Unavailable" }, now);
    }
    refill(now);
    const quotaSpent = quotaUsed(now) >= config.dailyQuota;
    if (quotaSpent || tokens < 1000) {
      counts.rateLimited++;
      sec.rateLimited++;
      const headers = rateHeaders(now);
      if (quotaSpent) {
        counts.quotaOverruns++;
        // When the oldest request of the window leaves it.
        headers["retry-after"] = String(Math.max(1, Math.ceil((accepted[0] + DAY_MS - now) / 1000)));
      } else {
        const form = config.retryAfter === "mixed" ? (chance(0.5) ? "date" : "seconds") : config.retryAfter;
        headers["retry-after"] =
          form === "date" ? new Date(Math.ceil((Date.now() + 1000) / 1000) * 1000).toUTCString() : "1";
      }
      return answer(res, ms, 429, headers, { error: "Too Many Requests" }, now);
    }
    tokens -= 1000;
    accepted.push(now);
    if (chance(config.pServerError)) {
      counts.serverErrors++;
      // Half of them after the application acted.
      if (chance(0.5)) apply(req);
      const status = [500, 502, 504][Math.floor(rand() * 3)];
      return answer(res, ms, status, rateHeaders(now), { error: "Internal error" }, now);
    }
    apply(req);
    if (chance(config.pResetAfter)) {
      counts.resetsAfter++;
      return reset(req, ms);
    }
    let wait = ms;
    if (chance(config.pSlow)) {
      counts.slow++;
      wait = config.slowMs;
    }
    const m = req.url.match(/\/listings\/(\d+)$/);
    const body =
      req.method === "POST"
        ? { listing_id: 2_000_000 + counts.writesApplied, state: "draft" }
        : { listing_id: m ? Number(m[1]) : 0, title: "Hand-thrown mug", state: "active", price: { amount: 2400, divisor: 100 } };
    return answer(res, wait, req.method === "POST" ? 201 : 200, rateHeaders(now), body, now);
  };

  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => handle(req, res));
  });
  server.keepAliveTimeout = 60_000;
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));

  return {
    port: server.address().port,
    start() {
      t0 = performance.now();
      refilledAt = 0;
    },
    counts() {
      // The most requests that arrived within any 1000 ms.
      const a = [...counts.arrivals].sort((x, y) => x - y);
      let peak = 0;
      for (let i = 0, j = 0; i < a.length; i++) {
        while (a[i] - a[j] >= 1000) j++;
        peak = Math.max(peak, i - j + 1);
      }
      const { arrivals: _a, ...rest } = counts;
      return { ...rest, peakPerSecond: peak };
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

// ----- as a child process -------------------------------------------------------

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [name, seed, deadline] = process.argv.slice(2);
  const s = scenario(name);
  const srv = await startFaultServer(s.server, Number(seed));
  // Stops by itself: at the deadline, or when the parent goes away.
  const stopAt = setTimeout(() => process.exit(3), Number(deadline) || 120_000);
  stopAt.unref();
  process.on("disconnect", () => process.exit(0));
  process.on("message", async (m) => {
    if (m === "go") {
      srv.start();
      process.send("started");
    } else if (m === "stop") {
      const counts = srv.counts();
      await srv.close();
      process.send({ counts }, () => process.exit(0));
    }
  });
  process.send({ port: srv.port });
}
