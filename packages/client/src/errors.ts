/**
 * The errors the SDK throws. Every one extends {@link QuorumKvError}; switch on the class (or on
 * `code`, the Connect code name) rather than on messages. A missing key is never an error: `get`
 * answers `found: false`.
 *
 * Mapping from Connect error codes lives in one place: `error-mapping.ts`.
 */

/** One replica's part in a failed quorum request (from the server's `QuorumFailure` detail). */
export interface ReplicaOutcome {
  /** Node id of the replica asked. */
  readonly nodeId: string;
  /** True when the replica stood in for a primary that was down (sloppy quorum). */
  readonly fallback: boolean;
  /** True when it answered successfully in time. */
  readonly ok: boolean;
  /** Why it did not answer, when `ok` is false. */
  readonly error: string;
}

/** Base class of every error the SDK throws. */
export class QuorumKvError extends Error {
  override name = 'QuorumKvError';
  /**
   * @param message - what went wrong, naming the node or field where known
   * @param code - the Connect code name (`"unavailable"`, `"invalid_argument"`, ...) or `"client"`
   * @param node - host:port of the node that answered or failed, when known
   */
  constructor(
    message: string,
    readonly code: string,
    readonly node?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A read or write could not reach R or W replicas. Nothing written on the replicas that did answer is lost. */
export class QuorumNotMetError extends QuorumKvError {
  override name = 'QuorumNotMetError';
  constructor(
    message: string,
    /** `"get"`, `"put"` or `"delete"`. */
    readonly operation: string,
    /** Replicas the coordinator asked. */
    readonly asked: number,
    /** Replicas that answered successfully. */
    readonly answered: number,
    /** Replicas required (R or W). */
    readonly required: number,
    /** Per replica detail. */
    readonly replicas: readonly ReplicaOutcome[],
    node?: string,
    options?: { cause?: unknown },
  ) {
    super(message, 'unavailable', node, options);
  }
}

/** The request was malformed; `field` names the request field the server rejected (e.g. `"key"`, `"w"`). */
export class InvalidArgumentError extends QuorumKvError {
  override name = 'InvalidArgumentError';
  constructor(
    message: string,
    /** Request field path, or `""` when the server did not say. */
    readonly field: string,
    /** What is wrong with it. */
    readonly description: string,
    node?: string,
    options?: { cause?: unknown },
  ) {
    super(message, 'invalid_argument', node, options);
  }
}

/** The node shed load (RESOURCE_EXHAUSTED). Safe to retry later; the SDK already retried with backoff. */
export class OverloadedError extends QuorumKvError {
  override name = 'OverloadedError';
  constructor(message: string, node?: string, options?: { cause?: unknown }) {
    super(message, 'resource_exhausted', node, options);
  }
}

/** The request's deadline (`timeoutMs`) passed before an answer came. A write may or may not have happened. */
export class TimeoutError extends QuorumKvError {
  override name = 'TimeoutError';
  constructor(
    message: string,
    /** The deadline that passed, in milliseconds. */
    readonly timeoutMs: number,
    node?: string,
    options?: { cause?: unknown },
  ) {
    super(message, 'deadline_exceeded', node, options);
  }
}

/** No node could be reached (connection refused, reset, or the node is shutting down). */
export class UnavailableError extends QuorumKvError {
  override name = 'UnavailableError';
  constructor(message: string, node?: string, options?: { cause?: unknown }) {
    super(message, 'unavailable', node, options);
  }
}

/** The caller's `AbortSignal` fired; the request was cancelled. */
export class CancelledError extends QuorumKvError {
  override name = 'CancelledError';
  constructor(message: string, node?: string, options?: { cause?: unknown }) {
    super(message, 'canceled', node, options);
  }
}

/** The key has more siblings than the server allows (FAILED_PRECONDITION): read it and write back a resolved value. */
export class TooManySiblingsError extends QuorumKvError {
  override name = 'TooManySiblingsError';
  constructor(message: string, node?: string, options?: { cause?: unknown }) {
    super(message, 'failed_precondition', node, options);
  }
}
