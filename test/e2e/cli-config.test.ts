/**
 * Configuration precedence through the real CLI: flags > environment (RCC_*) > config file
 * (--config FILE, JSON) > defaults, for credentials, endpoints and Login elements.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { closedPort, runCli, stopAllCli, tempFiles } from "../helpers/cli.js";

const PASSWORD = "shared-test-password";
let sim: RunningSimulator;
const files = tempFiles();

beforeAll(async () => {
  sim = await startSimulator({
    accounts: ["GE-A-FILE", "GE-A-ENV", "GE-A-FLAG"].map((user) => ({ user, password: PASSWORD })),
  });
});
afterEach(stopAllCli);
afterAll(async () => {
  await sim.close();
  files.remove();
});

function config(name: string, values: Record<string, unknown>): string {
  return files.write(name, JSON.stringify(values));
}

async function tokenUser(args: string[], env: Record<string, string> = {}): Promise<string> {
  const result = await runCli(["token", "--json", ...args], { env });
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return (JSON.parse(result.stdout) as { user: string }).user;
}

/** The last Login the simulator received (its token is redacted in the record). */
function lastLoginElements(): Record<string, unknown> {
  const login = sim.state.recordedMessages.toArray().findLast((entry) => {
    const message = entry.message as { Domain?: string; Type?: string };
    return message.Domain === "Login" && message.Type === undefined;
  });
  return (login?.message as { Key: { Elements: Record<string, unknown> } }).Key.Elements;
}

describe("configuration precedence", () => {
  it("takes --user over RCC_USER over the config file's user", async () => {
    const file = config("users.json", { user: "GE-A-FILE", authUrl: sim.authUrl, password: PASSWORD });
    expect(await tokenUser(["--config", file])).toBe("GE-A-FILE");
    expect(await tokenUser(["--config", file], { RCC_USER: "GE-A-ENV" })).toBe("GE-A-ENV");
    expect(await tokenUser(["--config", file, "--user", "GE-A-FLAG"], { RCC_USER: "GE-A-ENV" })).toBe("GE-A-FLAG");
  });

  it("finds the config file through RCC_CONFIG and lets RCC_AUTH_URL beat its authUrl", async () => {
    const port = await closedPort();
    const file = config("endpoints.json", {
      user: "GE-A-FILE",
      authUrl: `http://127.0.0.1:${port}/auth/oauth2/v1/token`,
      password: PASSWORD,
    });
    expect(await tokenUser([], { RCC_CONFIG: file, RCC_AUTH_URL: sim.authUrl })).toBe("GE-A-FILE");
  });

  it("takes --password-file over RCC_PASSWORD over the config file's password, without the --password warning", async () => {
    const file = config("password.json", { user: "GE-A-FILE", authUrl: sim.authUrl, password: "wrong-in-file" });
    const passwordFile = files.write("password.txt", `${PASSWORD}\n`);
    const fromEnv = await runCli(["token", "--config", file], { env: { RCC_PASSWORD: PASSWORD } });
    expect(fromEnv.code).toBe(0);
    const fromFile = await runCli(["token", "--config", file, "--password-file", passwordFile], {
      env: { RCC_PASSWORD: "wrong-in-env" },
    });
    expect(fromFile.code).toBe(0);
    expect(fromFile.stderr).toBe("");
    const fromConfig = await runCli(["token", "--config", file]);
    expect(fromConfig.code).toBe(3);
  });

  it("sends the Login's ApplicationId and Position from the config file unless the environment or a flag says otherwise", async () => {
    const file = config("login.json", {
      user: "GE-A-FILE",
      password: PASSWORD,
      authUrl: sim.authUrl,
      urls: sim.wsUrls,
      appId: "300",
      position: "10.0.0.1/from-file",
    });
    const post = (extra: string[], env: Record<string, string> = {}) =>
      runCli(["post", "--config", file, "--ric", "TRCCTEST01", "--field", "BID=1", ...extra], { env });
    expect((await post([])).code).toBe(0);
    expect(lastLoginElements()).toMatchObject({ ApplicationId: "300", Position: "10.0.0.1/from-file" });
    expect((await post([], { RCC_APP_ID: "400" })).code).toBe(0);
    expect(lastLoginElements()).toMatchObject({ ApplicationId: "400", Position: "10.0.0.1/from-file" });
    expect((await post(["--app-id", "500", "--position", "10.0.0.2/flag"], { RCC_APP_ID: "400" })).code).toBe(0);
    expect(lastLoginElements()).toMatchObject({ ApplicationId: "500", Position: "10.0.0.2/flag" });
  });

  it("exits 1 with one line naming an unknown key of the config file", async () => {
    const file = config("typo.json", { usr: "GE-A-FILE" });
    const result = await runCli(["token", "--config", file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^rcc: the config file '.*typo\.json' has unknown keys: usr \(known: user, /);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("exits 1 with one line when the config file is not JSON", async () => {
    const file = files.write("broken.json", "{ user: ");
    const result = await runCli(["token", "--config", file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^rcc: the config file '.*broken\.json' is not valid JSON: /);
  });
});
