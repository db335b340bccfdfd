/**
 * `--trace`, `RCC_TRACE=1` and `--log-level trace` end to end, against the real simulator: every WebSocket frame
 * sent and received is printed on stderr after `SENT:` / `RECEIVED:`, pretty-printed as LSEG's tutorial prints
 * it, while stdout keeps only the results; the access tokens handed out (recorded by a pass-through in front of
 * the token endpoint) and the password never show, the Login's token reading `[redacted]`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CliResult,
  runCli,
  simEnv,
  spawnCli,
  type TokenRecorder,
  tokenRecorder,
  useSharedSimulator,
} from "../helpers/cli.js";

const shared = useSharedSimulator();
let recorder: TokenRecorder;

beforeAll(async () => {
  recorder = await tokenRecorder(shared.sim.authUrl);
});
afterAll(async () => {
  await recorder.close();
});

function connectionArgs(): string[] {
  const { sim } = shared;
  return ["--auth-url", recorder.url, "--url", sim.wsUrls[0]!, "--user", sim.accounts[0]!.user];
}

/** The traced frames of stderr: each `SENT:`/`RECEIVED:` label and the JSON that follows it, parsed. */
function tracedFrames(stderr: string): { direction: string; frame: unknown; text: string }[] {
  const frames: { direction: string; frame: unknown; text: string }[] = [];
  const pattern = /^(SENT|RECEIVED):\n((?:[[{][\s\S]*?\n)[\]}])$/gm;
  for (const match of stderr.matchAll(pattern)) {
    frames.push({ direction: match[1]!, frame: JSON.parse(match[2]!) as unknown, text: match[2]! });
  }
  return frames;
}

/** Neither a token handed out during the run nor the password appears anywhere in what the command printed. */
function expectNoSecrets(result: Pick<CliResult, "stdout" | "stderr">): void {
  const output = result.stdout + result.stderr;
  expect(recorder.tokens.size).toBeGreaterThan(0);
  for (const token of recorder.tokens) expect(output).not.toContain(token);
  expect(output).not.toContain(shared.sim.accounts[0]!.password);
}

function postArgs(...extra: string[]): string[] {
  return [
    "post",
    ...connectionArgs(),
    "--ric",
    "TRCCTEST01",
    "--field",
    "BID=451.55",
    "--field",
    "ASK=451.57",
    ...extra,
  ];
}

describe("frame tracing", () => {
  it("`rcc post --trace` prints the Login, its Refresh, the post and its Ack pretty-printed, tokens masked", async () => {
    recorder.tokens.clear();
    const result = await runCli(postArgs("--trace"), { env: simEnv(shared.sim) });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ack {3}TRCCTEST01 post 1 /);
    expect(result.stdout).not.toContain("SENT:");
    const frames = tracedFrames(result.stderr);
    const login = frames.find((entry) => entry.direction === "SENT" && entry.text.includes('"Domain": "Login"'));
    expect(login?.frame).toMatchObject({
      ID: 1,
      Domain: "Login",
      Key: { Elements: { AuthenticationToken: "[redacted]" } },
    });
    // Pretty-printed as the tutorial prints it: one member per line, two spaces per level.
    expect(login?.text).toMatch(/^\{\n {2}"ID": 1,\n {2}"Domain": "Login",\n/);
    const refresh = frames.find((entry) => entry.direction === "RECEIVED" && entry.text.includes('"Type": "Refresh"'));
    expect(refresh?.frame).toEqual([expect.objectContaining({ Type: "Refresh", Domain: "Login", ID: 1 })]);
    const posted = frames.find((entry) => entry.direction === "SENT" && entry.text.includes('"Type": "Post"'));
    expect(posted?.frame).toEqual([
      expect.objectContaining({
        Type: "Post",
        PostID: 1,
        Key: expect.objectContaining({ Name: "TRCCTEST01" }),
        Message: expect.objectContaining({ Fields: { BID: 451.55, ASK: 451.57 } }),
      }),
    ]);
    const ack = frames.find((entry) => entry.direction === "RECEIVED" && entry.text.includes('"Type": "Ack"'));
    expect(ack?.frame).toEqual([expect.objectContaining({ Type: "Ack", AckID: 1 })]);
    // The Login Close on the way out is traced too.
    expect(frames.at(-1)).toMatchObject({ direction: "SENT", frame: { ID: 1, Type: "Close", Domain: "Login" } });
    expectNoSecrets(result);
  });

  it("RCC_TRACE=1 turns it on as --trace does; without either nothing is traced", async () => {
    recorder.tokens.clear();
    const traced = await runCli(postArgs(), { env: { ...simEnv(shared.sim), RCC_TRACE: "1" } });
    expect(traced.code).toBe(0);
    expect(tracedFrames(traced.stderr).length).toBeGreaterThanOrEqual(5);
    expectNoSecrets(traced);
    const quiet = await runCli(postArgs(), { env: simEnv(shared.sim) });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe("");
  });

  it("`--log-level trace` prints the frames too, beside the log lines", async () => {
    recorder.tokens.clear();
    const result = await runCli(postArgs("--log-level", "trace", "--log-format", "json"), { env: simEnv(shared.sim) });
    expect(result.code).toBe(0);
    const frames = tracedFrames(result.stderr);
    expect(frames.some((entry) => entry.direction === "SENT" && entry.text.includes('"Type": "Post"'))).toBe(true);
    expect(result.stderr).toMatch(/^\{"level":\d+.*"msg":"logged in"/m);
    expectNoSecrets(result);
  });

  it("`rcc watch --trace` shows the item Request, the Refresh and Updates, and the Closes on Ctrl+C", async () => {
    recorder.tokens.clear();
    const watch = spawnCli(["watch", "TRCCTEST07", ...connectionArgs(), "--trace"], { env: simEnv(shared.sim) });
    await watch.waitFor(/^RECEIVED:\n\[\n {2}\{\n[^\]]*"Type": "Refresh",[^\]]*"Name": "TRCCTEST07"/m);
    const posted = await runCli(["post", ...connectionArgs(), "--ric", "TRCCTEST07", "--field", "BID=7.5"], {
      env: simEnv(shared.sim),
    });
    expect(posted.code).toBe(0);
    await watch.waitFor(/"Type": "Update"[\s\S]*"BID": 7.5/);
    watch.child.kill("SIGINT");
    const result = await watch.exited;
    expect(result.code).toBe(0);
    const frames = tracedFrames(result.stderr);
    const request = frames.find((entry) => entry.direction === "SENT" && entry.text.includes('"Name": "TRCCTEST07"'));
    expect(request?.frame).toMatchObject({ Key: { Name: "TRCCTEST07" } });
    expect(frames.some((entry) => entry.direction === "SENT" && entry.text.includes('"Type": "Close"'))).toBe(true);
    // stdout still holds only the NDJSON lines of the watch.
    for (const line of result.stdout.trim().split("\n")) expect(() => JSON.parse(line) as unknown).not.toThrow();
    expectNoSecrets(result);
  });
});
