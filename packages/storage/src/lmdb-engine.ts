/**
 * The default engine: one LMDB environment per node (lmdb-js), with named databases `data` (records
 * by partition), `expiry` (TTL index), `due` (due-time index), `listing` (when records leave
 * listings), `counts` (records per partition), `hints`, `hint-stats` and `meta`. See README.md for
 * the on-disk layout and what each durability mode risks.
 */
import { open, type Database, type RootDatabase } from 'lmdb';
import type {
  Cursor,
  DueItem,
  EngineOptions,
  ExpireHintsOptions,
  Hint,
  HintAdded,
  HintInput,
  HintLimits,
  HintRemoval,
  HintStats,
  KeyPage,
  ListDueOptions,
  ListKeysOptions,
  MetaEntry,
  ScanItem,
  ScanOptions,
  ScanPage,
  StorageEngine,
  StorageStats,
  StoredRecord,
  SweepOptions,
  SweeperOptions,
  SweepResult,
  UpdateEntry,
  UpdateManyOptions,
  UpdateFn,
} from './engine.js';
import { CorruptRecordError, EngineClosedError, StorageArgumentError, StorageFullError } from './errors.js';
import {
  bucketPrefix,
  decodeDataKey,
  decodeTimeKey,
  encodeDataKey,
  encodeTimeKey,
  keyOf,
  timeRangeEnd,
  partitionStart,
  prefixEnd,
  readU64,
  writeU64,
} from './key-layout.js';
import { LmdbHintStore } from './lmdb-hints.js';
import { LmdbMetaStore } from './lmdb-meta.js';
import { decodeFrame, encodeFrame, frameDue, frameExpiry, frameListedUntil, frameValue, listingEnd, verifyFrame } from './record-codec.js';
import { liveBytesMeter } from './lmdb-space.js';
import { SpaceQuota } from './space-quota.js';
import { checkLimit, checkPartition, checkPartitionCount, checkRecord, listedPartitions, pageBound, sameBytes, scanBudget } from './validation.js';
import { startSweeperTimer } from './sweeper.js';

/**
 * `sync`: a write resolves only after its transaction is committed and fsync'd (survives power
 * loss). `nosync`: resolves at commit, no fsync; survives a process crash (the OS page cache holds
 * the data) but an OS crash or power loss can lose recent writes and, since LMDB relies on ordered
 * syncs, may even leave the file unusable.
 */
export type Durability = 'sync' | 'nosync';

/**
 * How `sync` mode learns a commit is on disk. `flushed` (lmdb-js's default overlapping sync: the
 * next transaction starts while the previous one is fsync'd; each write then awaits `db.flushed`) or
 * `serial` (`overlappingSync: false`: the write promise itself resolves after the fsync).
 */
export type SyncMethod = 'flushed' | 'serial';

/** Options of {@link openLmdbEngine}. */
export interface LmdbEngineOptions extends EngineOptions {
  /** Directory of the environment (created if missing): data.mdb and lock.mdb live there. */
  path: string;
  /** Size limit of the data file; writes beyond it fail with StorageFullError. Default 64 GiB. */
  mapSizeBytes?: number;
  /** Default `sync`. */
  durability?: Durability;
  /** Default `flushed` (see docs/benchmarks.md for the measurement behind it). */
  syncMethod?: SyncMethod;
}

const DEFAULT_MAP_SIZE_BYTES = 64 * 1024 ** 3;
/** B-tree node header and slack charged per write on top of key and value bytes. */
const PER_WRITE_OVERHEAD_BYTES = 16;
type Db = Database<Buffer, Buffer>;

/**
 * Opens (creating if needed) the LMDB engine in `options.path`.
 * @throws LayoutMismatchError when the directory was created with another partition count.
 */
