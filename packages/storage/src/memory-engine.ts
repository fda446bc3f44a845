/**
 * The in-memory engine: the same contract as the LMDB engine, for tests, simulations and
 * throwaway nodes. Each partition keeps a Map plus a sorted array of its keys (the encoded data keys
 * of key-layout.ts as latin1 strings, whose string order is byte order), so scans, listings and
 * cursors behave exactly as on disk. Values are copied in and out so callers cannot alias them.
 */
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
  UpdateFn,
} from './engine.js';
import { EngineClosedError, StorageArgumentError } from './errors.js';
import { bucketPrefix, encodeDataKey, partitionStart } from './key-layout.js';
import { MemoryHintStore } from './memory-hints.js';
import { listingEnd } from './record-codec.js';
import { startSweeperTimer } from './sweeper.js';
import { checkLimit, checkPartition, checkPartitionCount, checkRecord, listedPartitions, pageBound, sameBytes, scanBudget } from './validation.js';

/** Options of {@link createMemoryEngine}. */
export type MemoryEngineOptions = EngineOptions;

interface Entry {
  bucket: Uint8Array;
  key: Uint8Array;
  record: StoredRecord;
}

interface Partition {
  entries: Map<string, Entry>;
  sorted: string[];
}

/** Creates an empty in-memory engine. */
export function createMemoryEngine(options: MemoryEngineOptions): MemoryEngine {
  return new MemoryEngine(options);
}

/** The in-memory engine; create it with {@link createMemoryEngine}. */
export class MemoryEngine implements StorageEngine {
  readonly partitionCount: number;
  private readonly partitions = new Map<number, Partition>();
  private readonly hints: MemoryHintStore;
  private readonly meta = new Map<string, Uint8Array>();
  private readonly stopSweepers = new Set<() => void>();
  private readonly now: () => number;
  private bytes = 0;
  private closed = false;

  constructor(private readonly options: MemoryEngineOptions) {
    checkPartitionCount(options.partitionCount);
    this.partitionCount = options.partitionCount;
    this.now = options.now ?? Date.now;
    this.hints = new MemoryHintStore(this.now);
  }

  partitionOf(bucket: Uint8Array, key: Uint8Array): number {
    return checkPartition(this.options.partitioner(bucket, key), this.partitionCount);
  }

  get(bucket: Uint8Array, key: Uint8Array, partition?: number): StoredRecord | undefined {
    this.checkOpen();
    const p = this.partitionArg(bucket, key, partition);
    const id = latin1(encodeDataKey(p, bucket, key)); // before the lookup: it validates sizes
    const entry = this.partitions.get(p)?.entries.get(id);
    return entry && this.isLive(entry.record, this.now()) ? copyRecord(entry.record) : undefined;
  }

  async update(bucket: Uint8Array, key: Uint8Array, fn: UpdateFn, partition?: number): Promise<StoredRecord | undefined> {
    this.checkOpen();
    const p = this.partitionArg(bucket, key, partition);
    const id = latin1(encodeDataKey(p, bucket, key));
    const old = this.partitions.get(p)?.entries.get(id);
    const current = old && this.isLive(old.record, this.now()) ? copyRecord(old.record) : undefined;
    const next = fn(current);
    if (next === undefined) return current;
    checkRecord(next);
    const stored = copyRecord(next);
    if (old) this.bytes -= old.record.value.length;
    else this.bytes += id.length;
    this.bytes += stored.value.length;
    this.put(p, id, { bucket: copy(bucket), key: copy(key), record: stored });
    return copyRecord(stored);
  }

  async updateMany(partition: number, entries: readonly UpdateEntry[]): Promise<(StoredRecord | undefined)[]> {
    this.checkOpen();
    checkPartition(partition, this.partitionCount);
    const results: (StoredRecord | undefined)[] = [];
    // Writes here are synchronous: stopping at the first failure leaves the earlier ones written.
    for (const e of entries) results.push(await this.update(e.bucket, e.key, e.fn, partition));
    return results;
  }

  async reap(bucket: Uint8Array, key: Uint8Array, expectedValue: Uint8Array, partition?: number): Promise<boolean> {
    this.checkOpen();
    const p = this.partitionArg(bucket, key, partition);
    const id = latin1(encodeDataKey(p, bucket, key));
    const entry = this.partitions.get(p)?.entries.get(id);
    if (!entry || !sameBytes(entry.record.value, expectedValue)) return false;
    this.remove(p, id);
    return true;
  }

