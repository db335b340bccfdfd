/**
 * Frame tracing, the pure pieces: how `--trace` prints a frame (SENT: / RECEIVED:, pretty-printed, secrets
 * masked, terminal-safe), the link handing every text frame to the tracer (Logins masked, batched post frames,
 * Pongs, inbound frames) and surviving a tracer that throws, and how `--trace`, RCC_TRACE and `--log-level trace`
 * turn it on.
 */
import type { WebSocket } from "ws";
import { describe, expect, it } from "vitest";
import { Link, type LinkHandlers } from "../../src/client/connection/link.js";
import { RateGovernor } from "../../src/client/connection/rate-governor.js";
import { buildLoginRequest } from "../../src/protocol/messages.js";
import { ManualClock } from "../../src/util/clock.js";
import { silentLogger } from "../../src/util/logger.js";
import { processSecrets, SecretRegistry } from "../../src/util/secret-registry.js";
import { formatTracedFrame } from "../../src/cli/frame-trace.js";
import { CliError } from "../../src/cli/exit-codes.js";
import { parseTrace, resolveSettings } from "../../src/cli/settings.js";
import { MemorySocket } from "../helpers/memory-socket.js";

const TOKEN = "eyJ0eXAiOiJBVCJ9.trace-unit-access-token-0001";

describe("a traced frame as printed", () => {
  it("is SENT: then the frame pretty-printed with two-space indentation, as the tutorial prints it", () => {
    const text = JSON.stringify([{ Type: "Ack", ID: 1, AckID: 7 }]);
    expect(formatTracedFrame("received", text, new SecretRegistry())).toBe(
      'RECEIVED:\n[\n  {\n    "Type": "Ack",\n    "ID": 1,\n    "AckID": 7\n  }\n]\n',
    );
    expect(formatTracedFrame("sent", '{"Type":"Pong"}', new SecretRegistry())).toBe('SENT:\n{\n  "Type": "Pong"\n}\n');
  });

  it("masks the access token of a Login and every member named like a secret, wherever it sits", () => {
    const login = buildLoginRequest({ token: TOKEN, applicationId: "256", position: "127.0.0.1/host" });
    const shown = formatTracedFrame("sent", JSON.stringify(login), new SecretRegistry());
    expect(shown).not.toContain(TOKEN);
    expect(shown).toContain('"AuthenticationToken": "[redacted]"');
    const echoed = JSON.stringify([
      { Type: "Status", Key: { Elements: { Password: "hunter22", access_token: "abcd1234" } } },
    ]);
    const received = formatTracedFrame("received", echoed, new SecretRegistry());
    expect(received).not.toMatch(/hunter22|abcd1234/);
    expect(received).toContain('"Password": "[redacted]"');
  });

  it("masks a known secret of the process anywhere in the frame, e.g. quoted back in a Login refusal's text", () => {
    const secrets = new SecretRegistry();
    secrets.add("s3cret-password-of-the-run", "credential");
    const text = JSON.stringify([{ Type: "Status", State: { Text: "bad password s3cret-password-of-the-run" } }]);
    const shown = formatTracedFrame("received", text, secrets);
    expect(shown).not.toContain("s3cret-password-of-the-run");
    expect(shown).toContain("bad password [redacted]");
  });

  it("escapes every character a terminal could act on: C0, DEL, C1, bidi controls and line separators", () => {
    const hostile = "\x1b]0;pwned\x07\x1b[2J\r\nack TRCCTEST01 post 1\x7f\x9b\u202e\u2028";
    const shown = formatTracedFrame(
      "received",
      JSON.stringify([{ Type: "Status", Text: hostile }]),
      new SecretRegistry(),
    );
    // eslint-disable-next-line no-control-regex -- what must not be printed raw
    expect(shown).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e\u2028]/);
    expect(shown).toContain("\\u001b]0;pwned\\u0007\\u001b[2J\\r\\nack TRCCTEST01 post 1\\u007f\\u009b\\u202e\\u2028");
    // The only line breaks are the indentation's.
    expect(shown.split("\n")).toEqual([
      "RECEIVED:",
      "[",
      "  {",
      expect.any(String),
      expect.any(String),
      "  }",
      "]",
      "",
    ]);
  });

  it("shows a frame that is not JSON escaped and bounded, saying so", () => {
    const shown = formatTracedFrame("received", `not json \x1b[31m${"x".repeat(5000)}`, new SecretRegistry());
    expect(shown.startsWith("RECEIVED:\n(not JSON) not json \\x1b[31m")).toBe(true);
    expect(shown).not.toContain("\x1b");
    expect(shown.length).toBeLessThan(2100);
  });
});

