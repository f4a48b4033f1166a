// bottleneck + p-retry: bottleneck paced for Etsy's documented 10 requests
// per second as its README's "Reservoir Intervals" section writes it (a
// reservoir refreshed every second, with maxConcurrent and minTime "for
// safety"); p-retry around limiter.schedule (so each retry is paced too),
// with an AbortError for a 4xx other than 408 and 429. No breaker.
import Bottleneck from "bottleneck";
import pRetry, { AbortError } from "p-retry";

import { bodyOf, headersOf, okJson } from "./common.mjs";

export const name = "bottleneck + p-retry";
export const packages = ["bottleneck", "p-retry"];
export const notes = [
  "paces at the configured 10/s whatever x-limit-per-second says; no daily quota; ignores Retry-After; resends unkeyed POSTs",
];

export async function create({ baseUrl, knobs }) {
  const limiter = new Bottleneck({
    reservoir: knobs.perSecond,
    reservoirRefreshAmount: knobs.perSecond,
    reservoirRefreshInterval: 1000,
    maxConcurrent: knobs.perSecond,
    minTime: Math.floor(1000 / knobs.perSecond),
  });
  return {
    call(c, signal) {
      return pRetry(
        () =>
          limiter
            .schedule(async () =>
              okJson(
                await fetch(baseUrl + c.path, {
                  method: c.method,
                  headers: headersOf(c),
                  body: bodyOf(c),
                  signal: AbortSignal.any([signal, AbortSignal.timeout(knobs.attemptTimeoutMs)]),
                }),
              ),
            )
            .catch((e) => {
              if (e.status >= 400 && e.status < 500 && e.status !== 408 && e.status !== 429) throw new AbortError(e);
              throw e;
            }),
        { retries: knobs.maxRetries, minTimeout: knobs.baseDelayMs, maxTimeout: knobs.maxDelayMs, randomize: true, signal },
      );
    },
    close: () => limiter.stop({ dropWaitingJobs: true }).catch(() => {}),
  };
}