export async function openLmdbEngine(options: LmdbEngineOptions): Promise<LmdbEngine> {
  checkPartitionCount(options.partitionCount);
  const durability = options.durability ?? 'sync';
  const syncMethod = options.syncMethod ?? 'flushed';
  const mapSizeBytes = options.mapSizeBytes ?? DEFAULT_MAP_SIZE_BYTES;
  const env = open({
    path: options.path,
    // Always a directory, even when its name has a dot (lmdb-js would otherwise take "data.v2" for a file).
    noSubdir: false,
    maxDbs: 12,
    mapSize: mapSizeBytes,
    noSync: durability === 'nosync',
    overlappingSync: durability === 'sync' && syncMethod === 'flushed',
  });
  try {
    // Opening the named databases can fail too: the environment is closed whatever went wrong.
    const engine = new LmdbEngine(env, options, mapSizeBytes, durability === 'sync' && syncMethod === 'flushed');
    await engine.meta.checkLayout(options.partitionCount);
    await engine.ensureIndexes();
    return engine;
  } catch (error) {
    await env.close();
    throw error;
  }
}

/** The LMDB engine; create it with {@link openLmdbEngine}. */
export class LmdbEngine implements StorageEngine {
  readonly partitionCount: number;
  /** @internal */
  readonly meta: LmdbMetaStore;
  private readonly data: Db;
  private readonly expiry: Db;
  private readonly due: Db;
  private readonly listing: Db;
  private readonly counts: Db;
  private readonly hints: LmdbHintStore;
  private readonly quota: SpaceQuota;
  private readonly now: () => number;
  private readonly stopSweepers = new Set<() => void>();
  private closed = false;

  /** @internal use {@link openLmdbEngine} */
  constructor(
    private readonly env: RootDatabase,
    private readonly options: LmdbEngineOptions,
    mapSizeBytes: number,
    private readonly awaitFlush: boolean,
  ) {
    this.partitionCount = options.partitionCount;
    this.now = options.now ?? Date.now;
    const binary = { encoding: 'binary', keyEncoding: 'binary' } as const;
    this.data = env.openDB({ name: 'data', ...binary }) as unknown as Db;
    this.expiry = env.openDB({ name: 'expiry', ...binary }) as unknown as Db;
    this.due = env.openDB({ name: 'due', ...binary }) as unknown as Db;
    this.listing = env.openDB({ name: 'listing', ...binary }) as unknown as Db;
    this.counts = env.openDB({ name: 'counts', ...binary }) as unknown as Db;
    const hints = env.openDB({ name: 'hints', ...binary }) as unknown as Db;
    const hintStats = env.openDB({ name: 'hint-stats', ...binary }) as unknown as Db;
    const meta = env.openDB({ name: 'meta', ...binary }) as unknown as Db;
    this.quota = new SpaceQuota(mapSizeBytes, liveBytesMeter([this.data, this.expiry, this.due, this.listing, this.counts, hints, hintStats, meta]));
    const writes = { durable: <T>(p: Promise<T>) => this.durable(p), admit: (n: number) => this.quota.admit(n) };
    this.hints = new LmdbHintStore(hints, hintStats, writes, this.now, options.onCorruptRecord);
    this.meta = new LmdbMetaStore(meta, writes);
  }

  partitionOf(bucket: Uint8Array, key: Uint8Array): number {
    return checkPartition(this.options.partitioner(bucket, key), this.partitionCount);
  }

  get(bucket: Uint8Array, key: Uint8Array, partition?: number): StoredRecord | undefined {
    this.checkOpen();
    const dataKey = this.dataKey(bucket, key, partition);
    // getBinaryFast: no copy of the whole frame; decodeFrame copies only the value.
    const frame = this.data.getBinaryFast(dataKey);
    if (frame === undefined) return undefined;
    const bad = verifyFrame(dataKey, frame);
    if (bad !== undefined) throw new CorruptRecordError(new Uint8Array(bucket), new Uint8Array(key), bad);
    const expiresAtMs = frameExpiry(frame);
    if (expiresAtMs !== undefined && this.now() >= expiresAtMs) return undefined;
    return decodeFrame(frame, true);
  }

