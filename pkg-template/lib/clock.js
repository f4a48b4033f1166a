// The default clock: the time the driver gives the core when no `clock`
// option is injected. Written in no module syntax: the build inlines it,
// before api.js, into both entries. (Its timers are the global
// `setTimeout` and `clearTimeout` of the moment, called as
// `globalThis.setTimeout` in api.js.)
//
// Everything is looked up on `globalThis` at each use, never kept from
// load: fake-timer libraries (node:test's `mock.timers`,
// @sinonjs/fake-timers, Jest's and Vitest's fake timers) replace
// `setTimeout`, `clearTimeout`, `Date` and (sinon, Jest, Vitest)
// `performance` after the package loaded, and put them back later.
//
// Which source a fake advances differs: sinon, Jest and Vitest move
// `performance.now` and `Date` together; node:test's `mock.timers` moves
// `Date` (setting it to 1970 first) but never `performance.now`; a fake of
// `setTimeout` alone moves neither. So the clock reads `performance.now()`
// and, while `Date.now` is not the platform's own (a fake: it is read only
// then, so that without fakes the clock is `performance.now()` as it
// always was, pays no second read, and a wall clock stepped by NTP or a
// wake from sleep moves nothing), `Date.now()` too, and moves on when
// either does, each on an offset that puts it on the clock's own line: a
// source whose function was replaced (a fake installed or removed) or that
// went back is re-anchored where the clock stands, so it neither jumps the
// clock nor stalls it. (Without `performance`, `Date.now()` is the clock.)
// And a timer that fired is itself evidence that its wait is over (see
// `fired`). Time never goes back.
function createDefaultClock() {
  // A source: the function last read, its last reading, its offset.
  const perf = { f: undefined, last: 0, off: 0 };
  const date = { f: undefined, last: 0, off: 0 };
  // The `Date.now` last seen, and whether it is a fake (not native code).
  let dateNow;
  let dateFake = false;
  // The latest time the sources showed, and the latest time answered (the
  // sources', or a fired timer's deadline when later).
  let shown = -Infinity;
  let at = -Infinity;

  // Reads `r` from `f`, source `s`: moves `shown` on when it continues the
  // source's line, else re-anchors the source where the clock stands (the
  // first reading of all starts the line). A reading that is not a finite
  // number is no reading.
  function step(s, f, r) {
    if (!Number.isFinite(r)) return;
    if (s.f === f && r >= s.last) {
      if (r + s.off > shown) shown = r + s.off;
    } else {
      if (at === -Infinity) at = shown = r;
      s.f = f;
      s.off = (shown > at ? shown : at) - r;
    }
    s.last = r;
  }

  /** The time now, in ms: never less than any time answered before. */
  function now() {
    const p = globalThis.performance;
    const pf = p?.now;
    const hasPerf = typeof pf === "function";
    if (hasPerf) step(perf, pf, pf.call(p));
    const D = globalThis.Date;
    const df = D?.now;
    if (df !== dateNow) {
      // Another `Date.now`: its next reading re-anchors (it may be one seen
      // before, from a fake installed again, at another time).
      dateNow = df;
      date.f = undefined;
      dateFake = typeof df === "function" && !/\[native code\]\s*\}$/.test(Function.prototype.toString.call(df));
    }
    if (dateFake || (!hasPerf && typeof df === "function")) step(date, df, df.call(D));
    if (shown > at) at = shown;
    return at > -Infinity ? at : 0;
  }

  /**
   * The sources' time at the last `now()` (no fired timer's deadline in
   * it): what a timer set then measures its wait from, for `fired`.
   */
  function base() {
    return shown;
  }

  /**
   * A timer set when the sources showed `from`, for `ms`, fired: its wait,
   * to `deadline` on the clock's line, is over. When the sources moved
   * less than half of `ms` meanwhile, they are not the timers' time (a
   * fake `setTimeout` ticked without a fake `performance` or `Date`): the
   * clock moves to `deadline`, so the core sees the wait end instead of
   * asking for it again. A real timer fires when the sources say, or a
   * little early (Node's may): that leaves the clock where the sources
   * are, and the core asks for the rest. Measured from the sources, not
   * the clock, so that such moves never add up.
   */
  function fired(from, ms, deadline) {
    now();
    if (shown - from < ms / 2 && deadline > at) at = deadline;
  }

  return { now, base, fired };
}
