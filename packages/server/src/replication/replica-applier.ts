// The replica side of ReplicaService: applies one item to local storage.
import { ReplicaOp, ReplicaStatus, newReplicaItem, newReplicaItemResult, type HandoffRecord, type ReplicaItem, type ReplicaItemResult } from '@quorumkv/protocol';
import { replicasAfter, type Ring } from '@quorumkv/ring';
import { CorruptRecordError, StorageFullError, type Hint, type UpdateEntry } from '@quorumkv/storage';
import { possibleHolders, type BucketRegistry } from '../cluster/buckets.js';
import type { NodeMetrics } from '../observability/metrics.js';
import { decodeRecord } from '../record/key-record.js';
import { forwardDecision, type ForwardDecision } from './forwarding.js';
import { HintRefusedError, type HintAdmission } from './hint-admission.js';
import { mergeIntoLocal, mergeStep, type LocalMergeDeps } from './local-merge.js';
import { NodeArgumentError } from '../errors/errors.js';
import { nextTurn } from '../http/next-turn.js';
import { HandoffLane, THROUGHPUT_GRAIN, YIELDING_GRAIN, type HandoffGrain } from './handoff-lane.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);
/** Replica traffic this recent (ms) makes the `by-foreground` handoff grain the yielding one. */
const FOREGROUND_RECENT_MS = 1_000;

type BucketProps = { lww: boolean; n: number; configured?: { readonly n: number } };

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
  /**
   * How incoming handoff messages are cut: records per storage transaction (the event loop runs
   * between them) and chunks, of all messages together, written and not yet committed (what a
   * foreground write can find queued ahead of it; handoff-lane.ts). `by-foreground`: YIELDING_GRAIN
   * while this node had replica traffic ({@link noteForeground}) in the last second, so the
   * writes and reads that wait for it are not held up behind handoff, THROUGHPUT_GRAIN otherwise
   * (an idle joiner takes its data at full speed). Default THROUGHPUT_GRAIN.
   */
  handoffGrain?: HandoffGrain | 'by-foreground';
}

/** Who sent the items: the ring version it routed them by (from the request's header). */
export interface ItemSender {
  ringVersion: number;
}

/** Applies replica items (reads, merges, hints, hint queries) to this node's storage. */
export class ReplicaApplier {
  private readonly bucketBytes = new Map<string, Uint8Array>();
  private readonly storage: LocalMergeDeps['storage'];
  private readonly handoffLane: HandoffLane;
  private foregroundAt = -Infinity;

  constructor(private readonly d: ReplicaApplierDeps) {
    this.storage = d.storage;
    this.handoffLane = new HandoffLane(() => this.handoffGrain().chunksInStorage, nextTurn);
  }

  /** Replica traffic (writes and reads a coordinator waits for) reached this node now. */
  noteForeground(): void {
    this.foregroundAt = this.d.now();
  }

  /** The grain of handoff messages this node stores now (see {@link ReplicaApplierDeps.handoffGrain}). */
  handoffGrain(): HandoffGrain {
    const grain = this.d.handoffGrain ?? THROUGHPUT_GRAIN;
    if (grain !== 'by-foreground') return grain;
    return this.d.now() - this.foregroundAt < FOREGROUND_RECENT_MS ? YIELDING_GRAIN : THROUGHPUT_GRAIN;
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
    const props = this.propsOf(item.bucket);
    const route = this.routeOf(partition, sender, props);
    const forwarded = await this.forward(route.to, bucket, item.key, item.record);
    if (route.to.length > 0) this.d.metrics.writesForwarded.labels(route.keep ? 'older_ring' : 'not_holder').inc();
    if (route.keep) await mergeIntoLocal(this.d, { bucket, key: item.key, partition, lww: props?.lww ?? false }, incoming, item.record);
    else if (forwarded === 0) return result(item.id, ReplicaStatus.ERROR, `partition ${item.partition} is not held here and no holder (${route.to.join(', ')}) took a hint for it`);
    return result(item.id, ReplicaStatus.OK);
  }

