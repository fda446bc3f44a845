// ListKeys across the cluster, one partition at a time: each partition's keys come from one live
// replica of it (this node when it is one). The client's cursor is (partition, last key); a node
// asked with a "local" cursor lists only its own copy of that one partition.
import { create } from '@bufbuild/protobuf';
import { KvService, ListKeysResponseSchema, type ListKeysRequest, type ListKeysResponse } from '@quorumkv/protocol';
import { partitionOf, preferenceListForPartition } from '@quorumkv/ring';
import { CorruptRecordError, encodeDataKey, type StorageEngine } from '@quorumkv/storage';
import type { BucketRegistry, EffectiveBucket } from '../cluster/buckets.js';
import type { RingState } from '../cluster/ring-state.js';
import { NodeArgumentError, NodeQuorumNotMetError } from '../errors/errors.js';
import { decodeStored, hasLiveSibling } from '../record/key-record.js';
import type { PeerPool } from '../replication/peer-pool.js';
import type { ReplicaRouter } from '../replication/replica-router.js';
import { deadlineOf, onwardCallOptions, type RequestScope } from './request-scope.js';

/** Deadline of a page whose caller set none: listing asks every partition, one after another. */
const PAGE_TIMEOUT_MS = 30_000;
const GLOBAL = 0;
const LOCAL = 1;
const EMPTY = new Uint8Array(0);

interface Cursor {
  mode: number;
  partition: number;
  after: Uint8Array;
}

function encodeCursor(c: Cursor): Uint8Array {
  const out = new Uint8Array(5 + c.after.length);
  out[0] = c.mode;
  new DataView(out.buffer).setUint32(1, c.partition);
  out.set(c.after, 5);
  return out;
}

function decodeCursor(bytes: Uint8Array, partitions: number): Cursor {
  if (bytes.length === 0) return { mode: GLOBAL, partition: 0, after: EMPTY };
  if (bytes.length < 5 || (bytes[0] !== GLOBAL && bytes[0] !== LOCAL)) throw new NodeArgumentError('cursor', 'not a cursor returned by ListKeys');
  const partition = new DataView(bytes.buffer, bytes.byteOffset, 5).getUint32(1);
  if (partition >= partitions) throw new NodeArgumentError('cursor', 'partition out of range');
  return { mode: bytes[0]!, partition, after: bytes.subarray(5) };
}

/** What ListKeys works with. */
export interface KeyListerDeps {
  selfId: string;
  storage: StorageEngine;
  ring: RingState;
  buckets: BucketRegistry;
  router: ReplicaRouter;
  pool: PeerPool;
  now: () => number;
}

export class KeyLister {
  private readonly selfId: string;
  private readonly storage: StorageEngine;
  private readonly ring: RingState;
  private readonly buckets: BucketRegistry;
  private readonly router: ReplicaRouter;
  private readonly pool: PeerPool;
  private readonly now: () => number;

  constructor(d: KeyListerDeps) {
    ({ selfId: this.selfId, storage: this.storage, ring: this.ring, buckets: this.buckets, router: this.router, pool: this.pool, now: this.now } = d);
  }

  /**
   * One page of keys.
   * @param scope - the caller's signal and a forwarder's deadline, passed on to the nodes asked
   * @param timeoutMs - the caller's Connect deadline; a page without one gets {@link PAGE_TIMEOUT_MS}
   */
  async list(req: ListKeysRequest, scope?: RequestScope, timeoutMs?: number): Promise<ListKeysResponse> {
    const deadlineMs = deadlineOf(scope, timeoutMs ?? PAGE_TIMEOUT_MS, this.now());
    const limit = req.limit === 0 ? 1000 : req.limit;
    if (limit > 10_000) throw new NodeArgumentError('limit', `must be at most 10000 (got ${limit})`);
    const bucket = this.buckets.resolve(req.bucket);
    const ring = this.ring.current;
    const cursor = decodeCursor(req.cursor, ring.partitionCount);
    if (cursor.mode === LOCAL) {
      const keys = this.localPartition(bucket, req.prefix, cursor.partition, cursor.after, limit);
      const next = keys.length === limit ? encodeCursor({ mode: LOCAL, partition: cursor.partition, after: keys[keys.length - 1]! }) : EMPTY;
      return create(ListKeysResponseSchema, { keys, nextCursor: next });
    }
    const keys: Uint8Array[] = [];
    let after = cursor.after;
    for (let p = cursor.partition; p < ring.partitionCount; p++, after = EMPTY) {
      const want = limit - keys.length;
      const { primaries } = preferenceListForPartition(ring, p, bucket.n);
      const source = primaries.includes(this.selfId) ? this.selfId : primaries.find((id) => this.router.isUp(id) && this.ring.addressOf(id) !== undefined);
      // No replica of the partition is reachable: UNAVAILABLE (worth retrying), not a bad request.
      if (!source) {
        const replicas = primaries.map((nodeId) => ({ nodeId, fallback: false, standingInFor: '', ok: false, error: 'down', latencyUs: 0 }));
        throw new NodeQuorumNotMetError({ operation: 'list_keys', asked: primaries.length, answered: 0, required: 1, replicas, deadlinePassed: false });
      }
      const page =
        source === this.selfId
          ? this.localPartition(bucket, req.prefix, p, after, want)
          : (await this.pool.client(this.ring.addressOf(source)!, KvService).listKeys(
              { bucket: bucket.name, prefix: req.prefix, cursor: encodeCursor({ mode: LOCAL, partition: p, after }), limit: want },
              onwardCallOptions(scope, deadlineMs, this.now()),
            )).keys;
      keys.push(...page);
      if (keys.length >= limit) {
        return create(ListKeysResponseSchema, { keys, nextCursor: encodeCursor({ mode: GLOBAL, partition: p, after: keys[keys.length - 1]! }) });
      }
    }
    return create(ListKeysResponseSchema, { keys });
  }

  /**
   * Whether a stored key has a value reads would return: records whose siblings are all tombstones
   * or expired stay stored (with their clocks) until reaped, but are not listed.
   */
  private isLive(bucket: Uint8Array, key: Uint8Array, partition: number, nowMs: number): boolean {
    try {
      const record = decodeStored(this.storage.get(bucket, key, partition));
      return record !== undefined && hasLiveSibling(record, nowMs);
    } catch (err) {
      if (err instanceof CorruptRecordError) return false;
      throw err;
    }
  }

  /** This node's keys of one partition of a bucket, after `after`, in byte order. */
  private localPartition(bucket: EffectiveBucket, prefix: Uint8Array, partition: number, after: Uint8Array, limit: number): Uint8Array[] {
    const start = after.length > 0 ? encodeDataKey(partition, bucket.nameBytes, after) : undefined;
    const keys: Uint8Array[] = [];
    let cursor: Uint8Array | undefined = start;
    const q = this.ring.current.partitionCount;
    const nowMs = this.now();
    for (;;) {
      const page = cursor === undefined && partition > 0
        ? this.storage.listKeys(bucket.nameBytes, { prefix, limit, cursor: encodeDataKey(partition, bucket.nameBytes, EMPTY) })
        : this.storage.listKeys(bucket.nameBytes, { prefix, limit, ...(cursor ? { cursor } : {}) });
      for (const k of page.keys) {
        const p = partitionOf(q, bucket.nameBytes, k);
        if (p > partition) return keys;
        if (p !== partition || !this.isLive(bucket.nameBytes, k, p, nowMs)) continue;
        keys.push(k);
        if (keys.length === limit) return keys;
      }
      if (!page.next) return keys;
      cursor = page.next;
    }
  }
}
