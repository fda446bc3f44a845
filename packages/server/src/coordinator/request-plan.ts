// Where a key lives for one request: its bucket's effective properties, its partition and its
// preference list. Computed once per request: one hash per key.
import { partitionOf, preferenceListForPartition, replicaSets, replicasAfter, writeOnlyHolders, type Ring } from '@quorumkv/ring';
import type { EffectiveBucket } from '../cluster/buckets.js';
import { NodeArgumentError } from '../errors/errors.js';

export interface RequestPlan {
  bucket: EffectiveBucket;
  key: Uint8Array;
  partition: number;
  /** The N home replicas, in preference order. */
  primaries: readonly string[];
  /** Live stand-ins for down primaries, in walk order. */
  fallbacks: readonly string[];
  /**
   * During an ownership transition: nodes joining the key's replica set that do not hold its
   * data yet (or, for a ring smaller than the bucket's n that grows, are not read before the end). They receive every write (so no acknowledged write misses the new copy) but are
   * not read from and do not count towards W.
   */
  pending: readonly string[];
  ring: Ring;
}

/** Checks a key against the node's limits. */
export function checkKey(key: Uint8Array, maxKeyBytes: number): void {
  if (key.length === 0) throw new NodeArgumentError('key', 'must not be empty');
  if (key.length > maxKeyBytes) throw new NodeArgumentError('key', `must be at most ${maxKeyBytes} bytes (got ${key.length})`);
}

/** Longest TTL accepted: ~100 years, so `now + ttl` stays an exact integer of milliseconds. */
export const MAX_TTL_MS = 100 * 365 * 24 * 3600 * 1000;

/** Checks a Put's size and TTL before it is coordinated or forwarded anywhere. */
export function checkPut(req: { value: Uint8Array; ttlMs: bigint }, maxValueBytes: number): void {
  if (req.value.length > maxValueBytes) throw new NodeArgumentError('value', `must be at most ${maxValueBytes} bytes (got ${req.value.length})`);
  if (req.ttlMs > BigInt(MAX_TTL_MS)) throw new NodeArgumentError('ttl_ms', `must be at most ${MAX_TTL_MS} ms (got ${req.ttlMs})`);
}

/** Checks a per-request quorum value against the bucket's n (unset means the bucket default). */
export function effectiveQuorum(field: 'r' | 'w', requested: number | undefined, bucketDefault: number, n: number): number {
  if (requested === undefined) return Math.min(bucketDefault, n);
  if (requested < 1 || requested > n) throw new NodeArgumentError(field, `must be between 1 and n=${n} (got ${requested})`);
  return requested;
}

/** Partition and preference list of a key. */
export function planRequest(ring: Ring, bucket: EffectiveBucket, key: Uint8Array, isUp: (id: string) => boolean): RequestPlan {
  const partition = partitionOf(ring.partitionCount, bucket.nameBytes, key);
  const pl = preferenceListForPartition(ring, partition, bucket.n, isUp);
  if (ring.transition === undefined) return { bucket, key, partition, primaries: pl.primaries, fallbacks: pl.fallbacks, pending: [], ring };
  const sets = replicaSets(ring, partition, bucket.n);
  // A ring smaller than the bucket's n that grows: the grown ring's other replicas get writes too.
  const pending = writeOnlyHolders(ring, partition, bucket.n, replicasAfter(ring, bucket.configured.n));
  const fallbacks = pl.fallbacks.filter((id) => !sets.current.includes(id) && !pending.includes(id));
  return { bucket, key, partition, primaries: sets.current, fallbacks, pending, ring };
}

/** A per-request deadline (unset means the node default). */
export function effectiveTimeout(requested: number | undefined, nodeDefault: number): number {
  if (requested === undefined) return nodeDefault;
  if (requested < 1 || requested > 600_000) throw new NodeArgumentError('timeout_ms', `must be between 1 and 600000 (got ${requested})`);
  return requested;
}
