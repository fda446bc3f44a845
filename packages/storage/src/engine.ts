/**
 * The storage engine contract shared by the LMDB engine and the in-memory engine.
 *
 * Reads are synchronous: LMDB reads are memory-mapped and cost a few microseconds, so a promise per
 * read would cost more than the read itself on the server's hot path. Writes are asynchronous and
 * resolve only once durable (per the engine's durability mode), because concurrent writes share one
 * transaction and one fsync.
 */
import type { CorruptRecordError } from './errors.js';

/** What the engine stores under a key: opaque bytes (the server's encoded DVVSet) and optional times. */
export interface StoredRecord {
  value: Uint8Array;
  /** Absolute time (ms, the engine clock) at which the record becomes invisible; safe integer ≥ 0. */
  expiresAtMs?: number;
  /**
   * Absolute time (ms) from which the owner wants the record back from {@link StorageEngine.listDue}
   * (the server: a dead record that may be reaped). Only an index entry: the record stays fully
   * visible and nothing is removed on its own. Safe integer ≥ 0.
   */
  dueAtMs?: number;
  /**
   * Absolute time (ms) from which {@link StorageEngine.listKeys} leaves the record out (the server:
   * when its last live sibling dies). Only listing is affected: the record stays readable, scannable
   * and counted. Kept in an index so listings never read values. Safe integer ≥ 0.
   */
  listedUntilMs?: number;
}

/** Options of {@link StorageEngine.listDue}. */
export interface ListDueOptions {
  /** Records due at or before this time (ms). */
  untilMs: number;
  /** Most records returned (≥ 1). */
  limit: number;
}

/** A record found by {@link StorageEngine.listDue}. */
export interface DueItem {
  bucket: Uint8Array;
  key: Uint8Array;
  partition: number;
  record: StoredRecord;
}

/** Maps a key to its partition, in `[0, partitionCount)`. The server passes the ring's hash. */
export type Partitioner = (bucket: Uint8Array, key: Uint8Array) => number;

/**
 * Read-modify-write step of {@link StorageEngine.update}. Receives the live record (undefined when
 * absent, expired or corrupt) and returns the record to store, or undefined for "no change". It runs
 * inside the write transaction, so it must be synchronous, quick and free of side effects beyond
 * its return value (it may run while other writers wait).
 */
export type UpdateFn = (current: StoredRecord | undefined) => StoredRecord | undefined;

/** One write of {@link StorageEngine.updateMany}: a key of the partition and its update step. */
export interface UpdateEntry {
  bucket: Uint8Array;
  key: Uint8Array;
  fn: UpdateFn;
}

/** Options of {@link StorageEngine.updateMany}. */
export interface UpdateManyOptions {
  /**
   * Called once the transaction is committed (its writes are visible and no longer hold up later
   * transactions), which can be before they are durable. An engine whose writes have no separate
   * commit may not call it: its promise settling says as much.
   */
  onCommitted?: () => void;
}

/**
 * Position in a scan or listing: opaque bytes to hand back unchanged. Cursors stay valid across
 * writes and restarts (they are positions in key order, not snapshots).
 */
export type Cursor = Uint8Array;

/** One record found by {@link StorageEngine.scanPartition}. */
export interface ScanItem {
  bucket: Uint8Array;
  key: Uint8Array;
  record: StoredRecord;
}

/** Options of {@link StorageEngine.scanPartition}. */
export interface ScanOptions {
  /** Resume after this cursor (the `next` of the previous page). */
  after?: Cursor;
  /** Maximum number of items in the page (≥ 1). */
  limit: number;
  /**
   * The page ends once its keys and record values add up to at least this many bytes (the item
   * that reaches it is included, so a page always holds at least one item). Default: no bound.
   */
  maxBytes?: number;
}

/** A page of a partition scan. */
export interface ScanPage {
  items: ScanItem[];
  /** Present when more live records follow; pass it as `after` to continue. */
  next?: Cursor;
}

/** Options of {@link StorageEngine.listKeys}. */
export interface ListKeysOptions {
  /** Only keys starting with these bytes. */
  prefix?: Uint8Array;
  /** Resume after this cursor (the `next` of the previous page). */
  cursor?: Cursor;
  /** Maximum number of keys in the page (≥ 1). */
  limit: number;
  /**
   * Only this partition: the scan stops at the partition's end instead of going on into the next
   * ones. A cursor must then belong to this partition.
   */
  partition?: number;
  /**
   * Most stored keys examined (listed or not, ≥ 1): a range of records left out of listings (dead
   * records awaiting the reaper) then costs the caller bounded slices too. Default: no bound.
   */
  maxScanned?: number;
}

/** A page of keys of one bucket, in (partition, key) order. */
export interface KeyPage {
  keys: Uint8Array[];
  /**
   * Present when the page is full or `maxScanned` keys were examined; more keys may follow (the
   * next page can turn out empty).
   */
  next?: Cursor;
}

