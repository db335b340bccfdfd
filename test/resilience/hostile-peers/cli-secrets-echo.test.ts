/**
 * Hostile peers that echo our secrets back: a token endpoint that quotes the posted password or refresh token in
 * its `error_description` (raw, percent-encoded, and inside the form body it received), and an RCC server whose
 * Login refusal quotes the access token. The `rcc` CLI runs as a child process at debug level, with `--json`,
 * reports and both log formats; none of the secrets, in any form, may reach stdout, stderr or the report, while
 * the echoed text itself must show up (masked), so the test knows the attack reached the output.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { type CliResult, runCli, stopAllCli, tempFiles } from "../../helpers/cli.js";
import { EchoingTokenEndpoint, type GrantAnswer, type ReceivedGrant } from "./helpers/echoing-token-endpoint.js";
import { HostileRccServer } from "./helpers/hostile-rcc-server.js";

const USER = "GE-A-00000031-1-0031";
/** Spaces, `+`, `&`, `/`, `=`, a quote and a non-ASCII letter: every encoding differs from the raw text. */
const unique = () => randomBytes(6).toString("hex");
const PASSWORD = `pa ss+w&rd"é/${unique()}=x`;
const ACCESS_TOKEN = `acc+ess/tok=en ${unique()}${unique()}`;
const REFRESH_TOKEN = `ref+resh/tok=en ${unique()}${unique()}`;
const SECRETS = [PASSWORD, ACCESS_TOKEN, REFRESH_TOKEN];

/** Every form a secret could be printed in, and (for long ones) its first and last 12 characters. */
function needlesOf(secret: string): string[] {
  const forms = new Set([
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ s: secret }).toString().slice(2),
    JSON.stringify(secret).slice(1, -1),
  ]);
  const needles = new Set<string>();
  for (const form of forms) {
    needles.add(form);
    if (form.length >= 24) {
      needles.add(form.slice(0, 12));
      needles.add(form.slice(-12));
    }
  }
  return [...needles];
}

/** The secrets (named by kind, never shown) found in `text`. */
function leaksIn(text: string): string[] {
  const kinds = ["password", "access token", "refresh token"];
  return SECRETS.flatMap((secret, index) =>
    needlesOf(secret)
      .filter((needle) => text.includes(needle))
      .map((needle) => `${kinds[index]} (${needle.length} characters)`),
  );
}

function expectNoLeaks(run: CliResult, label: string, extra = ""): void {
  expect(leaksIn(run.stdout), `${label}: stdout`).toEqual([]);
  expect(leaksIn(run.stderr), `${label}: stderr`).toEqual([]);
  expect(leaksIn(extra), `${label}: report`).toEqual([]);
}

const tokens = (expiresInSec = 600): GrantAnswer => ({
  kind: "tokens",
  accessToken: ACCESS_TOKEN,
  refreshToken: REFRESH_TOKEN,
  expiresInSec,
});

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  await stopAllCli();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function endpoint(answer: (grant: ReceivedGrant) => GrantAnswer): Promise<EchoingTokenEndpoint> {
  const server = await EchoingTokenEndpoint.start(answer);
  cleanups.push(() => server.close());
  return server;
}

async function rccServer(): Promise<HostileRccServer> {
  const server = await HostileRccServer.start();
  cleanups.push(() => server.close());
  return server;
}

const env = { env: { RCC_PASSWORD: PASSWORD } };
const debugJson = ["--log-level", "debug", "--log-format", "json"];
const debugPretty = ["--log-level", "debug", "--log-format", "pretty"];

