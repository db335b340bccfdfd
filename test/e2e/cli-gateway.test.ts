/**
 * `rcc gateway` as a process: the no-configuration demo (embedded simulator, generated key, a curl command
 * that works), `--json`'s ready line, start-up refusals, a clean SIGTERM, and kill -9 in the middle of a stream
 * of accepted items: after a restart on the same outbox every accepted id ends with exactly one final outcome,
 * none is lost, and the simulator and the outbox agree on the last value of every RIC.
 */
import { existsSync } from "node:fs";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { hashApiKey } from "../../src/gateway/index.js";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { type CliProcess, runCli, simEnv, spawnCli, spawnGateway, stopAllCli, tempFiles } from "../helpers/cli.js";
import { httpCall } from "../helpers/http.js";
import { expectOneFinalOutcomeEach } from "../helpers/gateway.js";
import { closeAllSse, openSse } from "../helpers/sse.js";
import { waitFor } from "../helpers/wait-for.js";

const files = tempFiles();
const simulators: RunningSimulator[] = [];

afterEach(async () => {
  closeAllSse();
  await stopAllCli();
  await Promise.all(simulators.splice(0).map((sim) => sim.close()));
});
afterAll(() => files.remove());

interface ReadyLine {
  url: string;
  outbox: string;
  accounts: { name: string; rics: string[] }[];
  apiKey?: string;
}

/** Starts `rcc gateway --json …args` and resolves with its ready line. */
async function gateway(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ run: CliProcess; ready: ReadyLine }> {
  const { run, ready } = await spawnGateway(args, env);
  return { run, ready: ready as ReadyLine };
}

