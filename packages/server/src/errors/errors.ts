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
export abstract class QuorumKvError extends Error {}

/** A request field is invalid; `field` names it. */
export class InvalidArgumentError extends QuorumKvError {
  override readonly name = 'InvalidArgumentError';
  constructor(
    readonly field: string,
    readonly description: string,
  ) {
    super(`${field}: ${description}`);
  }
}

/** Fewer replicas answered than the request's R or W. What the answering replicas stored is kept. */
export class QuorumNotMetError extends QuorumKvError {
  override readonly name = 'QuorumNotMetError';
  constructor(
    readonly operation: 'get' | 'put' | 'delete' | 'list_keys',
    readonly asked: number,
    readonly answered: number,
    readonly required: number,
    readonly replicas: ReplicaOutcome[],
  ) {
    super(`${operation}: quorum not met: asked ${asked}, answered ${answered}, required ${required}`);
  }
}

/** The node has too many requests in flight and sheds this one. */
export class OverloadedError extends QuorumKvError {
  override readonly name = 'OverloadedError';
  constructor(readonly inFlight: number, readonly limit: number) {
    super(`node overloaded: ${inFlight} requests in flight (limit ${limit}); retry with backoff`);
  }
}

/** A write would grow a key past the sibling limit. */
export class TooManySiblingsError extends QuorumKvError {
  override readonly name = 'TooManySiblingsError';
  constructor(readonly siblings: number, readonly limit: number) {
    super(`too many siblings: the write would leave ${siblings} (limit ${limit}); read the key and write with its context to resolve them`);
  }
}

/** The request's deadline passed. */
export class DeadlineError extends QuorumKvError {
  override readonly name = 'DeadlineError';
  constructor(readonly timeoutMs: number) {
    super(`deadline of ${timeoutMs} ms exceeded`);
  }
}

/** A write could not be stored because the data dir is full. */
export class NodeStorageFullError extends QuorumKvError {
  override readonly name = 'NodeStorageFullError';
  constructor(message: string) {
    super(`storage full: ${message}`);
  }
}

/** Internal traffic from a node of another cluster. */
export class ForeignClusterError extends QuorumKvError {
  override readonly name = 'ForeignClusterError';
  constructor(readonly theirs: string, readonly ours: string) {
    super(`request from cluster ${theirs}, this node belongs to cluster ${ours}`);
  }
}

/** The node is not ready to serve (no ring yet, shutting down). */
export class NotReadyError extends QuorumKvError {
  override readonly name = 'NotReadyError';
  constructor(reason: string) {
    super(`node not ready: ${reason}`);
  }
}
