/**
 * `rcc watch RIC…`: subscribes to RICs and shows their live values, as a table updated in place on a
 * terminal, or one NDJSON line per message otherwise, through dropped connections and token refreshes. The
 * work is in watch-run.ts, loaded only when run.
 */
import type { Command } from "commander";
import { addConnectionOptions } from "../connection-options.js";
import { DEFAULT_RECONNECT_FOR_MS } from "../stopping.js";
import { reconnectForOption } from "./shared.js";
import type { WatchFlags } from "./watch-run.js";

/** Registers `rcc watch`. */
export function registerWatch(program: Command): void {
  addConnectionOptions(
    program
      .command("watch")
      .description("subscribe to RICs and show their live values (a table on a terminal, NDJSON otherwise)")
      .argument("<ric...>", "the RICs to watch"),
  )
    .option(
      "--field <NAME>",
      "show only this field; repeat for several (sent as a View)",
      (v: string, p?: string[]) => [...(p ?? []), v],
    )
    .addOption(reconnectForOption())
    .addHelpText(
      "after",
      `
Output: on a terminal, a table updated in place (changed cells in inverse video, or marked * with NO_COLOR;
columns keep the widest value they have shown, so they do not jump);
otherwise (or with --json) one JSON line per Refresh, Update, Status or Error. Ctrl+C (or SIGTERM, SIGHUP)
closes the streams and the Login, then exits 0; a second one exits 130 at once.

Staying connected: a dropped connection, a "System busy" from the server or a dead link does not end the watch.
rcc reconnects after a random wait (at most 0.5 s at first, doubling up to 30 s), trying each --url in turn,
logs in again and requests every RIC whose stream is still open; a token refresh logs in again on the open
connection. Each step is said on stderr (on a terminal, on the status line under the table), e.g.
  rcc: connection lost: login ended: Closed/NoResources (System busy); reconnecting in 1.2 s (attempt 1)
  rcc: reconnected to ws://127.0.0.1:41232/WebSocket; re-requested 2 items
--connect-timeout bounds only the first connection; after it, a lost connection is retried for --reconnect-for
(default ${DEFAULT_RECONNECT_FOR_MS} ms = 5 min), then the watch exits 4 with the last failure, e.g.
  rcc: could not connect: gave up reconnecting after 300 s (41 attempts): … — check --url and the network

Examples:
  rcc watch TRCCTEST01 TRCCTEST02 --url ws://127.0.0.1:41232/WebSocket \\
    --auth-url http://127.0.0.1:41231/auth/oauth2/v1/token --user GE-A-00000001-1-0001 --password-file pw.txt
  rcc watch TRI.N --url ws://ads1:15000/WebSocket --login-name jdoe --service ELEKTRON_DD --field BID --field ASK --json

Exit codes:
  0    stopped with Ctrl+C (SIGINT), SIGTERM or SIGHUP, after a clean Close
  1    bad usage (e.g. no --url, no credentials)
  3    authentication failed or the Login was refused
  4    could not connect within --connect-timeout, or no connection for --reconnect-for
  130  a second Ctrl+C (or SIGTERM, SIGHUP) while closing: exits at once
  141  stdout or stderr closed by its reader, e.g. piped to head (silent; after a clean Close)`,
    )
    .action(async (rics: string[], flags: WatchFlags) => {
      const { runWatch } = await import("./watch-run.js");
      await runWatch(rics, flags);
    });
}
