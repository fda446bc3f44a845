/**
 * The errors the SDK throws. Every one extends {@link QuorumKvError}; switch on the class (or on
 * `code`, the Connect code name, or `reason`, the node's reason) rather than on messages. A missing
 * key is never an error: `get` answers `found: false`.
 *
 * Which error a node's answer becomes is decided in one place: `error-mapping.ts`.
 */
import type { ErrorReason } from '@quorumkv/protocol';

/**
 * Why a node failed a request, as the node said (its `ErrorReason`, in snake case), or
 * `"unspecified"` when the failure did not come with a reason (no node was reached, a proxy
 * answered, or the SDK itself gave up).
 */
export type ErrorReasonName = Lowercase<keyof typeof ErrorReason>;

/** One replica's part in a failed quorum request (from the node's `QuorumFailure` detail). */
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

/** How far a quorum request got before it failed. */
export interface QuorumFacts {
  /** `"get"`, `"put"`, `"delete"` or `"list_keys"`. */
  readonly operation: string;
  /** Replicas the coordinator asked. */
  readonly asked: number;
  /** Replicas that answered successfully. */
  readonly answered: number;
  /** Replicas required (R or W). */
  readonly required: number;
  /** Per replica detail. */
  readonly replicas: readonly ReplicaOutcome[];
}

/** Where an error came from. */
export interface ErrorOrigin {
  /** host:port of the node that answered or failed, when known. */
  readonly node?: string;
  /** The node's reason; default `"unspecified"`. */
  readonly reason?: ErrorReasonName;
  /** The underlying error, kept for debugging (never sent anywhere). */
  readonly cause?: unknown;
}

/** Base class of every error the SDK throws. */
export class QuorumKvError extends Error {
  override name = 'QuorumKvError';
  /** host:port of the node that answered or failed, when known. */
  readonly node: string | undefined;
  /** Why the node failed the request, or `"unspecified"` when it gave no reason. */
  readonly reason: ErrorReasonName;

  /**
   * @param message - what went wrong, naming the node or field where known
   * @param code - the Connect code name (`"unavailable"`, `"invalid_argument"`, ...)
   */
  constructor(
    message: string,
    readonly code: string,
    origin: ErrorOrigin = {},
  ) {
    super(message, origin.cause === undefined ? undefined : { cause: origin.cause });
    this.node = origin.node;
    this.reason = origin.reason ?? 'unspecified';
  }
}

/**
 * A read or write could not reach R or W replicas because they failed or were down. Nothing
 * written on the replicas that did answer is lost.
 */
export class QuorumNotMetError extends QuorumKvError implements QuorumFacts {
  override name = 'QuorumNotMetError';
  readonly operation: string;
  readonly asked: number;
  readonly answered: number;
  readonly required: number;
  readonly replicas: readonly ReplicaOutcome[];

  constructor(message: string, facts: QuorumFacts, origin?: ErrorOrigin) {
    super(message, 'unavailable', origin);
    this.operation = facts.operation;
    this.asked = facts.asked;
    this.answered = facts.answered;
    this.required = facts.required;
    this.replicas = facts.replicas;
  }
}

/**
 * The request was refused as malformed: a field the node rejected (`field` names it, e.g. `"key"`,
 * `"w"`), or (`reason` `"malformed_request"`, `field` empty) a body the node could not read.
 */
export class InvalidArgumentError extends QuorumKvError {
  override name = 'InvalidArgumentError';
  /** Request field path, or `""` when the node did not name one. */
  readonly field: string;
  /** What is wrong with it. */
  readonly description: string;

  constructor(message: string, facts: { field: string; description: string }, origin?: ErrorOrigin) {
    super(message, 'invalid_argument', origin);
    this.field = facts.field;
    this.description = facts.description;
  }
}

/** The node shed load (RESOURCE_EXHAUSTED) before doing any work. Safe to retry later; the SDK already retried with backoff. */
export class OverloadedError extends QuorumKvError {
  override name = 'OverloadedError';
  constructor(message: string, origin?: ErrorOrigin) {
    super(message, 'resource_exhausted', origin);
  }
}

/**
 * The request broke a hard limit of the node (RESOURCE_EXHAUSTED, reason `limit_exceeded`): a
 * message or body larger than the node accepts (`limit` is `"maxMessageBytes"`), or more
 * operations in one message than the protocol allows. Sent again unchanged it fails the same way,
 * so it is never retried.
 */
