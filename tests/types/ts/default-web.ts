// The web build (bundler resolution): the default export is `init`.
import init, { createClient } from "steadfast";

export async function start(): Promise<ReturnType<typeof createClient>> {
  await init();
  return createClient({ fetch: globalThis.fetch });
}