describe("rcc gateway", () => {
  it("with no configuration runs against the embedded simulator, prints a key and a curl command that works, and stops cleanly on SIGTERM", async () => {
    const run = spawnCli(["gateway", "--port", "0"], { timeoutMs: 30_000 });
    await run.waitFor(/Try:/, 20_000);
    await run.waitFor(/wait=ack'/, 5_000);
    expect(run.stdout).toMatch(/^rcc gateway ready \(Ctrl\+C to stop\) — against the embedded RCC simulator$/m);
    const key = /API key {2}(rcck_[A-Za-z0-9_-]+)/.exec(run.stdout)?.[1];
    const url = /^ {2}url {6}(http:\/\/127\.0\.0\.1:\d+)$/m.exec(run.stdout)?.[1];
    const outbox = /^ {2}outbox {3}(\S+) \(temporary/m.exec(run.stdout)?.[1];
    expect(key).toBeDefined();
    // The printed curl command, as a user would paste it: its key, body and URL.
    expect(run.stdout).toContain(`curl -H 'Authorization: Bearer ${key!}' -H 'Content-Type: application/json'`);
    expect(run.stdout).toContain(
      `-d '{"ric":"TRCCTEST01","fields":{"BID":451.55}}' '${url!}/v1/contributions?wait=ack'`,
    );
    const answer = await httpCall(`${url!}/v1/contributions?wait=ack`, {
      bearer: key!,
      body: '{"ric":"TRCCTEST01","fields":{"BID":451.55}}',
    });
    expect(answer.status).toBe(200);
    expect(answer.body.items[0].state).toBe("acked");
    expect(existsSync(outbox!)).toBe(true);
    run.child.kill("SIGTERM");
    const result = await run.exited;
    expect(result.code).toBe(0);
    expect(existsSync(outbox!)).toBe(false); // the demo's outbox is temporary
  }, 40_000);

  it("--json prints one ready line (url, outbox, accounts, the generated key) and logs on stderr", async () => {
    const outbox = `${files.dir}/json.db`;
    const { run, ready } = await gateway(["--outbox", outbox, "--rics", "TRCC*,EUR="]);
    expect(ready).toMatchObject({ outbox, accounts: [{ name: "default", rics: ["TRCC*", "EUR="] }] });
    expect(ready.apiKey).toMatch(/^rcck_/);
    expect(run.stdout.trim().split("\n")).toHaveLength(1);
    await run.waitFor(/gateway started/, 5_000);
    expect(run.stderr).not.toContain(ready.apiKey!);
    run.child.kill("SIGINT");
    expect((await run.exited).code).toBe(0);
    expect(existsSync(outbox)).toBe(true); // a named outbox is kept
  }, 30_000);

  it("--new-key prints a key and the entry that makes a gateway accept it, and starts nothing", async () => {
    const made = await runCli(["gateway", "--new-key", "pricing-engine", "--json"]);
    expect(made.code).toBe(0);
    const { key, entry } = JSON.parse(made.stdout) as { key: string; entry: { name: string; sha256: string } };
    expect(key).toMatch(/^rcck_[A-Za-z0-9_-]{43}$/);
    expect(entry).toEqual({ name: "pricing-engine", sha256: hashApiKey(key), accounts: ["*"], rics: ["*"] });
    const human = await runCli(["gateway", "--new-key", "excel"]);
    expect(human.stdout).toMatch(/^key {4}rcck_\S+\n {7}\(shown once/);
    const keyFile = files.write("new-keys.json", JSON.stringify([entry]));
    const { run, ready } = await gateway(["--outbox", `${files.dir}/new-key.db`, "--api-key-file", keyFile]);
    expect(ready.apiKey).toBeUndefined();
    const answer = await httpCall(`${ready.url}/v1/contributions?wait=ack`, {
      bearer: key,
      body: JSON.stringify({ ric: "TRCCTEST01", fields: { BID: 1 } }),
    });
    expect(answer.status).toBe(200);
    run.child.kill("SIGTERM");
    expect((await run.exited).code).toBe(0);
  }, 30_000);

  it("refuses to start on an outbox that is not one, on a bad key file and on a taken port, each with one clear line", async () => {
    const notDb = files.write("not-a-db.db", "hello, I am a text file\n".repeat(100));
    const refused = await runCli(["gateway", "--port", "0", "--outbox", notDb], { timeoutMs: 30_000 });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^rcc: the gateway could not start: outbox .*not-a-db\.db is not an SQLite database/m,
    );
    const badKeys = files.write("keys.json", '[{"name":"desk"}]');
    const keys = await runCli(["gateway", "--port", "0", "--api-key-file", badKeys], { timeoutMs: 30_000 });
    expect(keys.code).toBe(1);
    expect(keys.stderr).toBe(`rcc: --api-key-file '${badKeys}': key 1 needs "name" and "sha256" strings\n`);
    const first = await gateway(["--outbox", `${files.dir}/port-a.db`]);
    const port = new URL(first.ready.url).port;
    const taken = await runCli(["gateway", "--port", port, "--outbox", `${files.dir}/port-b.db`], {
      timeoutMs: 30_000,
    });
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain(
      `rcc: the gateway could not start: port ${port} on 127.0.0.1 is in use: pick another with --port`,
    );
  }, 60_000);

  it("--config: two accounts on one simulator, each RIC routed to its account, keys scoped as the file says", async () => {
    const sim = await startSimulator({
      accounts: [
        { user: "GE-A-00000001-1-0001", password: "password-of-desk-a", rics: ["TRCCTEST01"] },
        { user: "GE-A-00000002-1-0002", password: "password-of-desk-b", rics: ["TRCCTEST02"] },
      ],
    });
    simulators.push(sim);
    files.write("desk-a.password", "password-of-desk-a\n");
    const wide = "key-of-the-pricing-engine";
    const narrow = "key-of-the-excel-desk";
    const config = files.write(
      "gateway.json",
      JSON.stringify({
        outbox: "config.db",
        apiKeys: [
          { name: "engine", sha256: hashApiKey(wide) },
          { name: "excel", sha256: hashApiKey(narrow), accounts: ["desk-b"] },
        ],
        accounts: [
          {
            name: "desk-a",
            rics: ["TRCCTEST01"],
            urls: sim.wsUrls,
            authUrl: sim.authUrl,
            user: "GE-A-00000001-1-0001",
            passwordFile: "desk-a.password",
          },
          {
            name: "desk-b",
            rics: ["TRCCTEST02"],
            urls: sim.wsUrls,
            authUrl: sim.authUrl,
            user: "GE-A-00000002-1-0002",
            passwordEnv: "DESK_B_PASSWORD",
          },
        ],
      }),
    );
    const { run, ready } = await gateway(["--config", config], { DESK_B_PASSWORD: "password-of-desk-b" });
    expect(ready.outbox).toBe(`${files.dir}/config.db`);
    expect(ready.accounts).toEqual([
      { name: "desk-a", rics: ["TRCCTEST01"] },
      { name: "desk-b", rics: ["TRCCTEST02"] },
    ]);
    expect(ready.apiKey).toBeUndefined();
    const body = JSON.stringify([
      { ric: "TRCCTEST01", fields: { BID: 1 } },
      { ric: "TRCCTEST02", fields: { BID: 2 } },
    ]);
    const both = await httpCall(`${ready.url}/v1/contributions?wait=ack`, { bearer: wide, body });
    expect(both.status).toBe(200);
    expect((both.body.items as { state: string }[]).map((item) => item.state)).toEqual(["acked", "acked"]);
    expect(sim.state.rics.get("TRCCTEST01")?.lastUser).toBe("GE-A-00000001-1-0001");
    expect(sim.state.rics.get("TRCCTEST02")?.lastUser).toBe("GE-A-00000002-1-0002");
    const scoped = await httpCall(`${ready.url}/v1/contributions?wait=ack`, { bearer: narrow, body });
    expect(scoped.status).toBe(200);
    expect(scoped.body.items[0].error.code).toBe("forbidden");
    expect(scoped.body.items[1].state).toBe("acked");
    expect(run.stderr).not.toContain("password-of-desk");
    run.child.kill("SIGTERM");
    expect((await run.exited).code).toBe(0);

    const unknownKey = files.write(
      "bad.json",
      JSON.stringify({ accounts: [{ name: "x", rics: ["*"], urls: ["ws://127.0.0.1:1/WebSocket"], usr: "typo" }] }),
    );
    const refused = await runCli(["gateway", "--config", unknownKey], { timeoutMs: 30_000 });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^rcc: account 'x' of --config '.*bad\.json' has unknown keys: usr \(known: /m);
    const noEnv = files.write(
      "no-env.json",
      JSON.stringify({
        accounts: [
          {
            name: "y",
            rics: ["*"],
            urls: ["ws://127.0.0.1:1/WebSocket"],
            user: "u",
            authUrl: "http://127.0.0.1:1/",
            passwordEnv: "NOT_SET_ANYWHERE",
          },
        ],
      }),
    );
    const missing = await runCli(["gateway", "--config", noEnv], { timeoutMs: 30_000 });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("the environment variable NOT_SET_ANYWHERE (passwordEnv) is not set");
  }, 60_000);

  it("kill -9 in the middle of a stream of accepted items: after a restart every accepted id has exactly one final outcome, and RCC and the outbox agree on every RIC's last value", async () => {
    const sim = await startSimulator({ maxMessagesPerSecond: 1000 });
    simulators.push(sim);
    const key = "producer-key-for-the-kill-test";
    const keyFile = files.write("kill-keys.json", JSON.stringify([{ name: "producer", sha256: hashApiKey(key) }]));
    const outbox = `${files.dir}/kill.db`;
    const account = sim.accounts[0]!;
    const args = ["--auth-url", sim.authUrl, "--url", sim.wsUrls[0]!, "--user", account.user];
    args.push("--outbox", outbox, "--api-key-file", keyFile);
    const first = await gateway(args, simEnv(sim));

    // Producers post batches of 20 items over 9 RICs as fast as the gateway takes them, each with its own id.
    const accepted = new Set<string>();
    let stopped = false;
    let sequence = 0;
    const producer = async (): Promise<void> => {
      while (!stopped) {
        const batch = Array.from({ length: 20 }, () => {
          sequence += 1;
          return { id: `q-${sequence}`, ric: `TRCCTEST0${(sequence % 9) + 1}`, fields: { BID: sequence } };
        });
        try {
          const answer = await httpCall(`${first.ready.url}/v1/contributions`, {
            bearer: key,
            body: JSON.stringify(batch),
          });
          if (answer.status === 202) for (const item of answer.body.items as { id: string }[]) accepted.add(item.id);
        } catch {
          return; // the gateway is gone: what it answered 202 to is all it accepted
        }
      }
    };
    const producers = [producer(), producer()];
    await waitFor(
      () => accepted.size >= 2_000 && sim.state.counters.acks >= 200,
      20_000,
      "2,000 items accepted, 200 acked",
    );
    first.run.child.kill("SIGKILL");
    await first.run.exited;
    stopped = true;
    await Promise.all(producers);
    const acksAtKill = sim.state.counters.acks;
    expect(acksAtKill).toBeLessThan(accepted.size); // the kill did leave items unsent

    const second = await gateway(args, simEnv(sim));
    const stream = await openSse(`${second.ready.url}/v1/outcomes?after=0`, { Authorization: `Bearer ${key}` });
    await expectOneFinalOutcomeEach(stream, [...accepted], 40_000);
    // Items whose 202 the kill cut off were stored too, and some may have reached RCC before it: the outbox must
    // drain them as well before the last values can agree.
    await waitFor(
      async () => {
        const status = await httpCall(`${second.ready.url}/status.json`);
        return (status.body as { accounts: { pendingItems: number }[] }).accounts[0]?.pendingItems === 0;
      },
      30_000,
      "the outbox drained",
      50,
    );
    for (let index = 1; index <= 9; index++) {
      const ric = `TRCCTEST0${index}`;
      const outboxView = await httpCall(`${second.ready.url}/v1/rics/${ric}`, { bearer: key });
      expect(outboxView.status, ric).toBe(200);
      expect(sim.state.rics.get(ric)?.fields.BID, ric).toBe(outboxView.body.fields.BID.value);
    }
    second.run.child.kill("SIGTERM");
    expect((await second.run.exited).code).toBe(0);
  }, 90_000);
});
