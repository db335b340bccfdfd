/**
 * `rcc simulate` as its own process: one JSON line once ready (--json), usable by the other commands, faults
 * from --fault, and a clean stop on Ctrl+C (SIGINT).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { RunningSimulator } from "../../src/simulator/index.js";
import { runCli, spawnCli, spawnCliInTerminal, stopAllCli, tempFiles } from "../helpers/cli.js";

/** The `--json` line: the simulator's addresses and accounts, as `startSimulator` returns them. */
type SimulatorInfo = Pick<
  RunningSimulator,
  "authUrl" | "wsUrls" | "adminUrl" | "dashboardUrl" | "accounts" | "certificate"
>;

const files = tempFiles();

afterEach(async () => {
  await stopAllCli();
});
afterAll(() => files.remove());

async function simulate(...args: string[]) {
  const child = spawnCli(["simulate", "--json", "--log-level", "silent", ...args], { timeoutMs: 60_000 });
  await child.waitFor(/\n/);
  const info = JSON.parse(child.stdout.split("\n")[0]!) as SimulatorInfo;
  return { child, info };
}

function connectionArgs(info: SimulatorInfo): string[] {
  return ["--auth-url", info.authUrl, "--url", info.wsUrls[0]!, "--user", info.accounts[0]!.user];
}

