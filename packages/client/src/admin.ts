// Cluster administration through AdminService, answered by whichever node the call reaches (or the
// one named in `node`). Results are plain objects with numbers and string enums.
import {
  ConflictMode,
  HandoffState,
  Liveness,
  NodeState,
  type BucketProps as PbBucketProps,
  type NodeInfo as PbNodeInfo,
  type NodeOwnership as PbOwnership,
  type StagedChanges as PbStagedChanges,
} from '@quorumkv/protocol';
import { decodeRing, pendingPartitions, transfersOf } from '@quorumkv/ring';
import { toBytes, type BytesInput } from './codec.js';
import { num, toSibling, wireMillis } from './convert.js';
import type { Executor } from './executor.js';
import type { CallOptions, Sibling } from './types.js';

/** Options of admin calls: the usual call options plus the node to ask. */
export interface AdminCallOptions extends CallOptions {
  /** host:port of the node to ask (its own view); default any reachable node. */
  readonly node?: string;
}

/** How a bucket resolves concurrent writes. */
export type ConflictModeName = 'siblings' | 'lww';

/** A bucket's properties. */
export interface BucketInfo {
  readonly name: string;
  readonly n: number;
  readonly r: number;
  readonly w: number;
  readonly conflicts: ConflictModeName;
  /** Default time to live in ms; 0 means none. */
  readonly defaultTtlMs: number;
  readonly version: number;
}

/** Properties for {@link AdminClient.createBucket}; omitted fields take the node defaults. */
export interface BucketSpec {
  readonly name: string;
  readonly n?: number;
  readonly r?: number;
  readonly w?: number;
  readonly conflicts?: ConflictModeName;
  readonly defaultTtlMs?: number;
}

/** A cluster member. */
export interface MemberInfo {
  readonly id: string;
  readonly address: string;
  readonly zone: string;
  readonly weight: number;
  /** Ring state: `active`, `joining`, `leaving` (or `unspecified`). */
  readonly state: string;
  /** Failure-detector state: `alive`, `suspect`, `dead`, `left` (or `unspecified`). */
  readonly liveness: string;
  readonly incarnation: number;
}

/** Where a handoff transfer stands on its sender. */
export type HandoffStateName = 'active' | 'queued' | 'retrying' | 'unspecified';

/** One partition handoff transfer, as its sender reports it. */
export interface HandoffInfo {
  readonly partition: number;
  readonly fromNode: string;
  readonly toNode: string;
  /** Records sent (scanned) so far, of `total` in the partition on the sender. */
  readonly sent: number;
  readonly total: number;
  /** Bytes sent so far, and the bytes the partition's records take on the sender. */
  readonly bytesSent: number;
  readonly bytesTotal: number;
  readonly state: HandoffStateName;
  /** Milliseconds since this attempt started (0 while queued). */
  readonly elapsedMs: number;
  /** Why the last attempt failed (one line), or ''. */
  readonly error: string;
  /** Milliseconds until the next attempt, while retrying. */
  readonly retryInMs: number;
}

/** The hints a node holds for one target node. */
export interface HintTargetInfo {
  readonly nodeId: string;
  readonly pending: number;
  readonly bytes: number;
  readonly oldestAgeMs: number;
  /** How long the node has seen the target down; 0 while up. */
  readonly downForMs: number;
  /** Down longer than the hint window: no new hints are kept for it. */
  readonly windowClosed: boolean;
}

/** Hints a node holds, per target, and what its hint limits did since it started. */
export interface HintsInfo {
  readonly targets: HintTargetInfo[];
  readonly bytes: number;
  readonly quotaBytes: number;
  /** Removed (oldest first) to stay within the caps. */
  readonly evicted: number;
  /** Dropped past the max age. */
  readonly expired: number;
  /** Not stored: unknown target, target past the hint window, hint over the quota. */
  readonly refused: number;
}

