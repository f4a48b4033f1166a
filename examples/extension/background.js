// The extension's service worker: every call to the API goes through one
// steadfast client, whose state outlives the worker. Chrome stops an idle
// worker after about 30 s and starts a new one on the next event; the new
// one restores the client from the snapshot the old one left in
// chrome.storage.session, so an open circuit stays open and a spent daily
// quota stays spent.
//
// Messages (chrome.runtime.sendMessage from the popup or any extension page):
//   { cmd: "call", path, method? }  → { ok, status, data, attempts } or { ok: false, error }
//   { cmd: "health" }               → { ok, health, worker }
//   { cmd: "configure", config }    → { ok }   (baseUrl, headers, retry, breaker, limiter)
//   { cmd: "snapshot" }             → { ok, snapshot }
//   { cmd: "forget" }               → { ok }   (drops the saved state: a fresh client)
import { init, createClient } from "./vendor/steadfast/web/index.js";

// Who this worker is: a new instance after every restart.
const worker = { id: crypto.randomUUID(), startedAt: Date.now(), restored: false };

// Stable settings in chrome.storage.local (they survive a browser restart);
// the client's state in chrome.storage.session (it survives the worker's
// restarts, and is gone with the browser session).
const CONFIG_KEY = "config";
const STATE_KEY = "steadfastState";

const DEFAULTS = {
  baseUrl: "https://openapi.etsy.com/v3",
  headers: {},
  retry: { maxRetries: 3, baseDelayMs: 1000, maxDelayMs: 30000 },
  breaker: { failureThreshold: 5, successThreshold: 2, openMs: 60000 },
  limiter: { perSecond: 10, perDay: 10000, bufferRatio: 0.1 },
};

function optionsFrom(config = {}) {
  return {
    baseUrl: config.baseUrl ?? DEFAULTS.baseUrl,
    headers: { ...DEFAULTS.headers, ...config.headers },
    retry: { ...DEFAULTS.retry, ...config.retry },
    breaker: { ...DEFAULTS.breaker, ...config.breaker },
    limiter: { ...DEFAULTS.limiter, ...config.limiter },
  };
}

let client = null;

async function save() {
  if (client) await chrome.storage.session.set({ [STATE_KEY]: client.snapshot() });
}

function build(config, saved) {
  const next = createClient({ ...optionsFrom(config), restore: saved ?? null });
  // A circuit that opens or closes is saved at once, not only after the call.
  next.on("stateChange", () => {
    save().catch((e) => console.error("steadfast: saving state failed", e));
  });
  return next;
}

// No top-level await in a service worker: start loading now, and let every
// event handler wait for it. Listeners are registered synchronously below,
// so the event that woke the worker is not lost.
const ready = (async () => {
  await init(); // fetches ./vendor/steadfast/steadfast_wasm_bg.wasm
  const stored = await chrome.storage.local.get(CONFIG_KEY);
  const session = await chrome.storage.session.get(STATE_KEY);
  const saved = session[STATE_KEY];
  client = build(stored[CONFIG_KEY], saved);
  worker.restored = saved !== undefined;
})();

function describe(e) {
  return {
    name: e?.name ?? "Error",
    message: e?.message ?? String(e),
    kind: e?.kind ?? null,
    category: e?.category ?? null,
    status: e?.status ?? null,
    retryAfterMs: e?.retryAfterMs ?? null,
    attempts: e?.attempts ?? null,
  };
}

const handlers = {
  async call({ path, method = "GET" }) {
    try {
      const r = await client.request(method, path);
      return { ok: true, status: r.status, data: r.data, attempts: r.attempts };
    } catch (e) {
      return { ok: false, error: describe(e) };
    } finally {
      await save();
    }
  },

  async health() {
    // The client's instants are on this worker's clock (performance.now(),
    // zero when the worker started); `now` and `uptimeMs`, read together,
    // place them on the wall clock.
    return { ok: true, health: client.health(), worker: { ...worker, uptimeMs: performance.now(), now: Date.now() } };
  },

  async snapshot() {
    return { ok: true, snapshot: client.snapshot() };
  },

  async configure({ config }) {
    await chrome.storage.local.set({ [CONFIG_KEY]: config });
    const saved = client.snapshot();
    client.close();
    client = build(config, saved);
    await save();
    return { ok: true };
  },

  async forget() {
    const stored = await chrome.storage.local.get(CONFIG_KEY);
    await chrome.storage.session.remove(STATE_KEY);
    client.close();
    client = build(stored[CONFIG_KEY], null);
    return { ok: true };
  },
};

chrome.runtime.onMessage.addListener((message, _sender, sendResponse) => {
  const handler = handlers[message?.cmd];
  if (!handler) return false;
  ready
    .then(() => handler(message))
    .then(sendResponse, (e) => sendResponse({ ok: false, error: describe(e) }));
  return true; // the answer comes asynchronously
});
