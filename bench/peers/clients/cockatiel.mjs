// cockatiel, as its README composes it: retry(handleAll) with an
// ExponentialBackoff, around circuitBreaker(handleAll) with a
// ConsecutiveBreaker, around timeout(TimeoutStrategy.Aggressive), over fetch;
// wrap(retry, breaker, timeout) as its `wrap` section shows. No limiter.
import {
  ConsecutiveBreaker,
  ExponentialBackoff,
  TimeoutStrategy,
  circuitBreaker,
  handleAll,
  retry,
  timeout,
  wrap,
} from "cockatiel";

import { bodyOf, headersOf, okJson } from "./common.mjs";

export const name = "cockatiel";
export const packages = ["cockatiel"];
export const notes = ["retries every failure the same way: ignores Retry-After and rate headers, resends unkeyed POSTs"];

export async function create({ baseUrl, knobs }) {
  const retryPolicy = retry(handleAll, {
    maxAttempts: knobs.maxRetries, // cockatiel counts retries after the first attempt
    backoff: new ExponentialBackoff({ initialDelay: knobs.baseDelayMs, maxDelay: knobs.maxDelayMs }),
  });
  const breakerPolicy = circuitBreaker(handleAll, {
    halfOpenAfter: knobs.breakerOpenMs,
    breaker: new ConsecutiveBreaker(knobs.breakerFailures),
  });
  const timeoutPolicy = timeout(knobs.attemptTimeoutMs, TimeoutStrategy.Aggressive);
  const policy = wrap(retryPolicy, breakerPolicy, timeoutPolicy);
  return {
    call(c, signal) {
      return policy.execute(
        async ({ signal: attempt }) =>
          okJson(await fetch(baseUrl + c.path, { method: c.method, headers: headersOf(c), body: bodyOf(c), signal: attempt })),
        signal,
      );
    },
    close() {},
  };
}