/** A node's view of itself and the cluster. */
export interface StatusInfo {
  readonly nodeId: string;
  readonly clusterId: string;
  /** Partitions Q and default n of the cluster's definition, as this node was started with. */
  readonly partitionCount: number;
  readonly n: number;
  readonly version: string;
  readonly uptimeMs: number;
  readonly ringVersion: number;
  readonly ringChecksum: string;
  readonly memberCount: number;
  readonly aliveCount: number;
  readonly hintsPending: number;
  readonly hints: HintsInfo;
  readonly keys: number;
  /** Bytes the node's store takes. */
  readonly bytes: number;
  /** The most bytes its store may take. */
  readonly storageLimitBytes: number;
  /** Its last write that needed room was refused for lack of it (writes fail until room returns). */
  readonly storageFull: boolean;
  readonly partitionsOwned: number;
  readonly ready: boolean;
  readonly claimant: string;
  readonly handoffs: HandoffInfo[];
  readonly requestsInFlight: number;
}

/** Partitions owned by one node. */
export interface OwnershipInfo {
  readonly nodeId: string;
  readonly partitions: number;
  /** Share of the ring, 0 to 1. */
  readonly share: number;
}

/** The ring as a node holds it. */
export interface RingView {
  readonly version: number;
  readonly partitionCount: number;
  readonly checksum: string;
  readonly defaultN: number;
  readonly nodes: MemberInfo[];
  /** Owner node id of each partition. */
  readonly owners: string[];
  readonly ownership: OwnershipInfo[];
  /** The committed change in progress, if any: the version it began at and what is left of it. */
  readonly transition?: TransitionView;
}

/** A committed ring change on its way (see {@link RingView.transition}). */
export interface TransitionView {
  /** The ring version it began at (it names the change). */
  readonly since: number;
  /** Partitions whose new holders do not all have their data yet. */
  readonly pendingPartitions: number;
  /** Copies ((partition, receiving node) pairs) still to make. */
  readonly transfersLeft: number;
  /** Those copies: the partition, its receiver, and the current replicas it may come from (the owner first). */
  readonly remaining: readonly RemainingTransfer[];
}

/** A copy a transition still has to make (see {@link TransitionView.remaining}). */
export interface RemainingTransfer {
  readonly partition: number;
  readonly toNode: string;
  readonly sources: readonly string[];
}

/** What is left of the ring's transition, decoded from the ring the node sent. */
function transitionOf(encoded: Uint8Array | undefined): TransitionView | undefined {
  if (encoded === undefined || encoded.length === 0) return undefined;
  const ring = decodeRing(encoded);
  if (ring.transition === undefined) return undefined;
  const remaining = transfersOf(ring).map((t) => ({ partition: t.partition, toNode: t.to, sources: [...t.sources] }));
  return { since: ring.transition.since, pendingPartitions: pendingPartitions(ring).length, transfersLeft: remaining.length, remaining };
}

/** A partition short of live, distinct replicas. */
export interface PartitionProblemInfo {
  readonly partition: number;
  readonly replicas: string[];
  readonly down: string[];
  readonly reason: string;
}

/** Result of {@link AdminClient.verify}. */
export interface VerifyReport {
  readonly healthy: boolean;
  readonly n: number;
  readonly problems: PartitionProblemInfo[];
  readonly ringDisagreements: string[];
}

/** Membership changes waiting for a commit (answer of {@link AdminClient.join} and the other staging calls). */
export interface StagedChanges {
  readonly joins: string[];
  readonly leaves: string[];
  /** Members staged to be replaced, and by whom. */
  readonly replacements: { oldNode: string; newNode: string }[];
  /** Dead members staged to be removed without a handoff from them. */
  readonly forceRemoves: string[];
  /** Manual partition moves, by receiving node. */
  readonly moves: { toNode: string; partitions: number[] }[];
}

/** A node brought into the cluster by {@link AdminClient.createCluster}. */
export interface ProposedNodeInfo {
  /** Its address, as given. */
  readonly address: string;
  readonly nodeId: string;
  /** It already belonged to the cluster (an earlier create that stopped halfway). */
  readonly alreadyMember: boolean;
}

