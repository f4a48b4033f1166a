// opossum + p-retry: opossum's breaker around fetch, with its options as its
// README sets them (timeout, errorThresholdPercentage, resetTimeout) and
// volumeThreshold for "at least 5 calls"; p-retry around breaker.fire, with
// an AbortError for a 4xx other than 408 and 429 as p-retry's README shows.
// No limiter.
import CircuitBreaker from "opossum";
import pRetry, { AbortError } from "p-retry";

import { bodyOf, headersOf, okJson } from "./common.mjs";

export const name = "opossum + p-retry";
export const packages = ["opossum", "p-retry"];
export const notes = [
  "opossum opens on an error rate (50 % of at least 5 calls in a 10 s window), not on consecutive failures; p-retry ignores Retry-After and resends unkeyed POSTs",
];

export async function create({ baseUrl, knobs }) {
  // Each call gets its own timeout signal: opossum's `abortController` is one
  // per breaker, and aborting it would abort every call in flight.
  const breaker = new CircuitBreaker(
    async (c) =>
      okJson(
        await fetch(baseUrl + c.path, {
          method: c.method,
          headers: headersOf(c),
          body: bodyOf(c),
          signal: AbortSignal.timeout(knobs.attemptTimeoutMs),
        }),
      ),
    {
      timeout: knobs.attemptTimeoutMs,
      errorThresholdPercentage: 50,
      volumeThreshold: knobs.breakerFailures,
      resetTimeout: knobs.breakerOpenMs,
    },
  );
  return {
    call(c, signal) {
      return pRetry(
        async () => {
          try {
            return await breaker.fire(c);
          } catch (e) {
            if (e.status >= 400 && e.status < 500 && e.status !== 408 && e.status !== 429) throw new AbortError(e);
            throw e;
          }
        },
        { retries: knobs.maxRetries, minTimeout: knobs.baseDelayMs, maxTimeout: knobs.maxDelayMs, randomize: true, signal },
      );
    },
    close: () => breaker.shutdown(),
  };
}
