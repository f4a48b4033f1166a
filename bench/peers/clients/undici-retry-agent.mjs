// undici's RetryAgent (the undici package; Node's own fetch is built on the
// undici it bundles, which does not expose RetryAgent): an Agent with the
// per-attempt timeout as headersTimeout/bodyTimeout, wrapped in a RetryAgent
// with the shared retry knobs, used as undici.fetch's dispatcher. Its
// defaults otherwise: it retries GET/HEAD/OPTIONS/PUT/DELETE/TRACE (not
// POST) on 429/500/502/503/504 and socket errors, and waits what
// Retry-After says (capped at maxTimeout). The attempt timeout's error code
// is added to errorCodes, so that a timed-out attempt is retried as with the
// others. No breaker, no limiter.
import { Agent, RetryAgent, fetch } from "undici";

import { bodyOf, headersOf, okJson } from "./common.mjs";

export const name = "undici RetryAgent";
export const packages = ["undici"];
export const notes = ["honours Retry-After; never retries a POST (its default methods), keyed or not; no breaker, no pacing"];

export async function create({ baseUrl, knobs }) {
  const agent = new Agent({ headersTimeout: knobs.attemptTimeoutMs, bodyTimeout: knobs.attemptTimeoutMs });
  const dispatcher = new RetryAgent(agent, {
    maxRetries: knobs.maxRetries,
    minTimeout: knobs.baseDelayMs,
    maxTimeout: knobs.maxDelayMs,
    timeoutFactor: 2,
    errorCodes: [
      "ECONNRESET",
      "ECONNREFUSED",
      "ENOTFOUND",
      "ENETDOWN",
      "ENETUNREACH",
      "EHOSTDOWN",
      "EHOSTUNREACH",
      "EPIPE",
      "UND_ERR_SOCKET",
      "UND_ERR_HEADERS_TIMEOUT",
    ],
  });
  return {
    async call(c, signal) {
      return okJson(
        await fetch(baseUrl + c.path, { method: c.method, headers: headersOf(c), body: bodyOf(c), signal, dispatcher }),
      );
    },
    close: () => dispatcher.close().catch(() => {}),
  };
}