/** What {@link AdminClient.createCluster} did. */
export interface CreatedCluster {
  /** The cluster every node now belongs to (the asked node's). */
  readonly clusterId: string;
  readonly nodes: ProposedNodeInfo[];
  /** The staged changes: the nodes' joins (plan and commit them). */
  readonly staged: StagedChanges;
}

/** What committing the staged changes would do ({@link AdminClient.plan}). */
export interface ClusterPlanInfo {
  /** The ring version the plan is for (pass it to {@link AdminClient.commit}). */
  readonly fromVersion: number;
  /** The version a commit publishes. */
  readonly toVersion: number;
  /** Partitions changing owner. */
  readonly moves: { partition: number; fromNode: string; toNode: string }[];
  readonly ownershipAfter: OwnershipInfo[];
  /** Copies to make ((key-partition, receiving node) pairs), and the records and bytes they carry (counted by each sender). */
  readonly transfers: number;
  readonly keys: number;
  readonly bytes: number;
  /** Seconds the copies take at the configured handoff rate (0: unthrottled). */
  readonly etaSeconds: number;
  /** The handoff rate per sending node the ETA assumes (bytes/s; 0: unthrottled). */
  readonly handoffBytesPerSecond: number;
  /** Senders that did not answer for their counts (their partitions count 0). */
  readonly statsMissing: string[];
  /** Partitions per unit of weight of the busiest active node over the mean, before and after. */
  readonly balanceBefore: number;
  readonly balanceAfter: number;
  readonly staged: StagedChanges;
}

/** A node's own stored copy of a key (diagnosis). */
export interface LocalRecord {
  readonly found: boolean;
  readonly siblings: (Sibling & { tombstone: boolean })[];
  readonly context: Uint8Array;
  readonly clock: string;
  readonly partition: number;
  readonly hintedFor: string[];
}

/** The staged changes of an answer; a server that predates `staged` sends only joins and leaves. */
function toStaged(res: { stagedJoins?: string[]; stagedLeaves?: string[]; staged?: PbStagedChanges }): StagedChanges {
  const s = res.staged;
  if (s === undefined) return { joins: [...(res.stagedJoins ?? [])], leaves: [...(res.stagedLeaves ?? [])], replacements: [], forceRemoves: [], moves: [] };
  return {
    joins: [...s.joins],
    leaves: [...s.leaves],
    replacements: s.replacements.map((r) => ({ oldNode: r.oldNodeId, newNode: r.newNodeId })),
    forceRemoves: [...s.forceRemoves],
    moves: s.moves.map((m) => ({ toNode: m.toNode, partitions: [...m.partitions] })),
  };
}

const enumName = (names: Record<number, string>, v: number): string => (names[v] ?? 'unspecified').toLowerCase();

function toMember(m: PbNodeInfo): MemberInfo {
  return {
    id: m.id,
    address: m.address,
    zone: m.zone,
    weight: m.weight,
    state: enumName(NodeState, m.state),
    liveness: enumName(Liveness, m.liveness),
    incarnation: num(m.incarnation),
  };
}

function toBucket(p: PbBucketProps | undefined): BucketInfo {
  return {
    name: p?.name ?? '',
    n: p?.n ?? 0,
    r: p?.r ?? 0,
    w: p?.w ?? 0,
    conflicts: p?.conflicts === ConflictMode.LWW ? 'lww' : 'siblings',
    defaultTtlMs: num(p?.defaultTtlMs),
    version: num(p?.version),
  };
}

const toOwnership = (o: PbOwnership): OwnershipInfo => ({ nodeId: o.nodeId, partitions: o.partitions, share: o.share });

/** AdminService calls. Get one from `client.admin`. */
export class AdminClient {
  /** @internal */
  constructor(private readonly exec: Executor) {}

