/** `rcc token`: obtains a token and says whom it is for and when it expires; prints the token only with --show-token. */
import type { Command } from "commander";
import { EXIT } from "../exit-codes.js";
import {
  addConnectionOptions,
  buildTokenManager,
  type ConnectionFlags,
  resolveConnection,
  toCliError,
} from "../connect.js";

interface TokenFlags extends ConnectionFlags {
  showToken?: boolean;
}

/** Registers `rcc token`. */
export function registerToken(program: Command): void {
  addConnectionOptions(
    program
      .command("token")
      .description("check credentials: obtain an RDP token and show whom it is for and when it expires"),
  )
    .option("--show-token", "also print the access token (it is a secret: do not paste it anywhere)")
    .addHelpText(
      "after",
      `
Examples:
  RCC_PASSWORD_FILE=~/.rcc-pw rcc token --env ppe --user GE-A-01234567-8-9012
  rcc token --auth-url http://127.0.0.1:40001/auth/oauth2/v1/token --user GE-A-00000001-1-0001 --json`,
    )
    .action(async (flags: TokenFlags) => {
      const connection = await resolveConnection(flags, { needCredentials: true });
      const { manager, dispose } = buildTokenManager(connection);
      try {
        const started = Date.now();
        const token = await manager.getToken();
        const expiresInSec = Math.round((token.expiresAtMs - started) / 1000);
        const result = {
          user: manager.user,
          authUrl: manager.authUrl,
          expiresInSec,
          expiresAt: new Date(token.expiresAtMs).toISOString(),
          ...(flags.showToken ? { accessToken: token.accessToken } : {}),
        };
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(result)}\n`);
        } else {
          process.stdout.write(
            `token for ${result.user} from ${result.authUrl}: valid for ${expiresInSec} s (until ${result.expiresAt})\n`,
          );
          if (flags.showToken) process.stdout.write(`${token.accessToken}\n`);
        }
        process.exitCode = EXIT.ok;
      } catch (error) {
        throw toCliError(error);
      } finally {
        await dispose();
      }
    });
}