  scanPartition(partition: number, options: ScanOptions): ScanPage {
    this.checkOpen();
    checkPartition(partition, this.partitionCount);
    const full = pageBound(options);
    const part = this.partitions.get(partition);
    if (!part) return { items: [] };
    let from = 0;
    if (options.after !== undefined) {
      const prefix = latin1(partitionStart(partition));
      const after = latin1(options.after);
      if (after.length <= prefix.length || !after.startsWith(prefix)) {
        throw new StorageArgumentError('after', 'cursor does not belong to this partition');
      }
      from = upperBound(part.sorted, after);
    }
    const now = this.now();
    const items: ScanItem[] = [];
    let last = '';
    for (let i = from; i < part.sorted.length; i++) {
      const id = part.sorted[i]!;
      const entry = part.entries.get(id)!;
      if (!this.isLive(entry.record, now)) continue;
      if (full.reached) return { items, next: bytesOf(last) };
      items.push({ bucket: copy(entry.bucket), key: copy(entry.key), record: copyRecord(entry.record) });
      full.add(entry.key.length + entry.record.value.length);
      last = id;
    }
    return { items };
  }

  partitionBytes(partition: number): number {
    this.checkOpen();
    checkPartition(partition, this.partitionCount);
    let bytes = 0;
    for (const entry of this.partitions.get(partition)?.entries.values() ?? []) bytes += entry.bucket.length + entry.key.length + entry.record.value.length;
    return bytes;
  }

  countPartition(partition: number): number {
    this.checkOpen();
    checkPartition(partition, this.partitionCount);
    const now = this.now();
    let n = 0;
    for (const entry of this.partitions.get(partition)?.entries.values() ?? []) if (this.isLive(entry.record, now)) n++;
    return n;
  }

  listKeys(bucket: Uint8Array, options: ListKeysOptions): KeyPage {
    this.checkOpen();
    checkLimit(options.limit);
    const cursor = options.cursor === undefined ? undefined : latin1(options.cursor);
    const { first, last } = listedPartitions(options, this.partitionCount);
    const now = this.now();
    const keys: Uint8Array[] = [];
    let budget = scanBudget(options);
    for (let p = first; p <= last; p++) {
      const part = this.partitions.get(p);
      if (!part) continue;
      const lo = latin1(bucketPrefix(p, bucket, options.prefix ?? new Uint8Array(0)));
      const resume = p === first && cursor !== undefined && cursor >= lo;
      for (let i = resume ? upperBound(part.sorted, cursor) : lowerBound(part.sorted, lo); i < part.sorted.length; i++) {
        const id = part.sorted[i]!;
        if (!id.startsWith(lo)) break;
        const ends = listingEnd(part.entries.get(id)!.record);
        if (ends === undefined || now < ends) keys.push(copy(part.entries.get(id)!.key));
        if (keys.length === options.limit || --budget === 0) return { keys, next: bytesOf(id) };
      }
    }
    return { keys };
  }

  async sweepExpired(options: SweepOptions): Promise<SweepResult> {
    this.checkOpen();
    checkLimit(options.limit);
    const now = this.now();
    let removed = 0;
    // A full walk: fine for an engine whose data fits in memory; the LMDB engine uses an index.
    for (const [p, part] of this.partitions) {
      for (const [id, entry] of part.entries) {
        if (this.isLive(entry.record, now)) continue;
        if (removed === options.limit) return { removed, more: true };
        this.remove(p, id);
        removed++;
      }
    }
    return { removed, more: false };
  }