/** A write kept for a node that could not take it, replayed when it is back (hinted handoff). */
export interface HintInput {
  bucket: Uint8Array;
  key: Uint8Array;
  value: Uint8Array;
}

/**
 * A stored hint. Its id increases per target node and encodes when it was stored, so a target's
 * hints are kept oldest first and their age is known without reading them.
 */
export interface Hint extends HintInput {
  id: number;
  /** When the hint was stored (the engine clock, ms). */
  createdAtMs: number;
}

/**
 * Bounds on the hints a store keeps, enforced when a hint is added, in the same transaction: the
 * oldest hints make room for the new one (of the same target for `maxPerTarget`, of any target for
 * the others), so a flood of hints for a dead node costs a bounded amount of disk.
 */
export interface HintLimits {
  /** Most hints kept for one target (≥ 1). */
  maxPerTarget: number;
  /** Most hints kept in all (≥ 1). */
  maxTotal: number;
  /** Most bytes (stored keys and frames) hints may take in all (≥ 1). */
  maxBytes: number;
}

/** What {@link StorageEngine.addHint} did. */
export interface HintAdded {
  id: number;
  /** Older hints removed to make room, by the limit that removed them. */
  evicted: { perTarget: number; total: number; bytes: number };
}

/** Options of {@link StorageEngine.expireHints}. */
export interface ExpireHintsOptions {
  /** Hints stored before this time (ms) are removed. */
  createdBeforeMs: number;
  /** Most hints removed by this call (≥ 1), to keep one write transaction short. */
  limit: number;
}

/** What one {@link StorageEngine.expireHints} or {@link StorageEngine.dropHints} call removed. */
export interface HintRemoval {
  removed: number;
  /** Targets that lost hints. */
  targets: string[];
  /** True when the batch was full: call again for the rest. */
  more: boolean;
}

/** Hint figures of one target. */
export interface HintTargetStats {
  target: string;
  count: number;
  bytes: number;
  /** When its oldest pending hint was stored (ms). */
  oldestCreatedAtMs: number;
}

/** Hint figures of a store: kept up to date by every hint write, read in O(targets). */
export interface HintStats {
  count: number;
  bytes: number;
  targets: HintTargetStats[];
}

/** Options of {@link StorageEngine.sweepExpired}. */
export interface SweepOptions {
  /** Maximum number of records removed by this call, to keep one write transaction short. */
  limit: number;
}

/** What one sweep did. */
export interface SweepResult {
  removed: number;
  /** True when the batch was full: call again for the rest. */
  more: boolean;
}

/** Options of {@link StorageEngine.startSweeper}. */
export interface SweeperOptions {
  intervalMs: number;
  /** Records removed per tick; default 1000. */
  batchLimit?: number;
  /** Called with a sweep's failure (the sweeper keeps running). */
  onError?: (error: unknown) => void;
}

/**
 * Size figures of a node's store. Counts are kept up to date by every write, in its transaction, so
 * reading them costs O(partitions), never a scan of the records.
 */
export interface StorageStats {
  /** Records stored, including expired ones not yet swept. */
  keys: number;
  /** LMDB: bytes of the pages its trees use (freed pages not counted); memory: key and value bytes. */
  bytes: number;
  /** The configured size limit, if any. */
  mapSizeBytes?: number;
  /** The last write that needed room was refused for lack of it, and none has been stored since. */
  full?: boolean;
  /** Records per partition (index = partition), including expired ones not yet swept. */
  partitions: number[];
}

/** One metadata entry. */
export interface MetaEntry {
  name: string;
  value: Uint8Array;
}

/** Options both engines accept. */
export interface EngineOptions {
  /** Maps `(bucket, key)` to a partition; called only when a method gets no precomputed partition. */
  partitioner: Partitioner;
  /** Number of partitions, fixed for the life of the data (a power of two in QuorumKV; ≤ 2^31). */
  partitionCount: number;
  /** Clock for TTL, in ms. Default `Date.now`. */
  now?: () => number;
  /**
   * Told about corrupt records that scans, listings and updates skip (updates treat them as absent,
   * so the next write repairs them). `get` throws instead. Default: ignore.
   */
  onCorruptRecord?: (error: CorruptRecordError) => void;
}

/**
 * A node's local store: records by `(bucket, key)` grouped in partitions, hints for other nodes,
 * and node metadata. Every method taking `partition?` accepts the partition precomputed by the
 * caller so the key is hashed once per request; it must equal what the partitioner returns.
 */
export interface StorageEngine {
  /** Partition count the engine was opened with. */
  readonly partitionCount: number;

  /** The partition of a key, by the configured partitioner (validated). */
  partitionOf(bucket: Uint8Array, key: Uint8Array): number;

  /**
   * The live record of a key, or undefined when absent or expired.
   * @throws CorruptRecordError when the stored bytes fail their checksum.
   */
  get(bucket: Uint8Array, key: Uint8Array, partition?: number): StoredRecord | undefined;