  async update(bucket: Uint8Array, key: Uint8Array, fn: UpdateFn, partition?: number): Promise<StoredRecord | undefined> {
    this.checkOpen();
    const dataKey = this.dataKey(bucket, key, partition);
    let result: StoredRecord | undefined;
    let failure: unknown;
    // The callback runs inside lmdb-js's batched write transaction, together with every other write
    // queued in this event turn: reads in it see the writes before it, so concurrent updates of one
    // key serialize, and all of them share one commit and one fsync.
    const committed = this.data.transaction(() => {
      try {
        const moved = { records: 0, bytes: 0 };
        result = this.writeInTxn(dataKey, fn, moved);
        this.countIn(dataKey, moved.records, moved.bytes);
      } catch (error) {
        // Thrown before any write of this callback, so the shared transaction stays consistent.
        failure = error;
      }
    });
    await this.durable(committed);
    if (failure !== undefined) throw failure;
    return result;
  }

  async updateMany(partition: number, entries: readonly UpdateEntry[], options?: UpdateManyOptions): Promise<(StoredRecord | undefined)[]> {
    this.checkOpen();
    checkPartition(partition, this.partitionCount);
    const dataKeys = entries.map((e) => encodeDataKey(partition, e.bucket, e.key));
    const results: (StoredRecord | undefined)[] = [];
    let failure: unknown;
    // One callback for the whole batch: one closure, one promise and one move of the partition's
    // counters instead of one of each per record (handoff writes ~1,000 records per call).
    const committed = this.data.transaction(() => {
      const moved = { records: 0, bytes: 0 };
      try {
        for (let i = 0; i < entries.length; i++) results.push(this.writeInTxn(dataKeys[i]!, entries[i]!.fn, moved));
      } catch (error) {
        // Thrown before any write of the failing entry: the entries before it stand.
        failure = error;
      }
      if (dataKeys.length > 0) this.countIn(dataKeys[0]!, moved.records, moved.bytes);
    });
    if (options?.onCommitted) void committed.then(options.onCommitted, () => undefined);
    await this.durable(committed);
    if (failure !== undefined) throw failure;
    return results;
  }

  /**
   * One record's read-modify-write; inside a write transaction. Adds what it changes in the
   * partition's record and byte counts to `moved` (the caller moves the counters). Throws before
   * writing anything when `fn` or the record fails.
   */
  private writeInTxn(dataKey: Buffer, fn: UpdateFn, moved: { records: number; bytes: number }): StoredRecord | undefined {
    const old = this.data.getBinaryFast(dataKey);
    const oldExpiry = old === undefined ? undefined : frameExpiry(old);
    const oldDue = old === undefined ? undefined : frameDue(old);
    const oldListing = old === undefined ? undefined : frameListingEnd(old);
    const current = old === undefined ? undefined : this.liveRecord(dataKey, old);
    const next = fn(current);
    if (next === undefined) return current;
    checkRecord(next);
    const frame = encodeFrame(dataKey, next);
    // Only growth is charged: a write that shrinks a record (a delete's tombstone over a value)
    // is accepted on a full store, since deleting is how users make room.
    this.quota.admit(old === undefined ? dataKey.length + frame.length + PER_WRITE_OVERHEAD_BYTES : frame.length - old.length);
    // Read before the put: `old` is lmdb-js's reused buffer.
    const oldLength = old?.length;
    this.data.putSync(dataKey, frame);
    reindex(this.expiry, dataKey, oldExpiry, next.expiresAtMs);
    reindex(this.due, dataKey, oldDue, next.dueAtMs);
    this.relist(dataKey, oldListing, listingEnd(next));
    moved.records += oldLength === undefined ? 1 : 0;
    moved.bytes += oldLength === undefined ? dataKey.length + frame.length : frame.length - oldLength;
    const result: StoredRecord = { value: next.value };
    if (next.expiresAtMs !== undefined) result.expiresAtMs = next.expiresAtMs;
    if (next.dueAtMs !== undefined) result.dueAtMs = next.dueAtMs;
    if (next.listedUntilMs !== undefined) result.listedUntilMs = next.listedUntilMs;
    return result;
  }

  async reap(bucket: Uint8Array, key: Uint8Array, expectedValue: Uint8Array, partition?: number): Promise<boolean> {
    this.checkOpen();
    const dataKey = this.dataKey(bucket, key, partition);
    let removed = false;
    const committed = this.data.transaction(() => {
      const frame = this.data.getBinaryFast(dataKey);
      if (frame === undefined || verifyFrame(dataKey, frame) !== undefined) return;
      if (!sameBytes(frameValue(frame), expectedValue)) return;
      this.removeRecord(dataKey, frame);
      removed = true;
    });
    await this.durable(committed);
    return removed;
  }

