// The replica side of ReplicaService: applies one item to local storage.
import { ReplicaOp, ReplicaStatus, newReplicaItemResult, type ReplicaItem, type ReplicaItemResult } from '@quorumkv/protocol';
import { CorruptRecordError, StorageFullError, type StorageEngine } from '@quorumkv/storage';
import type { BucketRegistry } from '../cluster/buckets.js';
import type { NodeMetrics } from '../observability/metrics.js';
import { decodeRecord, encodeRecord, mergeRecords, recordExpiry } from '../record/key-record.js';

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

function result(id: bigint, status: ReplicaStatus, error = '', record: Uint8Array = EMPTY): ReplicaItemResult {
  return newReplicaItemResult(id, status, error, record);
}

/** Applies replica items (reads, merges, hints, reaps) to this node's storage. */
export class ReplicaApplier {
  private readonly bucketBytes = new Map<string, Uint8Array>();

  constructor(
    private readonly selfId: string,
    private readonly storage: StorageEngine,
    private readonly buckets: BucketRegistry,
    private readonly metrics: NodeMetrics,
    private readonly now: () => number,
  ) {}

  /** Applies a message's items concurrently (their writes share LMDB commits); results in item order. */
  applyAll(items: readonly ReplicaItem[]): Promise<ReplicaItemResult[]> {
    return Promise.all(items.map((i) => this.apply(i)));
  }

  async apply(item: ReplicaItem): Promise<ReplicaItemResult> {
    if (item.deadlineMs > 0n && Number(item.deadlineMs) < this.now()) return result(item.id, ReplicaStatus.TIMEOUT, 'deadline passed before the item was processed');
    const bucket = this.bytesOf(item.bucket);
    const partition = item.partition < this.storage.partitionCount ? item.partition : undefined;
    try {
      switch (item.op) {
        case ReplicaOp.READ: {
          const rec = this.storage.get(bucket, item.key, partition);
          return rec ? result(item.id, ReplicaStatus.OK, '', rec.value) : result(item.id, ReplicaStatus.NOT_FOUND);
        }
        case ReplicaOp.WRITE:
          return await this.write(item, bucket, partition);
        case ReplicaOp.REAP: {
          const reaped = await this.storage.reap(bucket, item.key, item.record, partition);
          return result(item.id, reaped ? ReplicaStatus.OK : ReplicaStatus.CONFLICT);
        }
        default:
          return result(item.id, ReplicaStatus.ERROR, `unknown op ${item.op}`);
      }
    } catch (err) {
      if (err instanceof CorruptRecordError) return result(item.id, ReplicaStatus.CORRUPT, err.message);
      if (err instanceof StorageFullError) return result(item.id, ReplicaStatus.STORAGE_FULL, err.message);
      return result(item.id, ReplicaStatus.ERROR, err instanceof Error ? err.message : String(err));
    }
  }

  private async write(item: ReplicaItem, bucket: Uint8Array, partition: number | undefined): Promise<ReplicaItemResult> {
    // Validates the bytes before anything is stored: a malformed record is refused, never kept.
    const incoming = decodeRecord(item.record);
    if (item.hintFor !== '' && item.hintFor !== this.selfId) {
      await this.storage.addHint(item.hintFor, { bucket, key: item.key, value: item.record });
      this.metrics.hintsStored.inc();
      return result(item.id, ReplicaStatus.OK);
    }
    let lww = false;
    try {
      lww = this.buckets.resolve(item.bucket).lww;
    } catch {
      // Bucket properties not gossiped here yet: merge as siblings, which loses nothing.
    }
    await this.storage.update(
      bucket,
      item.key,
      (cur) => {
        // Retries, hints and repair echoes often bring exactly what is stored: nothing to merge.
        if (cur && Buffer.compare(cur.value, item.record) === 0) return undefined;
        // The common case (no local copy) stores the received bytes as they are: no re-encoding.
        const record = cur ? mergeRecords(decodeRecord(cur.value), incoming, lww) : incoming;
        const value = cur ? encodeRecord(record) : item.record;
        if (cur && Buffer.compare(value, cur.value) === 0) return undefined;
        // The expiry of what is stored, not the item's: a merged-in sibling without a TTL keeps the
        // record alive, and hints travel without an expiry at all.
        const expiresAtMs = recordExpiry(record);
        return expiresAtMs > 0 ? { value, expiresAtMs } : { value };
      },
      partition,
    );
    return result(item.id, ReplicaStatus.OK);
  }

  private bytesOf(bucket: string): Uint8Array {
    let b = this.bucketBytes.get(bucket);
    if (!b) {
      b = encoder.encode(bucket);
      if (this.bucketBytes.size < 10_000) this.bucketBytes.set(bucket, b);
    }
    return b;
  }
}