describe("rcc simulate", () => {
  it("prints one JSON line with its URLs and accounts, serves rcc post, and stops with exit 0 on SIGINT", async () => {
    const { child, info } = await simulate("--listeners", "2");
    expect(info.authUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/auth\/oauth2\/v1\/token$/);
    expect(info.wsUrls).toHaveLength(2);
    expect(info.accounts[0]).toMatchObject({ user: "GE-A-00000001-1-0001" });
    const posted = await runCli(["post", ...connectionArgs(info), "--ric", "TRCCTEST01", "--field", "BID=1"], {
      env: { RCC_PASSWORD: info.accounts[0]!.password },
    });
    expect(posted.code).toBe(0);
    const state = (await (await fetch(`${info.adminUrl}/state`)).json()) as { counters: { acks: number } };
    expect(state.counters.acks).toBe(1);
    // The built CLI (a bundle, dist/) finds the dashboard's files beside it: the page and its script load.
    const page = await fetch(info.dashboardUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<html");
    const script = await fetch(new URL("dashboard/app.js", info.dashboardUrl));
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toMatch(/javascript/);
    child.child.kill("SIGINT");
    const result = await child.exited;
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split("\n")).toHaveLength(1);
  });

  it("starts with the faults given by --fault (a Nak AccessDenied for one RIC)", async () => {
    const { child, info } = await simulate("--fault", "nak,code=AccessDenied,ric=TRCCTEST02");
    const env = { RCC_PASSWORD: info.accounts[0]!.password };
    const refused = await runCli(
      ["post", ...connectionArgs(info), "--ric", "TRCCTEST02", "--field", "BID=1", "--json"],
      {
        env,
      },
    );
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stdout)).toMatchObject({ outcome: "nak", nakCode: "AccessDenied" });
    const accepted = await runCli(["post", ...connectionArgs(info), "--ric", "TRCCTEST01", "--field", "BID=1"], {
      env,
    });
    expect(accepted.code).toBe(0);
    child.child.kill("SIGINT");
    expect((await child.exited).code).toBe(0);
  });

  it("serves wss:// with --tls and prints the certificate that rcc post --ca then trusts", async () => {
    const { child, info } = await simulate("--tls");
    expect(info.wsUrls[0]).toMatch(/^wss:\/\//);
    expect(info.certificate).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const ca = files.write("simulator-ca.pem", info.certificate!);
    const posted = await runCli(
      ["post", ...connectionArgs(info), "--ca", ca, "--ric", "TRCCTEST01", "--field", "BID=1"],
      { env: { RCC_PASSWORD: info.accounts[0]!.password } },
    );
    expect(posted.code).toBe(0);
    child.child.kill("SIGINT");
    expect((await child.exited).code).toBe(0);
  });

  it("with --tls writes its certificate to a file (mode 0644) and prints the --ca to use; removed on stop", async () => {
    const child = spawnCli(["simulate", "--tls", "--log-level", "silent"], { timeoutMs: 60_000 });
    await child.waitFor(/^ {2}e\.g\. .*\n/m);
    const path = / {2}certificate {5}(\S+) {2}\(self-signed: clients trust it with --ca \1\)$/m.exec(child.stdout)?.[1];
    expect(path).toBeDefined();
    expect(dirname(path!)).toBe(tmpdir());
    expect(statSync(path!).mode & 0o777).toBe(0o644);
    expect(readFileSync(path!, "utf8")).toMatch(/^-----BEGIN CERTIFICATE-----/);
    // The printed example, as a user pastes it (plus the password, which it leaves to RCC_PASSWORD).
    const example = /^ {2}e\.g\. {12}rcc (post .*)$/m.exec(child.stdout)?.[1] ?? "";
    expect(example).toContain(`--ca ${path!}`);
    const password = /password (\S+)/.exec(child.stdout)?.[1] ?? "";
    const posted = await runCli(example.split(" "), { env: { RCC_PASSWORD: password } });
    expect(posted.stderr).toBe("");
    expect(posted.code).toBe(0);
    child.child.kill("SIGINT");
    expect((await child.exited).code).toBe(0);
    expect(existsSync(path!)).toBe(false);
  });

  it("with --tls --cert-out FILE writes the certificate there and names it in the --json line", async () => {
    const certOut = join(files.dir, "sim-ca.pem");
    const { child, info } = await simulate("--tls", "--cert-out", certOut);
    const line = info as SimulatorInfo & { certificateFile?: string };
    expect(line.certificateFile).toBe(certOut);
    expect(line.certificate).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(readFileSync(certOut, "utf8")).toBe(line.certificate);
    expect(statSync(certOut).mode & 0o777).toBe(0o644);
    const posted = await runCli(
      ["post", ...connectionArgs(info), "--ca", certOut, "--ric", "TRCCTEST01", "--field", "BID=1"],
      { env: { RCC_PASSWORD: info.accounts[0]!.password } },
    );
    expect(posted.code).toBe(0);
    child.child.kill("SIGINT");
    expect((await child.exited).code).toBe(0);
    expect(existsSync(certOut)).toBe(true); // a file the user named is theirs to keep
  });

  it("logs readable lines on a terminal, and JSON lines with --log-format json there", async () => {
    const pretty = spawnCliInTerminal(["simulate"], { timeoutMs: 30_000 });
    await pretty.waitFor(/RCC simulator ready/); // Ctrl+C before it is the shell's usual 130
    expect(pretty.stdout).toMatch(/^\d\d:\d\d:\d\d INFO {2}simulator started authUrl=http:\/\/127\.0\.0\.1:\d+\//m);
    expect(pretty.stdout).not.toContain('"level":');
    pretty.child.stdin?.write("\x03"); // Ctrl+C on the terminal
    expect((await pretty.exited).code).toBe(0);

    const json = spawnCliInTerminal(["simulate", "--log-format", "json"], { timeoutMs: 30_000 });
    await json.waitFor(/RCC simulator ready/);
    const started = json.stdout.split(/\r?\n/).find((line) => line.includes("simulator started")) ?? "";
    expect(JSON.parse(started)).toMatchObject({ level: 30, name: "rcc-sim", msg: "simulator started" });
    json.child.stdin?.write("\x03");
    expect((await json.exited).code).toBe(0);
  });

  it("logs JSON lines when stderr is not a terminal, and follows RCC_LOG_FORMAT", async () => {
    const piped = spawnCli(["simulate"], { timeoutMs: 30_000 });
    await piped.waitFor(/RCC simulator ready/);
    await piped.waitFor(/simulator started/); // stderr: its own pipe
    const line = piped.stderr.split("\n").find((text) => text.includes("simulator started")) ?? "";
    expect(JSON.parse(line)).toMatchObject({ level: 30, msg: "simulator started" });
    piped.child.kill("SIGINT");
    expect((await piped.exited).code).toBe(0);

    const env = spawnCli(["simulate"], { env: { RCC_LOG_FORMAT: "pretty" }, timeoutMs: 30_000 });
    await env.waitFor(/RCC simulator ready/);
    await env.waitFor(/simulator started/);
    expect(env.stderr).toMatch(/^\d\d:\d\d:\d\d INFO {2}simulator started /m);
    env.child.kill("SIGINT");
    expect((await env.exited).code).toBe(0);
  });

  it("exits 1 on an unknown fault type, naming the known ones", async () => {
    const result = await runCli(["simulate", "--fault", "explode"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/unknown fault 'explode'; known: system-busy, disconnect/);
  });
});