  scanPartition(partition: number, options: ScanOptions): ScanPage {
    this.checkOpen();
    checkPartition(partition, this.partitionCount);
    const full = pageBound(options);
    const start = options.after ? this.cursorIn(options.after, partitionStart(partition)) : partitionStart(partition);
    const now = this.now();
    const items: ScanItem[] = [];
    let last: Buffer | undefined;
    let next: Cursor | undefined;
    for (const { key, value } of this.data.getRange({ start, end: partitionStart(partition + 1), exclusiveStart: options.after !== undefined })) {
      const record = this.scannedRecord(key, value, now);
      if (record === undefined) continue;
      // One live record past the page proves there is more, so `next` is never a dead end.
      if (full.reached) {
        next = last;
        break;
      }
      const parts = decodeDataKey(key)!;
      items.push({ bucket: parts.bucket, key: parts.key, record });
      full.add(parts.key.length + record.value.length);
      last = key;
    }
    return next === undefined ? { items } : { items, next };
  }

  partitionBytes(partition: number): number {
    this.checkOpen();
    checkPartition(partition, this.partitionCount);
    return this.bytesIn(partition);
  }

  countPartition(partition: number): number {
    this.checkOpen();
    checkPartition(partition, this.partitionCount);
    const all = this.storedIn(partition);
    // Expired records still on disk are few (the sweeper removes them) and the expiry index lists
    // them in time order, so subtracting them is cheaper than reading every record's header.
    let expired = 0;
    for (const expiryKey of this.expiry.getKeys({ end: timeRangeEnd(this.now()) })) {
      const { timeMs, dataKey } = decodeTimeKey(expiryKey);
      if (decodeDataKey(dataKey)?.partition !== partition) continue;
      const frame = this.data.getBinaryFast(dataKey);
      if (frame !== undefined && frameExpiry(frame) === timeMs) expired++;
    }
    return all - expired;
  }

  listKeys(bucket: Uint8Array, options: ListKeysOptions): KeyPage {
    this.checkOpen();
    checkLimit(options.limit);
    const prefix = options.prefix ?? EMPTY;
    const keys: Uint8Array[] = [];
    const now = this.now();
    const { first, last } = listedPartitions(options, this.partitionCount);
    const scan = { keys, limit: options.limit, budget: scanBudget(options), now };
    // Keys are stored partition-major, so a bucket is one range per partition. That costs one seek
    // per partition per page but no secondary index to write on every put (see README).
    for (let p = first; p <= last; p++) {
      const lo = bucketPrefix(p, bucket, prefix);
      const resume = p === first && options.cursor !== undefined && Buffer.compare(options.cursor, lo) >= 0;
      const next = this.listRange({ start: resume ? Buffer.from(options.cursor!) : lo, end: prefixEnd(lo)!, resume }, scan);
      if (next !== undefined) return { keys, next };
    }
    return { keys };
  }

  /**
   * Appends the listed keys of one range to `scan.keys` until it holds `scan.limit` or the scan
   * budget is spent; returns the last key examined then. Keys only, merged with the listing index
   * over the same range (both are in key order), so no value is read.
   */
  private listRange(range: { start: Buffer; end: Buffer; resume: boolean }, scan: { keys: Uint8Array[]; limit: number; budget: number; now: number }): Buffer | undefined {
    const hidden = this.listing.getRange({ start: range.start, end: range.end })[Symbol.iterator]();
    try {
      let h = hidden.next();
      for (const key of this.data.getKeys({ start: range.start, end: range.end, exclusiveStart: range.resume })) {
        scan.budget--;
        while (!h.done && Buffer.compare(h.value.key, key) < 0) h = hidden.next();
        const listed = h.done || !h.value.key.equals(key) || scan.now < readU64(h.value.value, 0);
        if (listed) scan.keys.push(keyOf(key));
        if (scan.keys.length === scan.limit || scan.budget === 0) return key;
      }
      return undefined;
    } finally {
      hidden.return?.();
    }
  }