  listDue(options: ListDueOptions): DueItem[] {
    this.checkOpen();
    checkLimit(options.limit);
    const now = this.now();
    const due: (DueItem & { id: string })[] = [];
    // A full walk, as for sweeping: fine for an engine whose data fits in memory.
    for (const [partition, part] of this.partitions) {
      for (const [id, entry] of part.entries) {
        const at = entry.record.dueAtMs;
        if (at === undefined || at > options.untilMs || !this.isLive(entry.record, now)) continue;
        due.push({ id, bucket: copy(entry.bucket), key: copy(entry.key), partition, record: copyRecord(entry.record) });
      }
    }
    // The LMDB index order: due time, then data key.
    due.sort((x, y) => x.record.dueAtMs! - y.record.dueAtMs! || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    return due.slice(0, options.limit).map(({ bucket, key, partition, record }) => ({ bucket, key, partition, record }));
  }

  startSweeper(options: SweeperOptions): () => void {
    this.checkOpen();
    const stop = startSweeperTimer(this, options, () => this.stopSweepers.delete(stop));
    this.stopSweepers.add(stop);
    return stop;
  }

  async addHint(targetNode: string, hint: HintInput, limits?: HintLimits): Promise<HintAdded> {
    this.checkOpen();
    return this.hints.add(targetNode, hint, limits);
  }

  hintsFor(targetNode: string, limit: number): Hint[] {
    this.checkOpen();
    return this.hints.list(targetNode, limit);
  }

  async ackHints(targetNode: string, ids: readonly number[]): Promise<void> {
    this.checkOpen();
    this.hints.ack(targetNode, ids);
  }

  async expireHints(options: ExpireHintsOptions): Promise<HintRemoval> {
    this.checkOpen();
    return this.hints.expire(options);
  }

  async dropHints(targetNode: string, limit: number): Promise<HintRemoval> {
    this.checkOpen();
    return this.hints.drop(targetNode, limit);
  }

  hasHints(targetNode?: string): boolean {
    this.checkOpen();
    return this.hints.countOf(targetNode) > 0;
  }

  countHints(targetNode?: string): number {
    this.checkOpen();
    return this.hints.countOf(targetNode);
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
    const value = this.meta.get(name);
    return value && copy(value);
  }

  async setMeta(name: string, value: Uint8Array): Promise<void> {
    this.checkOpen();
    if (name.startsWith('\u0000')) throw new StorageArgumentError('name', 'names starting with NUL are reserved');
    this.meta.set(name, copy(value));
  }

  async deleteMeta(name: string): Promise<void> {
    this.checkOpen();
    if (name.startsWith('\u0000')) throw new StorageArgumentError('name', 'names starting with NUL are reserved');
    this.meta.delete(name);
  }

  listMeta(prefix: string): MetaEntry[] {
    this.checkOpen();
    return [...this.meta.keys()]
      .filter((name) => name.startsWith(prefix) && !name.startsWith('\u0000'))
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
      .map((name) => ({ name, value: copy(this.meta.get(name)!) }));
  }

  stats(): StorageStats {
    this.checkOpen();
    const partitions = Array.from({ length: this.partitionCount }, (_, p) => this.partitions.get(p)?.entries.size ?? 0);
    return { keys: partitions.reduce((a, b) => a + b, 0), bytes: this.bytes, partitions };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const stop of [...this.stopSweepers]) stop();
  }

  private partitionArg(bucket: Uint8Array, key: Uint8Array, partition: number | undefined): number {
    return partition === undefined ? this.partitionOf(bucket, key) : checkPartition(partition, this.partitionCount);
  }

  private isLive(record: StoredRecord, now: number): boolean {
    return record.expiresAtMs === undefined || now < record.expiresAtMs;
  }

  private put(p: number, id: string, entry: Entry): void {
    let part = this.partitions.get(p);
    if (!part) this.partitions.set(p, (part = { entries: new Map(), sorted: [] }));
    if (!part.entries.has(id)) part.sorted.splice(lowerBound(part.sorted, id), 0, id);
    part.entries.set(id, entry);
  }

  private remove(p: number, id: string): void {
    const part = this.partitions.get(p)!;
    const entry = part.entries.get(id)!;
    this.bytes -= id.length + entry.record.value.length;
    part.entries.delete(id);
    part.sorted.splice(lowerBound(part.sorted, id), 1);
  }

  private checkOpen(): void {
    if (this.closed) throw new EngineClosedError();
  }
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
}

/** `new Uint8Array(x)` copies; `Buffer#slice` would return a view. */
function copy(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

function bytesOf(id: string): Cursor {
  return new Uint8Array(Buffer.from(id, 'latin1'));
}

function copyRecord(record: StoredRecord): StoredRecord {
  const out: StoredRecord = { value: copy(record.value) };
  if (record.expiresAtMs !== undefined) out.expiresAtMs = record.expiresAtMs;
  if (record.dueAtMs !== undefined) out.dueAtMs = record.dueAtMs;
  if (record.listedUntilMs !== undefined) out.listedUntilMs = record.listedUntilMs;
  return out;
}

/** First index whose element is ≥ `target`. */
function lowerBound(sorted: string[], target: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose element is > `target`. */
function upperBound(sorted: string[], target: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
