// The replica side of ReplicaService: applies one item to local storage.
import { ReplicaOp, ReplicaStatus, newReplicaItem, newReplicaItemResult, type ReplicaItem, type ReplicaItemResult } from '@quorumkv/protocol';
import type { Ring } from '@quorumkv/ring';
import { CorruptRecordError, StorageFullError, type Hint } from '@quorumkv/storage';
import { possibleHolders, type BucketRegistry } from '../cluster/buckets.js';
import type { NodeMetrics } from '../observability/metrics.js';
import { decodeRecord } from '../record/key-record.js';
import { forwardDecision } from './forwarding.js';
import { HintRefusedError, type HintAdmission } from './hint-admission.js';
import { mergeIntoLocal, type LocalMergeDeps } from './local-merge.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);

function result(id: bigint, status: ReplicaStatus, error = '', record: Uint8Array = EMPTY): ReplicaItemResult {
  return newReplicaItemResult(id, status, error, record);
}

export interface ReplicaApplierDeps extends LocalMergeDeps {
  selfId: string;
  buckets: BucketRegistry;
  /** This node's current ring (HINTS_PENDING computes a key's possible holders with it). */
  ring: () => Ring;
  metrics: NodeMetrics;
  /** Which hints this node keeps, and whether it may still deliver one (HINTS_PENDING). */
  hints: Pick<HintAdmission, 'store' | 'pendingFor' | 'anyPending'>;
  /** RingState.writesReachAllFrom: writes routed by an older ring are forwarded (forwarding.ts). */
  reachAllFrom?: () => number;
  now: () => number;
}

/** Who sent the items: the ring version it routed them by (from the request's header). */
export interface ItemSender {
  ringVersion: number;
}

/** Applies replica items (reads, merges, hints, hint queries) to this node's storage. */
export class ReplicaApplier {
  private readonly bucketBytes = new Map<string, Uint8Array>();
  private readonly storage: LocalMergeDeps['storage'];

  constructor(private readonly d: ReplicaApplierDeps) {
    this.storage = d.storage;
  }

  /** Applies a message's items concurrently (their writes share LMDB commits); results in item order. */
  applyAll(items: readonly ReplicaItem[], sender?: ItemSender): Promise<ReplicaItemResult[]> {
    return Promise.all(items.map((i) => this.apply(i, sender)));
  }

  /**
   * Takes a hint kept for a node the ring no longer names as a write routed by a ring older than
   * any: kept here if this node holds its partition, and forwarded to the partition's holders.
   * Resolves true once it is durable here or as hints.
   */
  async redirectHint(hint: Hint): Promise<boolean> {
    const bucket = decoder.decode(hint.bucket);
    const item = { ...newReplicaItem(), op: ReplicaOp.WRITE, bucket, key: hint.key, partition: this.storage.partitionOf(hint.bucket, hint.key), record: hint.value };
    return (await this.apply(item, { ringVersion: -1 })).status === ReplicaStatus.OK;
  }

  async apply(item: ReplicaItem, sender?: ItemSender): Promise<ReplicaItemResult> {
    if (item.deadlineMs > 0n && Number(item.deadlineMs) < this.d.now()) return result(item.id, ReplicaStatus.TIMEOUT, 'deadline passed before the item was processed');
    const bucket = this.bytesOf(item.bucket);
    const partition = item.partition < this.storage.partitionCount ? item.partition : undefined;
    try {
      switch (item.op) {
        case ReplicaOp.READ: {
          const rec = this.storage.get(bucket, item.key, partition);
          return rec ? result(item.id, ReplicaStatus.OK, '', rec.value) : result(item.id, ReplicaStatus.NOT_FOUND);
        }
        case ReplicaOp.WRITE:
          return await this.write(item, bucket, partition, sender);
        case ReplicaOp.HINTS_PENDING:
          return result(item.id, this.holdsHintsFor(item) ? ReplicaStatus.CONFLICT : ReplicaStatus.OK);
        default:
          // Includes the retired REAP (3): no node removes another node's records any more.
          return result(item.id, ReplicaStatus.ERROR, `unknown op ${item.op}`);
      }
    } catch (err) {
      if (err instanceof CorruptRecordError) return result(item.id, ReplicaStatus.CORRUPT, err.message);
      if (err instanceof StorageFullError) return result(item.id, ReplicaStatus.STORAGE_FULL, err.message);
      return result(item.id, ReplicaStatus.ERROR, err instanceof Error ? err.message : String(err));
    }
  }

  private async write(item: ReplicaItem, bucket: Uint8Array, partition: number | undefined, sender: ItemSender | undefined): Promise<ReplicaItemResult> {
    // Validates the bytes before anything is stored: a malformed record is refused, never kept.
    const incoming = decodeRecord(item.record);
    if (item.hintFor !== '' && item.hintFor !== this.d.selfId) {
      // Refused (HintRefusedError: not a ring member, past the hint window) as an ERROR naming hint_for.
      await this.d.hints.store(item.hintFor, bucket, item.key, item.record);
      return result(item.id, ReplicaStatus.OK);
    }
    let props: { lww: boolean; n: number } | undefined;
    try {
      props = this.d.buckets.resolve(item.bucket);
    } catch {
      // Bucket properties not gossiped here yet: merge as siblings, which loses nothing.
    }
    const ring = this.d.ring();
    const route =
      partition === undefined || sender === undefined || this.d.reachAllFrom === undefined
        ? { keep: true, to: [] }
        : forwardDecision({
            selfId: this.d.selfId,
            ring,
            reachAllFrom: this.d.reachAllFrom(),
            senderVersion: sender.ringVersion,
            partition,
            // Unknown bucket: every n a transition covers (forwarding to too many loses nothing).
            n: props?.n ?? Math.max(ring.targetN, ring.transition?.n ?? 0),
          });
    const forwarded = await this.forward(route.to, bucket, item.key, item.record);
    if (route.to.length > 0) this.d.metrics.writesForwarded.labels(route.keep ? 'older_ring' : 'not_holder').inc();
    if (route.keep) await mergeIntoLocal(this.d, { bucket, key: item.key, partition, lww: props?.lww ?? false }, incoming, item.record);
    else if (forwarded === 0) return result(item.id, ReplicaStatus.ERROR, `partition ${item.partition} is not held here and no holder (${route.to.join(', ')}) took a hint for it`);
    return result(item.id, ReplicaStatus.OK);
  }

  /** Stores a hint for each of `targets`; returns how many were kept (a refused one catches up by read repair). */
  private async forward(targets: readonly string[], bucket: Uint8Array, key: Uint8Array, record: Uint8Array): Promise<number> {
    let kept = 0;
    for (const target of targets) {
      try {
        await this.d.hints.store(target, bucket, key, record);
        kept++;
      } catch (err) {
        if (!(err instanceof HintRefusedError)) throw err;
      }
    }
    return kept;
  }

  /** Whether this node keeps (or just dropped) a hint for any node that may hold a copy of the item's key (by this node's ring). */
  private holdsHintsFor(item: ReplicaItem): boolean {
    // Asked once per due record by every reaper: never walk the hints, only read their counters.
    if (!this.d.hints.anyPending()) return false;
    const ring = this.d.ring();
    if (item.partition >= ring.partitionCount) throw new Error(`partition ${item.partition} out of range`);
    return possibleHolders(ring, item.partition).some((p) => this.d.hints.pendingFor(p));
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
