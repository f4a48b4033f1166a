// Node's `import` (node16, nodenext): the default export is the API as one
// object, the same functions and classes as the named exports.
import steadfast, { createClient, ResilienceError } from "steadfast";

export const same: typeof createClient = steadfast.createClient;
export const client = steadfast.createClient({ fetch: globalThis.fetch });
export const isOurs = (e: unknown): boolean => e instanceof steadfast.ResilienceError && e instanceof ResilienceError;
export const ready: Promise<void> = steadfast.init();
