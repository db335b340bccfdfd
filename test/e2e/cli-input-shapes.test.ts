/**
 * The input shapes of `rcc contribute` end to end against the simulator: a `.json` array (rows = element index),
 * pretty-printed JSON objects (rows = the line each starts on), a semicolon CSV (delimiter detected from the
 * header, or given with --delimiter), a config file whose relative passwordFile is found next to it whatever the
 * working directory, and `~` in file paths expanded to HOME.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli, simEnv, simFlags, tempFiles, useSharedSimulator } from "../helpers/cli.js";

const shared = useSharedSimulator();
const files = tempFiles();
afterAll(() => files.remove());

function contribute(file: string, ...args: string[]) {
  return runCli(["contribute", file, ...simFlags(shared.sim), "--no-progress", ...args], { env: simEnv(shared.sim) });
}

function lastFields(ric: string): Record<string, unknown> | undefined {
  return shared.sim.state.contributions(ric).at(-1)?.fields;
}

describe("rcc contribute input shapes", () => {
  it("reads a .json array, reporting a bad element by its 1-based index (exit 1) and sending the rest", async () => {
    const file = files.write(
      "prices.json",
      JSON.stringify(
        [
          { ric: "TRCCTEST01", fields: { BID: 101.5, DSPLY_NAME: "from an array" } },
          { ric: "TRCCTEST02", fields: { ASK: 102.25 } },
          { ric: "TRCCTEST03", fields: {} },
          { ric: "TRCCTEST04", fields: { BID: 104, ASK: null } },
        ],
        null,
        2,
      ),
    );
    const result = await contribute(file);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("rcc: row 3 (TRCCTEST03): 'fields' is empty");
    expect(result.stderr).not.toMatch(/row (1|2|4)\b/);
    expect(lastFields("TRCCTEST01")).toEqual({ BID: 101.5, DSPLY_NAME: "from an array" });
    expect(lastFields("TRCCTEST02")).toEqual({ ASK: 102.25 });
    expect(lastFields("TRCCTEST04")).toEqual({ BID: 104, ASK: null });
  });

  it("reads pretty-printed JSON objects from stdin, numbering rows by the line each object starts on", async () => {
    const objects = [
      { ric: "TRCCTEST05", fields: { BID: 5.5 } },
      { ric: "TRCCTEST06", fields: { BID: "abc" } },
      { ric: "TRCCTEST07", fields: { ASK: 7.75 } },
    ];
    const text = objects.map((object) => JSON.stringify(object, null, 2)).join("\n");
    // Each object takes 6 lines: they start on lines 1, 7 and 13.
    const result = await runCli(["contribute", "-", ...simFlags(shared.sim), "--no-progress"], {
      env: simEnv(shared.sim),
      input: text,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("rcc: row 7 (TRCCTEST06): BID must be a number, got 'abc'");
    expect(lastFields("TRCCTEST05")).toEqual({ BID: 5.5 });
    expect(lastFields("TRCCTEST07")).toEqual({ ASK: 7.75 });
    expect(shared.sim.state.contributions("TRCCTEST06")).toEqual([]);
  });

  it("reads objects run together on one line with --format json, where NDJSON would see one bad line", async () => {
    const text = '{"ric":"TRCCTEST12","fields":{"BID":12.5}}{"ric":"TRCCTEST13","fields":{"BID":13.5}}\n';
    const result = await runCli(["contribute", "-", ...simFlags(shared.sim), "--no-progress", "--format", "json"], {
      env: simEnv(shared.sim),
      input: text,
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(lastFields("TRCCTEST12")).toEqual({ BID: 12.5 });
    expect(lastFields("TRCCTEST13")).toEqual({ BID: 13.5 });
  });

  it("detects a semicolon CSV from its header line", async () => {
    const file = files.write("semicolon.csv", 'RIC;BID;DSPLY_NAME\nTRCCTEST08;8.5;"Hi; there"\n');
    const result = await contribute(file);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(lastFields("TRCCTEST08")).toEqual({ BID: 8.5, DSPLY_NAME: "Hi; there" });
  });

  it("reads a CSV with the delimiter given by --delimiter, and refuses a delimiter of two characters", async () => {
    const file = files.write("pipes.txt", "RIC|BID|ASK\nTRCCTEST09|9.5|9.75\n");
    const result = await contribute(file, "--delimiter", "|");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(lastFields("TRCCTEST09")).toEqual({ BID: 9.5, ASK: 9.75 });
    const bad = await contribute(file, "--delimiter", "||");
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('rcc: --delimiter must be one character (\\t or tab for a tab), got "||"');
  });
});

describe("file paths of the connection settings", () => {
  it("finds a config file's relative passwordFile next to the config file, not in the working directory", async () => {
    const folder = join(files.dir, "etc-rcc");
    mkdirSync(folder);
    files.write("etc-rcc/password.txt", `${shared.sim.accounts[0]!.password}\n`);
    const config = files.write(
      "etc-rcc/rcc.json",
      JSON.stringify({
        user: shared.sim.accounts[0]!.user,
        authUrl: shared.sim.authUrl,
        urls: shared.sim.wsUrls,
        passwordFile: "password.txt",
      }),
    );
    // runCli runs in the repository root, which has no password.txt: only the config's folder does.
    const result = await runCli(["post", "--config", config, "--ric", "TRCCTEST10", "--field", "BID=10.5"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(lastFields("TRCCTEST10")).toEqual({ BID: 10.5 });
  });

  it("expands ~/ to HOME in --password-file and in the input file's path", async () => {
    const home = join(files.dir, "home");
    mkdirSync(home);
    files.write("home/.rcc-pw", `${shared.sim.accounts[0]!.password}\n`);
    files.write("home/prices.csv", "RIC,BID\nTRCCTEST11,11.5\n");
    const flags = ["--auth-url", shared.sim.authUrl, "--url", shared.sim.wsUrls[0]!];
    const result = await runCli(
      ["contribute", "~/prices.csv", ...flags, "--user", shared.sim.accounts[0]!.user, "--password-file", "~/.rcc-pw"],
      { env: { HOME: home } },
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(lastFields("TRCCTEST11")).toEqual({ BID: 11.5 });
  });
});
