/**
 * What the status page (`/`) shows, as one JSON snapshot: each account's session, rate and backlog, and the
 * latest outcomes. No price, key or password is in it (outcomes carry ids, RICs, states and Nak codes).
 */
import type { SessionState } from "../index.js";
import type { ClusterSnapshot } from "./cluster/cluster-runtime.js";
import type { Outbox } from "./outbox/outbox.js";

/** One account as the status page shows it. */
export interface AccountStatus {
  name: string;
  rics: readonly string[];
  state: SessionState;
  /** The RCC endpoint in use or next in line. */
  endpoint: string;
  /** TRCE:MaxMessagesPerSecond in force, messages per second. */
  rateLimit: number;
  /** Posts written in the last second. */
  rateInUse: number;
  reconnects: number;
  tokenRefreshes: number;
  /** Items not yet final. */
  pendingItems: number;
  pendingBytes: number;
  /** Age of the oldest item not yet final, seconds (0 when none waits). */
  oldestPendingSeconds: number;
}

/** One recent outcome. */
interface RecentOutcome {
  cursor: number;
  id: string;
  ric: string;
  account: string;
  state: string;
  nakCode?: string;
  settledAt?: string;
}

/** The snapshot. */
export interface GatewayStatus {
  startedAt: string;
  /** When this snapshot was taken. */
  at: string;
  outbox: string;
  accounts: AccountStatus[];
  /** The latest outcomes, newest first. */
  recent: RecentOutcome[];
  /** In cluster mode: the cluster as this gateway sees it (its leases, NATS, live gateways). */
  cluster?: ClusterSnapshot;
}

/** Outcomes a snapshot lists. */
const RECENT = 20;

/** Reads a snapshot from the outbox and the accounts' live figures. */
export function readStatus(
  outbox: Outbox,
  accounts: readonly Omit<AccountStatus, "pendingItems" | "pendingBytes" | "oldestPendingSeconds">[],
  startedAtMs: number,
  nowMs: number,
  cluster?: ClusterSnapshot,
): GatewayStatus {
  const recent = outbox
    .outcomesAfter(Math.max(0, outbox.lastCursor() - RECENT), RECENT)
    .reverse()
    .map((record) => {
      const outcome: RecentOutcome = {
        cursor: record.cursor,
        id: record.item.id,
        ric: record.item.ric,
        account: record.item.account,
        state: record.item.state,
      };
      if (record.item.nakCode !== undefined) outcome.nakCode = record.item.nakCode;
      if (record.item.settledAtMs !== undefined) outcome.settledAt = new Date(record.item.settledAtMs).toISOString();
      return outcome;
    });
  return {
    startedAt: new Date(startedAtMs).toISOString(),
    at: new Date(nowMs).toISOString(),
    outbox: outbox.path,
    accounts: accounts.map((account) => {
      const depth = outbox.depth(account.name);
      return {
        ...account,
        pendingItems: depth.items,
        pendingBytes: depth.bytes,
        oldestPendingSeconds:
          depth.oldestAcceptedAtMs === undefined ? 0 : Math.max(0, (nowMs - depth.oldestAcceptedAtMs) / 1000),
      };
    }),
    recent,
    ...(cluster === undefined ? {} : { cluster }),
  };
}
