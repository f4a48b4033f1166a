// A user's test file, run by Vitest: the package, imported by name, under
// Vitest's fake timers (`vi.useFakeTimers()`: `setTimeout`, `Date`,
// `performance` and the rest faked after the package loaded; and only
// `setTimeout`, `clearTimeout` and `Date`, as Vitest 2 faked by default),
// default clock, time moved with `vi.advanceTimersByTimeAsync`.
import { test, expect, vi, afterEach } from "vitest";
import { createClient, RetryPolicy, RateLimiter, ResilienceError } from "steadfast";

// The real `performance.now`, kept before any fake: wall time of a test.
const realNow = performance.now.bind(performance);

afterEach(() => vi.useRealTimers());

// An in-memory API: each call answers the next status of `statuses`.
function fakeApi(statuses) {
  const seen = [];
  const fetch = async (url) => {
    seen.push(url);
    const status = statuses[Math.min(seen.length, statuses.length) - 1];
    return status === 200 ? Response.json({ done: true }) : new Response('{"error":"busy"}', { status });
  };
  return { fetch, seen };
}

// Tracks a promise: `state` is "pending", "resolved" or "rejected".
function track(promise) {
  const t = { state: "pending", value: undefined };
  promise.then(
    (v) => Object.assign(t, { state: "resolved", value: v }),
    (e) => Object.assign(t, { state: "rejected", value: e }),
  );
  return t;
}

for (const [what, config] of [
  ["every timer API faked", undefined],
  ["setTimeout and Date faked", { toFake: ["setTimeout", "clearTimeout", "Date"] }],
]) {
  test(`vitest, ${what}: client.get retried past two 503s resolves on fake time`, async () => {
    vi.useFakeTimers(config);
    const wallStart = realNow();
    const api = fakeApi([503, 503, 200]);
    const client = createClient({ baseUrl: "http://api.test", fetch: api.fetch, retry: { baseDelayMs: 1000, jitter: "none" } });
    const delays = [];
    client.on("retry", (e) => delays.push(e.delayMs));
    const call = track(client.get("/items/1"));
    await vi.advanceTimersByTimeAsync(999);
    expect(call.state).toBe("pending");
    expect(api.seen).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2100);
    expect(call.state).toBe("resolved");
    expect(call.value.attempts).toBe(3);
    expect(call.value.data).toEqual({ done: true });
    expect(delays).toEqual([1000, 2000]);
    expect(realNow() - wallStart).toBeLessThan(2000);
    client.close();
  });
}

test("vitest: 50 ticks of 1 s complete a retried call with the default (jittered) backoff", async () => {
  vi.useFakeTimers();
  const client = createClient({ baseUrl: "http://api.test", fetch: fakeApi([503, 503, 200]).fetch });
  const call = track(client.get("/items/1"));
  for (let i = 0; i < 50 && call.state === "pending"; i++) await vi.advanceTimersByTimeAsync(1000);
  expect(call.state).toBe("resolved");
  expect(call.value.attempts).toBe(3);
  client.close();
});

test("vitest: a call that keeps failing gives up after its retries, on fake time", async () => {
  vi.useFakeTimers();
  const client = createClient({
    baseUrl: "http://api.test",
    fetch: fakeApi([503]).fetch,
    retry: { maxRetries: 2, baseDelayMs: 1000, jitter: "none" },
  });
  const call = track(client.get("/items/1"));
  await vi.advanceTimersByTimeAsync(10000);
  expect(call.state).toBe("rejected");
  expect(call.value).toBeInstanceOf(ResilienceError);
  expect(call.value.kind).toBe("gave_up");
  expect(call.value.attempts).toBe(3);
  client.close();
});

test("vitest: RetryPolicy.execute's backoff waits on fake time", async () => {
  vi.useFakeTimers();
  const policy = new RetryPolicy({ maxRetries: 3, baseDelayMs: 1000, jitter: "none" });
  let runs = 0;
  const run = track(
    policy.execute(async () => {
      if (++runs < 3) throw Object.assign(new Error("busy"), { status: 503 });
      return "ok";
    }),
  );
  await vi.advanceTimersByTimeAsync(999);
  expect(runs).toBe(1);
  await vi.advanceTimersByTimeAsync(2100);
  expect(run.state).toBe("resolved");
  expect(run.value).toBe("ok");
  expect(runs).toBe(3);
});

test("vitest: RateLimiter.acquire waits for its slot on fake time, and an abort ends the wait", async () => {
  vi.useFakeTimers();
  const limiter = new RateLimiter({ perSecond: 1, burst: 1, perDay: null });
  await limiter.acquire();
  const second = track(limiter.acquire());
  await vi.advanceTimersByTimeAsync(500);
  expect(second.state).toBe("pending");
  await vi.advanceTimersByTimeAsync(600);
  expect(second.state).toBe("resolved");
  const ctl = new AbortController();
  const third = limiter.acquire(ctl.signal);
  await vi.advanceTimersByTimeAsync(100);
  ctl.abort(new Error("stop"));
  await expect(third).rejects.toThrow("stop");
});
