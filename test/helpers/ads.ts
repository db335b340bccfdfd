/**
 * Helpers for the ADS-profile tests (docs/protocol.md §4A.5): user-name logins the way LSEG's websocket-api
 * examples send them, and item streams opened on a raw client.
 */
import { expect } from "vitest";
import type { RunningSimulator, SimulatorOptions } from "../../src/simulator/index.js";
import { connectRaw, type RawClient, type Received } from "./raw-client.js";

/** Not a server Ping. */
export const notPing = (message: Received): boolean => message.Type !== "Ping";

/** A message on stream `id`, of `type` when given. */
export const onStream =
  (id: number, type?: string) =>
  (message: Received): boolean =>
    message.ID === id && (type === undefined || message.Type === type);

/** A user-name login as LSEG's websocket-api examples send it (§4A.5). */
export function nameLogin(user: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ID: 1,
    Domain: "Login",
    Key: { Name: user, Elements: { ApplicationId: "256", Position: "127.0.0.1/net" } },
    ...extra,
  };
}

/** An ADS-profile simulator started through `start` (from `useSimulators`), and a user-name login to it. */
export async function adsSimulator(
  start: (options?: SimulatorOptions) => Promise<RunningSimulator>,
  options: SimulatorOptions = {},
): Promise<{ sim: RunningSimulator; user: string; login: () => Promise<RawClient> }> {
  const sim = await start({ profile: "ads", pingIntervalMs: 10_000, ...options });
  const user = sim.accounts[0]!.user;
  const login = async (): Promise<RawClient> => {
    const client = await connectRaw(sim.wsUrls[0]!);
    client.send(nameLogin(user));
    expect(await client.next(onStream(1))).toMatchObject({ Type: "Refresh", State: { Stream: "Open", Data: "Ok" } });
    return client;
  };
  return { sim, user, login };
}

/** Opens a streaming item request on `id` and checks its Open/Ok Refresh. */
export async function openItem(client: RawClient, id: number, ric: string): Promise<Received> {
  client.send({ ID: id, Key: { Name: ric } });
  const refresh = await client.next(onStream(id));
  expect(refresh).toMatchObject({ Type: "Refresh", State: { Stream: "Open", Data: "Ok" } });
  return refresh;
}
