/**
 * The internal entry of rcc-contrib's own sibling parts: the `rcc` CLI (src/cli), and later the gateway. NOT a
 * public API: it is not in `package.json` `exports`, so a user of the package cannot import it, and what it
 * exports may change in any release. The CLI imports only from this file, the public entry (src/index.ts)
 * and the simulator's (src/simulator/index.ts), never a deeper path; `npm run lint:deps` checks it.
 *
 * It holds what a command (or the gateway) needs beyond the public API: the secret registry and the stream redaction that keep
 * passwords and tokens off the terminal, the token endpoint's HTTP pieces, TLS failure codes, and the field
 * table the commands check posts against before sending.
 */
export { processSecrets } from "./util/secret-registry.js";
export { redactWrites } from "./util/redacted-writes.js";
export { certificateFailureCode } from "./client/errors.js";
export { dispatcherFor } from "./client/contributor-auth.js";
export { safeUrl } from "./client/auth/token-http.js";
export { undici } from "./client/auth/undici-lazy.js";
export { checkKnownFields } from "./protocol/field-check.js";
export { checkPost } from "./client/posting/post-entry.js";
export { packageRoot } from "./util/package-root.js";