const HANDLERS: LinkHandlers = {
  onLogin: () => undefined,
  onItem: () => undefined,
  onAck: () => undefined,
  onServerError: () => undefined,
  onClosed: () => undefined,
  onWritable: () => undefined,
};

function linkWith(traceFrames?: (direction: "sent" | "received", text: string) => void) {
  const socket = new MemorySocket();
  const link = new Link(socket as unknown as WebSocket, {
    clock: new ManualClock(0),
    log: silentLogger,
    governor: new RateGovernor({ maxMessagesPerSecond: 1000, paceBurstMs: 0, ackClocked: true }),
    pingIntervalMs: 20_000,
    missedPings: 3,
    handlers: HANDLERS,
    ...(traceFrames === undefined ? {} : { traceFrames }),
  });
  return { socket, link };
}

describe("the link's frame tracer", () => {
  it("sees every text frame both ways: the Login (its token masked), a batched post frame, Pings and the Pong", () => {
    const traced: [string, string][] = [];
    const { socket, link } = linkWith((direction, text) => traced.push([direction, text]));
    link.sendControl(buildLoginRequest({ token: TOKEN, applicationId: "256", position: "127.0.0.1/host" }));
    const batch = `[${[1, 2, 3].map((id) => JSON.stringify({ Type: "Post", ID: 1, PostID: id })).join(",")}]`;
    link.sendPosts(batch, 3);
    socket.receive([{ Type: "Ping" }, { Type: "Ack", ID: 1, AckID: 1 }]);
    expect(traced.map(([direction]) => direction)).toEqual(["sent", "sent", "received", "sent"]);
    expect(socket.sent[0]).toContain(TOKEN); // the wire carries the token …
    expect(traced[0]![1]).not.toContain(TOKEN); // … the tracer never sees it
    expect(traced[0]![1]).toContain('"AuthenticationToken":"[redacted]"');
    expect(traced[1]![1]).toBe(batch);
    expect(traced[2]![1]).toBe('[{"Type":"Ping"},{"Type":"Ack","ID":1,"AckID":1}]');
    expect(traced[3]![1]).toBe('{"Type":"Pong"}');
    link.terminate();
  });

  it("masks the process's known secrets in traced frames", () => {
    processSecrets.add("link-trace-known-secret-0001", "credential");
    const traced: string[] = [];
    const { socket, link } = linkWith((_direction, text) => traced.push(text));
    socket.receive([{ Type: "Status", State: { Text: "echo link-trace-known-secret-0001" } }]);
    expect(traced[0]).toContain("echo [redacted]");
    link.terminate();
  });

  it("keeps working when the tracer throws", () => {
    const { socket, link } = linkWith(() => {
      throw new Error("tracer broken");
    });
    socket.receive([{ Type: "Ping" }]);
    expect(socket.sent).toEqual(['{"Type":"Pong"}']);
    expect(link.open).toBe(true);
    link.terminate();
  });
});

describe("turning tracing on", () => {
  it("reads RCC_TRACE and the config key as 1/0, true/false, yes/no, on/off", () => {
    for (const on of [true, "1", "true", "YES", " on "]) expect(parseTrace(on)).toBe(true);
    for (const off of [undefined, false, "0", "false", "no", "off"]) expect(parseTrace(off)).toBe(false);
    expect(() => parseTrace("maybe")).toThrow(CliError);
    expect(() => parseTrace(2)).toThrow(/RCC_TRACE \(or 'trace'\) must be 1 or 0/);
  });

  it("is on with --trace, with RCC_TRACE=1 and with --log-level trace; off by default and when a flag wins", async () => {
    expect((await resolveSettings({}, {})).trace).toBe(false);
    expect((await resolveSettings({ trace: true }, {})).trace).toBe(true);
    expect((await resolveSettings({}, { RCC_TRACE: "1" })).trace).toBe(true);
    expect((await resolveSettings({}, { RCC_TRACE: "0" })).trace).toBe(false);
    expect((await resolveSettings({ logLevel: "trace" }, {})).trace).toBe(true);
    expect((await resolveSettings({ logLevel: "debug" }, {})).trace).toBe(false);
  });
});
