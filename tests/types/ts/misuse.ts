// Misuse the types must refuse: each line marked `// expect: TSnnnn` must
// draw exactly that error from tsc (tests/types/typescript.test.mjs), and no
// line else any error. Never run.
import { createClient, ResilienceError, ErrorMonitor, CircuitBreaker, RetryPolicy, type FetchInit, type AttemptEvent, type Stats } from "steadfast";

// A wrong option type.
createClient({ retry: { jitter: 3 } }); // expect: TS2322
// A snapshot of an older format (format 2) is not one to restore.
createClient({ restore: { format: 2, state: "sf2:00" } }); // expect: TS2322
createClient({ attemptTimeoutMs: "30s" }); // expect: TS2322
// An option that does not exist, in an object literal.
createClient({ timeout: 5000 }); // expect: TS2353
createClient({ retry: { attempts: 3 } }); // expect: TS2353
// A fetch that does not take what the client passes.
createClient({ fetch: async (url: URL) => new Response(url.href) }); // expect: TS2322
// A wrapper reading a field the client does not pass.
export const credentials = (init: FetchInit) => init.credentials; // expect: TS2339
// A body fetch does not send.
createClient().post("/x", undefined, { body: 42 }); // expect: TS2322
// No such body reading; data read as bytes is not a string.
createClient().get("/x", { responseType: "xml" }); // expect: TS2322
export const notText = async (): Promise<string> => (await createClient().get("/b", { responseType: "bytes" })).data; // expect: TS2322
// No such event; no such category.
createClient().on("exploded", () => {}); // expect: TS2345
new ErrorMonitor().record({ category: "broken" }); // expect: TS2322

export function kinds(e: unknown): boolean {
  if (!(e instanceof ResilienceError)) return false;
  // A kind that does not exist (`timeout` is a category).
  return e.kind === "timeout"; // expect: TS2367
}
// Per-call events and stats: a success has no category, a latency is no
// string, an unknown kind is not counted.
createClient().on("success", (e) => e.category); // expect: TS2339
export const latency = (e: AttemptEvent): string => e.latencyMs; // expect: TS2322
export const oddKind = (s: Stats) => s.calls.byKind.timeout; // expect: TS2339
createClient().on("attempts", () => {}); // expect: TS2345
// The blocks' events: a breaker tells no retry; a standalone breaker's
// change has no endpoint; a policy's giveUp has no delay.
new CircuitBreaker().on("retry", () => {}); // expect: TS2345
new CircuitBreaker().on("stateChange", (e) => e.endpoint); // expect: TS2339
new RetryPolicy().on("giveUp", (e) => e.delayMs); // expect: TS2339
// Tokens that expire: a header function returns a string; `auth` needs a
// `refresh`; a call's own headers take no function.
createClient({ headers: { authorization: () => 42 } }); // expect: TS2322
createClient({ auth: {} }); // expect: TS2741
createClient({ auth: { refresh() {}, timeout: 5 } }); // expect: TS2561
createClient().get("/x", { headers: { authorization: () => "Bearer x" } }); // expect: TS2322