  async sweepExpired(options: SweepOptions): Promise<SweepResult> {
    this.checkOpen();
    checkLimit(options.limit);
    let removed = 0;
    let more = false;
    const committed = this.data.transaction(() => {
      // Collected first: deleting under an open cursor of the same transaction is asking for trouble.
      const due: Buffer[] = [];
      for (const expiryKey of this.expiry.getKeys({ end: timeRangeEnd(this.now()), limit: options.limit + 1 })) {
        due.push(expiryKey);
      }
      more = due.length > options.limit;
      for (const expiryKey of due.slice(0, options.limit)) {
        const { timeMs, dataKey } = decodeTimeKey(expiryKey);
        const frame = this.data.getBinaryFast(dataKey);
        // Only if the record still carries this expiry: the index entry may be older than a rewrite.
        if (frame !== undefined && frameExpiry(frame) === timeMs) {
          this.removeRecord(Buffer.from(dataKey), frame);
          removed++;
        } else {
          this.expiry.removeSync(expiryKey);
        }
      }
    });
    await this.durable(committed);
    return { removed, more };
  }

  listDue(options: ListDueOptions): DueItem[] {
    this.checkOpen();
    checkLimit(options.limit);
    const items: DueItem[] = [];
    for (const dueKey of this.due.getKeys({ end: timeRangeEnd(options.untilMs) })) {
      const { timeMs, dataKey } = decodeTimeKey(dueKey);
      const frame = this.data.getBinaryFast(dataKey);
      // update and reap keep the index exact; a stray entry (should one exist) is skipped.
      if (frame === undefined || frameDue(frame) !== timeMs) continue;
      const record = this.scannedRecord(dataKey, frame, this.now(), true);
      const parts = decodeDataKey(dataKey);
      if (record === undefined || parts === undefined) continue;
      items.push({ bucket: new Uint8Array(parts.bucket), key: new Uint8Array(parts.key), partition: parts.partition, record });
      if (items.length === options.limit) break;
    }
    return items;
  }

  startSweeper(options: SweeperOptions): () => void {
    this.checkOpen();
    const stop = startSweeperTimer(this, options, () => this.stopSweepers.delete(stop));
    this.stopSweepers.add(stop);
    return stop;
  }

  addHint(targetNode: string, hint: HintInput, limits?: HintLimits): Promise<HintAdded> {
    this.checkOpen();
    return this.hints.add(targetNode, hint, limits);
  }

  hintsFor(targetNode: string, limit: number): Hint[] {
    this.checkOpen();
    return this.hints.list(targetNode, limit);
  }

  ackHints(targetNode: string, ids: readonly number[]): Promise<void> {
    this.checkOpen();
    return this.hints.ack(targetNode, ids);
  }

  expireHints(options: ExpireHintsOptions): Promise<HintRemoval> {
    this.checkOpen();
    return this.hints.expire(options);
  }

  dropHints(targetNode: string, limit: number): Promise<HintRemoval> {
    this.checkOpen();
    return this.hints.drop(targetNode, limit);
  }

  countHints(targetNode?: string): number {
    this.checkOpen();
    return this.hints.count(targetNode);
  }

  hasHints(targetNode?: string): boolean {
    this.checkOpen();
    return this.hints.has(targetNode);
  }

  hintTargets(): string[] {
    this.checkOpen();
    return this.hints.targets();
  }

  hintStats(): HintStats {
    this.checkOpen();
    return this.hints.stats();
  }

  getMeta(name: string): Uint8Array | undefined {
    this.checkOpen();
    return this.meta.get(name);
  }

  setMeta(name: string, value: Uint8Array): Promise<void> {
    this.checkOpen();
    return this.meta.set(name, value);
  }

  deleteMeta(name: string): Promise<void> {
    this.checkOpen();
    return this.meta.delete(name);
  }

  listMeta(prefix: string): MetaEntry[] {
    this.checkOpen();
    return this.meta.list(prefix, this.options.onCorruptRecord);
  }

