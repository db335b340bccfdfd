/**
 * Helpers of the gateway tests: the simulator's demo account as a gateway account's connection, and the
 * outcome stream read until given ids are final.
 */
import { expect } from "vitest";
import type { RunningSimulator } from "../../src/simulator/index.js";
import type { SseStream } from "./sse.js";
import { waitFor } from "./wait-for.js";

/** The connection of the simulator's first account, as a gateway account's `contributor` options. */
export function simContributor(sim: RunningSimulator): {
  urls: string[];
  authUrl: string;
  user: string;
  password: string;
  clientId: string;
} {
  const account = sim.accounts[0]!;
  return {
    urls: sim.wsUrls,
    authUrl: sim.authUrl,
    user: account.user,
    password: account.password,
    clientId: account.clientId,
  };
}

/**
 * Reads `outcome` events off `stream` until each of `ids` has one, then expects each to have exactly one final
 * outcome, `acked` or `superseded`. @returns every id's final states in the order they came.
 */
export async function expectOneFinalOutcomeEach(
  stream: SseStream,
  ids: readonly string[],
  timeoutMs: number,
): Promise<Map<string, string[]>> {
  const finals = new Map<string, string[]>();
  await waitFor(
    () => {
      for (const event of stream.events.splice(0)) {
        const states = finals.get(event.data.id as string) ?? [];
        states.push(event.data.state as string);
        finals.set(event.data.id as string, states);
      }
      return ids.every((id) => finals.has(id));
    },
    timeoutMs,
    () => `every accepted id final (${ids.filter((id) => finals.has(id)).length} of ${ids.length})`,
    50,
  );
  for (const id of ids) {
    const states = finals.get(id)!;
    expect(states, id).toHaveLength(1); // exactly one final outcome
    expect(["acked", "superseded"], id).toContain(states[0]);
  }
  return finals;
}