  /**
   * Merges a handoff message's records (all WRITEs of `partition`, as {@link apply} would one by
   * one) into local storage; resolves once every one is durable, rejects on the first that fails.
   * The records this node keeps and forwards nowhere (all of them, but for a sender routing by an
   * older ring) are written in chunks of one storage transaction each, each started in an
   * event-loop turn of its own and only while the handoff lane has room (handoff-lane.ts); any
   * other record takes {@link apply}'s path.
   */
  async applyHandoff(partition: number, records: readonly HandoffRecord[], sender: ItemSender | undefined): Promise<void> {
    if (partition >= this.storage.partitionCount) throw new NodeArgumentError('partition', `${partition} is out of range (0..${this.storage.partitionCount - 1})`);
    const writes: Promise<unknown>[] = [];
    let failure: { reason: unknown } | undefined;
    for (let at = 0, size = 0; at < records.length && failure === undefined; at += size) {
      const release = await this.handoffLane.acquire();
      // Read per chunk: foreground traffic that starts in the middle of a message cuts the rest finely.
      size = this.handoffGrain().chunkRecords;
      try {
        writes.push(this.handoffChunk(partition, records.slice(at, at + size), sender, release).finally(release));
      } catch (reason) {
        release();
        failure = { reason };
      }
    }
    // Every chunk started is waited for, so a failure is reported only once nothing is pending.
    const settled = await Promise.allSettled(writes);
    failure ??= settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
  }

  /** Writes one chunk; `committed` is called once its storage transaction is committed (maybe before it is durable). */
  private handoffChunk(partition: number, records: readonly HandoffRecord[], sender: ItemSender | undefined, committed: () => void): Promise<unknown> {
    const entries: UpdateEntry[] = [];
    const others: Promise<void>[] = [];
    const routes = new Map<string, { props: BucketProps | undefined; route: ForwardDecision }>();
    for (const r of records) {
      let bucket = routes.get(r.bucket);
      if (bucket === undefined) {
        const props = this.propsOf(r.bucket);
        bucket = { props, route: this.routeOf(partition, sender, props) };
        routes.set(r.bucket, bucket);
      }
      if (!bucket.route.keep || bucket.route.to.length > 0) {
        others.push(this.applyOne({ ...newReplicaItem(), op: ReplicaOp.WRITE, bucket: r.bucket, key: r.key, partition, record: r.record }, sender));
        continue;
      }
      // Validates the bytes before anything is stored: a malformed record is refused, never kept.
      const incoming = decodeRecord(r.record);
      entries.push({ bucket: r.bucketBytes, key: r.key, fn: mergeStep(this.d, { bucket: r.bucketBytes, key: r.key, lww: bucket.props?.lww ?? false }, incoming, r.record) });
    }
    return Promise.all([entries.length > 0 ? this.storage.updateMany(partition, entries, { onCommitted: committed }) : undefined, ...others]);
  }

  /** {@link apply}, failing unless the outcome is OK. */
  private async applyOne(item: ReplicaItem, sender: ItemSender | undefined): Promise<void> {
    const r = await this.apply(item, sender);
    if (r.status !== ReplicaStatus.OK) throw new Error(r.error || ReplicaStatus[r.status]);
  }

  /** A bucket's properties, or undefined while they are not gossiped here yet (merged as siblings then, which loses nothing). */
  private propsOf(bucket: string): BucketProps | undefined {
    try {
      return this.d.buckets.resolve(bucket);
    } catch {
      return undefined;
    }
  }

  /** Whether this node keeps a write of `partition` and which nodes it forwards it to (forwarding.ts). */
  private routeOf(partition: number | undefined, sender: ItemSender | undefined, props: BucketProps | undefined): ForwardDecision {
    if (partition === undefined || sender === undefined || this.d.reachAllFrom === undefined) return { keep: true, to: [] };
    const ring = this.d.ring();
    return forwardDecision({
      selfId: this.d.selfId,
      ring,
      reachAllFrom: this.d.reachAllFrom(),
      senderVersion: sender.ringVersion,
      partition,
      // The n the key has once the transition ends: a ring smaller than the bucket's n that grows
      // gives it the grown ring's replicas, which the clamped n in force leaves out (a write routed by
      // the old ring must reach them, and they keep such writes without hinting them back).
      // Unknown bucket: every n a transition covers (forwarding to too many loses nothing).
      n: props ? replicasAfter(ring, props.configured?.n ?? props.n) : Math.max(ring.targetN, ring.transition?.n ?? 0),
    });
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
