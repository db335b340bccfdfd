/**
 * `rcc gateway` in cluster mode as processes (docs/cluster.md): three gateways on one real nats-server, one
 * account. The leader is killed with SIGKILL in the middle of a stream of accepted items: another gateway takes
 * the lease within the lease time plus a login, every accepted item ends with exactly one final outcome, RCC's
 * last value of every RIC is the last accepted one, and at no moment are two sessions logged in for the
 * machine ID.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { nkeys } from "@nats-io/transport-node";
import { hashApiKey } from "../../src/gateway/index.js";
import { generateSelfSigned } from "../../src/simulator/tls.js";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { type CliProcess, runCli, spawnGateway, stopAllCli, tempFiles } from "../helpers/cli.js";
import { expectOneFinalOutcomeEach } from "../helpers/gateway.js";
import { httpCall } from "../helpers/http.js";
import { startNatsServer, stopAllNatsServers } from "../helpers/nats-server.js";
import { closeAllSse, openSse } from "../helpers/sse.js";
import { waitFor } from "../helpers/wait-for.js";

const files = tempFiles();
const simulators: RunningSimulator[] = [];
const LEASE_MS = 2_000;

afterEach(async () => {
  closeAllSse();
  await stopAllCli();
  await Promise.all(simulators.splice(0).map((sim) => sim.close()));
  await stopAllNatsServers();
});
afterAll(() => files.remove());

interface ReadyLine {
  url: string;
  cluster: { gatewayId: string; servers: string[] };
}

/** Starts `rcc gateway --json --config FILE` and resolves with its ready line. */
async function gateway(config: string, env: Record<string, string>): Promise<{ run: CliProcess; ready: ReadyLine }> {
  const { run, ready } = await spawnGateway(["--config", config], env, 120_000);
  return { run, ready: ready as ReadyLine };
}

/** Whether the gateway at `url` leads the account now (its /readyz says so). */
async function leads(url: string): Promise<boolean> {
  const answer = await httpCall(`${url}/readyz`).catch(() => undefined);
  return answer?.status === 200 && (answer.body.cluster.accounts[0].leader as boolean);
}

