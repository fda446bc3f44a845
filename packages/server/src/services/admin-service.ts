// AdminService: this node's view of the cluster, buckets, verification and diagnosis.
import { create } from '@bufbuild/protobuf';
import type { Client, ServiceImpl } from '@connectrpc/connect';
import {
  type HandoffProgress,
  CreateBucketResponseSchema,
  GetBucketResponseSchema,
  HintTargetSchema,
  ListBucketsResponseSchema,
  LocalGetResponseSchema,
  MembersResponseSchema,
  NodeOwnershipSchema,
  PartitionProblemSchema,
  PartitionStatSchema,
  PartitionStatsResponseSchema,
  RingResponseSchema,
  SiblingSchema,
  StatusResponseSchema,
  VerifyResponseSchema,
  type AdminService,
  type StatusResponse,
} from '@quorumkv/protocol';
import type { Claimant } from '../cluster/claimant.js';
import { membershipChanges } from './membership-changes.js';
import { preferenceListForPartition, partitionOf } from '@quorumkv/ring';
import type { StorageEngine } from '@quorumkv/storage';
import { join } from '@quorumkv/vclock';
import type { BucketRegistry } from '../cluster/buckets.js';
import type { ClusterDefinition } from '../cluster/cluster-definition.js';
import type { ClusterMembership } from '../cluster/membership.js';
import type { RingState } from '../cluster/ring-state.js';
import { checkKey } from '../coordinator/request-plan.js';
import { NodeArgumentError } from '../errors/errors.js';
import { encodeKeyContext } from '../record/key-context.js';
import { allSiblings, decodeRecord, formatClock } from '../record/key-record.js';
import type { HintReport } from '../replication/hint-admission.js';
import { guard } from './guard.js';
import type { RingInfoSource } from './ring-info.js';

export interface AdminDeps {
  selfId: string;
  clusterId: () => string;
  /** The cluster's definition as this node holds it. */
  definition: ClusterDefinition;
  /** Another ring node's own status (for verify); rejects when it does not answer. */
  peerStatus: (nodeId: string) => Promise<StatusResponse>;
  version: string;
  startedAtMs: number;
  maxKeyBytes: number;
  ring: RingState;
  ringInfo: RingInfoSource;
  membership: ClusterMembership;
  buckets: BucketRegistry;
  storage: StorageEngine;
  ready: () => boolean;
  requestsInFlight: () => number;
  /** The hints this node holds, per target (O(targets)). */
  hints: () => HintReport;
  isUp: (nodeId: string) => boolean;
  claimant: Claimant;
  /** Handoff transfers this node is sending now. */
  handoffs: () => HandoffProgress[];
  /** AdminService of another node (the claimant), for changes asked of this one. */
  peerAdmin: (nodeId: string) => Client<typeof AdminService> | undefined;
  /** Other ring members that are up now. */
  othersUp: () => string[];
  /** This node's own counts of a partition (O(1)). */
  partitionStats: (partition: number) => { keys: number; bytes: number };
  /** Bytes per second each node sends in handoff (0: unthrottled), for plan ETAs. */
  bytesPerSecond: number;
}

