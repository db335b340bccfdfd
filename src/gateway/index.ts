/**
 * `rcc-contrib/gateway`: the contribution service — an HTTP API in front of a durable outbox and one
 * self-healing RCC session per account (docs/gateway.md). `rcc gateway` runs it from the command line; a
 * program can start one itself with {@link startGateway}. It loads fastify, prom-client, zod and (when the
 * outbox opens) better-sqlite3, none of which the client entry loads.
 */
export { startGateway, type GatewayAccount, type GatewayOptions, type RunningGateway } from "./gateway.js";
export { type ApiKeyConfig, generateApiKey, hashApiKey } from "./api-keys.js";
export { OutboxOpenError } from "./outbox/sqlite-outbox.js";
export type { ItemState } from "./outbox/outbox.js";
export type { GatewayNatsOptions } from "./cluster/nats-options.js";
