/**
 * `rcc token`: obtains a token and says whom it is for and when it expires; prints the token only with
 * --show-token. The work is in token-run.ts, loaded only when run.
 */
import type { Command } from "commander";
import { addConnectionOptions } from "../connection-options.js";
import { EXIT_CODES_HELP } from "../exit-codes.js";
import type { TokenFlags } from "./token-run.js";

/** Registers `rcc token`. */
export function registerToken(program: Command): void {
  addConnectionOptions(
    program
      .command("token")
      .description("check credentials: obtain an RDP token and show whom it is for and when it expires"),
    // Hidden but accepted: --url, --login-name and the other WebSocket-only flags (see ConnectionOptionGroups).
    { webSocket: false },
  )
    .option("--show-token", "also print the access token (it is a secret: do not paste it anywhere)")
    .addHelpText(
      "after",
      `
Only the token request's flags are listed: rcc token opens no WebSocket. The WebSocket-only flags (--url,
--hostname, --port, --scheme, --app-id, --position, --service, --login-name, --trace) are accepted but not used,
so a command line or config shared with the other commands works here too.

Examples:
  RCC_PASSWORD_FILE=~/.rcc-pw rcc token --env ppe --user GE-A-01234567-8-9012
  rcc token --auth-url http://127.0.0.1:40001/auth/oauth2/v1/token --user GE-A-00000001-1-0001 --json

${EXIT_CODES_HELP}`,
    )
    .action(async (flags: TokenFlags) => {
      const { runToken } = await import("./token-run.js");
      await runToken(flags);
    });
}
