/**
 * `rcc watch RIC…`: subscribes to RICs and shows their live values, as a table updated in place on a
 * terminal, or one NDJSON line per message otherwise (issue 7). The work is in watch-run.ts, loaded only
 * when run.
 */
import type { Command } from "commander";
import { addConnectionOptions, type ConnectionFlags } from "../connection-options.js";

/** Flags of `rcc watch`. */
export interface WatchFlags extends ConnectionFlags {
  /** Fields to show (a View, §4A.1). */
  field?: string[];
}

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
    .addHelpText(
      "after",
      `
Output: on a terminal, a table updated in place (changed cells in inverse video, or marked * with NO_COLOR);
otherwise (or with --json) one JSON line per Refresh, Update, Status or Error. Ctrl+C closes the streams and
the Login, then exits 0.

Examples:
  rcc watch TRCCTEST01 TRCCTEST02 --url ws://127.0.0.1:41232/WebSocket \\
    --auth-url http://127.0.0.1:41231/auth/oauth2/v1/token --user GE-A-00000001-1-0001 --password-file pw.txt
  rcc watch TRI.N --url ws://ads1:15000/WebSocket --login-name jdoe --service ELEKTRON_DD --field BID --field ASK --json

Exit codes:
  0    stopped with Ctrl+C (SIGINT) or SIGTERM, after a clean Close
  1    bad usage (e.g. no --url, no credentials)
  3    authentication failed or the Login was refused
  4    could not connect, or the connection was lost
  141  stdout or stderr closed by its reader, e.g. piped to head (silent; after a clean Close)`,
    )
    .action(async (rics: string[], flags: WatchFlags) => {
      const { runWatch } = await import("./watch-run.js");
      await runWatch(rics, flags);
    });
}
