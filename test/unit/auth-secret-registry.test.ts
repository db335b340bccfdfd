import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { RccError, AuthError } from "../../src/client/errors.js";
import { parseOAuthError } from "../../src/client/auth/token-http.js";
import { createLogger } from "../../src/util/logger.js";
import { redactWrites } from "../../src/util/redacted-writes.js";
import {
  MIN_SECRET_LENGTH,
  REDACTED,
  SecretRegistry,
  processSecrets,
  secretVariants,
} from "../../src/util/secret-registry.js";

const PASSWORD = 'pa ss+w&rd"é-unit-4f2a';

describe("secret registry", () => {
  it("masks a secret as is, percent-encoded, form-encoded and JSON-escaped, anywhere in a text", () => {
    const secrets = new SecretRegistry();
    secrets.add(PASSWORD, "credential");
    const forms = [
      PASSWORD,
      encodeURIComponent(PASSWORD),
      new URLSearchParams({ p: PASSWORD }).toString().slice(2),
      JSON.stringify(PASSWORD).slice(1, -1),
    ];
    expect(new Set(forms).size).toBe(4);
    for (const form of forms) {
      expect(secrets.redact(`before ${form} after`)).toBe(`before ${REDACTED} after`);
      expect(secrets.redact(`${form}${form}`)).toBe(`${REDACTED}${REDACTED}`);
    }
    expect(secrets.redact("nothing to see")).toBe("nothing to see");
  });

  it("lists the JSON form with the escapes the CLI's JSON writer adds for bidi and C1 characters", () => {
    const variants = secretVariants("abc\u202edef\u0085");
    expect(variants).toContain("abc\\u202edef\\u0085");
  });

  it("ignores secrets shorter than the minimum, so short words are not shredded", () => {
    const secrets = new SecretRegistry();
    secrets.add("abc");
    secrets.add(undefined);
    expect(MIN_SECRET_LENGTH).toBe(4);
    expect(secrets.size).toBe(0);
    expect(secrets.redact("abc abcd")).toBe("abc abcd");
  });

  it("masks the longer of two overlapping secrets whole", () => {
    const secrets = new SecretRegistry();
    secrets.add("token-1234");
    secrets.add("token-1234-and-more");
    expect(secrets.redact("x token-1234-and-more y token-1234 z")).toBe(`x ${REDACTED} y ${REDACTED} z`);
  });

  it("keeps the newest tokens within its bound and the credentials however many tokens rotate", () => {
    const secrets = new SecretRegistry({ maxTokens: 4 });
    secrets.add("the-password", "credential");
    for (let index = 0; index < 10; index++) secrets.add(`token-number-${index}`);
    expect(secrets.size).toBe(5);
    expect(secrets.redact("token-number-5")).toBe("token-number-5");
    expect(secrets.redact("token-number-6 token-number-9")).toBe(`${REDACTED} ${REDACTED}`);
    expect(secrets.redact("the-password")).toBe(REDACTED);
  });

  it("re-adding a known secret does not push the older ones out", () => {
    const secrets = new SecretRegistry({ maxTokens: 2 });
    secrets.add("first-token");
    secrets.add("second-token");
    secrets.add("second-token");
    expect(secrets.redact("first-token")).toBe(REDACTED);
  });

  it("a parent masks its children's secrets, a child only its own", () => {
    const parent = new SecretRegistry();
    const one = parent.child();
    const two = parent.child();
    one.add("secret-of-one");
    two.add("secret-of-two");
    expect(parent.redact("secret-of-one secret-of-two")).toBe(`${REDACTED} ${REDACTED}`);
    expect(one.redact("secret-of-one secret-of-two")).toBe(`${REDACTED} secret-of-two`);
    two.add("later-secret");
    expect(parent.holdsSecret("a later-secret")).toBe(true);
  });

  it("keeps many children's secrets apart: one's rotations never evict another's", () => {
    const parent = new SecretRegistry();
    const quiet = parent.child({ maxTokens: 2 });
    quiet.add("quiet-token");
    const busy = parent.child({ maxTokens: 2 });
    for (let index = 0; index < 50; index++) busy.add(`busy-token-${index}`);
    expect(parent.redact("quiet-token")).toBe(REDACTED);
  });
});

describe("redaction where secrets are printed", () => {
  it("every line of the library's logger is redacted, whatever key or message holds the secret", () => {
    const secrets = new SecretRegistry();
    secrets.add(PASSWORD, "credential");
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString("utf8"));
        callback();
      },
    });
    const log = createLogger({ level: "trace", destination: sink, secrets });
    log.warn({ note: `server said ${PASSWORD}`, nested: { deeper: [encodeURIComponent(PASSWORD)] } }, PASSWORD);
    log.child({ echo: PASSWORD }).debug("child line");
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).not.toContain("pa ss");
      expect(line).not.toContain("pa%20ss");
      expect(line).toContain(REDACTED);
      expect(() => JSON.parse(line) as unknown).not.toThrow();
    }
  });

  it("error messages built from a peer's text are redacted at construction, stack trace included", () => {
    const token = "unit-access-token-for-error-messages";
    const owner = processSecrets.child();
    owner.add(token);
    const error = new AuthError("RCC_AUTH_UNAVAILABLE", `token endpoint answered HTTP 503: echo ${token}`);
    expect(error.message).toBe(`token endpoint answered HTTP 503: echo ${REDACTED}`);
    expect(error.stack).not.toContain(token);
    expect(new RccError("RCC_X", encodeURIComponent(`a ${token}`)).message).not.toContain(token);
  });

  it("an OAuth error description is redacted before it is shortened, so no piece of a secret is left", () => {
    const secrets = new SecretRegistry();
    const token = `refresh-${"x".repeat(40)}-end`;
    secrets.add(token);
    const description = `${"padding ".repeat(23)}${token}`;
    const parsed = parseOAuthError({ error: "invalid_grant", error_description: description }, secrets);
    expect(parsed.description).toContain(REDACTED);
    expect(parsed.description).not.toContain("refresh-x");
  });

  it("redacted writes mask strings and bytes written to a stream and pass the rest untouched", () => {
    const secrets = new SecretRegistry();
    secrets.add("stream-secret-value", "credential");
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString("utf8"));
        callback();
      },
    });
    redactWrites(stream, secrets);
    redactWrites(stream, secrets); // idempotent: one wrapper
    stream.write("a stream-secret-value b\n");
    stream.write(Buffer.from("bytes stream-secret-value\n"));
    stream.write("plain\n", () => undefined);
    expect(chunks).toEqual([`a ${REDACTED} b\n`, `bytes ${REDACTED}\n`, "plain\n"]);
  });
});
