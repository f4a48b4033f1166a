// Plain fetch (Node's global fetch): no retry, no breaker, no limiter; the
// per-attempt timeout as MDN recommends it, AbortSignal.timeout.
import { bodyOf, headersOf, okJson } from "./common.mjs";

export const name = "plain fetch";
export const packages = [];
export const notes = ["no retry, no breaker, no pacing: the baseline"];

export async function create({ baseUrl, knobs }) {
  return {
    async call(c, signal) {
      const res = await fetch(baseUrl + c.path, {
        method: c.method,
        headers: headersOf(c),
        body: bodyOf(c),
        signal: AbortSignal.any([signal, AbortSignal.timeout(knobs.attemptTimeoutMs)]),
      });
      return okJson(res);
    },
    close() {},
  };
}
