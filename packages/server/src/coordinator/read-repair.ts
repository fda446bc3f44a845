// Read repair: after a Get has its answer, the replicas whose copy lacks something the merged
// result has (or whose copy is missing or corrupt) are sent the merged record in the background.
// Every repair merges with what the replica stores at that moment (a write may have landed since
// the read): this node's own copy through mergeIntoLocal, the others' as replica WRITE items.
import { ReplicaOp, ReplicaStatus, type ReplicaItemResult } from '@quorumkv/protocol';
import type { NodeMetrics } from '../observability/metrics.js';
import { compareRecords, decodeRecord, encodeRecord, hasLiveSibling, mergeRecords, type KeyRecord } from '../record/key-record.js';
import { mergeIntoLocal, type LocalMergeDeps } from '../replication/local-merge.js';
import type { ReplicaTransport } from '../replication/replica-transport.js';
import type { QuorumOutcome } from './quorum-request.js';
import type { RequestPlan } from './request-plan.js';

/** Merges the records replicas returned (undefined when none holds the key). */
export function mergeReplicaRecords(results: Iterable<ReplicaItemResult>, lww: boolean): KeyRecord | undefined {
  let first: Uint8Array | undefined;
  let merged: KeyRecord | undefined;
  for (const r of results) {
    if (r.status !== ReplicaStatus.OK || r.record.length === 0) continue;
    if (first === undefined) {
      first = r.record;
      merged = decodeRecord(r.record);
    } else if (!Buffer.from(r.record.buffer, r.record.byteOffset, r.record.length).equals(first)) {
      merged = mergeRecords(merged, decodeRecord(r.record), lww);
    }
  }
  return merged;
}

export interface RepairDeps extends LocalMergeDeps {
  selfId: string;
  router: ReplicaTransport;
  metrics: NodeMetrics;
  now: () => number;
}

/** True when every replica answered with the same record bytes: nothing to repair, nothing to decode. */
function allIdentical(results: Iterable<ReplicaItemResult>): boolean {
  let first: Buffer | undefined;
  for (const r of results) {
    if (r.status !== ReplicaStatus.OK) return false;
    const bytes = Buffer.from(r.record.buffer, r.record.byteOffset, r.record.length);
    if (first === undefined) first = bytes;
    else if (!bytes.equals(first)) return false;
  }
  return true;
}

/** Sends the merged record to every replica that answered with less. */
export async function repairReplicas(final: QuorumOutcome, plan: RequestPlan, d: RepairDeps): Promise<void> {
  // The common case on every read: all copies agree. Checked on bytes before anything is decoded.
  if (allIdentical(final.results.values())) return;
  const merged = mergeReplicaRecords(final.results.values(), plan.bucket.lww);
  if (!merged) return;
  const encoded = Buffer.from(encodeRecord(merged));
  // A dead record (nothing a read returns) is not written where there is none: that replica reaped
  // it, or never had the key, and either way holds nothing it could revive. Writing it back would
  // re-create a reaped record, to be reaped again, and make that replica distrust its own epochs
  // the record names (a copy into an empty slot), so each read of a key between its replicas'
  // reaps would cost every hot key of the node a new actor.
  const dead = !hasLiveSibling(merged, d.now());
  for (const [nodeId, result] of final.results) {
    const stale =
      (result.status === ReplicaStatus.NOT_FOUND && !dead) ||
      result.status === ReplicaStatus.CORRUPT ||
      (result.status === ReplicaStatus.OK &&
        !encoded.equals(result.record) &&
        compareRecords(decodeRecord(result.record), merged) !== 'equal');
    if (!stale) continue;
    d.metrics.readRepairs.inc();
    if (nodeId === d.selfId) {
      await mergeIntoLocal(d, { bucket: plan.bucket.nameBytes, key: plan.key, partition: plan.partition, lww: plan.bucket.lww }, merged, encoded).catch(() => undefined);
    } else {
      d.router
        .send(nodeId, {
          op: ReplicaOp.WRITE,
          bucket: plan.bucket.name,
          key: plan.key,
          partition: plan.partition,
          record: encoded,
          expiresAtMs: 0n,
          hintFor: '',
          deadlineMs: BigInt(d.now() + 10_000),
        })
        .catch(() => undefined);
    }
  }
}