export class LimitExceededError extends QuorumKvError {
  override name = 'LimitExceededError';
  /** The limit: a node setting (`"maxMessageBytes"`) or a protocol constant. */
  readonly limit: string;
  /** The limit's value and what was sent. */
  readonly description: string;

  constructor(message: string, facts: { limit: string; description: string }, origin?: ErrorOrigin) {
    super(message, 'resource_exhausted', origin);
    this.limit = facts.limit;
    this.description = facts.description;
  }
}

/** The node's data dir is full (RESOURCE_EXHAUSTED): the write was not stored there. */
export class InsufficientStorageError extends QuorumKvError {
  override name = 'InsufficientStorageError';
  constructor(message: string, origin?: ErrorOrigin) {
    super(message, 'resource_exhausted', origin);
  }
}

/**
 * The request's deadline (`timeoutMs`) passed before an answer came. A write may or may not have
 * happened. When the node's own deadline ended the request, `quorum` says how far it got.
 */
export class TimeoutError extends QuorumKvError {
  override name = 'TimeoutError';
  /** The deadline that passed, in milliseconds. */
  readonly timeoutMs: number;
  /** The node's quorum facts, when the node (not the SDK) reported the deadline. */
  readonly quorum: QuorumFacts | undefined;

  constructor(message: string, facts: { timeoutMs: number; quorum?: QuorumFacts }, origin?: ErrorOrigin) {
    super(message, 'deadline_exceeded', origin);
    this.timeoutMs = facts.timeoutMs;
    this.quorum = facts.quorum;
  }
}

/** No node could be reached (connection refused, reset), or the node cannot serve yet. */
export class UnavailableError extends QuorumKvError {
  override name = 'UnavailableError';
  constructor(message: string, origin?: ErrorOrigin) {
    super(message, 'unavailable', origin);
  }
}

/**
 * A get of a client with `session` on found no replica set that had caught up with what this
 * client already read or wrote of the key (UNAVAILABLE): rather than return an older state, the
 * SDK read again at other coordinators and then gave up. Nothing was written; the replicas catch
 * up through hinted handoff and read repair, so a later get usually succeeds.
 */
export class StaleReadError extends QuorumKvError {
  override name = 'StaleReadError';
  /** Reads made, the first included. */
  readonly attempts: number;
  /** host:port of the coordinators whose answer was older than the session's. */
  readonly staleNodes: readonly string[];

  constructor(message: string, facts: { attempts: number; staleNodes: readonly string[] }, origin?: ErrorOrigin) {
    super(message, 'unavailable', origin);
    this.attempts = facts.attempts;
    this.staleNodes = facts.staleNodes;
  }
}

/** The caller's `AbortSignal` fired; the request was cancelled. */
export class CancelledError extends QuorumKvError {
  override name = 'CancelledError';
  constructor(message: string, origin?: ErrorOrigin) {
    super(message, 'canceled', origin);
  }
}

/** The key has more siblings than the node allows (FAILED_PRECONDITION): read it and write back a resolved value. */
export class TooManySiblingsError extends QuorumKvError {
  override name = 'TooManySiblingsError';
  constructor(message: string, origin?: ErrorOrigin) {
    super(message, 'failed_precondition', origin);
  }
}

/**
 * A membership change was refused as asked (FAILED_PRECONDITION): nothing staged, a transition in
 * progress, a plan made for an older ring, a node that is not a live member. Nothing changed.
 */
export class ClusterChangeError extends QuorumKvError {
  override name = 'ClusterChangeError';
  constructor(message: string, origin?: ErrorOrigin) {
    super(message, 'failed_precondition', origin);
  }
}

/** A node refused the request as coming from another cluster (FAILED_PRECONDITION): an address of the wrong cluster. */
export class ForeignClusterError extends QuorumKvError {
  override name = 'ForeignClusterError';
  constructor(message: string, origin?: ErrorOrigin) {
    super(message, 'failed_precondition', origin);
  }
}

/**
 * The node requires credentials the client did not send or that it does not accept (UNAUTHENTICATED):
 * no `token`, an unknown or expired one. Nothing was done.
 */
export class UnauthenticatedError extends QuorumKvError {
  override name = 'UnauthenticatedError';
  constructor(message: string, origin?: ErrorOrigin) {
    super(message, 'unauthenticated', origin);
  }
}

/** The client's token does not allow the request (PERMISSION_DENIED): a scope or bucket it lacks. Nothing was done. */
export class PermissionDeniedError extends QuorumKvError {
  override name = 'PermissionDeniedError';
  constructor(message: string, origin?: ErrorOrigin) {
    super(message, 'permission_denied', origin);
  }
}