  private call<T>(operation: string, options: AdminCallOptions | undefined, idempotent: boolean, fn: Parameters<Executor['run']>[1]): Promise<T> {
    return this.exec.run({ operation, idempotent, ...(options ? { options } : {}), ...(options?.node ? { node: options.node } : {}) }, fn) as Promise<T>;
  }

  /** The node's identity, ring version and checksum, member counts, hints and storage. */
  status(options?: AdminCallOptions): Promise<StatusInfo> {
    return this.call('status', options, true, async (a) => {
      const s = await a.clients.admin.status({}, { signal: a.signal, timeoutMs: a.timeoutMs });
      return {
        nodeId: s.nodeId,
        clusterId: s.clusterId,
        partitionCount: s.partitionCount,
        n: s.n,
        version: s.version,
        uptimeMs: num(s.uptimeMs),
        ringVersion: num(s.ringVersion),
        ringChecksum: s.ringChecksum,
        memberCount: s.memberCount,
        aliveCount: s.aliveCount,
        hintsPending: num(s.hintsPending),
        hints: {
          targets: s.hintTargets.map((t) => ({
            nodeId: t.nodeId,
            pending: num(t.pending),
            bytes: num(t.bytes),
            oldestAgeMs: num(t.oldestAgeMs),
            downForMs: num(t.downForMs),
            windowClosed: t.windowClosed,
          })),
          bytes: num(s.hintBytes),
          quotaBytes: num(s.hintQuotaBytes),
          evicted: num(s.hintsEvicted),
          expired: num(s.hintsExpired),
          refused: num(s.hintsRefused),
        },
        keys: num(s.keys),
        bytes: num(s.bytes),
        storageLimitBytes: num(s.storageLimitBytes),
        storageFull: s.storageFull,
        partitionsOwned: s.partitionsOwned,
        ready: s.ready,
        claimant: s.claimant,
        handoffs: s.handoffs.map(
          (h): HandoffInfo => ({
            partition: h.partition,
            fromNode: h.fromNode,
            toNode: h.toNode,
            sent: num(h.sent),
            total: num(h.total),
            bytesSent: num(h.bytesSent),
            bytesTotal: num(h.bytesTotal),
            state: enumName(HandoffState, h.state) as HandoffStateName,
            elapsedMs: num(h.elapsedMs),
            error: h.error,
            retryInMs: num(h.retryInMs),
          }),
        ),
        requestsInFlight: s.requestsInFlight,
      } satisfies StatusInfo;
    });
  }

  /** Every member the node knows, with ring state and liveness. */
  members(options?: AdminCallOptions): Promise<MemberInfo[]> {
    return this.call('members', options, true, async (a) => {
      const res = await a.clients.admin.members({}, { signal: a.signal, timeoutMs: a.timeoutMs });
      return res.members.map(toMember);
    });
  }

  /** The ring with partitions per node. */
  ring(options?: AdminCallOptions): Promise<RingView> {
    return this.call('ring', options, true, async (a) => {
      const res = await a.clients.admin.ring({}, { signal: a.signal, timeoutMs: a.timeoutMs });
      const r = res.ring;
      const nodes = (r?.nodes ?? []).map(toMember);
      return {
        version: num(r?.version),
        partitionCount: r?.partitionCount ?? 0,
        checksum: r?.checksum ?? '',
        defaultN: r?.defaultN ?? 0,
        nodes,
        owners: (r?.owners ?? []).map((i) => nodes[i]?.id ?? ''),
        ownership: res.ownership.map(toOwnership),
        ...((t) => (t === undefined ? {} : { transition: t }))(transitionOf(r?.encoded)),
      } satisfies RingView;
    });
  }