  stats(): StorageStats {
    this.checkOpen();
    const partitions: number[] = [];
    let keys = 0;
    for (let p = 0; p < this.partitionCount; p++) {
      const n = this.storedIn(p);
      partitions.push(n);
      keys += n;
    }
    this.quota.refresh();
    return { keys, bytes: this.quota.used, mapSizeBytes: this.quota.limit, full: this.quota.full, partitions };
  }

  /**
   * Changes the size limit of the data file at run time (e.g. after StorageFullError, once the
   * operator has made room). Reopening with a larger `mapSizeBytes` has the same effect.
   */
  resize(mapSizeBytes: number): void {
    this.checkOpen();
    this.quota.setLimit(mapSizeBytes);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const stop of [...this.stopSweepers]) stop();
    await this.env.close();
  }

  private dataKey(bucket: Uint8Array, key: Uint8Array, partition: number | undefined): Buffer {
    const p = partition === undefined ? this.partitionOf(bucket, key) : checkPartition(partition, this.partitionCount);
    return encodeDataKey(p, bucket, key);
  }

  /**
   * Builds the partition counts and the listing index of a data dir written before they existed:
   * one pass over the records, once, in one transaction (so a crash leaves none of it).
   */
  async ensureIndexes(): Promise<void> {
    await this.hints.ensureStats();
    if ((!isEmpty(this.counts) && !this.countsWithoutBytes()) || isEmpty(this.data)) return;
    const committed = this.data.transaction(() => {
      for (const key of this.counts.getKeys({})) this.counts.removeSync(key);
      const perPartition = new Map<number, { records: number; bytes: number }>();
      for (const { key, value } of this.data.getRange({})) {
        const p = decodeDataKey(key)?.partition;
        if (p !== undefined) {
          const c = perPartition.get(p) ?? { records: 0, bytes: 0 };
          perPartition.set(p, { records: c.records + 1, bytes: c.bytes + key.length + value.length });
        }
        const ends = value.length >= 6 ? frameListingEnd(value) : undefined;
        if (ends !== undefined) this.listing.putSync(key, timeValue(ends));
      }
      for (const [p, c] of perPartition) this.counts.putSync(partitionStart(p), countValue(c.records, c.bytes));
    });
    await this.durable(committed);
  }

  /** Records stored in a partition, from its counter. */
  private storedIn(partition: number): number {
    const bytes = this.counts.getBinaryFast(partitionStart(partition));
    return bytes === undefined || bytes.length < 8 ? 0 : readU64(bytes, 0);
  }

  /** Bytes (keys and frames) of the records stored in a partition, from its counter. */
  private bytesIn(partition: number): number {
    const bytes = this.counts.getBinaryFast(partitionStart(partition));
    return bytes === undefined || bytes.length !== COUNT_VALUE_BYTES ? 0 : readU64(bytes, 8);
  }

  /** True when the counters were written before they counted bytes (8-byte values): rebuild them. */
  private countsWithoutBytes(): boolean {
    for (const { value } of this.counts.getRange({ limit: 1 })) return (value as Buffer).length !== COUNT_VALUE_BYTES;
    return false;
  }

  /** Moves the counters of a data key's partition; inside a write transaction. */
  private countIn(dataKey: Buffer, records: number, bytes: number): void {
    if (records === 0 && bytes === 0) return;
    const p = decodeDataKey(dataKey)!.partition;
    const n = Math.max(0, this.storedIn(p) + records);
    if (n === 0) this.counts.removeSync(partitionStart(p));
    else this.counts.putSync(partitionStart(p), countValue(n, Math.max(0, this.bytesIn(p) + bytes)));
  }

  /** Moves a record's entry in the listing index; inside a write transaction. */
  private relist(dataKey: Buffer, before: number | undefined, after: number | undefined): void {
    if (before === after) return;
    if (after === undefined) this.listing.removeSync(dataKey);
    else this.listing.putSync(dataKey, timeValue(after));
  }

  /** Removes a record and its index entries; inside a write transaction. */
  private removeRecord(dataKey: Buffer, frame: Buffer): void {
    const expiresAtMs = frameExpiry(frame);
    const dueAtMs = frameDue(frame);
    this.data.removeSync(dataKey);
    if (expiresAtMs !== undefined) this.expiry.removeSync(encodeTimeKey(expiresAtMs, dataKey));
    if (dueAtMs !== undefined) this.due.removeSync(encodeTimeKey(dueAtMs, dataKey));
    if (frameListingEnd(frame) !== undefined) this.listing.removeSync(dataKey);
    this.countIn(dataKey, -1, -(dataKey.length + frame.length));
  }

  /** The record in `frame` if sound and unexpired; corrupt ones are reported and read as absent. */
  private liveRecord(dataKey: Buffer, frame: Buffer): StoredRecord | undefined {
    return this.scannedRecord(dataKey, frame, this.now(), true);
  }

  private scannedRecord(dataKey: Buffer, frame: Buffer, now: number, copy = false): StoredRecord | undefined {
    const bad = verifyFrame(dataKey, frame);
    if (bad !== undefined) {
      const parts = decodeDataKey(dataKey);
      this.options.onCorruptRecord?.(new CorruptRecordError(new Uint8Array(parts?.bucket ?? EMPTY), new Uint8Array(parts?.key ?? dataKey), bad));
      return undefined;
    }
    const expiresAtMs = frameExpiry(frame);
    if (expiresAtMs !== undefined && now >= expiresAtMs) return undefined;
    return decodeFrame(frame, copy);
  }

  /** A cursor must be a data key of the range being scanned; anything else is a caller bug. */
  private cursorIn(cursor: Cursor, rangeStart: Buffer): Buffer {
    if (cursor.length <= rangeStart.length || Buffer.compare(cursor.subarray(0, rangeStart.length), rangeStart) !== 0) {
      throw new StorageArgumentError('after', 'cursor does not belong to this partition');
    }
    return Buffer.from(cursor);
  }

  /** Waits for the commit and, in `sync` mode with overlapping sync, for its fsync. */
  private async durable<T>(committed: Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await committed;
      if (this.awaitFlush) await this.data.flushed;
    } catch (error) {
      throw asStorageError(error, this.quota);
    }
    return result;
  }

  private checkOpen(): void {
    if (this.closed) throw new EngineClosedError();
  }
}

