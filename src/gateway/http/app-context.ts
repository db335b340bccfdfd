/** What the gateway's routes work with (http/app.ts builds the app from it). */
import type { Logger, SessionState } from "../../index.js";
import type { ApiKeys } from "../api-keys.js";
import type { ClusterSnapshot } from "../cluster/cluster-runtime.js";
import type { RoutedAccount } from "../contributions.js";
import type { GatewayMetrics } from "../metrics.js";
import type { Outbox } from "../outbox/outbox.js";
import type { SettleWaiters } from "../settle-waiters.js";
import type { GatewayStatus } from "../status.js";

/** What the routes work with. */
export interface AppContext {
  log: Logger;
  apiKeys: ApiKeys;
  outbox: Outbox;
  accounts: readonly RoutedAccount[];
  waiters: SettleWaiters;
  metrics: GatewayMetrics;
  now: () => number;
  bodyLimitBytes: number;
  maxItemsPerRequest: number;
  maxWaitMs: number;
  tls?: { cert: string; key: string };
  closing: () => boolean;
  /** Each account's session; in cluster mode with `leader` (an account another gateway leads is not waited for). */
  readiness: () => { account: string; state: SessionState; leader?: boolean }[];
  /** In cluster mode: the cluster as this gateway sees it. */
  cluster?: () => ClusterSnapshot;
  /** In cluster mode: whether NATS is reachable and the view follows the streams. */
  healthy?: () => boolean;
  wake: (account: string) => void;
  /** Items per second the account is settling now (its rate in use, else its limit). */
  drainRate: (account: string) => number;
  /** The status page's snapshot (status.ts). */
  status: () => GatewayStatus;
  /** Subscribes to "new outcomes are durable"; returns the unsubscribe. */
  onOutcomes: (listener: () => void) => () => void;
}
