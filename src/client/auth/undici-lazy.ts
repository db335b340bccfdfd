/**
 * undici, loaded on first use. Only token requests through a proxy or with custom TLS need it (an Agent or
 * ProxyAgent as the dispatcher, and undici's own fetch to go with it); loading it costs ~140 ms of start-up,
 * which every `rcc` command and every library user without a proxy would otherwise pay.
 */
import { createRequire } from "node:module";
import type * as Undici from "undici";

const require = createRequire(import.meta.url);
let loaded: typeof Undici | undefined;

/** The undici module (CommonJS, so it can be required synchronously from here). */
export function undici(): typeof Undici {
  loaded ??= require("undici") as typeof Undici;
  return loaded;
}
