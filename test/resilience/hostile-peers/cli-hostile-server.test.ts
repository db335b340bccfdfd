/**
 * The CLI against a hostile RCC server (a `ws` server on 127.0.0.1:0, see helpers/hostile-rcc-server.ts): it
 * logs the CLI in (a user-name Login, so no token endpoint is involved) and then answers every post with a Nak or
 * a converter Error whose text holds terminal escape sequences, a forged outcome line, C1 controls, bidi
 * overrides, or 20 MB. What `rcc post` and `rcc contribute` print must hold none of those characters, must not
 * show the forged line as a line, and must stay small; `--json` and the report file keep the original text.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, runCli, stopAllCli, tempFiles } from "../../helpers/cli.js";
import { HostileRccServer, nak, type PostBehaviour, serverError } from "./helpers/hostile-rcc-server.js";

/** ESC, BEL and every other C0 control but LF, DEL, C1, bidi controls and line separators: none may reach a terminal. */
/* eslint-disable no-control-regex -- control characters are exactly what must not appear */
const TERMINAL_CONTROL =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
/* eslint-enable no-control-regex */
const FORGED_LINE = "ack   TRCCTEST01 post 1 (0.4 ms)";
const HOSTILE_TEXTS: Record<string, string> = {
  "an OSC title sequence": "Symbol unknown\x1b]0;pwned\x07",
  "a clear-screen sequence": "Symbol unknown\x1b[2J\x1b[H",
  "a forged outcome line": `Symbol unknown\r\n${FORGED_LINE}\r\nok`,
  "a C1 control sequence introducer": "Symbol unknown\u009b2J",
  "a bidi override": "Symbol unknown \u202e1 tsop 10TSETCCRT kca\u202c",
};
const HUGE_TEXT = `Symbol unknown ${"\x1b[2J".repeat(5 * 1024 * 1024)}`;

let server: HostileRccServer;
/** The text the next Naks and Errors carry, and whether posts get a Nak or a converter Error. */
const reply: { text: string; as: "nak" | "error"; nakCode: unknown } = {
  text: "",
  as: "nak",
  nakCode: "SymbolUnknown",
};
const files = tempFiles();

/** Answers a post as {@link reply} says (an Error echoes the post in `Debug.Message`, as RCC's converter does). */
const answerPost: PostBehaviour = (post, connection) => {
  connection.send(
    reply.as === "nak"
      ? [nak(post.postId, reply.nakCode, reply.text)]
      : [serverError(reply.text, JSON.stringify(post.message))],
  );
};

beforeAll(async () => {
  server = await HostileRccServer.start({ onPost: answerPost });
});
afterEach(async () => {
  server.onLogin = "refresh";
  server.onPost = answerPost;
  reply.nakCode = "SymbolUnknown";
  await stopAllCli();
});
afterAll(async () => {
  await server.close();
  files.remove();
});

function rcc(args: string[], input = ""): Promise<CliResult> {
  return runCli([...args, "--url", server.url, "--login-name", "hostile"], { input });
}

