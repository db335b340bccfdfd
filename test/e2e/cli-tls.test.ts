/**
 * TLS end to end: against a simulator serving https:// and wss:// with a self-signed certificate, the CLI
 * refuses the untrusted certificate with one clear line (exit 4) — at once: the client library does not retry a
 * certificate failure before the first login, so no retry warning precedes it — and works once given the CA
 * with --ca.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { runCli, simEnv, simFlags, stopAllCli, tempFiles } from "../helpers/cli.js";

let sim: RunningSimulator;
let ca: string;
const files = tempFiles();

beforeAll(async () => {
  sim = await startSimulator({ tls: true });
  ca = files.write("simulator-ca.pem", sim.certificate!);
});
afterEach(stopAllCli);
afterAll(async () => {
  await sim.close();
  files.remove();
});

function expectOneCertificateLine(stderr: string): void {
  const lines = stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^rcc: cannot connect: the server's certificate is not trusted \(\w+\) — pass .* with --ca/);
}

describe("untrusted certificates", () => {
  it("rcc post exits 4 with one line about the certificate when the CA is not given", async () => {
    const result = await runCli(["post", ...simFlags(sim), "--ric", "TRCCTEST01", "--field", "BID=1"], {
      env: simEnv(sim),
    });
    expect(result.code).toBe(4);
    expectOneCertificateLine(result.stderr);
    expect(sim.state.snapshot(Date.now()).counters.posts).toBe(0);
  });

  it("rcc demo against the untrusted server exits 4 with the same line, having sent nothing", async () => {
    const result = await runCli(["demo", ...simFlags(sim), "--count", "1"], { env: simEnv(sim) });
    expect(result.code).toBe(4);
    expectOneCertificateLine(result.stderr);
    expect(result.stdout).toBe("");
    expect(sim.state.snapshot(Date.now()).counters.posts).toBe(0);
  });

  it("rcc token exits 4 with the same line", async () => {
    const result = await runCli(["token", "--auth-url", sim.authUrl, "--user", sim.accounts[0]!.user], {
      env: simEnv(sim),
    });
    expect(result.code).toBe(4);
    expectOneCertificateLine(result.stderr);
  });

  it("rcc post works over https:// and wss:// with --ca <file with the simulator's certificate>", async () => {
    const result = await runCli(["post", ...simFlags(sim), "--ca", ca, "--ric", "TRCCTEST01", "--field", "BID=1"], {
      env: simEnv(sim),
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ack\s+TRCCTEST01/);
  });

  it("rcc token works with the CA given through RCC_CA", async () => {
    const result = await runCli(["token", "--auth-url", sim.authUrl, "--user", sim.accounts[0]!.user], {
      env: { ...simEnv(sim), RCC_CA: ca },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^token for GE-A-00000001-1-0001 from https:\/\//);
  });

  it("exits 1 with one line when the --ca file cannot be read", async () => {
    const result = await runCli(["token", "--auth-url", sim.authUrl, "--user", "u", "--ca", `${files.dir}/nope.pem`], {
      env: simEnv(sim),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`rcc: cannot read the CA file '${files.dir}/nope.pem' (ENOENT)\n`);
  });
});
