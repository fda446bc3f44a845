/** Machine-readable reason carried by every {@link RingError}. */
export type RingErrorCode =
  | 'INVALID_PARTITION_COUNT'
  | 'INVALID_ARGUMENT'
  | 'INVALID_NODE'
  | 'DUPLICATE_NODE'
  | 'UNKNOWN_NODE'
  | 'NOT_ENOUGH_NODES'
  | 'CORRUPT_RING'
  | 'STALE_PLAN'
  | 'TRANSITION_IN_PROGRESS'
  | 'NO_TRANSITION'
  | 'TRANSITION_NOT_DONE';

/** Base class of every error thrown by `@quorumkv/ring`; switch on {@link RingError.code}. */
export class RingError extends Error {
  override name = 'RingError';
  constructor(
    readonly code: RingErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The partition count Q is not a power of two between 8 and 65536. */
export class InvalidPartitionCountError extends RingError {
  override name = 'InvalidPartitionCountError';
  constructor(readonly partitionCount: unknown) {
    super(
      'INVALID_PARTITION_COUNT',
      `invalid partition count ${String(partitionCount)}: must be a power of two from 8 to 65536`,
    );
  }
}

/** A numeric or structural argument is out of range (n, targetN, a partition index, a plan). */
export class RingArgumentError extends RingError {
  override name = 'RingArgumentError';
  constructor(
    readonly argument: string,
    detail: string,
  ) {
    super('INVALID_ARGUMENT', `invalid ${argument}: ${detail}`);
  }
}

/** A node description is malformed (empty id, non-positive weight, unknown state...). */
export class InvalidNodeError extends RingError {
  override name = 'InvalidNodeError';
  constructor(
    readonly nodeId: string,
    detail: string,
  ) {
    super('INVALID_NODE', `invalid node ${JSON.stringify(nodeId)}: ${detail}`);
  }
}

/** A node id appears twice, or a joining node is already a member. */
export class DuplicateNodeError extends RingError {
  override name = 'DuplicateNodeError';
  constructor(readonly nodeId: string) {
    super('DUPLICATE_NODE', `node ${JSON.stringify(nodeId)} is already a member of the ring`);
  }
}

/** A node id named in a plan, weight change or move is not a member of the ring. */
export class UnknownNodeError extends RingError {
  override name = 'UnknownNodeError';
  constructor(readonly nodeId: string) {
    super('UNKNOWN_NODE', `unknown node ${JSON.stringify(nodeId)}: not a member of the ring`);
  }
}

/** Fewer nodes than required: a strict preference list of n, or a ring with no active node left. */
export class NotEnoughNodesError extends RingError {
  override name = 'NotEnoughNodesError';
  constructor(
    readonly needed: number,
    readonly available: number,
    what = 'distinct owner nodes',
  ) {
    super('NOT_ENOUGH_NODES', `not enough nodes: need ${needed} ${what}, the ring has ${available}`);
  }
}

/** Encoded ring bytes are truncated, corrupted (checksum mismatch) or not a ring at all. */
export class CorruptRingError extends RingError {
  override name = 'CorruptRingError';
  constructor(readonly reason: string) {
    super('CORRUPT_RING', `corrupt ring encoding: ${reason}`);
  }
}

/** A plan was computed for a different ring (version or checksum) than the one it is applied to. */
export class StalePlanError extends RingError {
  override name = 'StalePlanError';
  constructor(
    readonly planVersion: number,
    readonly ringVersion: number,
    detail = '',
  ) {
    super(
      'STALE_PLAN',
      `stale plan: made for ring version ${planVersion}, ring is at version ${ringVersion}${detail ? ` (${detail})` : ''}`,
    );
  }
}

/** A transition was begun on a ring that already has one: commit the next change after it finishes. */
export class TransitionInProgressError extends RingError {
  override name = 'TransitionInProgressError';
  constructor(
    readonly ringVersion: number,
    readonly pending: number,
  ) {
    super(
      'TRANSITION_IN_PROGRESS',
      `ring version ${ringVersion} already has a transition in progress (${pending} partitions not done): a new one can begin only after it finishes`,
    );
  }
}

/** A transition operation (markDone, finishTransition) on a ring that has none. */
export class NoTransitionError extends RingError {
  override name = 'NoTransitionError';
  constructor(readonly ringVersion: number) {
    super('NO_TRANSITION', `ring version ${ringVersion} has no transition in progress`);
  }
}

/** finishTransition on a ring whose transition still has partitions without their data. */
export class TransitionNotDoneError extends RingError {
  override name = 'TransitionNotDoneError';
  constructor(readonly pendingPartitions: readonly number[]) {
    const shown = pendingPartitions.slice(0, 8).join(', ');
    const more = pendingPartitions.length > 8 ? ', ...' : '';
    super(
      'TRANSITION_NOT_DONE',
      `transition not done: ${pendingPartitions.length} partitions still wait for transfers (${shown}${more})`,
    );
  }
}