/** What a person would see: no terminal controls, no forged line, a bounded size. */
function expectHarmless(result: CliResult, maxBytes = 10_000): void {
  const output = result.stdout + result.stderr;
  expect(output).not.toMatch(TERMINAL_CONTROL);
  expect(output.split("\n").map((line) => line.trim())).not.toContain(FORGED_LINE);
  expect(Buffer.byteLength(output)).toBeLessThan(maxBytes);
  expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

describe("rcc against a server whose texts attack the terminal", () => {
  it.each(Object.entries(HOSTILE_TEXTS))(
    "rcc post shows a Nak text with %s escaped and quoted",
    async (_name, text) => {
      Object.assign(reply, { as: "nak", text });
      const result = await rcc(["post", "--ric", "TRCCTEST01", "--field", "BID=1"]);
      expect(result.code).toBe(2);
      expectHarmless(result);
      expect(result.stdout).toMatch(/^nak {3}TRCCTEST01 post \d+: SymbolUnknown "Symbol unknown.*"\n$/);
    },
  );

  it("rcc post shows a converter Error text escaped, one line", async () => {
    Object.assign(reply, { as: "error", text: `JSON Unexpected FID\x1b]0;pwned\x07\r\n${FORGED_LINE}` });
    const result = await rcc(["post", "--ric", "TRCCTEST01", "--field", "BID=1"]);
    expect(result.code).toBe(2);
    expectHarmless(result);
    expect(result.stdout).toMatch(/^error TRCCTEST01 post \d+: "/);
    expect(result.stdout.endsWith(`: "JSON Unexpected FID\\x1b]0;pwned\\x07\\r\\n${FORGED_LINE}"\n`)).toBe(true);
  });

  it("rcc post cuts a 20 MB Nak text to a short line, and --json keeps it whole", async () => {
    Object.assign(reply, { as: "nak", text: HUGE_TEXT });
    const shown = await rcc(["post", "--ric", "TRCCTEST01", "--field", "BID=1"]);
    expect(shown.code).toBe(2);
    expectHarmless(shown, 1_000);
    expect(shown.stdout).toMatch(/^nak {3}TRCCTEST01 post \d+: SymbolUnknown "Symbol unknown [\\x1b[2J]+…"\n$/);

    const json = await rcc(["post", "--ric", "TRCCTEST01", "--field", "BID=1", "--json"]);
    expect(json.code).toBe(2);
    expect(json.stdout).not.toMatch(TERMINAL_CONTROL);
    const outcome = JSON.parse(json.stdout) as { outcome: string; text: string };
    expect(outcome.outcome).toBe("nak");
    expect(outcome.text === HUGE_TEXT).toBe(true); // not toBe: a 20 MB diff on failure helps nobody
  });

  it("rcc post --json keeps every hostile text and Nak code as sent, escaped for the terminal", async () => {
    const text = Object.values(HOSTILE_TEXTS).join(" | ");
    Object.assign(reply, { as: "nak", text, nakCode: "Odd\x1b[2J\u009bCode" });
    const result = await rcc(["post", "--ric", "TRCCTEST01", "--field", "BID=1", "--json"]);
    expect(result.code).toBe(2);
    expect(result.stdout).not.toMatch(TERMINAL_CONTROL);
    expect(result.stdout.trim().split("\n")).toHaveLength(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ outcome: "nak", nakCode: "Odd\x1b[2J\u009bCode", text });
  });

  it("a Login refused with a hostile text ends with one escaped line and exit 3", async () => {
    server.onLogin = (_login, connection) =>
      connection.send([
        {
          Type: "Status",
          Domain: "Login",
          ID: 1,
          State: { Stream: "Closed", Data: "Suspect", Code: "NotEntitled", Text: `denied\x1b[2J\r\n${FORGED_LINE}` },
        },
      ]);
    const result = await rcc(["post", "--ric", "TRCCTEST01", "--field", "BID=1"]);
    expect(result.code).toBe(3);
    expectHarmless(result);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("denied\\x1b[2J\\r\\nack");
  });

  it("a token endpoint whose error description attacks the terminal gives one escaped, bounded line and exit 3", async () => {
    const description = `${HOSTILE_TEXTS["an OSC title sequence"]}\r\n${FORGED_LINE}${"\x1b[2J".repeat(100_000)}`;
    const endpoint = createServer((request, response) => {
      request.resume();
      response.writeHead(400, { "Content-Type": "application/json" });
      response.end(JSON.stringify({ error: "invalid_grant", error_description: description }));
    });
    await new Promise<void>((resolve) => endpoint.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = endpoint.address() as AddressInfo;
      const result = await runCli(["token", "--auth-url", `http://127.0.0.1:${port}/token`, "--user", "u"], {
        env: { RCC_PASSWORD: "p" },
        input: "",
      });
      expect(result.code).toBe(3);
      expectHarmless(result, 1_000);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toMatch(/^rcc: authentication failed: .*invalid_grant.*\\x1b\]0;pwned\\x07/);
    } finally {
      await new Promise<void>((resolve) => endpoint.close(() => resolve()));
    }
  });

  it("rcc contribute prints a bounded summary and keeps every text whole in its NDJSON report", async () => {
    const texts = [...Object.values(HOSTILE_TEXTS), HUGE_TEXT];
    let next = 0;
    server.onPost = (post, connection) => {
      connection.send([nak(post.postId, `Code\x1b[${next}m\n`, texts[next % texts.length])]);
      next += 1;
    };
    const report = `${files.dir}/report.ndjson`;
    const csv = `RIC,BID\n${texts.map((_, row) => `TRCCTEST0${row % 9},${row + 1}`).join("\n")}\n`;
    const result = await rcc(["contribute", "-", "--format", "csv", "--report", report, "--no-progress"], csv);
    expect(result.code).toBe(2);
    expectHarmless(result);
    expect(result.stdout).toMatch(
      new RegExp(`^${texts.length} rows: 0 acked, ${texts.length} naked \\(Code\\\\x1b\\[0m\\\\n 1, `),
    );

    const lines = readFileSync(report, "utf8")
      .split("\n")
      .filter((line) => line !== "");
    expect(lines).toHaveLength(texts.length);
    const records = lines.map((line) => JSON.parse(line) as { text: string; nakCode: string; outcome: string });
    expect(records.every((record) => record.outcome === "nak")).toBe(true);
    // Naks settle in post order, which is row order here: each record holds its text, trimmed as the client does.
    expect(records.map((record) => record.text)).toEqual(texts.map((text) => text.trim()));
    expect(lines.join("\n")).not.toMatch(TERMINAL_CONTROL);
  });
});
