/** Membership state of a node: `leaving` nodes are drained to zero partitions by the next plan. */
export type NodeState = 'active' | 'leaving';

/** A cluster member as recorded in the ring. */
export interface RingNode {
  /** Unique, non-empty node id; the ring refers to owners by this id. */
  readonly id: string;
  /** Where to reach the node (opaque to this package, e.g. `"10.0.0.7:7070"`). */
  readonly address: string;
  /** Failure domain (rack, availability zone); replicas prefer distinct zones. */
  readonly zone: string;
  /** Relative capacity, a finite number > 0; partitions are shared in proportion to it. */
  readonly weight: number;
  /** `active` members own partitions; `leaving` members are being drained. */
  readonly state: NodeState;
}

/** A node as given to {@link createRing} or a plan's `join`; omitted fields take the defaults. */
export interface RingNodeInit {
  readonly id: string;
  readonly address: string;
  /** Default `"default"`: all nodes without a zone share one zone. */
  readonly zone?: string;
  /** Default `1`. */
  readonly weight?: number;
  /** Default `"active"`. */
  readonly state?: NodeState;
}

/**
 * The partition ring: an immutable (deeply frozen) value. Every change goes through a plan and
 * yields a new ring with `version + 1`.
 */
export interface Ring {
  /** Monotonic version; {@link createRing} starts at 1. */
  readonly version: number;
  /** Q, the fixed number of partitions (power of two, 8..65536). */
  readonly partitionCount: number;
  /** N used by claim when spreading consecutive partitions over distinct nodes and zones. */
  readonly targetN: number;
  /** `owners[p]` is the id of the node owning partition p; length Q. */
  readonly owners: readonly string[];
  /** Members sorted by id. */
  readonly nodes: readonly RingNode[];
  /**
   * The ownership change in progress, if any (see transition.ts): while it is set, the replica
   * set of a partition that is not yet `done` is still read from `owners`, and the nodes it gains
   * under the target receive writes and a transfer.
   */
  readonly transition?: RingTransition;
  /** 8 hex digits over the canonical encoding: equal rings have equal checksums. */
  readonly checksum: string;
}

/**
 * A committed ownership change on its way: the ring it leads to, and which key-partitions already
 * have their data on every node that gains them. Made by {@link beginTransition}, advanced by
 * {@link markDone}, closed by {@link finishTransition}.
 */
export interface RingTransition {
  /** Owner of each partition once the transition finishes; length Q, ids of `nodes`. */
  readonly owners: readonly string[];
  /** Members once the transition finishes, sorted by id (leaving nodes own nothing there). */
  readonly nodes: readonly RingNode[];
  /** targetN of the ring the transition leads to. */
  readonly targetN: number;
  /**
   * Ring version at which the transition began: it names the transition (markDone changes the
   * version, not this), so reports about its transfers are never taken for another's.
   */
  readonly since: number;
  /**
   * Largest replica count the transfers cover (the largest bucket n when committed, 1..255):
   * every n up to it is covered, each bucket's keys going to the nodes its own n adds.
   */
  readonly n: number;
  /**
   * `done[p]`: every node that joins a replica set of key-partition p (for any n up to `n`)
   * holds its data; reads of p then use the target replica sets. Length Q.
   */
  readonly done: readonly boolean[];
}

/** Counts of spread violations: windows of targetN consecutive partitions with a repeat. */
export interface SpreadViolations {
  /** Windows (by starting partition) holding the same node twice. */
  readonly node: number;
  /** Windows holding the same zone twice. */
  readonly zone: number;
}
