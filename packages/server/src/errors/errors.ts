// The node's typed errors. Each stands for one ErrorReason of the wire contract; which Connect code
// and detail it becomes is decided in one place, `connect-errors.ts`. Named `Node…` so they are
// never confused with the SDK's errors of the same meaning.

/** How one replica fared in a quorum request (mirrors the wire's ReplicaAnswer). */
export interface ReplicaOutcome {
  nodeId: string;
  fallback: boolean;
  standingInFor: string;
  ok: boolean;
  error: string;
  latencyUs: number;
}

/** Base class of every error the node reports to clients. */
export abstract class NodeError extends Error {}

/** A request field is invalid; `field` names it (ERROR_REASON_INVALID_FIELD). */
export class NodeArgumentError extends NodeError {
  override readonly name = 'NodeArgumentError';
  constructor(
    readonly field: string,
    readonly description: string,
  ) {
    super(`${field}: ${description}`);
  }
}

/** A request body or stream message is not a valid message of its type (ERROR_REASON_MALFORMED_REQUEST). */
export class NodeMalformedRequestError extends NodeError {
  override readonly name = 'NodeMalformedRequestError';
}

/** What a quorum request got before it failed. */
export interface QuorumFacts {
  operation: 'get' | 'put' | 'delete' | 'list_keys';
  asked: number;
  answered: number;
  required: number;
  replicas: ReplicaOutcome[];
  /** The request's deadline ended the wait, rather than the replicas' failures. */
  deadlinePassed: boolean;
}

/**
 * Fewer replicas answered than the request's R or W: because they failed or were down
 * (ERROR_REASON_QUORUM_NOT_MET) or because the deadline passed first (ERROR_REASON_DEADLINE_EXCEEDED).
 * What the answering replicas stored is kept.
 */
export class NodeQuorumNotMetError extends NodeError {
  override readonly name = 'NodeQuorumNotMetError';
  readonly operation: QuorumFacts['operation'];
  readonly asked: number;
  readonly answered: number;
  readonly required: number;
  readonly replicas: ReplicaOutcome[];
  readonly deadlinePassed: boolean;

  constructor(f: QuorumFacts) {
    const why = f.deadlinePassed ? 'deadline passed before the quorum' : 'quorum not met';
    super(`${f.operation}: ${why}: asked ${f.asked}, answered ${f.answered}, required ${f.required}`);
    this.operation = f.operation;
    this.asked = f.asked;
    this.answered = f.answered;
    this.required = f.required;
    this.replicas = f.replicas;
    this.deadlinePassed = f.deadlinePassed;
  }
}

/** The node has too many requests in flight and sheds this one (ERROR_REASON_OVERLOADED). */
export class NodeOverloadedError extends NodeError {
  override readonly name = 'NodeOverloadedError';
  constructor(readonly inFlight: number, readonly limit: number) {
    super(`node overloaded: ${inFlight} requests in flight (limit ${limit}); retry with backoff`);
  }
}

/**
 * A request broke a hard limit of the node (ERROR_REASON_LIMIT_EXCEEDED): a message or body larger
 * than it accepts, too many operations in one message. `limit` names it: a node setting
 * (`maxMessageBytes`) or a protocol constant (`SESSION_MAX_OPS_PER_MESSAGE`).
 */
export class NodeLimitExceededError extends NodeError {
  override readonly name = 'NodeLimitExceededError';
  constructor(
    readonly limit: string,
    readonly description: string,
  ) {
    super(`limit exceeded: ${limit}: ${description}`);
  }
}

/** A write would grow a key past the sibling limit (ERROR_REASON_TOO_MANY_SIBLINGS). */
export class NodeTooManySiblingsError extends NodeError {
  override readonly name = 'NodeTooManySiblingsError';
  constructor(readonly siblings: number, readonly limit: number) {
    super(`too many siblings: the write would leave ${siblings} (limit ${limit}); read the key and write with its context to resolve them`);
  }
}

/** A write could not be stored because the data dir is full (ERROR_REASON_STORAGE_FULL). */
export class NodeStorageFullError extends NodeError {
  override readonly name = 'NodeStorageFullError';
  constructor(message: string) {
    super(`storage full: ${message}`);
  }
}

/** Internal traffic from a node of another cluster (ERROR_REASON_FOREIGN_CLUSTER). */
export class NodeForeignClusterError extends NodeError {
  override readonly name = 'NodeForeignClusterError';
  constructor(readonly theirs: string, readonly ours: string) {
    super(`request from cluster ${theirs}, this node belongs to cluster ${ours}`);
  }
}

/** The node cannot serve (no ring yet, or stopping) and did no work (ERROR_REASON_NOT_READY). */
export class NodeNotReadyError extends NodeError {
  override readonly name = 'NodeNotReadyError';
  constructor(reason: string) {
    super(`node not ready: ${reason}`);
  }
}

/**
 * This node's ring changed between routing a write (its plan: replica set and bucket n) and
 * minting it: the write was not made. The front door routes it again by the new ring; should the
 * ring keep moving, the client gets this as NOT_READY and retries.
 */
export class NodeRingMovedError extends NodeNotReadyError {
  constructor(
    readonly plannedVersion: number,
    readonly currentVersion: number,
  ) {
    super(`the ring moved from version ${plannedVersion} to ${currentVersion} while the write was routed; nothing was written, retry`);
  }
}

/**
 * The request carries no credentials the node accepts: no bearer token, an unknown or expired one,
 * or an internal call without a cluster member's certificate (ERROR_REASON_UNAUTHENTICATED). The
 * message says no more than that, on purpose: it must not help someone guessing.
 */
export class NodeUnauthenticatedError extends NodeError {
  override readonly name: string = 'NodeUnauthenticatedError';
  constructor() {
    super('unauthenticated: this node requires credentials it accepts');
  }
}

/**
 * A member's certificate names another node than the one its message claims to come from (the
 * gossip sender, a replica header's from-node): refused as unauthenticated, with the same message.
 */
export class NodeIdentityMismatchError extends NodeUnauthenticatedError {
  override readonly name = 'NodeIdentityMismatchError';
}

/** The caller's credentials do not allow this request (ERROR_REASON_PERMISSION_DENIED). */
export class NodePermissionDeniedError extends NodeError {
  override readonly name = 'NodePermissionDeniedError';
  constructor(what: string) {
    super(`permission denied: ${what}`);
  }
}

/**
 * A membership change refused as asked (nothing staged, a transition in progress, a stale plan, a
 * node gossip does not know); nothing changed.
 */
export class NodeClusterChangeError extends NodeError {
  override readonly name = 'NodeClusterChangeError';
}
