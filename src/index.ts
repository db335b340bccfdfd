/**
 * Public API of rcc-contrib (STYLE habit 9: one barrel; everything else is internal).
 */
export {
  startSimulator,
  DEMO_ACCOUNT,
  DEMO_RIC,
  FAULT_TYPES,
  type SimulatorOptions,
  type RunningSimulator,
  type ListenerHandle,
  type FaultSpec,
  type FaultType,
  type ActiveFault,
  type StateSnapshot,
  type ConnectionInfo,
  type ReceivedPost,
  type SimulatorConfig,
  type SimulatorConfigInput,
  type Account,
} from "./simulator/index.js";
export * from "./protocol/codes.js";
export * from "./protocol/messages.js";
export { type Clock, type TimerHandle, systemClock, ManualClock } from "./util/clock.js";
export { type Logger, createLogger, silentLogger } from "./util/logger.js";
export * from "./client/index.js";
export { EndpointPool } from "./client/connection/endpoint-pool.js";
export { refreshAtMs } from "./client/auth/token-schedule.js";
