/**
 * The rate limit over a jittery link (docs/protocol.md §3.3, §3.4, checklist item 26): the simulator counts
 * messages when they arrive, so a client that only spaces its sends a second apart goes over whenever the link
 * delays some frames more than others. A saturated Contributor with default options, through a proxy that holds its
 * bytes for 20 ms every 250 ms, must never put more than `TRCE:MaxMessagesPerSecond` into any one-second window.
 * (Found with the library's former 5 ms `rateWindowMarginMs`: 1,027 in one second for 1,000 and up to 178 Naks.)
 */
import { afterEach, describe, expect, it } from "vitest";
import { Contributor } from "../../src/client/contributor.js";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { type JitterProxy, startJitterProxy } from "./helpers/jitter-proxy.js";

let sim: RunningSimulator | undefined;
let proxy: JitterProxy | undefined;
let client: Contributor | undefined;
afterEach(async () => {
  await client?.close();
  await proxy?.close();
  await sim?.close();
});

describe("rate limit over a jittery link", () => {
  it("§3.4 item 26: a saturated contributor never exceeds the advertised rate in any window despite 20 ms of jitter", async () => {
    sim = await startSimulator({ maxMessagesPerSecond: 1000, recentPostsLimit: 10, recordedMessagesLimit: 10 });
    proxy = await startJitterProxy(sim.wsUrls[0]!, 20);
    const account = sim.accounts[0]!;
    client = new Contributor({
      authUrl: sim.authUrl,
      user: account.user,
      password: account.password,
      clientId: account.clientId,
      urls: [proxy.url],
    });
    await client.connect();
    let pending = 0;
    let naks = 0;
    const end = Date.now() + 3500;
    while (Date.now() < end) {
      for (; pending < 500; pending++) {
        client.contribute("TRCCTEST01", { BID: pending }).then(
          () => (pending -= 1),
          () => {
            pending -= 1;
            naks += 1;
          },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect(sim.state.messagesOverLimit).toBe(0);
    expect(naks).toBe(0);
    expect(sim.state.maxMessagesInWindow).toBeLessThanOrEqual(1000);
    // Saturated means close to the limit: the check is not passed by sending little.
    expect(sim.state.maxMessagesInWindow).toBeGreaterThan(900);
  }, 20_000);
});
