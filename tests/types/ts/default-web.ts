// The web build (bundler resolution): the default export is `init`.
import init, { createClient } from "steadfast";

export async function start(): Promise<ReturnType<typeof createClient>> {
  await init();
  return createClient({ fetch: globalThis.fetch });
}

// `steadfast/inline`'s web build: the same API, `init` the default export.
import initInline, { createClient as inlineCreateClient } from "steadfast/inline";

export async function startInline(): Promise<ReturnType<typeof createClient>> {
  await initInline();
  return inlineCreateClient({ fetch: globalThis.fetch });
}
