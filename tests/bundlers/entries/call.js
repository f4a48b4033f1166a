// What every bundle does once built: one call that the server fails with a
// 503 and the client retries, the answer as plain data (the runner asserts
// it: status 200, the body, 2 attempts). `createClient` throws unless the
// bundle's WebAssembly module loaded, so an answer proves it did.
export async function retriedCall(createClient, baseUrl, name) {
  const client = createClient({ baseUrl, retry: { maxRetries: 2, baseDelayMs: 10, maxDelayMs: 50, jitter: "none" } });
  try {
    const { status, data, attempts } = await client.get(`/flaky/${name}`);
    return { status, data, attempts };
  } finally {
    client.close();
  }
}

// In a page: the server's URL and the bundle's name from the query string;
// the outcome in `window.result` for the runner to read.
export function inPage(ready, createClient) {
  const q = new URL(location.href).searchParams;
  ready
    .then(() => retriedCall(createClient, q.get("api"), q.get("name")))
    .then(
      (value) => (window.result = { ok: true, value }),
      (e) => (window.result = { ok: false, error: String((e && e.stack) || e) }),
    );
}
