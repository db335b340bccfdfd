/**
 * The posting commands through an on-site ADS: `--login-name` (a user-name Login instead of an RDP
 * token, docs/protocol.md §4A.5) and `--post-mode on-stream` (posts on an item stream, §4A.6) for `rcc post`,
 * `rcc contribute` and `rcc demo`, against the simulator's ADS profile and its RCC profile.
 */
import { describe, expect, it } from "vitest";
import type { RunningSimulator } from "../../src/simulator/index.js";
import { runCli, simEnv, simFlags, tempFiles, useSharedSimulator } from "../helpers/cli.js";

const ads = useSharedSimulator({ profile: "ads", accounts: [{ user: "jdoe", password: "unused-by-dacs" }] });
const rcc = useSharedSimulator();

type Message = Record<string, unknown>;

/** How many messages a simulator has recorded so far (a mark for {@link messagesSince}). */
function mark(sim: RunningSimulator): number {
  return sim.state.recordedMessages.toArray().length;
}

/** The messages a simulator received after `start` (tests of a file run one at a time, so they are ours). */
function messagesSince(sim: RunningSimulator, start: number): Message[] {
  return sim.state.recordedMessages
    .toArray()
    .slice(start)
    .map((entry) => entry.message as Message);
}

function adsUrlFlags(): string[] {
  return ads.sim.wsUrls.flatMap((url) => ["--url", url]);
}