  /** Creates a bucket, or updates its properties; answers the bucket as stored. */
  createBucket(spec: BucketSpec, options?: AdminCallOptions): Promise<BucketInfo> {
    const conflicts = spec.conflicts === 'lww' ? ConflictMode.LWW : spec.conflicts === 'siblings' ? ConflictMode.SIBLINGS : ConflictMode.UNSPECIFIED;
    const props = { name: spec.name, n: spec.n ?? 0, r: spec.r ?? 0, w: spec.w ?? 0, conflicts, defaultTtlMs: wireMillis('defaultTtlMs', spec.defaultTtlMs) };
    return this.call('createBucket', options, true, async (a) => {
      const res = await a.clients.admin.createBucket({ props }, { signal: a.signal, timeoutMs: a.timeoutMs });
      return toBucket(res.props);
    });
  }

  /** A bucket's properties, or `undefined` when there is no such bucket. */
  getBucket(name: string, options?: AdminCallOptions): Promise<BucketInfo | undefined> {
    return this.call('getBucket', options, true, async (a) => {
      const res = await a.clients.admin.getBucket({ name }, { signal: a.signal, timeoutMs: a.timeoutMs });
      return res.found ? toBucket(res.props) : undefined;
    });
  }

  /** Every bucket. */
  listBuckets(options?: AdminCallOptions): Promise<BucketInfo[]> {
    return this.call('listBuckets', options, true, async (a) => {
      const res = await a.clients.admin.listBuckets({}, { signal: a.signal, timeoutMs: a.timeoutMs });
      return res.buckets.map(toBucket);
    });
  }

  /** Checks that every partition has n live, distinct replicas and that members agree on the ring. */
  verify(n = 0, options?: AdminCallOptions): Promise<VerifyReport> {
    return this.call('verify', options, true, async (a) => {
      const res = await a.clients.admin.verify({ n }, { signal: a.signal, timeoutMs: a.timeoutMs });
      return {
        healthy: res.healthy,
        n: res.n,
        problems: res.problems.map((p) => ({ partition: p.partition, replicas: [...p.replicas], down: [...p.down], reason: p.reason })),
        ringDisagreements: [...res.ringDisagreements],
      } satisfies VerifyReport;
    });
  }

  /** Stages a node (a live member started with `--seeds`) to join the ring; the claimant keeps the staged changes. */
  join(nodeId: string, options?: AdminCallOptions): Promise<StagedChanges> {
    return this.call('join', options, true, async (a) => {
      return toStaged(await a.clients.admin.join({ nodeId }, { signal: a.signal, timeoutMs: a.timeoutMs }));
    });
  }

  /** Stages a ring member to leave (its partitions move to the others first). */
  leave(nodeId: string, options?: AdminCallOptions): Promise<StagedChanges> {
    return this.call('leave', options, true, async (a) => {
      return toStaged(await a.clients.admin.leave({ nodeId }, { signal: a.signal, timeoutMs: a.timeoutMs }));
    });
  }

  /** Stages ring member `oldNode` to be replaced by `newNode` (a live member started with `--seeds`): all its partitions go to the new node. */
  replace(oldNode: string, newNode: string, options?: AdminCallOptions): Promise<StagedChanges> {
    return this.call('replace', options, true, async (a) =>
      toStaged(await a.clients.admin.replace({ oldNodeId: oldNode, newNodeId: newNode }, { signal: a.signal, timeoutMs: a.timeoutMs })),
    );
  }

  /**
   * Stages a dead ring member to be removed without a handoff from it: its partitions go to the
   * others and are rebuilt from the surviving replicas. Refused while the node is up (use {@link leave}).
   */
  forceRemove(nodeId: string, options?: AdminCallOptions): Promise<StagedChanges> {
    return this.call('forceRemove', options, true, async (a) => toStaged(await a.clients.admin.forceRemove({ nodeId }, { signal: a.signal, timeoutMs: a.timeoutMs })));
  }

  /** Stages `partitions` to move to the active member `toNode` (a manual reshard). */
  move(partitions: readonly number[], toNode: string, options?: AdminCallOptions): Promise<StagedChanges> {
    return this.call('move', options, true, async (a) =>
      toStaged(await a.clients.admin.move({ partitions: [...partitions], toNode }, { signal: a.signal, timeoutMs: a.timeoutMs })),
    );
  }

