// Steadfast, as its README configures it for Etsy (createClient: retry,
// breaker, limiter), given the shared knobs. The package is the one packed
// from pkg/ and installed into a scratch project by run.mjs, imported by name.
import path from "node:path";
import { pathToFileURL } from "node:url";

export const name = "steadfast";
export const packages = ["steadfast"];
export const notes = [
  "reads Etsy's x-limit-per-second / x-remaining-today and Retry-After; resends a keyed POST, an unkeyed one only when it cannot have reached the server",
];

export async function create({ baseUrl, knobs, seed }) {
  const scratch = process.env.STEADFAST_BENCH_SCRATCH;
  if (!scratch) throw new Error("STEADFAST_BENCH_SCRATCH is not set (run.mjs installs the package)");
  const { createClient } = await import(pathToFileURL(path.join(scratch, "user.mjs")).href);
  const client = createClient({
    baseUrl,
    attemptTimeoutMs: knobs.attemptTimeoutMs,
    seed,
    retry: {
      maxRetries: knobs.maxRetries,
      baseDelayMs: knobs.baseDelayMs,
      maxDelayMs: knobs.maxDelayMs,
      // The longest server-asked wait a call sits through: the same cap.
      maxRetryAfterMs: knobs.maxDelayMs,
    },
    breaker: { failureThreshold: knobs.breakerFailures, openMs: knobs.breakerOpenMs },
    limiter: { perSecond: knobs.perSecond, perDay: knobs.perDay, dayWindowMs: knobs.dayWindowMs },
  });
  return {
    async call(c, signal) {
      if (c.method === "GET") return (await client.get(c.path, { signal })).data;
      const init = { headers: { "x-client-ref": c.ref }, signal };
      if (c.key) init.idempotencyKey = c.key;
      return (await client.post(c.path, c.body, init)).data;
    },
    close: () => client.close(),
  };
}
