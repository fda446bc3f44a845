// ListKeys across the cluster, one partition at a time: each partition's keys come from one live
// replica of it (this node when it is one). The client's cursor is (partition, last key); a node
// asked with a "local" cursor lists only its own copy of that one partition.
//
// A page costs what it returns: each partition is scanned from the cursor to at most its end, for at
// most the keys still wanted, by storage's key-only listing (no value is read or decoded: records
// whose last value died carry a listed-until time that storage indexes). The lister gives the event
// loop back between partitions and every LOCAL_SLICE keys examined (listed or not: a range of dead
// records awaiting the reaper is sliced too), so a page of 10,000 keys never holds the node long.
import { create } from '@bufbuild/protobuf';
import { KvService, ListKeysResponseSchema, type ListKeysRequest, type ListKeysResponse } from '@quorumkv/protocol';
import { preferenceListForPartition } from '@quorumkv/ring';
import { encodeDataKey, type StorageEngine } from '@quorumkv/storage';
import type { BucketRegistry, EffectiveBucket } from '../cluster/buckets.js';
import type { RingState } from '../cluster/ring-state.js';
import { NodeArgumentError, NodeQuorumNotMetError } from '../errors/errors.js';
import type { PeerPool } from '../replication/peer-pool.js';
import type { ReplicaRouter } from '../replication/replica-router.js';
import { deadlineOf, onwardCallOptions, type RequestScope } from './request-scope.js';
import { nextTurn } from '../http/next-turn.js';

/** Deadline of a page whose caller set none: listing asks every partition, one after another. */
const PAGE_TIMEOUT_MS = 30_000;
const GLOBAL = 0;
const LOCAL = 1;
const EMPTY = new Uint8Array(0);
/** Keys examined in storage between two turns of the event loop (well under a millisecond of work). */
const LOCAL_SLICE = 256;
/** Page size of a request that sets none (at most the node's maximum). */
const DEFAULT_PAGE = 1_000;

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

function decodeCursor(bytes: Uint8Array, partitions: number, maxKeyBytes: number): Cursor {
  if (bytes.length === 0) return { mode: GLOBAL, partition: 0, after: EMPTY };
  if (bytes.length < 5 || bytes.length - 5 > maxKeyBytes || (bytes[0] !== GLOBAL && bytes[0] !== LOCAL)) throw new NodeArgumentError('cursor', 'not a cursor returned by ListKeys');
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
  /** Largest page (`limit`) accepted. */
  maxPageKeys: number;
  /** Largest key: a longer prefix, or a cursor past a longer key, is no ListKeys request's. */
  maxKeyBytes: number;
  /** Wall clock (ms) for deadlines. */
  now: () => number;
}

export class KeyLister {
  constructor(private readonly d: KeyListerDeps) {}

  /**
   * One page of keys.
   * @param scope - the caller's signal and a forwarder's deadline, passed on to the nodes asked
   * @param timeoutMs - the caller's Connect deadline; a page without one gets {@link PAGE_TIMEOUT_MS}
   */
  async list(req: ListKeysRequest, scope?: RequestScope, timeoutMs?: number): Promise<ListKeysResponse> {
    const deadlineMs = deadlineOf(scope, timeoutMs ?? PAGE_TIMEOUT_MS, this.d.now());
    const limit = req.limit === 0 ? Math.min(DEFAULT_PAGE, this.d.maxPageKeys) : req.limit;
    if (limit > this.d.maxPageKeys) throw new NodeArgumentError('limit', `must be at most ${this.d.maxPageKeys} (got ${limit})`);
    if (req.prefix.length > this.d.maxKeyBytes) throw new NodeArgumentError('prefix', `must be at most ${this.d.maxKeyBytes} bytes, the largest key (got ${req.prefix.length})`);
    const bucket = this.d.buckets.resolve(req.bucket);
    const ring = this.d.ring.current;
    const cursor = decodeCursor(req.cursor, ring.partitionCount, this.d.maxKeyBytes);
    if (cursor.mode === LOCAL) {
      const keys = await this.localPartition(bucket, req.prefix, cursor.partition, cursor.after, limit);
      const next = keys.length === limit ? encodeCursor({ mode: LOCAL, partition: cursor.partition, after: keys[keys.length - 1]! }) : EMPTY;
      return create(ListKeysResponseSchema, { keys, nextCursor: next });
    }
    const keys: Uint8Array[] = [];
    let after = cursor.after;
    for (let p = cursor.partition; p < ring.partitionCount; p++, after = EMPTY) {
      const want = limit - keys.length;
      const { primaries } = preferenceListForPartition(ring, p, bucket.n);
      const source = primaries.includes(this.d.selfId) ? this.d.selfId : primaries.find((id) => this.d.router.isUp(id) && this.d.ring.addressOf(id) !== undefined);
      // No replica of the partition is reachable: UNAVAILABLE (worth retrying), not a bad request.
      if (!source) {
        const replicas = primaries.map((nodeId) => ({ nodeId, fallback: false, standingInFor: '', ok: false, error: 'down', latencyUs: 0 }));
        throw new NodeQuorumNotMetError({ operation: 'list_keys', asked: primaries.length, answered: 0, required: 1, replicas, deadlinePassed: false });
      }
      const page =
        source === this.d.selfId
          ? await this.localPartition(bucket, req.prefix, p, after, want)
          : (await this.d.pool.client(this.d.ring.addressOf(source)!, KvService).listKeys(
              { bucket: bucket.name, prefix: req.prefix, cursor: encodeCursor({ mode: LOCAL, partition: p, after }), limit: want },
              onwardCallOptions(scope, deadlineMs, this.d.now()),
            )).keys;
      keys.push(...page);
      if (keys.length >= limit) {
        return create(ListKeysResponseSchema, { keys, nextCursor: encodeCursor({ mode: GLOBAL, partition: p, after: keys[keys.length - 1]! }) });
      }
    }
    return create(ListKeysResponseSchema, { keys });
  }

  /**
   * This node's listed keys of one partition of a bucket, after `after`, in byte order: at most
   * `limit`, read in slices with a turn of the event loop before each.
   */
  private async localPartition(bucket: EffectiveBucket, prefix: Uint8Array, partition: number, after: Uint8Array, limit: number): Promise<Uint8Array[]> {
    const keys: Uint8Array[] = [];
    let cursor: Uint8Array | undefined = after.length > 0 ? encodeDataKey(partition, bucket.nameBytes, after) : undefined;
    for (;;) {
      await nextTurn();
      const page = this.d.storage.listKeys(bucket.nameBytes, { prefix, partition, limit: limit - keys.length, maxScanned: LOCAL_SLICE, ...(cursor ? { cursor } : {}) });
      keys.push(...page.keys);
      if (!page.next || keys.length === limit) return keys;
      cursor = page.next;
    }
  }
}