describe("rcc gateway --nats, as processes", () => {
  it("three gateways, one account: kill -9 of the leader mid-stream; another leads within the lease time and a login, every accepted item has one final outcome, RCC has the last accepted values, never two sessions at once", async () => {
    const nats = await startNatsServer();
    const sim = await startSimulator({ maxMessagesPerSecond: 1_000 });
    simulators.push(sim);
    const key = "producer-key-for-the-cluster-kill-test";
    const account = sim.accounts[0]!;
    const config = files.write(
      "cluster.json",
      JSON.stringify({
        apiKeys: [{ name: "producer", sha256: hashApiKey(key) }],
        accounts: [
          {
            name: "main",
            rics: ["*"],
            user: account.user,
            authUrl: sim.authUrl,
            urls: sim.wsUrls,
            passwordEnv: "CLUSTER_TEST_PASSWORD",
          },
        ],
        nats: { servers: [nats.url], leaseTtlMs: LEASE_MS },
      }),
    );
    const env = { CLUSTER_TEST_PASSWORD: account.password };
    const gateways = await Promise.all([1, 2, 3].map(() => gateway(config, env)));
    let leader: (typeof gateways)[number] | undefined;
    await waitFor(
      async () => {
        const leading = await Promise.all(gateways.map((g) => leads(g.ready.url)));
        leader = gateways[leading.indexOf(true)];
        return leading.filter(Boolean).length === 1;
      },
      15_000,
      "one leader",
    );
    const followers = gateways.filter((g) => g !== leader);

    // One producer, one request at a time, alternating between the two followers: the order of the 202s is
    // the order of the stream, so the last accepted value of each RIC is well defined.
    const accepted: string[] = [];
    const lastAccepted = new Map<string, number>();
    let stopped = false;
    let sequence = 0;
    const producer = (async () => {
      for (let turn = 0; !stopped; turn++) {
        const batch = Array.from({ length: 20 }, () => {
          sequence += 1;
          return { id: `c-${sequence}`, ric: `TRCCTEST0${(sequence % 9) + 1}`, fields: { BID: sequence } };
        });
        const answer = await httpCall(`${followers[turn % 2]!.ready.url}/v1/contributions`, {
          bearer: key,
          body: JSON.stringify(batch),
        });
        expect(answer.status).toBe(202);
        for (const item of batch) {
          accepted.push(item.id);
          lastAccepted.set(item.ric, item.fields.BID);
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    await waitFor(
      () => accepted.length >= 1_000 && sim.state.counters.acks >= 300,
      20_000,
      "1,000 accepted, 300 acked",
    );
    leader!.run.child.kill("SIGKILL");
    const killedAt = performance.now();
    await leader!.run.exited;
    await new Promise((resolve) => setTimeout(resolve, 100)); // Acks already on their way settle
    const acksAfterKill = sim.state.counters.acks;
    await waitFor(() => sim.state.counters.acks > acksAfterKill, LEASE_MS + 8_000, "an Ack from the new leader", 10);
    const failoverMs = performance.now() - killedAt;
    await new Promise((resolve) => setTimeout(resolve, 500)); // the stream goes on under the new leader
    stopped = true;
    await producer;

    const stream = await openSse(`${followers[0]!.ready.url}/v1/outcomes?after=0`, { Authorization: `Bearer ${key}` });
    await expectOneFinalOutcomeEach(stream, accepted, 60_000);
    for (const [ric, bid] of lastAccepted) expect(sim.state.rics.get(ric)?.fields.BID, ric).toBe(bid);
    expect(sim.state.loginsByUser.get(account.user)?.max).toBe(1);
    // Taken over within the lease time, a lease round and a login (generous for 2 shared cores).
    expect(failoverMs).toBeLessThan(LEASE_MS + 4_000);
    expect((await Promise.all(followers.map((g) => leads(g.ready.url)))).filter(Boolean)).toHaveLength(1);
  }, 120_000);

  it("nats credentials from the config file: user and passwordFile let it in; a wrong password exits 1 naming NATS; neither password is ever printed", async () => {
    const natsPassword = "nats-pass-for-the-credentials-test";
    const nats = await startNatsServer({ args: ["--user", "rcc-gw", "--pass", natsPassword] });
    const sim = await startSimulator({});
    simulators.push(sim);
    const account = sim.accounts[0]!;
    const config = (passwordFile: string) =>
      files.write(
        `creds-${passwordFile.length}.json`,
        JSON.stringify({
          apiKeys: [{ name: "producer", sha256: hashApiKey("k") }],
          accounts: [
            {
              name: "main",
              rics: ["*"],
              user: account.user,
              authUrl: sim.authUrl,
              urls: sim.wsUrls,
              passwordEnv: "PW",
            },
          ],
          nats: { servers: [nats.url], user: "rcc-gw", passwordFile, leaseTtlMs: LEASE_MS },
        }),
      );
    const good = files.write("nats-good.pass", `${natsPassword}\n`);
    const bad = files.write("nats-bad-password.pass", "not-the-nats-password\n");
    const env = { PW: account.password };

    const started = await gateway(config(good), env);
    await waitFor(() => leads(started.ready.url), 10_000, "it leads");
    expect(started.ready.cluster.servers).toEqual([nats.url]);
    started.run.child.kill("SIGTERM");
    const stopped = await started.run.exited;
    expect(stopped.code).toBe(0);

    const refused = await runCli(["gateway", "--json", "--port", "0", "--config", config(bad)], {
      env,
      timeoutMs: 60_000,
    });
    expect(refused.code, `stderr: ${refused.stderr}`).toBe(1);
    expect(refused.stderr).toMatch(
      /the gateway could not start: NATS at nats:\/\/127\.0\.0\.1:\d+ cannot be reached or refused this gateway/,
    );
    for (const output of [stopped.stdout, stopped.stderr, refused.stdout, refused.stderr]) {
      expect(output).not.toContain(natsPassword);
      expect(output).not.toContain("not-the-nats-password");
      expect(output).not.toContain(account.password);
    }
  }, 120_000);

  it("nats credentials from the config file: a token from tokenEnv, an NKey seed file, and TLS with a caFile each let it in", async () => {
    const sim = await startSimulator({});
    simulators.push(sim);
    const account = sim.accounts[0]!;
    const env = { PW: account.password, NATS_TOKEN: "token-for-the-nats-test" };
    const accounts = [
      { name: "main", rics: ["*"], user: account.user, authUrl: sim.authUrl, urls: sim.wsUrls, passwordEnv: "PW" },
    ];
    const user = nkeys.createUser();
    const seedFile = files.write("user.nk", new TextDecoder().decode(user.getSeed()));
    const nkeyConfig = files.write("nkey.conf", `authorization { users: [ { nkey: "${user.getPublicKey()}" } ] }\n`);
    const tls = await generateSelfSigned();
    const certFile = files.write("nats-cert.pem", tls.cert);
    const keyFile = files.write("nats-key.pem", tls.key);
    const cases = [
      { name: "token", args: ["--auth", env.NATS_TOKEN], nats: { tokenEnv: "NATS_TOKEN" }, scheme: "nats" },
      { name: "nkey", args: ["-c", nkeyConfig], nats: { nkeySeedFile: seedFile }, scheme: "nats" },
      {
        name: "tls",
        args: ["--tls", "--tlscert", certFile, "--tlskey", keyFile],
        nats: { tls: { caFile: certFile } },
        scheme: "tls",
      },
    ];
    for (const { name, args, nats: credentials, scheme } of cases) {
      const nats = await startNatsServer({ args });
      const url = `${scheme}://127.0.0.1:${nats.port}`;
      const config = files.write(
        `${name}.json`,
        JSON.stringify({
          apiKeys: [{ name: "producer", sha256: hashApiKey("k") }],
          accounts,
          nats: { servers: [url], leaseTtlMs: LEASE_MS, ...credentials },
        }),
      );
      const started = await gateway(config, env);
      await waitFor(() => leads(started.ready.url), 10_000, `it leads with ${name}`);
      started.run.child.kill("SIGTERM");
      const stopped = await started.run.exited;
      expect(stopped.code, `${name}: ${stopped.stderr}`).toBe(0);
      expect(stopped.stderr + stopped.stdout).not.toContain(env.NATS_TOKEN);
      expect(stopped.stderr + stopped.stdout).not.toContain(new TextDecoder().decode(user.getSeed()));
      await nats.stop();
    }
  }, 90_000);
});
