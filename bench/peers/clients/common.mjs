// What every runner shares: the request a workload call makes (the same
// headers and body for every client), and the error a runner throws for an
// HTTP error answer. A runner module exports `name`, `packages` (the npm
// packages it uses, for the table's header), `notes` (what it cannot do, or
// how it is configured, in a line each), and `create({ baseUrl, knobs })`,
// which answers { call(c, signal) → parsed body, close() }: a call resolves
// on a 2xx answer and rejects on anything else.

/** The headers of workload call `c`: a POST carries its client reference, and its key if keyed. */
export function headersOf(c) {
  const h = { accept: "application/json" };
  if (c.method === "POST") {
    h["content-type"] = "application/json";
    h["x-client-ref"] = c.ref;
    if (c.key) h["idempotency-key"] = c.key;
  }
  return h;
}

/** The body of workload call `c`, as sent (JSON), or undefined for a GET. */
export const bodyOf = (c) => (c.method === "POST" ? JSON.stringify(c.body) : undefined);

/** An HTTP error answer, as the runners without a client of their own throw it. */
export class HttpError extends Error {
  constructor(res) {
    super(`HTTP ${res.status}`);
    this.name = "HttpError";
    this.status = res.status;
    this.headers = res.headers;
  }
}

/** fetch's answer as a runner takes it: the parsed body of a 2xx, else an HttpError (the body drained). */
export async function okJson(res) {
  if (!res.ok) {
    await res.arrayBuffer().catch(() => {});
    throw new HttpError(res);
  }
  return res.json();
}
