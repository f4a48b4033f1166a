// ky, as its README configures retries: a per-attempt `timeout`, and `retry`
// with limit, retryOnTimeout (its "Retrying on timeout" example), jitter,
// backoffLimit, maxRetryAfter, and a delay starting at the shared base. Its
// defaults otherwise: it retries GET (not POST), on 408/413/429/500/502/503/
// 504 and network errors, and waits what Retry-After says (capped at
// maxRetryAfter). No breaker, no limiter.
import ky from "ky";

import { headersOf } from "./common.mjs";

export const name = "ky";
export const packages = ["ky"];
export const notes = ["honours Retry-After; never retries a POST (its default methods), keyed or not; no breaker, no pacing"];

export async function create({ baseUrl, knobs }) {
  const api = ky.create({
    baseUrl,
    timeout: knobs.attemptTimeoutMs,
    retry: {
      limit: knobs.maxRetries,
      retryOnTimeout: true,
      jitter: true,
      backoffLimit: knobs.maxDelayMs,
      maxRetryAfter: knobs.maxDelayMs,
      delay: (n) => knobs.baseDelayMs * 2 ** (n - 1),
    },
  });
  return {
    call(c, signal) {
      const init = { method: c.method, headers: headersOf(c), signal };
      if (c.method === "POST") init.json = c.body;
      return api(c.path, init).json();
    },
    close() {},
  };
}