describe("--login-name: a user-name Login instead of a token (§4A.5)", () => {
  it("rcc post logs in by user name, with no token and no password, and the post is acked", async () => {
    const before = mark(ads.sim);
    const result = await runCli([
      "post",
      ...adsUrlFlags(),
      "--login-name",
      "jdoe",
      "--ric",
      "TRCCTEST01",
      "--field",
      "BID=10.5",
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ack\s+TRCCTEST01 post \d+/);
    const login = messagesSince(ads.sim, before).find((message) => message.Domain === "Login");
    expect(login?.Key).toMatchObject({ Name: "jdoe" });
    expect(login?.Key).not.toHaveProperty("NameType");
    expect(ads.sim.state.contributions("TRCCTEST01").at(-1)).toMatchObject({ user: "jdoe", fields: { BID: 10.5 } });
  });

  it("takes the user name from RCC_LOGIN_NAME and ignores --user and RCC_PASSWORD then", async () => {
    const result = await runCli(
      ["post", ...adsUrlFlags(), "--user", "GE-A-00000001-1-0001", "--ric", "TRCCTEST02", "--field", "BID=2"],
      { env: { RCC_LOGIN_NAME: "jdoe", RCC_PASSWORD: "not-sent-anywhere" } },
    );
    expect(result.code).toBe(0);
    expect(ads.sim.state.contributions("TRCCTEST02").at(-1)).toMatchObject({ user: "jdoe", fields: { BID: 2 } });
    expect(ads.sim.state.counters.tokensIssued).toBe(0);
  });

  it("a user name the server does not know exits 3 with the server's refusal", async () => {
    const result = await runCli([
      "post",
      ...adsUrlFlags(),
      "--login-name",
      "mallory",
      "--ric",
      "TRCCTEST01",
      "--field",
      "BID=1",
    ]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^rcc: .*mallory, unknown to system.*know 'mallory'\?$/m);
  });

  it("RCC itself (the RCC profile) refuses a user-name Login: exit 3, not a hang", async () => {
    const urls = rcc.sim.wsUrls.flatMap((url) => ["--url", url]);
    const result = await runCli(["post", ...urls, "--login-name", "jdoe", "--ric", "TRCCTEST01", "--field", "BID=1"]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^rcc: login refused: .*RCC itself takes only RDP tokens/m);
  });

  it("rcc token takes --login-name (hidden from its help) but still needs the credentials of a token", async () => {
    const result = await runCli(["token", "--login-name", "jdoe"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("rcc: missing --user (or RCC_USER), --auth-url or --env ppe|prod (or RCC_AUTH_URL)\n");
    const help = await runCli(["token", "--help"]);
    expect(help.stdout).not.toContain("--login-name <user>");
  });

  it("a control character in the user name is refused before connecting (exit 1)", async () => {
    const result = await runCli(["post", ...adsUrlFlags(), "--ric", "TRCCTEST01", "--field", "BID=1"], {
      env: { RCC_LOGIN_NAME: "jdoe\u0007" },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--login-name must not contain control characters/);
  });
});

describe("--post-mode on-stream: posts on an item stream (§4A.6)", () => {
  it("rcc post opens a stream for the RIC and posts on its ID without a Key; the post is acked", async () => {
    const before = mark(rcc.sim);
    const result = await runCli(
      ["post", ...simFlags(rcc.sim), "--post-mode", "on-stream", "--ric", "TRCCTEST03", "--field", "BID=3.25"],
      { env: simEnv(rcc.sim) },
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const sent = messagesSince(rcc.sim, before);
    const request = sent.find((message) => (message.Key as Message | undefined)?.Name === "TRCCTEST03");
    const posted = sent.find((message) => message.Type === "Post");
    expect(request?.Type ?? "Request").toBe("Request");
    expect(posted?.ID).toBe(request?.ID);
    expect(posted).not.toHaveProperty("Key");
    expect(rcc.sim.state.contributions("TRCCTEST03").at(-1)?.fields).toEqual({ BID: 3.25 });
  });

  it("rcc contribute with a user name and on-stream posts: every row acked, one stream per RIC", async () => {
    const files = tempFiles();
    try {
      const csv = files.write("rows.csv", "RIC,BID\nTRCCTEST04,1\nTRCCTEST05,2\nTRCCTEST04,3\nTRCCTEST05,4\n");
      const before = mark(ads.sim);
      const result = await runCli([
        "contribute",
        csv,
        ...adsUrlFlags(),
        "--login-name",
        "jdoe",
        "--post-mode",
        "on-stream",
        "--json",
      ]);
      expect(result.code).toBe(0);
      const summary = JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "{}") as Record<string, unknown>;
      expect(summary).toMatchObject({ rows: 4, acked: 4, naked: 0, failed: 0 });
      const sent = messagesSince(ads.sim, before);
      const requests = sent.filter((message) => message.Type !== "Post" && message.Domain !== "Login" && message.Key);
      expect(requests.map((message) => (message.Key as Message).Name).sort()).toEqual(["TRCCTEST04", "TRCCTEST05"]);
      expect(sent.filter((message) => message.Type === "Post").every((message) => !("Key" in message))).toBe(true);
      expect(ads.sim.state.rics.get("TRCCTEST04")?.fields.BID).toBe(3);
      expect(ads.sim.state.rics.get("TRCCTEST05")?.fields.BID).toBe(4);
    } finally {
      files.remove();
    }
  });

  it("a RIC whose item stream the server refuses fails its post like a Nak (exit 2, the Status code)", async () => {
    const result = await runCli(
      ["post", ...simFlags(rcc.sim), "--post-mode", "on-stream", "--ric", "NOT.A.RIC", "--field", "BID=1", "--json"],
      { env: simEnv(rcc.sim) },
    );
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ ric: "NOT.A.RIC", outcome: "nak", nakCode: "NotFound" });
    expect(rcc.sim.state.contributions("NOT.A.RIC")).toEqual([]);
  });

  it("an unknown post mode is refused with the choices (flag exit 1, RCC_POST_MODE exit 1)", async () => {
    const flag = await runCli(["post", "--post-mode", "sideways", "--ric", "X", "--field", "BID=1"]);
    expect(flag.code).toBe(1);
    expect(flag.stderr).toMatch(/--post-mode.*sideways.*off-stream, on-stream/s);
    const env = await runCli(["post", ...adsUrlFlags(), "--login-name", "jdoe", "--ric", "X", "--field", "BID=1"], {
      env: { RCC_POST_MODE: "sideways" },
    });
    expect(env.code).toBe(1);
    expect(env.stderr).toMatch(/--post-mode must be one of off-stream, on-stream, got 'sideways'/);
  });
});

describe("rcc demo --login-name with no --url", () => {
  it("runs against the embedded simulator as an ADS, logs in by that user name and gets its Acks", async () => {
    const result = await runCli([
      "demo",
      "--login-name",
      "alice",
      "--post-mode",
      "on-stream",
      "--count",
      "2",
      "--interval",
      "0.05",
      "--json",
    ]);
    expect(result.code).toBe(0);
    const lines = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]?.message).toMatch(/embedded simulator as an on-site ADS \(user-name Login as alice\)/);
    expect(lines.filter((line) => line.event === "outcome").map((line) => line.outcome)).toEqual(["ack", "ack"]);
  });
});
