// The public API: a thin driver over the WebAssembly core. Written in no
// module syntax: the build inlines it into the CommonJS entry
// (node/index.cjs) and the ES module entry (web/index.js), so both formats
// share one source.
//
// The driver decides nothing. It writes what the user passed as a "tape" of
// tagged bytes into the module's input area, calls one export, and does
// what the answer (records on the output tape) says: fetch, abort, arm the
// timer, resolve, reject, tell listeners. Which options are valid, what a
// response means, whether to retry, wait or give up, and what is a secret
// are the core's (see the wasm crate's `client.rs` for the records, and
// `tape.rs` for the format).
function createApi(exportsOf, ensureReady) {
  "use strict";

  // ----- the boundary: tapes in wasm memory ---------------------------------

  const enc = new TextEncoder();
  const dec = new TextDecoder();
  let memory;
  let header = 0; // the io header's address: [inPtr, inCap, outPtr, outLen]
  let u8;
  let dv;
  let base = 0; // the input area's address
  let cap = 0; // and its length
  let pos = 0; // bytes written in this tape
  let READ; // the header fields the core reads (a Set)
  let BODY; // the statuses whose bodies the core reads (a Set)
  let EVENTS; // event names, by their numbers in EVENT records

  // Views of memory, rebuilt when it grew: a grown memory detaches them,
  // and a detached view's length is 0 (cheaper to ask than `memory.buffer`).
  function views() {
    if (u8 === undefined || u8.byteLength === 0) {
      u8 = new Uint8Array(memory.buffer);
      dv = new DataView(memory.buffer);
    }
  }
  // The input area: it moves only when `grow` makes it larger.
  function area() {
    views();
    base = dv.getUint32(header, true);
    cap = dv.getUint32(header + 4, true);
  }

  // The module's exports (the wasm crate's abi.rs): functions of numbers;
  // an object in the module is a handle, passed first.
  let x;
  // Frees an object in the module when its wrapper is collected.
  let owned;
  function own(wrapper, kind, h) {
    if (owned) owned.register(wrapper, [x[kind + "_free"], h], wrapper);
  }
  // The object was freed another way (a client's `close()`): its wrapper's
  // collection must not free its handle again, which may name the next
  // object by then.
  function disown(wrapper) {
    if (owned) owned.unregister(wrapper);
  }

  let booted = false;
  function boot() {
    ensureReady();
    if (booted) return;
    x = exportsOf();
    if (typeof FinalizationRegistry === "function") {
      owned = new FinalizationRegistry(([free, h]) => free(h));
    }
    memory = x.memory;
    header = x.io();
    area();
    const [fields, ranges, events, maxItems, maxFields] = answer(x.tables())[0];
    MAX_ITEMS = maxItems;
    MAX_FIELDS = maxFields;
    READ = new Set(fields);
    BODY = new Set();
    for (const [from, to] of ranges) for (let s = from; s <= to; s++) BODY.add(s);
    EVENTS = events;
    booted = true;
  }

  function need(n) {
    if (pos + n > cap) {
      x.grow(pos + n);
      area();
    }
  }
  function begin() {
    views();
    pos = 0;
  }
  function tag(t) {
    need(1);
    u8[base + pos++] = t;
  }
  function u32(n) {
    need(4);
    dv.setUint32(base + pos, n, true);
    pos += 4;
  }
  function f64(n) {
    need(8);
    dv.setFloat64(base + pos, n, true);
    pos += 8;
  }
  // A string's length and UTF-8 bytes (no tag).
  function raw(s) {
    const n = s.length;
    need(4 + n * 3);
    let at = base + pos + 4;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      u8[at + i] = c;
    }
    let written = i;
    if (i < n) {
      written += enc.encodeInto(s.slice(i), u8.subarray(at + i, at + n * 3)).written;
    }
    dv.setUint32(base + pos, written, true);
    pos += 4 + written;
  }
  function str(s) {
    tag(5);
    raw(s);
  }

  // What a decoder may ask of an object that is not a plain one (a signal,
  // a clock that is a class instance): these members, when defined.
  const PROBE = ["aborted", "addEventListener", "removeEventListener", "now", "sleep", "wallNow"];
  let MAX_ITEMS; // most items of an array written (the tape reader's bound)
  let MAX_FIELDS; // most header fields read from a response (the core's bound)
  const MAX_DEPTH = 24;
  const toTag = Object.prototype.toString;

  function classOf(v) {
    const c = toTag.call(v).slice(8, -1);
    return c === "Object" ? "Instance" : c;
  }

  // Any value, as it is: references for functions and host objects (kept in
  // `refs`), data for the rest. A getter or proxy trap that throws writes
  // "unreadable".
  function value(v, refs, depth) {
    switch (typeof v) {
      case "undefined":
        return tag(0);
      case "boolean":
        return tag(v ? 3 : 2);
      case "number":
        tag(4);
        return f64(v);
      case "string":
        return str(v);
      case "function":
        tag(8);
        return u32(refs.push(v) - 1);
      case "object":
        break;
      default:
        if (v === UNREADABLE) return tag(9);
        tag(10);
        return raw(typeof v);
    }
    if (v === null) return tag(1);
    if (depth > MAX_DEPTH) return tag(9);
    const start = pos;
    try {
      if (Array.isArray(v)) {
        const len = v.length >>> 0;
        const n = Math.min(len, MAX_ITEMS);
        tag(7);
        u32(len);
        u32(n);
        for (let i = 0; i < n; i++) value(read(v, i), refs, depth + 1);
        return;
      }
      const proto = Object.getPrototypeOf(v);
      const plain = proto === Object.prototype || proto === null;
      tag(6);
      u32(refs.push(v) - 1);
      if (plain) {
        const keys = Object.keys(v);
        raw("Object");
        u32(keys.length);
        for (const k of keys) {
          raw(k);
          const m = read(v, k);
          // A client's `restore` crosses as JSON text, which the core reads.
          value(depth === 0 && k === "restore" ? jsonText(m) : m, refs, depth + 1);
        }
      } else {
        const c = classOf(v);
        raw(c);
        const at = pos;
        u32(0);
        let n = 0;
        for (const k of PROBE) {
          const m = read(v, k);
          if (m === undefined) continue;
          raw(k);
          value(m, refs, depth + 1);
          n++;
        }
        // A Headers' or a Map's fields cross as `entries`: an array of its
        // [name, value] pairs, written as any array is.
        if (c === "Headers" || c === "Map") {
          raw("entries");
          let fields;
          try {
            fields = Array.from(v);
          } catch {
            fields = UNREADABLE;
          }
          value(fields, refs, depth + 1);
          n++;
        }
        dv.setUint32(base + at, n, true);
      }
    } catch {
      pos = start;
      tag(9);
    }
  }
  const UNREADABLE = Symbol("unreadable");
  // An object's JSON text (a string, null or undefined as it is).
  function jsonText(v) {
    if (v === null || typeof v !== "object") return v;
    try {
      return JSON.stringify(v);
    } catch {
      return UNREADABLE;
    }
  }
  function read(v, k) {
    try {
      return v[k];
    } catch {
      return UNREADABLE;
    }
  }

  // A payload: only its reference (and class) crosses.
  function payload(v, refs) {
    if (v === undefined) return tag(0);
    if (v === null) return tag(1);
    tag(6);
    u32(refs.push(v) - 1);
    let c = typeof v;
    if (c === "object") {
      try {
        c = toTag.call(v).slice(8, -1);
      } catch {
        c = "unreadable";
      }
    }
    raw(c);
    u32(0);
  }
  // A value for `JSON.stringify`: the text crosses by reference.
  function json(v, refs) {
    let text;
    try {
      text = JSON.stringify(v);
    } catch {
      text = undefined;
    }
    tag(11);
    tag(typeof text === "string" ? 1 : 0);
    u32(refs.push(text) - 1);
  }
  // A call's `init`: its `json` and `body` are payloads.
  function init(v, refs) {
    if (v === null || typeof v !== "object") return value(v, refs, 0);
    let proto;
    try {
      if (Array.isArray(v)) return value(v, refs, 0);
      proto = Object.getPrototypeOf(v);
    } catch {
      return tag(9);
    }
    if (proto !== Object.prototype && proto !== null) return value(v, refs, 0);
    const start = pos;
    try {
      const keys = Object.keys(v);
      tag(6);
      u32(refs.push(v) - 1);
      raw("Object");
      u32(keys.length);
      for (const k of keys) {
        raw(k);
        const m = read(v, k);
        if (m === UNREADABLE) tag(9);
        else if (k === "json") m === undefined ? tag(0) : json(m, refs);
        else if (k === "body") payload(m, refs);
        else value(m, refs, 1);
      }
    } catch {
      pos = start;
      tag(9);
    }
  }
  // Calls `f(name, value)` for each of the first MAX_FIELDS header fields of a
  // Headers, a Map, an array of pairs or a plain object: string values,
  // names lower-cased. Throws when `h` cannot be read.
  function eachField(h, f) {
    let n = 0;
    const entries = Array.isArray(h) ? h : typeof h.entries === "function" ? h.entries() : Object.entries(h);
    for (const e of entries) {
      if (++n > MAX_FIELDS) return;
      const k = e[0];
      const v = e[1];
      if (typeof k === "string" && typeof v === "string") f(k.toLowerCase(), v);
    }
  }

  // A Headers iterates its fields sorted, every time: 200 fields cost about
  // 20 µs, where looking up the names the core reads costs 4 µs however many
  // fields there are, and iterating 5 fields 0.6 µs. `pairs` iterates unless
  // told the headers are likely many (the client's last response had more
  // than MANY fields).
  const MANY = 32;
  // What the last `pairs` saw besides the pairs: the response's record of
  // fields when it iterated them (undefined when it looked names up), and
  // how many fields it iterated.
  let seenRecord;
  let seenCount = 0;

  // Header fields the core reads, as [name, value] pairs (see `eachField`);
  // `null` for none, `false` when `h` is not headers or could not be read.
  // Also fills `seenRecord` and `seenCount`.
  function pairs(h, many) {
    const rec = {};
    seenRecord = rec;
    seenCount = 0;
    if (h === undefined || h === null) return null;
    if (typeof h !== "object") return false;
    const out = [];
    try {
      if (typeof Headers === "function" && h instanceof Headers) {
        if (many) {
          seenRecord = undefined;
          for (const k of READ) {
            const v = h.get(k);
            if (v !== null) out.push([k, v]);
          }
          return out;
        }
        // A Headers iterates its names lower-cased already (Fetch
        // standard), so they are taken as they come.
        let n = 0;
        for (const [k, v] of h) {
          if (++n > MAX_FIELDS) break;
          rec[k] = v;
          if (READ.has(k)) out.push([k, v]);
        }
        seenCount = n;
      } else {
        eachField(h, (k, v) => {
          rec[k] = v;
          if (READ.has(k)) out.push([k, v]);
        });
      }
    } catch {
      return false;
    }
    return out;
  }

  // A response's fields as a record (see `eachField`); none when they
  // cannot be read.
  function record(hs) {
    const out = {};
    try {
      if (hs !== null && typeof hs === "object") {
        eachField(hs, (k, v) => {
          out[k] = v;
        });
      }
    } catch {
      // Headers that cannot be read are none.
    }
    return out;
  }

  // Makes `name` a plain (data) property of `o`, in place of an accessor.
  function plainProperty(o, name, v) {
    Object.defineProperty(o, name, { value: v, writable: true, enumerable: true, configurable: true });
  }

  // A call's result: a plain object. Its `headers` record is the one read
  // with the response's fields; when they were looked up by name (many
  // fields), it is built from the response when first read, then kept as a
  // plain property.
  function result(status, rec, hs, data, attempts) {
    if (rec !== undefined) return { status, headers: rec, data, attempts };
    return {
      status,
      get headers() {
        const v = record(hs);
        plainProperty(this, "headers", v);
        return v;
      },
      set headers(v) {
        plainProperty(this, "headers", v);
      },
      data,
      attempts,
    };
  }

  // ----- the answer ---------------------------------------------------------

  function readStr(at, n) {
    if (n < 48) {
      let s = "";
      for (let i = 0; i < n; i++) {
        const c = u8[at + i];
        if (c >= 0x80) return dec.decode(u8.subarray(at, at + n));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return dec.decode(u8.subarray(at, at + n));
  }
  let rp = 0;
  function out() {
    const t = u8[rp++];
    switch (t) {
      case 0:
        return undefined;
      case 1:
        return null;
      case 2:
        return false;
      case 3:
        return true;
      case 4: {
        const n = dv.getFloat64(rp, true);
        rp += 8;
        return n;
      }
      case 5: {
        const n = dv.getUint32(rp, true);
        const s = readStr(rp + 4, n);
        rp += 4 + n;
        return s;
      }
      case 6: {
        const n = dv.getUint32(rp, true);
        rp += 4;
        const o = {};
        for (let i = 0; i < n; i++) {
          const k = dv.getUint32(rp, true);
          const key = readStr(rp + 4, k);
          rp += 4 + k;
          o[key] = out();
        }
        return o;
      }
      case 7: {
        const n = dv.getUint32(rp, true);
        rp += 4;
        const a = new Array(n);
        for (let i = 0; i < n; i++) a[i] = out();
        return a;
      }
      default:
        throw new Error("steadfast: internal error: a malformed answer");
    }
  }
  // The records an export answered with (`len` bytes).
  // Without `len`: as long as the header says (an export that answers an
  // object).
  function answer(len) {
    views();
    rp = dv.getUint32(header + 8, true);
    if (len === undefined) len = dv.getUint32(header + 12, true);
    const end = rp + len;
    const records = [];
    while (rp < end) records.push(out());
    return records;
  }

  // Words and numbers joined as JavaScript writes numbers.
  const words = (parts) => parts.join("");
  // A URL: a string, or its parts joined with numbers as JavaScript writes
  // them, the `+` of an exponent (`1e+21`) percent-encoded, as in a query
  // value it must be (else it reads as a space).
  const urlOf = (parts) =>
    typeof parts === "string" ? parts : parts.map((p) => (typeof p === "number" ? String(p).replace("+", "%2B") : p)).join("");
  // An ERROR record's error, thrown by the caller.
  function argumentError(r) {
    return new (r[1] ? TypeError : RangeError)(words(r[2]));
  }
  // `value` read as a number (a clock answering junk reads as NaN: the core
  // reads that as 0).
  const num = (v) => (typeof v === "number" ? v : NaN);
  // The time when no `clock` is injected (clock.js): `performance` and
  // `Date` looked up on `globalThis` at each use, as are `setTimeout` and
  // `clearTimeout` below, so fake timers installed after load drive it.
  const time = createDefaultClock();
  function clockNow(clock) {
    if (!clock) return time.now();
    try {
      return num(clock.now());
    } catch {
      return NaN;
    }
  }
  function seedWord() {
    return (Math.random() * 4294967296) >>> 0;
  }

  // ----- errors -------------------------------------------------------------

  // One brand for every copy of the package: `instanceof ResilienceError`
  // holds for an error thrown by another copy (two versions installed side
  // by side, or the CommonJS and ES module builds both loaded).
  const BRAND = Symbol.for("steadfast.ResilienceError");
  const FIELDS = {
    category: "unknown",
    kind: "unknown",
    reason: null,
    status: null,
    retryAfterMs: null,
    attempts: 0,
    isRetryable: false,
    method: null,
    endpoint: null,
    serverMessage: null,
    data: null,
  };

  class ResilienceError extends Error {
    constructor(message, fields) {
      if (message !== undefined && typeof message !== "string") {
        try {
          message = String(message);
        } catch {
          throw new TypeError("steadfast: `message` must be a string");
        }
      }
      // Read once, before anything is built: a getter that throws is a bad
      // argument, named as such.
      const values = {};
      let cause;
      try {
        const f = fields == null ? {} : Object(fields);
        for (const key of Object.keys(FIELDS)) values[key] = f[key];
        cause = f.cause;
      } catch {
        throw new TypeError("steadfast: `fields` must be a readable object");
      }
      super(message, cause !== undefined ? { cause } : undefined);
      for (const key of Object.keys(FIELDS)) {
        this[key] = values[key] !== undefined ? values[key] : FIELDS[key];
      }
    }

    static [Symbol.hasInstance](value) {
      if (this !== ResilienceError) {
        return Function.prototype[Symbol.hasInstance].call(this, value);
      }
      return typeof value === "object" && value !== null && value[BRAND] === true;
    }
  }
  Object.defineProperty(ResilienceError.prototype, "name", {
    value: "ResilienceError",
    writable: true,
    configurable: true,
  });
  Object.defineProperty(ResilienceError.prototype, BRAND, { value: true });

  // ----- the client ---------------------------------------------------------

  // Record opcodes (the wasm crate's client.rs).
  const SEND = 1, ABORT = 2, OK = 3, FAIL = 4, CANCEL = 5, EVENT = 6, STARTED = 7;
  const ERROR = 8, ABORTED = 9, CHECK = 10, TIMER = 11, BODY_REC = 12, VALUE = 13, ODD = 14, REFRESH = 15;
  // retry_decide's answer when an untimed decision needs the time.
  const NEEDS_TIME = -1;

  // What `URL` makes of `url`: its scheme and credentials, or "unreadable"
  // when it throws; the core judges them.
  function urlParts(url) {
    if (typeof URL !== "function") return undefined;
    try {
      const u = new URL(url);
      return { protocol: u.protocol, username: u.username, password: u.password };
    } catch {
      return UNREADABLE;
    }
  }

  // How a successful body is read: the codes STARTED gives for
  // `init.responseType` ("json" 0, "text" 1, "arrayBuffer" 2, "bytes" 3,
  // "blob" 4, "stream" 5).
  const READ_TEXT = 1;
  const READ_BYTES = 3;
  const READ_BLOB = 4;
  const READ_STREAM = 5;

  // A body's text as the user gets it: parsed JSON, else the text; `null`
  // for an empty body.
  function parse(text) {
    if (typeof text !== "string" || text === "") return null;
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }

  // The codes and names on a failed fetch's error and its causes (Node's
  // undici puts the socket's code on `cause`, or on each of `cause.errors`
  // when several addresses were tried), for the core to type.
  function failureFacts(error) {
    const codes = [];
    const names = [];
    try {
      collectFacts(error, codes, names);
    } catch {
      // A trap that throws ends the reading: what was read stands.
    }
    return [codes, names];
  }
  function collectFacts(error, codes, names) {
    const cause = read(error, "cause");
    for (const e of [error, cause]) {
      if (e === null || (typeof e !== "object" && typeof e !== "function")) continue;
      const c = read(e, "code");
      const n = read(e, "name");
      if (typeof c === "string") codes.push(c);
      if (typeof n === "string") names.push(n);
    }
    const errors = cause !== null && typeof cause === "object" ? read(cause, "errors") : undefined;
    if (Array.isArray(errors)) {
      for (let i = 0; i < Math.min(errors.length, 8); i++) {
        const e = read(errors, i);
        const c = e !== null && typeof e === "object" ? read(e, "code") : undefined;
        if (typeof c === "string") codes.push(c);
      }
    }
  }

  const inspect = Symbol.for("nodejs.util.inspect.custom");

  // How a call that did not succeed ends (a success ends with its result):
  // thrown as `reason`, or as a ResilienceError of the FAIL record's
  // `fields` and what the `call` kept.
  class Failed {
    constructor(reason, fields, call) {
      this.reason = reason;
      this.fields = fields;
      this.call = call;
    }
  }

  class Client {
    #d; // the client's handle in the module; 0 once closed (and freed there)
    #last; // once closed: [health, snapshot, stats] as they were when it closed
    #fetch;
    #fetchThis;
    #clock;
    #wallNow;
    #onAlert;
    #headers;
    // Whether a client header's value is a function (called before each
    // attempt), and `auth.refresh`.
    #dyn = false;
    #refresh;
    #calls = [];
    #listeners = new Map();
    // The callers' signals, each listened to once however many calls it
    // cancels (one AbortController shared by a batch of calls would
    // otherwise take a listener per call, and Node warns past ten): signal
    // → the calls it cancels, in the order they started.
    #watched = new Map();
    // The one timer: its deadline, handle, generation and injected clock's
    // sleep; the `setTimeout` that made the handle and the `clearTimeout`
    // installed with it; for the default clock's, the sources' time it was
    // set at and its delay (see clock.js's `fired`).
    #timer = { at: -1, handle: undefined, gen: 0, sleep: undefined, set: undefined, clear: undefined, from: 0, ms: 0 };
    #runs = 0;
    // Whether the last response had many header fields (see `pairs`).
    #many = false;
    #probe = 0;

    constructor(options) {
      boot();
      let clock;
      try {
        const c = options !== null && typeof options === "object" ? options.clock : undefined;
        if (c !== null && typeof c === "object" && typeof c.now === "function") clock = c;
      } catch {
        clock = undefined;
      }
      const now = clockNow(clock);
      let wall = Date.now();
      try {
        if (clock && typeof clock.wallNow === "function") wall = num(clock.wallNow());
      } catch {
        wall = NaN;
      }
      const host = { fetch: typeof globalThis.fetch === "function", URL: typeof URL === "function" };
      let facts;
      let refs;
      for (;;) {
        refs = [];
        begin();
        tag(7);
        u32(facts === undefined ? 2 : 3);
        u32(facts === undefined ? 2 : 3);
        value(options, refs, 0);
        value(host, refs, 0);
        if (facts !== undefined) value(facts, refs, 0);
        const d = x.client_open(pos, seedWord(), seedWord(), now, wall);
        const r = answer()[0];
        if (d !== 0) {
          this.#d = d;
          own(this, "client", d);
          this.#ready(r, refs);
          return;
        }
        if (r[0] === CHECK && facts === undefined) {
          facts = urlParts(r[1]);
          continue;
        }
        throw argumentError(r);
      }
    }

    #ready(r, refs) {
      const [fetchRef, clockRef, wallNow, alertRef, headers, refreshRef] = r;
      if (fetchRef >= 0) {
        this.#fetch = refs[fetchRef];
        this.#fetchThis = undefined;
      } else {
        this.#fetch = globalThis.fetch;
        this.#fetchThis = globalThis;
      }
      this.#clock = clockRef >= 0 ? refs[clockRef] : undefined;
      this.#wallNow = wallNow;
      this.#onAlert = alertRef >= 0 ? refs[alertRef] : undefined;
      // A function's value crosses as its reference.
      const h = {};
      for (const [n, v] of headers) {
        if (typeof v === "number") this.#dyn = true;
        h[n] = typeof v === "number" ? refs[v] : v;
      }
      this.#headers = h;
      this.#refresh = refreshRef >= 0 ? refs[refreshRef] : undefined;
    }

    #now() {
      return clockNow(this.#clock);
    }

    #wall() {
      if (!this.#wallNow) return Date.now();
      try {
        return num(this.#clock.wallNow());
      } catch {
        return NaN;
      }
    }

    request(method, path, init) {
      return this.#request(method, path, init, undefined, false);
    }

    get(path, init) {
      return this.#request("GET", path, init, undefined, false);
    }

    post(path, json, init) {
      return this.#request("POST", path, init, json, true);
    }

    put(path, json, init) {
      return this.#request("PUT", path, init, json, true);
    }

    patch(path, json, init) {
      return this.#request("PATCH", path, init, json, true);
    }

    delete(path, init) {
      return this.#request("DELETE", path, init, undefined, false);
    }

    // An async function, so that the error it throws after the call ended
    // carries the caller's frames in its stack.
    async #request(method, path, init_, body, withJson) {
      const end = await this.#start(method, path, init_, body, withJson);
      if (!(end instanceof Failed)) return end;
      if (end.reason !== undefined || end.fields === undefined) throw end.reason;
      const f = end.fields;
      const c = end.call;
      throw new ResilienceError(f.message, {
        category: f.category,
        kind: f.kind,
        reason: f.reason,
        status: f.status,
        retryAfterMs: f.retryAfterMs,
        attempts: f.attempts,
        isRetryable: f.isRetryable,
        method: f.method,
        endpoint: f.endpoint,
        serverMessage: f.serverMessage,
        data: c.data === undefined ? null : c.data,
        cause: c.cause,
      });
    }

    #start(method, path, init_, body, withJson) {
      return new Promise((resolve) => {
        let facts;
        for (;;) {
          const refs = [];
          begin();
          tag(7);
          const n = facts === undefined ? 4 : 5;
          u32(n);
          u32(n);
          value(method, refs, 0);
          value(path, refs, 0);
          init(init_, refs);
          if (withJson && body !== undefined) json(body, refs);
          else tag(0);
          if (facts !== undefined) value(facts, refs, 0);
          // A closed client's handle, 0, names none: the module answers
          // as for a closed client.
          const records = answer(x.client_start(this.#d, pos, this.#now()));
          const first = records[0];
          if (first[0] === CHECK && facts === undefined) {
            facts = urlParts(urlOf(first[1]));
            continue;
          }
          if (first[0] === ERROR) {
            resolve(new Failed(argumentError(first), undefined, undefined));
            return;
          }
          if (first[0] === ABORTED) {
            resolve(new Failed(refs[first[1]].reason, undefined, undefined));
            return;
          }
          if (first[0] === FAIL) {
            // Closed: the call ended at once, unsent.
            resolve(new Failed(undefined, first[2], {}));
            return;
          }
          this.#run(records, refs, resolve);
          return;
        }
      });
    }

    // Does what the records say.
    // A listener may call back (abort a call, start one): the TIMER of an
    // answer that a later one overtook is stale, and left out.
    #run(records, refs, resolve) {
      const run = ++this.#runs;
      for (const r of records) {
        switch (r[0]) {
          case STARTED:
            this.#started(r, refs, resolve);
            break;
          case SEND:
            this.#send(r[1], r[2]);
            break;
          case ABORT: {
            const c = this.#calls[r[1]];
            if (c !== undefined && c.attempt === r[2]) {
              c.attempt = 0;
              c.data = undefined;
              c.cause = undefined;
              const ctl = c.ctl;
              c.ctl = undefined;
              if (ctl !== undefined) ctl.abort();
            }
            break;
          }
          case BODY_REC: {
            const c = this.#calls[r[1]];
            if (c !== undefined) c.data = parse(r[2] === null ? c.text : r[2]);
            break;
          }
          case ODD: {
            const c = this.#calls[r[1]];
            if (c !== undefined) {
              c.data = undefined;
              c.cause = new TypeError("steadfast: fetch answered something that is not a Response");
            }
            break;
          }
          case OK: {
            const c = this.#settled(r[1]);
            if (c !== undefined) {
              c.resolve(result(r[2], c.rec, c.hs, c.data === undefined ? null : c.data, r[3]));
            }
            break;
          }
          case FAIL: {
            const c = this.#settled(r[1]);
            if (c !== undefined) c.resolve(new Failed(undefined, r[2], c));
            break;
          }
          case CANCEL: {
            const c = this.#settled(r[1]);
            if (c !== undefined) c.resolve(new Failed(c.signal.reason, undefined, undefined));
            break;
          }
          case EVENT:
            this.#emit(EVENTS[r[1]], r[2]);
            break;
          case TIMER:
            if (run === this.#runs) this.#arm(r[1], r[2]);
            break;
          case REFRESH:
            this.#refreshing(r[1]);
            break;
          default:
            break;
        }
      }
    }

    #started(r, refs, resolve) {
      const [, slot, method, url, headers, bodyRef, signalRef, read] = r;
      let h = this.#headers;
      if (headers !== null) {
        // A field with no value is the client's function.
        h = {};
        for (const [n, v] of headers) h[n] = v === null ? this.#headers[n] : v;
      }
      const c = {
        resolve,
        method,
        url: urlOf(url),
        fetchHeaders: h,
        body: bodyRef >= 0 ? refs[bodyRef] : undefined,
        signal: signalRef >= 0 ? refs[signalRef] : undefined,
        read,
        slot,
        ctl: undefined,
        attempt: 0,
        hs: undefined,
        rec: undefined,
        text: undefined,
        data: undefined,
        cause: undefined,
      };
      this.#calls[slot] = c;
      if (c.signal !== undefined) this.#watch(c);
    }

    // Has `c` cancelled when its signal aborts.
    #watch(c) {
      const signal = c.signal;
      let calls = this.#watched.get(signal);
      if (calls === undefined) {
        calls = new Set();
        const onAbort = () => {
          this.#unwatch(signal, calls, onAbort);
          for (const w of calls) {
            if (this.#calls[w.slot] === w) this.#run(answer(x.client_cancel(this.#d, w.slot, this.#now())), [], undefined);
          }
        };
        try {
          signal.addEventListener("abort", onAbort, { once: true });
        } catch {
          // A signal that cannot be listened to cannot cancel the call.
          return;
        }
        calls.onAbort = onAbort;
        this.#watched.set(signal, calls);
      }
      calls.add(c);
    }

    // Stops listening to `signal` (its last call ended, or it aborted).
    #unwatch(signal, calls, onAbort) {
      if (this.#watched.get(signal) === calls) this.#watched.delete(signal);
      try {
        signal.removeEventListener("abort", onAbort);
      } catch {
        // Nothing to unhook.
      }
    }

    #settled(slot) {
      const c = this.#calls[slot];
      if (c === undefined) return undefined;
      this.#calls[slot] = undefined;
      if (c.signal !== undefined) {
        const calls = this.#watched.get(c.signal);
        if (calls !== undefined && calls.delete(c) && calls.size === 0) this.#unwatch(c.signal, calls, calls.onAbort);
      }
      return c;
    }

    #send(slot, attempt) {
      const c = this.#calls[slot];
      if (c === undefined) return;
      const ctl = new AbortController();
      c.ctl = ctl;
      c.attempt = attempt;
      c.data = undefined;
      c.cause = undefined;
      c.hs = undefined;
      c.rec = undefined;
      // `signal` is made when `fetch` first reads it: an AbortSignal costs
      // about 5 µs in Node 20, which a fetch that never reads it (an
      // in-memory one, a test double) need not pay. Aborting makes it too,
      // so a fetch that reads it late finds it aborted. Spread (`{ ...init
      // }`) copies it as a value; setting it replaces it.
      const init = {
        method: c.method,
        headers: c.fetchHeaders,
        get signal() {
          return ctl.signal;
        },
        set signal(v) {
          plainProperty(this, "signal", v);
        },
      };
      if (c.body !== undefined) init.body = c.body;
      if (this.#dyn) this.#headed(slot, c, attempt, init);
      else this.#fetchNow(slot, c, attempt, init);
    }

    // Calls the header functions, tells the core what they gave (it may end
    // the call unsent), then sends with their values.
    async #headed(slot, c, attempt, init) {
      const h = c.fetchHeaders;
      const names = Object.keys(h).filter((n) => typeof h[n] === "function");
      const got = await Promise.allSettled(names.map((n) => settle(h[n])));
      if (this.#calls[slot] !== c || c.attempt !== attempt) return;
      const headers = { ...h };
      const values = names.map((n, i) => {
        const r = got[i];
        if (r.status === "rejected") c.cause = r.reason;
        return (headers[n] = r.status === "fulfilled" ? r.value : UNREADABLE);
      });
      begin();
      value(values, [], 0);
      this.#run(answer(x.client_headers(this.#d, slot, attempt, this.#now(), pos)), [], undefined);
      if (this.#calls[slot] !== c || c.attempt !== attempt) return;
      init.headers = headers;
      this.#fetchNow(slot, c, attempt, init);
    }

    #fetchNow(slot, c, attempt, init) {
      let p;
      try {
        p = Promise.resolve(this.#fetch.call(this.#fetchThis, c.url, init));
      } catch (e) {
        p = Promise.reject(e);
      }
      p.then(
        (response) => this.#answered(slot, c, attempt, response),
        (error) => this.#failed(slot, c, attempt, error),
      );
    }

    // Reads the response (its header fields once, its body on this side),
    // then tells the core.
    async #answered(slot, c, attempt, response) {
      const status = response !== null && typeof response === "object" ? read(response, "status") : undefined;
      if (typeof status !== "number") {
        if (this.#calls[slot] === c && c.attempt === attempt) {
          this.#run(answer(x.client_response(this.#d, slot, attempt, NaN, this.#now(), this.#wall(), 0)), [], undefined);
        }
        return;
      }
      let hs;
      try {
        hs = response.headers;
      } catch {
        // Headers that cannot be read are none.
      }
      // Every 64th response iterates anyway, so that a client whose
      // responses became small again finds out.
      this.#probe = (this.#probe + 1) & 63;
      const fields = pairs(hs, this.#many && this.#probe !== 0) || [];
      const rec = seenRecord;
      if (rec !== undefined) this.#many = seenCount > MANY;
      // An error's body is read as text, for the core; a success's as the
      // call's `responseType` says.
      const reads = BODY.has(status);
      const as = reads ? READ_TEXT : c.read;
      let text = "";
      let data;
      try {
        if (as <= READ_TEXT) {
          if (typeof response.text === "function") {
            const t = await response.text();
            if (typeof t === "string") text = t;
          }
          data = as === READ_TEXT ? text : parse(text);
        } else if (as === READ_STREAM) {
          data = read(response, "body") ?? null;
        } else {
          const how = as === READ_BLOB ? "blob" : "arrayBuffer";
          if (typeof response[how] !== "function") {
            throw new TypeError(`steadfast: init.responseType reads the body with ${how}(), which the response lacks`);
          }
          data = await response[how]();
          if (as === READ_BYTES) data = new Uint8Array(data);
        }
      } catch (e) {
        this.#failed(slot, c, attempt, e);
        return;
      }
      if (this.#calls[slot] !== c || c.attempt !== attempt) return;
      c.hs = hs;
      c.rec = rec;
      c.text = text;
      c.data = reads ? undefined : data;
      c.attempt = 0;
      c.ctl = undefined;
      begin();
      tag(7);
      u32(2);
      u32(2);
      tag(7);
      u32(fields.length);
      u32(fields.length);
      for (const [n, v] of fields) {
        tag(7);
        u32(2);
        u32(2);
        str(n);
        str(v);
      }
      if (reads) str(text);
      else tag(0);
      this.#run(answer(x.client_response(this.#d, slot, attempt, status, this.#now(), this.#wall(), pos)), [], undefined);
    }

    #failed(slot, c, attempt, error) {
      if (this.#calls[slot] !== c || c.attempt !== attempt) return;
      c.attempt = 0;
      c.ctl = undefined;
      c.data = undefined;
      c.hs = undefined;
      c.rec = undefined;
      c.cause = error;
      const [codes, names] = failureFacts(error);
      begin();
      const refs = [];
      value([codes, names], refs, 0);
      this.#run(answer(x.client_failure(this.#d, slot, attempt, this.#now(), pos)), [], undefined);
    }

    // One timer, at the core's next deadline. A `setTimeout` that fires no
    // later than needed is kept (firing early costs one look at the engine;
    // clearing and setting a timer on every call cost more than the rest of
    // its bookkeeping); an injected clock's sleep is always exact, so a fake
    // clock that moves to its next sleeper sees no stale ones. In Node the
    // timer keeps the process alive only while a call is pending. The
    // timer is the global `setTimeout` of the moment, so fake timers
    // installed after load drive the client; one made by another
    // `setTimeout` than today's (fakes installed or removed since, which
    // may never fire it) is not kept, and each handle is cleared by the
    // `clearTimeout` of its own kind.
    #arm(at, pending) {
      const t = this.#timer;
      const real = this.#clock === undefined;
      if (real && t.handle !== undefined && (at < 0 || t.at <= at) && t.set === globalThis.setTimeout) {
        keepAlive(t.handle, pending > 0);
        return;
      }
      if (!real && t.at === at && (at < 0 || t.sleep !== undefined)) return;
      this.#disarm();
      if (at < 0) return;
      const gen = ++t.gen;
      t.at = at;
      const delay = Math.min(Math.max(0, Math.ceil(at - this.#now())), 2147483647);
      if (real) {
        t.from = time.base();
        t.ms = delay;
        this.#set(gen, delay);
        keepAlive(t.handle, pending > 0);
        return;
      }
      const ctl = new AbortController();
      t.sleep = ctl;
      let slept;
      try {
        slept = Promise.resolve(this.#clock.sleep(delay, ctl.signal));
      } catch (e) {
        slept = Promise.reject(e);
      }
      slept.then(
        () => this.#fire(gen),
        () => {
          // The sleep is abandoned: a real timeout stands in, so calls end.
          if (t.gen === gen && !ctl.signal.aborted) {
            // Its signal tells the clock so (it may hold a timer of its own).
            ctl.abort();
            t.sleep = undefined;
            this.#set(gen, delay);
          }
        },
      );
    }

    // A timer from the `setTimeout` installed now, the `clearTimeout`
    // installed with it kept to clear it (a fake's clear ignores a real
    // handle, and the other way round).
    #set(gen, delay) {
      const t = this.#timer;
      t.set = globalThis.setTimeout;
      t.clear = globalThis.clearTimeout;
      t.handle = t.set.call(globalThis, () => this.#fire(gen), delay);
    }

    #disarm() {
      const t = this.#timer;
      t.gen++;
      t.at = -1;
      if (t.handle !== undefined) t.clear.call(globalThis, t.handle);
      t.handle = undefined;
      if (t.sleep !== undefined) t.sleep.abort();
      t.sleep = undefined;
    }

    #fire(gen) {
      const t = this.#timer;
      if (t.gen !== gen) return;
      // The default clock's wait is over (whatever fake moved the timer).
      if (this.#clock === undefined) time.fired(t.from, t.ms, t.at);
      t.handle = undefined;
      t.sleep = undefined;
      t.at = -1;
      this.#run(answer(x.client_fire(this.#d, this.#now())), [], undefined);
    }

    // Runs `auth.refresh` (the core asked: one at a time) and tells the
    // core how it ended, and what it resolved to (a token is a secret).
    #refreshing(generation) {
      settle(this.#refresh).then(
        (v) => this.#refreshed(generation, 1, v, undefined),
        (e) => this.#refreshed(generation, 0, undefined, e),
      );
    }

    // What `refresh()` rejected with is the `cause` of each call the core
    // fails for it (`auth_refresh_failed`): the caller's own error,
    // untouched, as a building block's `fn`'s is.
    #refreshed(generation, ok, v, error) {
      if (this.#d === 0) return;
      begin();
      value(v, [], 0);
      const records = answer(x.client_refreshed(this.#d, generation, ok, this.#now(), pos));
      if (!ok) {
        for (const r of records) {
          const c = r[0] === FAIL && r[2].kind === "auth_refresh_failed" ? this.#calls[r[1]] : undefined;
          if (c !== undefined) c.cause = error;
        }
      }
      this.#run(records, [], undefined);
    }

    #emit(name, payload) {
      if (name === "alert" && this.#onAlert !== undefined) {
        try {
          this.#onAlert(payload);
        } catch {
          // A listener that throws stops neither the others nor the client.
        }
      }
      const ls = this.#listeners.get(name);
      if (ls !== undefined) tell(ls, payload);
    }

    health() {
      if (this.#d === 0) return structuredClone(this.#last[0]);
      return answer(x.client_health(this.#d, this.#now()))[0][1];
    }

    snapshot() {
      if (this.#d === 0) return structuredClone(this.#last[1]);
      // The core's JSON text, as the plain object it describes.
      return JSON.parse(answer(x.client_snapshot(this.#d, this.#now(), this.#wall()))[0][1]);
    }

    stats() {
      if (this.#d === 0) return structuredClone(this.#last[2]);
      return answer(x.client_stats(this.#d, this.#now()))[0][1];
    }

    // Tells the core which events have listeners (bit i: EVENTS[i]): it
    // makes the per-call ones only for those.
    #listening() {
      let mask = 0;
      for (let i = 0; i < EVENTS.length; i++) {
        const ls = this.#listeners.get(EVENTS[i]);
        if (ls !== undefined && ls.size > 0) mask |= 1 << i;
      }
      if (this.#d !== 0) x.client_events(this.#d, mask);
    }

    on(event, listener) {
      begin();
      value([event, listener], [], 0);
      const r = answer(x.client_listen(pos))[0];
      if (r !== undefined) throw argumentError(r);
      const entry = (...args) => listener(...args);
      if (this.#d !== 0) {
        let ls = this.#listeners.get(event);
        if (ls === undefined) this.#listeners.set(event, (ls = new Set()));
        ls.add(entry);
        this.#listening();
      }
      return () => {
        const ls = this.#listeners.get(event);
        if (ls !== undefined && ls.delete(entry)) this.#listening();
      };
    }

    // Frees the client in the module at once (its handle is given back
    // there), then lets go of everything of the user's it held.
    close() {
      const d = this.#d;
      if (d === 0) return;
      // Closed from here: a listener told below that calls the client
      // finds it so.
      this.#d = 0;
      disown(this);
      const stats = answer(x.client_stats(d, this.#now()))[0][1];
      const records = answer(x.client_close(d, this.#now(), this.#wall()));
      const n = records.length;
      this.#last = [records[n - 2][1], JSON.parse(records[n - 1][1]), stats];
      this.#run(records, [], undefined);
      this.#listeners.clear();
      this.#disarm();
      for (const [signal, calls] of this.#watched) this.#unwatch(signal, calls, calls.onAbort);
      this.#calls = [];
      this.#fetch = this.#fetchThis = this.#clock = this.#onAlert = this.#headers = this.#refresh = undefined;
    }

    // `console.log(client)` and `JSON.stringify(client)` show its health.
    [inspect]() {
      return { health: this.health() };
    }

    toJSON() {
      return this.health();
    }
  }
  Object.defineProperty(Client.prototype, Symbol.toStringTag, { value: "SteadfastClient" });

  function keepAlive(handle, yes) {
    if (handle !== null && typeof handle === "object") {
      if (yes) {
        if (typeof handle.ref === "function") handle.ref();
      } else if (typeof handle.unref === "function") handle.unref();
    }
  }

  function createClient(options) {
    return new Client(options);
  }

  // ----- the building blocks ------------------------------------------------

  // A block's options as `[options]`; throws the core's ERROR.
  // Opens a building block in the module (`kind`: breaker, limiter, retry,
  // monitor) for `wrapper`: its handle, READY record and references.
  function openBlock(wrapper, kind, options, ...args) {
    boot();
    const refs = [];
    begin();
    value([options], refs, 0);
    const h = x[kind + "_open"](pos, ...args);
    const r = answer()[0];
    if (h === 0) throw argumentError(r);
    own(wrapper, kind, h);
    return { h, ready: r, refs };
  }

  // The facts of what a user's function resolved or threw, for the core's
  // one outcome rule: its `status` and header fields, its `response`'s, the
  // codes and names of an error. Nothing is written for a value with no
  // `status` that resolved.
  function outcome(ok, v) {
    const isObj = v !== null && (typeof v === "object" || typeof v === "function");
    const status = isObj ? read(v, "status") : undefined;
    if (ok && typeof status !== "number") return 0;
    const response = !ok && isObj ? read(v, "response") : undefined;
    const rs = response !== null && typeof response === "object" ? read(response, "status") : undefined;
    const [codes, names] = ok ? [[], []] : failureFacts(v);
    const h = (x, s) => (typeof s === "number" ? pairs(read(x, "headers")) || [] : []);
    const facts = [status, h(v, status), rs, h(response, rs), codes, names];
    begin();
    value(facts, [], 0);
    return pos;
  }

  // The building blocks' optional `signal`: undefined / null, or an
  // AbortSignal (read once, here: a getter that throws is a bad argument, not
  // a failure of the caller's function, and nothing runs before the check).
  function checkSignal(signal) {
    if (signal === undefined || signal === null) return undefined;
    let ok = false;
    try {
      ok =
        typeof signal === "object" &&
        typeof signal.aborted === "boolean" &&
        typeof signal.addEventListener === "function" &&
        typeof signal.removeEventListener === "function";
    } catch {
      ok = false;
    }
    if (!ok) throw new TypeError("steadfast: `signal` must be an AbortSignal");
    return signal;
  }

  // Settles with `promise`, or rejects with the signal's reason as soon as
  // it aborts.
  function raceAbort(promise, signal) {
    if (!signal) return promise;
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      promise.then(
        (v) => {
          signal.removeEventListener("abort", onAbort);
          resolve(v);
        },
        (e) => {
          signal.removeEventListener("abort", onAbort);
          reject(e);
        },
      );
    });
  }

  // `fn()` as a promise: a synchronous throw rejects it.
  function settle(fn) {
    return new Promise((resolve) => resolve(fn()));
  }

  // Calls `fn(signal)`; with a signal, settles as soon as it aborts. A
  // synchronous throw rejects like an asynchronous one.
  function callWith(fn, signal) {
    if (!signal) return fn(signal);
    return raceAbort(Promise.resolve().then(() => fn(signal)), signal);
  }

  // Tells each of the listeners `ls` (those of the moment: one may remove
  // itself or another) `payload`; one that throws stops neither the others
  // nor the client or block that tells them.
  function tell(ls, payload) {
    for (const l of [...ls]) {
      try {
        l(payload);
      } catch {
        // See above.
      }
    }
  }

  // A building block's listeners by event: `on(event, listener)` checks
  // both and answers the function that removes the listener; `changed`
  // (if given) hears whether any listener is left. `emit` tells each
  // listener; one that throws stops neither the others nor the block.
  class Listeners {
    #names;
    #changed;
    #by = new Map();

    constructor(names, changed) {
      this.#names = names;
      this.#changed = changed;
    }

    get any() {
      return this.#by.size > 0;
    }

    on(event, listener) {
      if (!this.#names.includes(event)) {
        const names = this.#names.map((n) => `"${n}"`).join(" or ");
        throw new TypeError(`steadfast: \`event\` must be ${names}`);
      }
      if (typeof listener !== "function") throw new TypeError("steadfast: `listener` must be a function");
      const entry = (e) => listener(e);
      let ls = this.#by.get(event);
      if (ls === undefined) this.#by.set(event, (ls = new Set()));
      ls.add(entry);
      if (this.#changed && this.#by.size === 1 && ls.size === 1) this.#changed(true);
      return () => {
        if (!ls.delete(entry)) return;
        if (ls.size === 0) this.#by.delete(event);
        if (this.#changed && this.#by.size === 0) this.#changed(false);
      };
    }

    emit(event, payload) {
      const ls = this.#by.get(event);
      if (ls !== undefined) tell(ls, payload);
    }
  }

  class CircuitBreaker {
    #h; // the object's handle in the module
    #clock;
    #refusal;
    #listeners = new Listeners(["stateChange"], (on) => x.breaker_listen(this.#h, on ? 1 : 0));

    // Tells the `stateChange` listeners what the core queued.
    #changes() {
      for (const c of answer(x.breaker_events(this.#h))[0]) this.#listeners.emit("stateChange", c);
    }

    // `stateChange`: `{ from, to, at }`, as the client's without `endpoint`.
    on(event, listener) {
      return this.#listeners.on(event, listener);
    }

    constructor(options) {
      const b = openBlock(this, "breaker", options);
      this.#h = b.h;
      this.#clock = b.ready[0] >= 0 ? b.refs[b.ready[0]] : undefined;
      this.#refusal = b.ready[1];
    }

    get state() {
      return answer(x.breaker_state(this.#h, clockNow(this.#clock)))[0];
    }

    isAvailable() {
      return x.breaker_is_available(this.#h, clockNow(this.#clock)) === 1;
    }

    async execute(fn, signal) {
      if (typeof fn !== "function") throw new TypeError("steadfast: `fn` must be a function");
      signal = checkSignal(signal);
      if (signal && signal.aborted) throw signal.reason;
      // Asked first without the time (a closed circuit's answer needs no
      // clock, and reading one costs more than the rest of the call); NaN:
      // the answer depends on it, ask again with it.
      let permit = x.breaker_acquire(this.#h, 0, NaN);
      if (permit !== permit) {
        permit = x.breaker_acquire(this.#h, 1, clockNow(this.#clock));
        // A timed ask may have moved an open circuit to half-open.
        if (this.#listeners.any) this.#changes();
      }
      if (permit < 0) {
        const r = this.#refusal;
        throw new ResilienceError(r.message, {
          category: r.category,
          kind: r.kind,
          retryAfterMs: permit === -1 ? null : -1 - permit,
          isRetryable: r.isRetryable,
        });
      }
      // How the call ended, as facts (resolved 0, threw 1, the caller's
      // signal aborted it 2): the core decides what the breaker counts.
      let value;
      try {
        value = await callWith(fn, signal);
      } catch (e) {
        const aborted = signal && signal.aborted && e === signal.reason;
        this.#settle(permit, aborted ? 2 : 1, aborted ? 0 : outcome(false, e));
        throw e;
      }
      this.#settle(permit, 0, outcome(true, value));
      return value;
    }

    // Reports the end, untimed first (false: the record needs the time).
    // 2: the circuit changed state and a listener waits.
    #settle(permit, end, len) {
      let r = x.breaker_settle(this.#h, permit, end, 0, NaN, NaN, len);
      if (r === 0) r = x.breaker_settle(this.#h, permit, end, 1, clockNow(this.#clock), len ? Date.now() : NaN, len);
      if (r === 2) this.#changes();
    }
  }

  // Sleeps `ms` on the injected clock (its `sleep(ms, signal)`) or a
  // timer (the global `setTimeout` of the moment; on the default clock, its
  // firing ends the wait on the clock too, see clock.js); rejects with the
  // signal's reason when it aborts.
  function pause(clock, ms, signal) {
    if (signal && signal.aborted) return Promise.reject(signal.reason);
    if (clock && typeof clock.sleep === "function") {
      return raceAbort(Promise.resolve(clock.sleep(ms, signal)), signal);
    }
    const deadline = clock ? 0 : time.now() + ms;
    const from = time.base();
    const clear = globalThis.clearTimeout;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        clear.call(globalThis, timer);
        reject(signal.reason);
      };
      const timer = globalThis.setTimeout(() => {
        if (signal) signal.removeEventListener("abort", onAbort);
        if (!clock) time.fired(from, ms, deadline);
        resolve();
      }, ms);
      if (signal) signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  class RateLimiter {
    #h; // the object's handle in the module
    #clock;

    constructor(options) {
      const b = openBlock(this, "limiter", options);
      this.#h = b.h;
      this.#clock = b.ready[0] >= 0 ? b.refs[b.ready[0]] : undefined;
    }

    // Resolves when a slot is the caller's; every wait is the core's answer.
    async acquire(signal) {
      signal = checkSignal(signal);
      if (signal && signal.aborted) throw signal.reason;
      let ticket = -1;
      for (;;) {
        const [next, waitMs, done, fail, category, message] = answer(
          x.limiter_step(this.#h, ticket, clockNow(this.#clock)),
        )[0];
        if (done) return;
        if (fail !== null) {
          throw new ResilienceError(message, {
            category,
            kind: fail,
            retryAfterMs: waitMs,
            isRetryable: true,
          });
        }
        ticket = next;
        try {
          await pause(this.#clock, waitMs, signal);
        } catch (e) {
          x.limiter_cancel(this.#h, ticket, clockNow(this.#clock));
          throw e;
        }
      }
    }

    updateFromHeaders(headers, status) {
      boot();
      begin();
      value([status, pairs(headers)], [], 0);
      const r = answer(x.limiter_update(this.#h, pos, clockNow(this.#clock), Date.now()))[0];
      if (r !== undefined) throw argumentError(r);
    }

    status() {
      return answer(x.limiter_status(this.#h, clockNow(this.#clock)))[0][1];
    }
  }

  class RetryPolicy {
    #h; // the object's handle in the module
    #clock;
    #listeners = new Listeners(["retry", "giveUp"]);

    // `retry`: `{ attempt, delayMs, category, status }` before each wait;
    // `giveUp`: `{ attempts, reason, category, status }` when the policy
    // stops on a failure. Both from the core's decision.
    on(event, listener) {
      return this.#listeners.on(event, listener);
    }

    constructor(options) {
      const now = (() => {
        try {
          const c = options !== null && typeof options === "object" ? options.clock : undefined;
          return c !== null && typeof c === "object" && typeof c.now === "function" ? clockNow(c) : time.now();
        } catch {
          return NaN;
        }
      })();
      const b = openBlock(this, "retry", options, seedWord(), seedWord(), now);
      this.#h = b.h;
      this.#clock = b.ready[0] >= 0 ? b.refs[b.ready[0]] : undefined;
      this.#timedStart = b.ready[1];
    }

    #timedStart;

    // Runs `fn(signal)` until it succeeds or the core says stop. The core
    // keeps a run from its first failure (`run`, -1 before); a call that
    // succeeds at once crosses into it once.
    async execute(fn, signal) {
      if (typeof fn !== "function") throw new TypeError("steadfast: `fn` must be a function");
      signal = checkSignal(signal);
      if (signal && signal.aborted) throw signal.reason;
      const h = this.#h;
      const started = this.#timedStart ? clockNow(this.#clock) : 0;
      let run = -1;
      // A run the core ended (a success, or given up) is finished there.
      let open = true;
      try {
        for (let attempts = 1; ; attempts++) {
          let ok = true;
          let value;
          try {
            value = await callWith(fn, signal);
          } catch (e) {
            if (signal && signal.aborted) throw signal.reason;
            ok = false;
            value = e;
          }
          const len = outcome(ok, value);
          let n = x.retry_decide(h, run, started, ok, 0, NaN, NaN, len);
          if (n === NEEDS_TIME) n = x.retry_decide(h, run, started, ok, 1, clockNow(this.#clock), Date.now(), len);
          if (n === 0) {
            open = false;
            return value;
          }
          const d = answer(n)[0];
          run = d.run;
          if (!d.retry) {
            open = false;
            if (this.#listeners.any) {
              this.#listeners.emit("giveUp", { attempts, reason: d.reason, category: d.category, status: d.status });
            }
            if (ok) return value;
            // What `fn` threw is the caller's: it travels as `cause`,
            // untouched, and nothing of it (its message may hold a token)
            // is copied into this error's message or fields.
            throw new ResilienceError(`gave up after ${attempts} attempt(s): ${d.reason}`, {
              category: d.category,
              kind: d.kind,
              reason: d.reason,
              status: d.status,
              retryAfterMs: d.retryAfterMs,
              attempts,
              isRetryable: d.isRetryable,
              cause: value,
            });
          }
          if (this.#listeners.any) {
            this.#listeners.emit("retry", { attempt: attempts, delayMs: d.delayMs, category: d.category, status: d.status });
          }
          await pause(this.#clock, d.delayMs, signal);
        }
      } finally {
        if (open) x.retry_finish(h, run);
      }
    }
  }

  class ErrorMonitor {
    #h; // the object's handle in the module
    #clock;
    #listeners = new Set();

    constructor(options) {
      const b = openBlock(this, "monitor", options);
      this.#h = b.h;
      this.#clock = b.ready[0] >= 0 ? b.refs[b.ready[0]] : undefined;
      if (b.ready[1] >= 0) this.onAlert(b.refs[b.ready[1]]);
    }

    #dispatch(records) {
      for (const [type, summary] of records) {
        for (const l of [...this.#listeners]) {
          try {
            l(summary, type);
          } catch {
            // A listener that throws stops neither the others nor the monitor.
          }
        }
      }
    }

    record(entry) {
      boot();
      begin();
      let e = entry;
      let list = false;
      try {
        list = Array.isArray(entry);
      } catch {
        e = UNREADABLE;
      }
      if (e !== UNREADABLE && entry !== null && typeof entry === "object" && !list) {
        e = {};
        for (const k of ["status", "category", "endpoint", "message"]) e[k] = read(entry, k);
      }
      value([e], [], 0);
      const records = answer(x.monitor_record(this.#h, pos, clockNow(this.#clock)));
      if (records.length > 0 && records[0][0] === ERROR) throw argumentError(records[0]);
      this.#dispatch(records);
    }

    summary() {
      const now = clockNow(this.#clock);
      const s = answer(x.monitor_summary(this.#h, now))[0][1];
      this.#dispatch(answer(x.monitor_events(this.#h, now)));
      return s;
    }

    onAlert(listener) {
      if (typeof listener !== "function") throw new TypeError("steadfast: `listener` must be a function");
      this.#listeners.add(listener);
      return () => {
        this.#listeners.delete(listener);
      };
    }
  }

  function classifyError(status, body, headers) {
    boot();
    let text;
    if (typeof body === "string") text = body;
    else if (body !== undefined && body !== null) {
      try {
        text = JSON.stringify(body);
      } catch {
        text = undefined;
      }
    }
    begin();
    value([status, typeof text === "string" ? text : undefined, pairs(headers)], [], 0);
    const r = answer(x.classify(pos, Date.now()))[0];
    if (r[0] === ERROR) throw argumentError(r);
    return r[1];
  }

  return { createClient, ResilienceError, CircuitBreaker, RateLimiter, RetryPolicy, ErrorMonitor, classifyError };
}
