// Node's `import` (node16, nodenext): the default export is the API as one
// object, the same functions and classes as the named exports.
import steadfast, { createClient, ResilienceError } from "steadfast";

export const same: typeof createClient = steadfast.createClient;
export const client = steadfast.createClient({ fetch: globalThis.fetch });
export const isOurs = (e: unknown): boolean => e instanceof steadfast.ResilienceError && e instanceof ResilienceError;
export const ready: Promise<void> = steadfast.init();

// `steadfast/inline` (the module carried in the JS, for bundles): the same
// API, the same default export.
import inlined, { createClient as inlineCreateClient } from "steadfast/inline";

export const sameInline: typeof createClient = inlined.createClient;
export const inlineClient = inlineCreateClient({ fetch: globalThis.fetch });
export const inlineIsOurs = (e: unknown): boolean => e instanceof inlined.ResilienceError;