describe("secrets echoed by hostile peers", () => {
  it("a token endpoint that echoes the password in its error description gets it printed nowhere", async () => {
    const auth = await endpoint(() => ({ kind: "echo", status: 401 }));
    const ws = await rccServer();
    const files = tempFiles();
    cleanups.push(() => files.remove());
    const csv = files.write("rows.csv", "RIC,BID\nTRCCTEST01,1.5\n");
    const report = `${files.dir}/report.ndjson`;
    const flags = ["--auth-url", auth.url, "--url", ws.url, "--user", USER, "--connect-timeout", "10000"];
    const runs = await Promise.all([
      runCli(["post", ...flags, ...debugJson, "--json", "--ric", "TRCCTEST01", "--field", "BID=1"], env),
      runCli(["post", ...flags, ...debugPretty, "--ric", "TRCCTEST01", "--field", "BID=1"], env),
      runCli(["token", ...flags, ...debugJson, "--json"], env),
      runCli(["contribute", csv, ...flags, ...debugJson, "--json", "--no-progress", "--report", report], env),
    ]);
    expect(runs.map((run) => run.code)).toEqual([3, 3, 3, 3]);
    // The echo reached the error line, masked: the attack was tried, not avoided.
    for (const run of runs)
      expect(run.stderr).toMatch(/password grant refused .*rejected \[redacted\] \| \[redacted\]/);
    expect(runs[2].stderr).toMatch(/password=\[redacted\]/);
    expect(auth.received.length).toBeGreaterThanOrEqual(4);
    expect(auth.received.every((grant) => grant.form.get("password") === PASSWORD)).toBe(true);
    // The search itself finds an unmasked echo.
    expect(leaksIn(`x ${encodeURIComponent(PASSWORD).slice(0, 14)} y`)).toHaveLength(1);
    runs.forEach((run, index) => expectNoLeaks(run, `run ${index}`, index === 3 ? readFileSync(report, "utf8") : ""));
  }, 30_000);

  it("a token endpoint that echoes the refresh token while a demo runs gets it printed nowhere", async () => {
    // Tokens that live 2 s are refreshed after 1 s; every refresh is answered 503 with the refresh token quoted.
    const auth = await endpoint((grant) => (grant.grant === "password" ? tokens(2) : { kind: "echo", status: 503 }));
    const ws = await rccServer();
    const flags = ["--auth-url", auth.url, "--url", ws.url, "--user", USER];
    const run = await runCli(
      ["demo", ...flags, ...debugJson, "--json", "--count", "3", "--interval", "1", "--ric", "TRCCTEST01"],
      env,
    );
    expect(run.code).toBe(0);
    expect(auth.received.some((grant) => grant.grant === "refresh_token")).toBe(true);
    expect(
      auth.received
        .filter((g) => g.grant === "refresh_token")
        .every((g) => g.form.get("refresh_token") === REFRESH_TOKEN),
    ).toBe(true);
    expect(run.stderr).toMatch(
      /token request failed; retrying: token endpoint answered HTTP 503 invalid_grant: rejected \[redacted\]/,
    );
    expectNoLeaks(run, "demo");
  }, 30_000);

  it("a Login refusal whose Status Text quotes the access token gets it printed nowhere", async () => {
    const auth = await endpoint(() => tokens());
    const ws = await rccServer();
    ws.onLogin = (login, connection) => {
      const elements = (login.Key as { Elements?: { AuthenticationToken?: string } } | undefined)?.Elements;
      const token = elements?.AuthenticationToken ?? "";
      connection.send({
        Type: "Status",
        Domain: "Login",
        ID: 1,
        State: {
          Stream: "Closed",
          Data: "Suspect",
          Code: "NotAuthorized",
          Text: `login refused: token ${token} (${encodeURIComponent(token)}) ${JSON.stringify({ token })}`,
        },
      });
    };
    const files = tempFiles();
    cleanups.push(() => files.remove());
    const csv = files.write("rows.csv", "RIC,BID\nTRCCTEST01,1.5\nTRCCTEST02,2\n");
    const report = `${files.dir}/report.ndjson`;
    const flags = ["--auth-url", auth.url, "--url", ws.url, "--user", USER];
    const runs = await Promise.all([
      runCli(["post", ...flags, ...debugJson, "--json", "--ric", "TRCCTEST01", "--field", "BID=1"], env),
      runCli(["post", ...flags, ...debugPretty, "--ric", "TRCCTEST01", "--field", "BID=1"], env),
      // contribute retries a Login that ends until its connect deadline (reconnecting is bounded by time).
      runCli(
        [
          "contribute",
          csv,
          ...flags,
          ...debugJson,
          "--json",
          "--no-progress",
          "--report",
          report,
          "--connect-timeout",
          "3000",
        ],
        env,
      ),
      // The demo retries a Login that ends (up to 20 times): its connect deadline ends it, naming the Login.
      runCli(["demo", ...flags, ...debugJson, "--json", "--count", "1", "--connect-timeout", "3000"], env),
    ]);
    for (const run of runs) {
      expect([3, 4]).toContain(run.code);
      expect(run.stderr).toMatch(/login (refused|ended).*token \[redacted\] \(\[redacted\]\)/);
    }
    // The server saw the real token, so the refusals quoted it.
    const logins = ws.received.filter((entry) => entry.message.Domain === "Login");
    expect(logins.length).toBeGreaterThanOrEqual(4);
    expect(JSON.stringify(logins[0]?.message)).toContain(JSON.stringify(ACCESS_TOKEN).slice(1, -1));
    expect(runs[3].stderr).toMatch(
      /timed out after 3 s waiting for the Login Refresh from ws:.*retrying after: login ended/,
    );
    runs.forEach((run, index) => expectNoLeaks(run, `run ${index}`, index === 2 ? readFileSync(report, "utf8") : ""));
  }, 30_000);
});
