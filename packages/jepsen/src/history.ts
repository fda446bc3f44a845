// The record of what clients asked and what they were told, with real-time bounds: the checkers'
// only input besides the final reads, so a history written to JSON can be checked again later.

/** Which workload an operation belongs to. */
export type Workload = 'set' | 'register' | 'lww';

/**
 * How an operation ended. `ok`: acknowledged. `fail`: certainly not applied (refused before any
 * replica could store it). `info`: unknown (timeout, quorum not met after some replica stored it):
 * it may or may not have taken effect, as in Jepsen.
 */
export type Outcome = 'ok' | 'fail' | 'info';

/** One client operation: an add to a set (`set`, `lww`) or a register write (`register`). */
export interface Operation {
  /** Client process that issued it (one operation at a time per process). */
  readonly process: number;
  readonly workload: Workload;
  readonly key: string;
  /** The unique value written (the element added, or the register's new value). */
  readonly value: string;
  /**
   * Register writes: the values of the read whose context the write carried (what it supersedes);
   * empty for a blind write. Adds: empty (the set checker needs only the element; the sets read
   * grow to thousands of elements, too many to repeat in every operation).
   */
  readonly saw: readonly string[];
  /**
   * Register and set operations that read first: when that read returned (ms since the run
   * started). Absent for a blind write and for a read that failed. Its values are `saw` (register).
   */
  readonly readCompleteMs?: number;
  /** Invocation and completion, ms since the run started (process.hrtime). */
  readonly invokeMs: number;
  readonly completeMs: number;
  readonly outcome: Outcome;
  /** The error's name and message, when not ok. */
  readonly error?: string;
  /** The write's causal context after it was acknowledged (base64), when ok. */
  readonly context?: string;
  /** LWW buckets: the coordinator said the write lost on timestamp (`receipt.lwwLost`). */
  readonly lwwLost?: boolean;
}

/** A Jepsen-style event: each operation is an `invoke` followed by its completion. */
export interface HistoryEvent {
  readonly type: 'invoke' | Outcome;
  readonly process: number;
  readonly workload: Workload;
  readonly key: string;
  readonly value: string;
  readonly timeMs: number;
  readonly error?: string;
}

/** The operations as invoke/complete events in time order. */
export function toEvents(ops: readonly Operation[]): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  for (const op of ops) {
    const base = { process: op.process, workload: op.workload, key: op.key, value: op.value };
    events.push({ ...base, type: 'invoke', timeMs: op.invokeMs });
    events.push({ ...base, type: op.outcome, timeMs: op.completeMs, ...(op.error !== undefined ? { error: op.error } : {}) });
  }
  return events.sort((a, b) => a.timeMs - b.timeMs);
}

/** Milliseconds since `origin` on the monotonic clock. */
export const elapsedMs = (origin: bigint): number => Number(process.hrtime.bigint() - origin) / 1e6;