  /**
   * Atomic read-modify-write: `fn` sees the current live record and returns the new one (or
   * undefined: no change). Concurrent updates of one key are serialized, none is lost. Resolves
   * with the resulting record once durable.
   * @throws StorageFullError when the record does not fit; nothing is written.
   */
  update(bucket: Uint8Array, key: Uint8Array, fn: UpdateFn, partition?: number): Promise<StoredRecord | undefined>;

  /**
   * {@link update} of several keys of one partition, in order, in one write transaction (the
   * partition's counters are moved once for all of them). Stops at the first entry whose step or
   * record fails: that entry and those after it are not written, those before it are, and the
   * promise rejects with that entry's error once they are durable. Otherwise resolves, once every
   * write is durable, with each entry's resulting record.
   * @throws StorageFullError when a record does not fit (as above: earlier entries are kept).
   */
  updateMany(partition: number, entries: readonly UpdateEntry[], options?: UpdateManyOptions): Promise<(StoredRecord | undefined)[]>;

  /**
   * Removes a record (and its due and expiry index entries) only if its stored value still equals
   * `expectedValue` byte for byte (expired or not), so a write that raced the reaper is never lost.
   * Resolves true when it removed it.
   */
  reap(bucket: Uint8Array, key: Uint8Array, expectedValue: Uint8Array, partition?: number): Promise<boolean>;

  /**
   * Live records whose `dueAtMs` is at or before `untilMs`, earliest first, at most `limit`. A
   * durable index kept by `update`, so what is due survives restarts; corrupt records are skipped
   * and reported. Listing changes nothing: the caller reaps, or rewrites with a later due time.
   */
  listDue(options: ListDueOptions): DueItem[];

  /** One page of a partition's live records in key order. Corrupt records are skipped and reported. */
  scanPartition(partition: number, options: ScanOptions): ScanPage;

  /** Number of live (unexpired) records in a partition. */
  countPartition(partition: number): number;

  /**
   * Bytes the records of a partition take (keys and stored records; expired ones count until
   * swept). O(1): kept with the partition's record counter, for plans and transfer progress.
   */
  partitionBytes(partition: number): number;

  /**
   * One page of a bucket's listed keys (live, unexpired, before their `listedUntilMs`), in
   * (partition, key) order, never the whole bucket at once. Reads keys and the listing index only,
   * never values: the cost is proportional to the keys it passes, whatever their values' size, and a
   * corrupt value does not hide its key (reading it reports the corruption).
   */
  listKeys(bucket: Uint8Array, options: ListKeysOptions): KeyPage;

  /** Removes up to `limit` expired records (the server calls this on its own timer). */
  sweepExpired(options: SweepOptions): Promise<SweepResult>;

  /** Runs {@link sweepExpired} every `intervalMs` (unref'd timer) until the returned stop function or `close`. */
  startSweeper(options: SweeperOptions): () => void;

  /**
   * Stores a hint for `targetNode` durably, first removing the oldest hints `limits` require (in
   * the same transaction). Without limits nothing is removed.
   * @throws StorageArgumentError when the hint alone is larger than `limits.maxBytes`.
   * @throws StorageFullError when it does not fit in the store; nothing is removed then.
   */
  addHint(targetNode: string, hint: HintInput, limits?: HintLimits): Promise<HintAdded>;

  /** The oldest `limit` hints for `targetNode`; damaged ones met on the way are reported and removed. */
  hintsFor(targetNode: string, limit: number): Hint[];

  /** Removes delivered hints (unknown ids are ignored). */
  ackHints(targetNode: string, ids: readonly number[]): Promise<void>;

  /**
   * Removes hints stored before `createdBeforeMs`, oldest first per target. Cost: one seek per
   * target plus the hints removed.
   */
  expireHints(options: ExpireHintsOptions): Promise<HintRemoval>;

  /** Removes up to `limit` hints of `targetNode`, oldest first. */
  dropHints(targetNode: string, limit: number): Promise<HintRemoval>;

  /** Pending hints for one node, or for all nodes when `targetNode` is omitted; O(1). */
  countHints(targetNode?: string): number;

  /** Whether any hint is pending for `targetNode` (for any node when omitted); O(1). */
  hasHints(targetNode?: string): boolean;

  /** Nodes that have pending hints; O(targets). */
  hintTargets(): string[];

  /** Hint counts and bytes, in all and per target; O(targets). */
  hintStats(): HintStats;

  /** A metadata value (node id, cluster id, ring bytes ...), or undefined. */
  getMeta(name: string): Uint8Array | undefined;

  /** Stores a metadata value durably. */
  setMeta(name: string, value: Uint8Array): Promise<void>;

  /** Removes a metadata value durably (nothing when there is none). */
  deleteMeta(name: string): Promise<void>;

  /**
   * The metadata entries whose names start with `prefix`, in name order (reserved names excluded;
   * corrupt entries skipped and reported).
   */
  listMeta(prefix: string): MetaEntry[];

  /** Record counts and sizes. */
  stats(): StorageStats;

  /** Waits for pending writes, stops sweepers and releases the store. Further calls throw. */
  close(): Promise<void>;
}