  /**
   * Forms one cluster from nodes started alone: the asked node (`options.node`) proposes its
   * cluster to the nodes at `addresses`; each must be alone and empty (no records, hints or
   * buckets; the same partition count and n), else nothing changes and the call throws
   * ClusterChangeError naming each refusal, and an unreachable one. Then each takes the cluster
   * (it restarts on it) and their joins are staged: {@link plan} and {@link commit} them. Running
   * it again after a failure goes on where it stopped.
   * @throws InvalidArgumentError for an address listed twice, the asked node's own address, or too
   *   few nodes for n replicas
   */
  createCluster(addresses: readonly string[], options?: AdminCallOptions): Promise<CreatedCluster> {
    return this.call('createCluster', options, false, async (a) => {
      const res = await a.clients.admin.createCluster({ addresses: [...addresses] }, { signal: a.signal, timeoutMs: a.timeoutMs });
      return {
        clusterId: res.clusterId,
        nodes: res.nodes.map((n) => ({ address: n.address, nodeId: n.nodeId, alreadyMember: n.alreadyMember })),
        staged: toStaged(res),
      } satisfies CreatedCluster;
    });
  }

  /** What committing the staged changes would do. Throws ClusterChangeError when nothing is staged. */
  plan(options?: AdminCallOptions): Promise<ClusterPlanInfo> {
    return this.call('plan', options, true, async (a) => {
      const p = await a.clients.admin.plan({}, { signal: a.signal, timeoutMs: a.timeoutMs });
      return {
        fromVersion: num(p.fromVersion),
        toVersion: num(p.toVersion),
        moves: p.moves.map((m) => ({ partition: m.partition, fromNode: m.fromNode, toNode: m.toNode })),
        ownershipAfter: p.ownershipAfter.map(toOwnership),
        transfers: p.transfers,
        keys: num(p.keys),
        bytes: num(p.bytes),
        etaSeconds: p.etaSeconds,
        handoffBytesPerSecond: num(p.handoffBytesPerSecond),
        statsMissing: [...p.statsMissing],
        balanceBefore: p.balanceBefore,
        balanceAfter: p.balanceAfter,
        staged: toStaged(p),
      } satisfies ClusterPlanInfo;
    });
  }

  /**
   * Commits the staged changes: the claimant publishes the ring with the transition and the data
   * starts moving. `fromVersion` (from {@link plan}; 0 = any) must still be the ring's version.
   * Answers the new ring version.
   */
  commit(fromVersion = 0, options?: AdminCallOptions): Promise<number> {
    return this.call('commit', options, false, async (a) => {
      const res = await a.clients.admin.commit({ fromVersion: BigInt(fromVersion) }, { signal: a.signal, timeoutMs: a.timeoutMs });
      return num(res.ringVersion);
    });
  }

  /** Drops the staged changes; answers whether there were any. */
  clear(options?: AdminCallOptions): Promise<boolean> {
    return this.call('clear', options, true, async (a) => (await a.clients.admin.clear({}, { signal: a.signal, timeoutMs: a.timeoutMs })).cleared);
  }

  /** The asked node's own stored copy of a key, tombstones included (diagnosis). */
  localGet(key: BytesInput, options?: AdminCallOptions & { bucket?: string }): Promise<LocalRecord> {
    return this.call('localGet', options, true, async (a) => {
      const res = await a.clients.admin.localGet({ bucket: options?.bucket ?? '', key: toBytes(key, 'key') }, { signal: a.signal, timeoutMs: a.timeoutMs });
      return {
        found: res.found,
        siblings: res.siblings.map((s) => ({ ...toSibling(s), tombstone: s.tombstone })),
        context: res.context,
        clock: res.clock,
        partition: res.partition,
        hintedFor: [...res.hintedFor],
      } satisfies LocalRecord;
    });
  }
}
