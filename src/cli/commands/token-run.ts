/** The work of `rcc token` (see token.ts). */
import { buildTokenManager, resolveConnection, toCliError, tokenWithin } from "../connect.js";
import { EXIT } from "../exit-codes.js";
import { jsonLine, safeText } from "../terminal-text.js";
import type { ConnectionFlags } from "../connection-options.js";

/** Flags of `rcc token`. */
export interface TokenFlags extends ConnectionFlags {
  showToken?: boolean;
}

/** Obtains one token and prints whom it is for and when it expires (the token itself only with --show-token). */
export async function runToken(flags: TokenFlags): Promise<void> {
  // --show-token prints the token on purpose: stdout is then not redacted (stderr still is).
  const connection = await resolveConnection(flags, {
    needCredentials: true,
    tokenOnly: true,
    revealOnStdout: flags.showToken === true,
  });
  const { manager, dispose } = buildTokenManager(connection);
  try {
    const started = Date.now();
    const token = await tokenWithin(manager, connection); // bounded by --connect-timeout
    const expiresInSec = Math.round((token.expiresAtMs - started) / 1000);
    const result = {
      user: manager.user,
      authUrl: manager.authUrl,
      expiresInSec,
      expiresAt: new Date(token.expiresAtMs).toISOString(),
      ...(flags.showToken ? { accessToken: token.accessToken } : {}),
    };
    if (flags.json) {
      process.stdout.write(`${jsonLine(result)}\n`);
    } else {
      process.stdout.write(
        `token for ${result.user} from ${result.authUrl}: valid for ${expiresInSec} s (until ${result.expiresAt})\n`,
      );
      // Asked for, so shown whole; but a token is base64url, and anything a terminal would act on is not one.
      if (flags.showToken) process.stdout.write(`${safeText(token.accessToken, Number.POSITIVE_INFINITY)}\n`);
    }
    process.exitCode = EXIT.ok;
  } catch (error) {
    throw toCliError(error, connection.settings);
  } finally {
    await dispose();
  }
}