const EMPTY = Buffer.alloc(0);

function isEmpty(db: Db): boolean {
  for (const _key of db.getKeys({ limit: 1 })) return false;
  return true;
}

/** A u64 as the 8 bytes the listing index and the counters store. */
/** A partition counter: records, then the bytes their keys and frames take. */
const COUNT_VALUE_BYTES = 16;

function countValue(records: number, bytes: number): Buffer {
  const out = Buffer.allocUnsafe(COUNT_VALUE_BYTES);
  writeU64(out, 0, records);
  writeU64(out, 8, bytes);
  return out;
}

function timeValue(n: number): Buffer {
  const out = Buffer.allocUnsafe(8);
  writeU64(out, 0, n);
  return out;
}

/** When listKeys stops listing the record in `frame` (see {@link listingEnd}), without verifying it. */
function frameListingEnd(frame: Uint8Array): number | undefined {
  const expiresAtMs = frameExpiry(frame);
  const listedUntilMs = frameListedUntil(frame);
  return listingEnd({ ...(expiresAtMs === undefined ? {} : { expiresAtMs }), ...(listedUntilMs === undefined ? {} : { listedUntilMs }) });
}

/** Moves a record's entry in a time index (expiry, due) from `before` to `after`; inside a write transaction. */
function reindex(index: Db, dataKey: Buffer, before: number | undefined, after: number | undefined): void {
  if (before === after) return;
  if (before !== undefined) index.removeSync(encodeTimeKey(before, dataKey));
  if (after !== undefined) index.putSync(encodeTimeKey(after, dataKey), EMPTY);
}

/** LMDB's own map-full (should lmdb-js ever stop growing the map) and a full disk become StorageFullError. */
function asStorageError(error: unknown, quota: SpaceQuota): unknown {
  const message = error instanceof Error ? error.message : String(error);
  if (/MDB_MAP_FULL|ENOSPC|No space left/i.test(message)) return new StorageFullError(quota.limit, quota.used, { cause: error });
  return error;
}