export function adminService(d: AdminDeps): Partial<ServiceImpl<typeof AdminService>> {
  const ownership = () => {
    const r = d.ring.current;
    const counts = new Map(r.nodes.map((n) => [n.id, 0]));
    for (const o of r.owners) counts.set(o, (counts.get(o) ?? 0) + 1);
    return [...counts].map(([nodeId, partitions]) => create(NodeOwnershipSchema, { nodeId, partitions, share: partitions / r.partitionCount }));
  };
  return {
    status: () =>
      guard(() => {
        const r = d.ring.current;
        const members = d.membership.list.members();
        const stats = d.storage.stats();
        const hints = d.hints();
        const alive = members.filter((m) => m.state === 'alive').length;
        return create(StatusResponseSchema, {
          nodeId: d.selfId,
          clusterId: d.clusterId(),
          version: d.version,
          uptimeMs: BigInt(Date.now() - d.startedAtMs),
          ringVersion: BigInt(r.version),
          ringChecksum: r.checksum,
          memberCount: members.length,
          aliveCount: alive,
          hintsPending: BigInt(hints.pending),
          hintTargets: hints.targets.map((t) =>
            create(HintTargetSchema, {
              nodeId: t.nodeId,
              pending: BigInt(t.pending),
              bytes: BigInt(t.bytes),
              oldestAgeMs: BigInt(t.oldestAgeMs),
              downForMs: BigInt(t.downForMs),
              windowClosed: t.windowClosed,
            }),
          ),
          hintBytes: BigInt(hints.bytes),
          hintQuotaBytes: BigInt(hints.quotaBytes),
          hintsEvicted: BigInt(hints.evicted),
          hintsExpired: BigInt(hints.expired),
          hintsRefused: BigInt(hints.refused),
          keys: BigInt(stats.keys),
          bytes: BigInt(stats.bytes),
          storageLimitBytes: BigInt(stats.mapSizeBytes ?? 0),
          storageFull: stats.full === true,
          partitionsOwned: r.owners.filter((o) => o === d.selfId).length,
          ready: d.ready(),
          claimant: d.claimant.claimantId(),
          handoffs: d.handoffs(),
          requestsInFlight: d.requestsInFlight(),
          partitionCount: d.definition.partitions,
          n: d.definition.n,
        });
      }),
    ...membershipChanges(d),
    partitionStats: (req) =>
      guard(() => {
        const q = d.ring.current.partitionCount;
        const bad = req.partitions.find((p) => p >= q);
        if (bad !== undefined) throw new NodeArgumentError('partitions', `${bad} is not in 0..${q - 1}`);
        return create(PartitionStatsResponseSchema, {
          stats: req.partitions.map((partition) => {
            const s = d.partitionStats(partition);
            return create(PartitionStatSchema, { partition, keys: BigInt(s.keys), bytes: BigInt(s.bytes) });
          }),
        });
      }),
    members: () => guard(() => create(MembersResponseSchema, { members: d.ringInfo.nodes() })),
    ring: () => guard(() => create(RingResponseSchema, { ring: d.ringInfo.ringInfo(), ownership: ownership() })),
    createBucket: (req) =>
      guard(async () => {
        if (!req.props) throw new NodeArgumentError('props', 'is required');
        return create(CreateBucketResponseSchema, { props: await d.buckets.create(req.props) });
      }),
    getBucket: (req) =>
      guard(() => {
        const props = d.buckets.get(req.name);
        return create(GetBucketResponseSchema, { found: props !== undefined, props });
      }),
    listBuckets: () => guard(() => create(ListBucketsResponseSchema, { buckets: d.buckets.list() })),
    verify: (req) =>
      guard(async () => {
        const r = d.ring.current;
        const n = req.n || d.buckets.resolve('').n;
        const problems = [];
        for (let p = 0; p < r.partitionCount; p++) {
          const { primaries } = preferenceListForPartition(r, p, n);
          const down = primaries.filter((id) => !d.isUp(id));
          const distinct = new Set(primaries).size === n;
          if (down.length > 0 || !distinct) {
            problems.push(
              create(PartitionProblemSchema, {
                partition: p,
                replicas: [...primaries],
                down,
                reason: !distinct ? `only ${new Set(primaries).size} distinct replicas for n=${n}` : `${n - down.length} of ${n} replicas alive`,
              }),
            );
          }
        }
        const disagreements = await disagreeingMembers(d);
        return create(VerifyResponseSchema, { healthy: problems.length === 0 && disagreements.length === 0, n, problems, ringDisagreements: disagreements });
      }),
    localGet: (req) =>
      guard(() => {
        checkKey(req.key, d.maxKeyBytes);
        const bucket = d.buckets.resolve(req.bucket);
        const partition = partitionOf(d.ring.current.partitionCount, bucket.nameBytes, req.key);
        const rec = d.storage.get(bucket.nameBytes, req.key, partition);
        if (!rec) return create(LocalGetResponseSchema, { found: false, partition });
        const record = decodeRecord(rec.value);
        return create(LocalGetResponseSchema, {
          found: true,
          partition,
          siblings: allSiblings(record).map((s) =>
            create(SiblingSchema, {
              value: s.value,
              tombstone: s.tombstone,
              timestampMs: BigInt(Math.trunc(s.timestampMs)),
              expiresAtMs: BigInt(Math.trunc(s.expiresAtMs)),
              writtenBy: s.writtenBy,
            }),
          ),
          context: encodeKeyContext(bucket.nameBytes, req.key, join(record)),
          clock: formatClock(record),
          record: rec.value,
        });
      }),
  };
}

/**
 * Asks every other ring node for its status and describes each that answers and disagrees with this
 * node: another cluster (a node started with other founders, partitions or n), another ring (compared
 * by checksum, not only version), or another node answering at its address.
 */
async function disagreeingMembers(d: AdminDeps): Promise<string[]> {
  const r = d.ring.current;
  const ours = `cluster ${d.clusterId()} (partitions ${d.definition.partitions}, n ${d.definition.n})`;
  const peers = r.nodes.filter((node) => node.id !== d.selfId);
  const answers = await Promise.allSettled(peers.map((node) => d.peerStatus(node.id)));
  const lines: string[] = [];
  answers.forEach((answer, i) => {
    const id = peers[i]!.id;
    // A node that does not answer is not a disagreement: when it is down, the partition problems
    // say so as soon as gossip or its channel finds out.
    if (answer.status === 'rejected') return;
    const s = answer.value;
    if (s.nodeId !== id) lines.push(`${id}: its address is answered by node ${s.nodeId}`);
    else if (s.clusterId !== d.clusterId())
      lines.push(`${id}: belongs to cluster ${s.clusterId} (partitions ${s.partitionCount}, n ${s.n}); ${d.selfId} belongs to ${ours}`);
    else if (s.ringChecksum !== r.checksum || Number(s.ringVersion) !== r.version)
      lines.push(`${id}: ring version ${s.ringVersion} checksum ${s.ringChecksum}; ${d.selfId} has version ${r.version} checksum ${r.checksum}`);
  });
  return lines;
}
