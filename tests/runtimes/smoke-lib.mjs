// The smoke checks, shared by every runtime's entry (smoke.mjs for Node,
// Deno and Bun; smoke-workerd.mjs for workerd). Web APIs only: fetch,
// performance, URL. Never throws, so that one broken check does not hide the
// others: each check's result is what it answered, or { threw }.
//
// `steadfast` is the package's namespace as the entry imported it by name;
// `named` what its `import { createClient, ResilienceError }` gave; `init`
// loads the WebAssembly where the entry needs it (the web build).
export async function smoke(steadfast, { baseUrl, token, named, init = () => steadfast.init() }) {
  const { createClient, ResilienceError } = steadfast;
  const results = {};

  /** Runs one check; its result is what `fn` answers, or the error it threw. */
  async function check(name, fn) {
    try {
      results[name] = await fn();
    } catch (e) {
      results[name] = { threw: describe(e) };
    }
  }

  function describe(e) {
    if (e === null || typeof e !== "object") return { value: String(e) };
    return {
      name: e.name,
      constructor: e.constructor?.name ?? null,
      message: String(e.message),
      isResilienceError: e instanceof ResilienceError,
      category: e.category,
      kind: e.kind,
      reason: e.reason,
      status: e.status,
      retryAfterMs: e.retryAfterMs,
      attempts: e.attempts,
      stack: typeof e.stack === "string" ? e.stack.split("\n").slice(0, 6).join("\n") : null,
    };
  }

  // (a) The import, and whether this runtime got an entry that needs init().
  await check("import", async () => {
    let needsInit = false;
    try {
      createClient({}).close();
    } catch (e) {
      needsInit = /init\(\)/.test(String(e?.message));
      if (!needsInit) throw e;
    }
    if (needsInit) await init();
    return {
      exports: Object.keys(steadfast).sort(),
      createClient: typeof createClient,
      resilienceError: typeof ResilienceError,
      namedImportsSame: named.createClient === createClient && named.ResilienceError === ResilienceError,
      needsInit,
    };
  });

  // (b) 503 with Retry-After: 0, then 200: resolves on the second attempt.
  await check("retry", async () => {
    const client = createClient({
      baseUrl,
      retry: { maxRetries: 2, baseDelayMs: 10, maxDelayMs: 50, jitter: "none" },
      limiter: { perSecond: 1000, perDay: null },
    });
    try {
      const started = performance.now();
      const { status, data, attempts } = await client.get(`/flaky/${token}`);
      return { status, data, attempts, ms: Math.round(performance.now() - started) };
    } finally {
      client.close();
    }
  });

  // (c) Two 500s open the circuit; the third call is refused without a request.
  await check("breaker", async () => {
    const client = createClient({
      baseUrl,
      retry: { maxRetries: 0 },
      breaker: { failureThreshold: 2, openMs: 60000 },
      limiter: { perSecond: 1000, perDay: null },
    });
    try {
      const failures = [];
      for (let i = 0; i < 2; i++) {
        failures.push(await client.get(`/down/${token}`).then(() => null, describe));
      }
      const started = performance.now();
      const refused = await client.get(`/down/${token}`).then(() => null, describe);
      return { failures, refused, refusedMs: Math.round(performance.now() - started), circuit: client.health().circuit };
    } finally {
      client.close();
    }
  });

  // (d) Bad options: a RangeError and a TypeError, each naming the option.
  await check("options", async () => {
    const attempt = (options) => {
      try {
        createClient(options).close();
        return null;
      } catch (e) {
        return { ...describe(e), isRangeError: e instanceof RangeError, isTypeError: e instanceof TypeError };
      }
    };
    return {
      negative: attempt({ retry: { maxRetries: -1 } }),
      unknown: attempt({ retry: { maxRetires: 3 } }),
    };
  });
  return results;
}
