/**
 * The checks of a chaos run, turned into a list of violations: every call settled once with a typed
 * outcome and the counts add up; each RIC's last value at the simulator is right; no PostID reused on a
 * connection; no reordering on a connection; never over the rate; never logged in twice at once; every outage
 * recovered; memory back near its start.
 */
import type { RunningSimulator } from "../../../src/simulator/index.js";
import type { ClientLedger } from "./client-ledger.js";
import { SEQUENCE_FIELD, type ServerObserver } from "./server-observer.js";

/** Result of comparing each RIC's final value with what the client knows. */
export interface FinalValueCheck {
  rics: number;
  /** RICs whose last contribution was acknowledged: the simulator must hold exactly that value. */
  lastAcked: number;
  /** RICs whose last contribution was not acknowledged: the value must lie between the last acked and it. */
  lastUnacknowledged: number;
  mismatches: number;
  /** RICs updated since the last restart whose live simulator state disagrees with the external log. */
  logDisagreements: number;
  examples: string[];
}

/**
 * Compares, per RIC, the simulator's last accepted value (the external log across restarts) with the client's
 * view. A later post that was Naked or failed does not change the server's value, and one whose Ack was lost
 * may or may not have: so with L the last value contributed and A the last one acknowledged, the server must
 * hold L when L was acknowledged, and otherwise a value in [A, L].
 */
export function checkFinalValues(ledger: ClientLedger, observer: ServerObserver, sim: RunningSimulator, epoch: number) {
  const result: FinalValueCheck = {
    rics: ledger.rics.length,
    lastAcked: 0,
    lastUnacknowledged: 0,
    mismatches: 0,
    logDisagreements: 0,
    examples: [],
  };
  for (const [index, ric] of ledger.rics.entries()) {
    const last = ledger.lastContributed(index);
    const acked = ledger.ackedMax[index] ?? -1;
    const server = observer.lastAccepted[index] ?? -1;
    const lastWasAcked = ledger.lastOutcome(index) === "acked";
    if (lastWasAcked) result.lastAcked += 1;
    else result.lastUnacknowledged += 1;
    const right = lastWasAcked ? server === last : server >= acked && server <= last;
    if (!right) {
      result.mismatches += 1;
      if (result.examples.length < 10) {
        result.examples.push(
          `${ric}: simulator ${server}, last contributed ${last} (${ledger.lastOutcome(index)}), last acked ${acked}`,
        );
      }
    }
    if (observer.acceptedInEpoch[index] === epoch) {
      const live = sim.state.rics.get(ric)?.fields[SEQUENCE_FIELD];
      if (live !== server) {
        result.logDisagreements += 1;
        if (result.examples.length < 10) result.examples.push(`${ric}: live state ${String(live)} but log ${server}`);
      }
    }
  }
  return result;
}

/** What the violations are computed from. */
export interface EvaluationInput {
  ledger: ClientLedger;
  observer: ServerObserver;
  /** Values once the fault phase settled. */
  valuesAfterFaults: FinalValueCheck;
  /** Values after the quiet last round. */
  finalValues: FinalValueCheck;
  maxMessagesPerSecond: number;
  /** Recoveries that did not happen within the wait. */
  recoveryTimeouts: number;
  /** The error that stopped the contributor before the run closed it, if any. */
  fatal: Error | undefined;
  heapStartMb: number;
  heapEndMb: number;
  /** Allowed heap growth from start to end, MiB. */
  heapGrowthLimitMb: number;
  /** Whether re-send reordering (stale overwrites, wrong values right after the faults) is a violation. */
  reorderByResendIsViolation: boolean;
}

/** Every broken invariant as one sentence; empty when the run passed. */
export function violationsOf(input: EvaluationInput): string[] {
  const { ledger, observer, finalValues } = input;
  const counts = ledger.counts;
  const server = observer.findings;
  const violations: string[] = [];
  const check = (ok: boolean, sentence: string): void => {
    if (!ok) violations.push(sentence);
  };
  check(input.fatal === undefined, `the contributor stopped on its own: ${input.fatal?.message ?? ""}`);
  check(ledger.pending === 0, `${ledger.pending} contribute() calls never settled`);
  check(
    ledger.outcomesTotal === counts.calls,
    `outcomes (${ledger.outcomesTotal}) do not add up to calls (${counts.calls})`,
  );
  check(counts.untyped === 0, `${counts.untyped} rejections were not typed RccErrors: ${counts.examples.join("; ")}`);
  check(counts.settledTwice === 0, `${counts.settledTwice} calls settled more than once`);
  check(counts.crossedAcks === 0, `${counts.crossedAcks} Acks resolved a call for another RIC`);
  check(server.postIdReuses === 0, `PostIDs reused on a connection ${server.postIdReuses} times`);
  check(server.postsWithoutPostId === 0, `${server.postsWithoutPostId} posts carried no PostID`);
  check(
    server.reordersWithinConnection === 0,
    `values reordered on a connection ${server.reordersWithinConnection} times`,
  );
  check(server.maxConcurrentLogins <= 1, `the user was logged in on ${server.maxConcurrentLogins} connections at once`);
  check(server.messagesOverLimit === 0, `${server.messagesOverLimit} messages arrived over the rate limit`);
  check(
    server.maxMessagesInWindow <= input.maxMessagesPerSecond,
    `${server.maxMessagesInWindow} messages in one second (limit ${input.maxMessagesPerSecond})`,
  );
  check(finalValues.mismatches === 0, `${finalValues.mismatches} RICs end with a wrong value`);
  check(finalValues.logDisagreements === 0, `${finalValues.logDisagreements} RICs disagree with the live state`);
  check(
    input.valuesAfterFaults.logDisagreements === 0,
    `${input.valuesAfterFaults.logDisagreements} RICs disagreed with the live state after the fault phase`,
  );
  check(input.recoveryTimeouts === 0, `${input.recoveryTimeouts} outages did not recover`);
  check(
    input.heapEndMb - input.heapStartMb <= input.heapGrowthLimitMb,
    `heap grew from ${input.heapStartMb} MiB to ${input.heapEndMb} MiB (limit +${input.heapGrowthLimitMb} MiB)`,
  );
  if (input.reorderByResendIsViolation) {
    check(
      server.staleOverwrites === 0,
      `an older value overwrote a newer acknowledged one ${server.staleOverwrites} times`,
    );
    const after = input.valuesAfterFaults;
    check(after.mismatches === 0, `${after.mismatches} RICs held a wrong value right after the fault phase`);
  }
  return violations;
}
