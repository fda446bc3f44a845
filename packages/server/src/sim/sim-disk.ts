// A simulated node's disk: the in-memory storage engine, which survives a crash of the process
// (everything it acknowledged is durable) and is replaced by an empty one when the disk is lost.
// Each process incarnation sees it through a view that stops working when the process dies, so a
// crashed node's leftover promise chains cannot write. Faults: corrupt records (checksum failures),
// failing writes (a commit that fails after the update callback ran) and a full disk (a write that
// would grow the store is refused, as the LMDB engine's quota refuses it; one that shrinks a record
// passes).
import { CorruptRecordError, EngineClosedError, StorageError, StorageFullError, createMemoryEngine, type MemoryEngine, type Partitioner, type StorageEngine, type StoredRecord, type UpdateEntry, type UpdateFn, type DueItem, type ExpireHintsOptions, type Hint, type HintAdded, type HintRemoval, type HintStats, type ListDueOptions, type MetaEntry } from '@quorumkv/storage';
import { compareRecords, decodeRecord } from '../record/key-record.js';
import { describeRecord } from './describe-record.js';
import type { TimerOwner } from './virtual-clock.js';

export interface SimDiskOptions {
  partitionCount: number;
  partitioner: Partitioner;
  now: () => number;
  /** Told about every record value stored (data and hints), for the dot ledger. */
  onStored: (bucket: Uint8Array, key: Uint8Array, record: Uint8Array) => void;
  /** Told what each write did, when tracing. */
  trace?: ((line: string) => void) | undefined;
  /** Told when a write replaced a record with one that does not descend from it (nothing may overwrite). */
  onOverwrite: (key: Uint8Array, before: Uint8Array, after: Uint8Array) => void;
  /** Told about hints removed after their target acknowledged them (the copies they were). */
  onHintsAcked: (hints: readonly Hint[]) => void;
  /**
   * Told about hints removed without an acknowledgement (evicted by a cap, past their max age, or
   * for a node no longer in the ring): copies destroyed, as a lost disk destroys them.
   */
  onHintsDropped: (hints: readonly Hint[]) => void;
}

const decoder = new TextDecoder();
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;
const keyId = (bucket: Uint8Array, key: Uint8Array): string => `${Buffer.from(bucket).toString('hex')}/${Buffer.from(key).toString('hex')}`;

export class SimDisk {
  private engine: MemoryEngine;
  private readonly corrupt = new Set<string>();
  private failingWrites = 0;
  /** No room: writes that grow the store fail with StorageFullError (a restart does not free space). */
  full = false;

  constructor(private readonly options: SimDiskOptions) {
    this.engine = this.fresh();
  }

  /** The disk is replaced by an empty one (data, hints, metadata and actor epochs all gone). */
  lose(): void {
    this.engine = this.fresh();
    this.corrupt.clear();
    this.failingWrites = 0;
    this.full = false;
  }

  /** The stored record of a key fails its checksum from now on (until it is rewritten); false when absent. */
  corruptRecord(bucket: Uint8Array, key: Uint8Array): boolean {
    if (!this.engine.get(bucket, key)) return false;
    this.corrupt.add(keyId(bucket, key));
    return true;
  }

  /** The next `count` writes (records, hints, metadata, reaps) fail after their callback ran. */
  failWrites(count: number): void {
    this.failingWrites = count;
  }

  /** Stops injected write failures. */
  heal(): void {
    this.failingWrites = 0;
  }

  /** The raw record of a key as stored (corrupt or not), for inspection. */
  peek(bucket: Uint8Array, key: Uint8Array): StoredRecord | undefined {
    return this.engine.get(bucket, key);
  }

  /** Pending hints on this disk. */
  countHints(): number {
    return this.engine.countHints();
  }

  /** The records of every hint this disk holds for `key`, whatever their target. */
  hintRecords(bucket: Uint8Array, key: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const target of this.engine.hintTargets()) {
      for (const h of this.engine.hintsFor(target, 1_000_000)) if (sameBytes(h.bucket, bucket) && sameBytes(h.key, key)) out.push(h.value);
    }
    return out;
  }

  /**
   * The storage engine one process incarnation uses; it refuses every call once `owner` died.
   * `onCorruptRecord` is told about corrupt records an update treats as absent (as the LMDB engine's option).
   */
  open(owner: TimerOwner, onCorruptRecord: (error: CorruptRecordError) => void): StorageEngine {
    return new DiskView(this, owner, onCorruptRecord);
  }

  /** @internal the current engine (changes when the disk is lost). */
  get current(): MemoryEngine {
    return this.engine;
  }

  /** Whether a key's record reads as corrupt. */
  isCorrupt(bucket: Uint8Array, key: Uint8Array): boolean {
    return this.corrupt.size > 0 && this.corrupt.has(keyId(bucket, key));
  }

  /** @internal a write was attempted: false when it must fail. */
  takeWrite(): boolean {
    if (this.failingWrites === 0) return true;
    this.failingWrites--;
    return false;
  }

  /** @internal a key's record was rewritten: no longer corrupt. */
  repaired(bucket: Uint8Array, key: Uint8Array): void {
    this.corrupt.delete(keyId(bucket, key));
  }

  /** @internal a record (or hint, with `hintFor`) was written. */
  stored(bucket: Uint8Array, key: Uint8Array, record: Uint8Array, hintFor?: string): void {
    this.options.onStored(bucket, key, record);
    if (this.options.trace) this.options.trace(`${hintFor ? `keeps a hint for ${hintFor}: ` : 'stores '}${decoder.decode(key)} ${describeRecord(record, this.options.now())}`);
  }

  /** @internal checks that `after` keeps everything `before` knew (DESIGN.md: state changes only by merging). */
  checkDescends(key: Uint8Array, before: Uint8Array, after: Uint8Array): void {
    const order = compareRecords(decodeRecord(before), decodeRecord(after));
    if (order !== 'before' && order !== 'equal') this.options.onOverwrite(key, before, after);
  }

  /** @internal */
  hintsAcked(hints: readonly Hint[]): void {
    if (hints.length > 0) this.options.onHintsAcked(hints);
  }

  /** @internal runs `removal` and reports the hints it removed (found by comparing every hint before and after). */
  async droppingHints<R>(removal: () => Promise<R>): Promise<R> {
    const before = allHints(this.engine);
    const result = await removal();
    const after = new Set(allHints(this.engine).map(([target, h]) => `${target}/${h.id}`));
    const dropped = before.filter(([target, h]) => !after.has(`${target}/${h.id}`)).map(([, h]) => h);
    if (dropped.length > 0) {
      this.options.trace?.(`drops ${dropped.length} hint(s) unacknowledged: ${dropped.map((h) => `${decoder.decode(h.key)} ${describeRecord(h.value, this.options.now())}`).join('; ')}`);
      this.options.onHintsDropped(dropped);
    }
    return result;
  }

  /** @internal for the trace. */
  note(line: string): void {
    this.options.trace?.(line);
  }

  private fresh(): MemoryEngine {
    const { partitionCount, partitioner, now } = this.options;
    return createMemoryEngine({ partitionCount, partitioner, now });
  }
}

/** The error of a write refused by a full disk. */
function noRoom(engine: MemoryEngine): StorageFullError {
  const used = engine.stats().bytes;
  return new StorageFullError(used, used);
}

/** Every hint on `engine` with its target. */
function allHints(engine: MemoryEngine): [target: string, hint: Hint][] {
  return engine.hintTargets().flatMap((target) => engine.hintsFor(target, 1_000_000).map((h) => [target, h] as [string, Hint]));
}

const diskFault = (): StorageError => new StorageError('simulated disk fault: commit failed');

/** One incarnation's view of a {@link SimDisk}. */
class DiskView implements StorageEngine {
  constructor(
    private readonly disk: SimDisk,
    private readonly owner: TimerOwner,
    private readonly onCorruptRecord: (error: CorruptRecordError) => void,
  ) {}

  private get e(): MemoryEngine {
    if (!this.owner.alive) throw new EngineClosedError();
    return this.disk.current;
  }

  get partitionCount(): number {
    return this.disk.current.partitionCount;
  }

  partitionOf(bucket: Uint8Array, key: Uint8Array): number {
    return this.e.partitionOf(bucket, key);
  }

  get(bucket: Uint8Array, key: Uint8Array, partition?: number): StoredRecord | undefined {
    const rec = this.e.get(bucket, key, partition);
    if (rec && this.disk.isCorrupt(bucket, key)) throw new CorruptRecordError(bucket, key, 'checksum');
    return rec;
  }

  async update(bucket: Uint8Array, key: Uint8Array, fn: UpdateFn, partition?: number): Promise<StoredRecord | undefined> {
    const engine = this.e;
    const commits = this.disk.takeWrite();
    let written: StoredRecord | undefined;
    let refused = false;
    const result = await engine.update(
      bucket,
      key,
      (cur) => {
        // Inside the transaction, as on disk: a corrupt record reads as absent, and the write that
        // replaces it is what the next update of the key sees.
        const corrupt = cur !== undefined && this.disk.isCorrupt(bucket, key);
        if (corrupt) this.onCorruptRecord(new CorruptRecordError(bucket, key, 'checksum'));
        const seen = corrupt ? undefined : cur;
        written = fn(seen);
        if (seen && written) this.disk.checkDescends(key, seen.value, written.value);
        // Only growth is charged, as in the LMDB engine: a tombstone over a value still fits.
        refused = this.disk.full && written !== undefined && written.value.length > (cur?.value.length ?? -1);
        if (!commits || refused) return undefined;
        if (written) this.disk.repaired(bucket, key);
        return written;
      },
      partition,
    );
    if (!commits) {
      this.disk.note(`write of ${decoder.decode(key)} failed (disk fault)`);
      throw diskFault();
    }
    if (refused) {
      this.disk.note(`write of ${decoder.decode(key)} refused (disk full)`);
      throw noRoom(engine);
    }
    if (written) this.disk.stored(bucket, key, written.value);
    return result;
  }

  async updateMany(partition: number, entries: readonly UpdateEntry[]): Promise<(StoredRecord | undefined)[]> {
    // One write at a time, so each meets the disk's faults as a lone update would.
    const results: (StoredRecord | undefined)[] = [];
    for (const e of entries) results.push(await this.update(e.bucket, e.key, e.fn, partition));
    return results;
  }

  async reap(bucket: Uint8Array, key: Uint8Array, expectedValue: Uint8Array, partition?: number): Promise<boolean> {
    const engine = this.e;
    if (!this.disk.takeWrite()) throw diskFault();
    if (this.disk.isCorrupt(bucket, key)) return false;
    const reaped = await engine.reap(bucket, key, expectedValue, partition);
    this.disk.note(`${reaped ? 'reaps' : 'keeps (bytes differ)'} ${decoder.decode(key)} ${describeRecord(expectedValue, Infinity)}`);
    return reaped;
  }

  scanPartition(...args: Parameters<StorageEngine['scanPartition']>): ReturnType<StorageEngine['scanPartition']> {
    return this.e.scanPartition(...args);
  }

  countPartition(partition: number): number {
    return this.e.countPartition(partition);
  }

  partitionBytes(partition: number): number {
    return this.e.partitionBytes(partition);
  }

  listKeys(...args: Parameters<StorageEngine['listKeys']>): ReturnType<StorageEngine['listKeys']> {
    return this.e.listKeys(...args);
  }

  listDue(options: ListDueOptions): DueItem[] {
    // Corrupt records are skipped, as scans skip them.
    return this.e.listDue(options).filter((d) => !this.disk.isCorrupt(d.bucket, d.key));
  }

  sweepExpired(...args: Parameters<StorageEngine['sweepExpired']>): ReturnType<StorageEngine['sweepExpired']> {
    return this.e.sweepExpired(...args);
  }

  startSweeper(): () => void {
    throw new Error('the simulation sweeps on virtual time: call sweepExpired from a simulated timer');
  }

  async addHint(...args: Parameters<StorageEngine['addHint']>): Promise<HintAdded> {
    const engine = this.e;
    if (!this.disk.takeWrite()) throw diskFault();
    if (this.disk.full) throw noRoom(engine);
    // The caps evict the oldest hints (of any target) in the same transaction.
    const added = await this.disk.droppingHints(() => engine.addHint(...args));
    this.disk.stored(args[1].bucket, args[1].key, args[1].value, args[0]);
    return added;
  }

  expireHints(options: ExpireHintsOptions): Promise<HintRemoval> {
    const engine = this.e;
    return this.disk.droppingHints(() => engine.expireHints(options));
  }

  dropHints(targetNode: string, limit: number): Promise<HintRemoval> {
    const engine = this.e;
    return this.disk.droppingHints(() => engine.dropHints(targetNode, limit));
  }

  hintStats(): HintStats {
    return this.e.hintStats();
  }

  hintsFor(targetNode: string, limit: number): ReturnType<StorageEngine['hintsFor']> {
    return this.e.hintsFor(targetNode, limit);
  }

  async ackHints(targetNode: string, ids: readonly number[]): Promise<void> {
    const engine = this.e;
    const wanted = new Set(ids);
    const acked = engine.hintsFor(targetNode, 1_000_000).filter((h) => wanted.has(h.id));
    await engine.ackHints(targetNode, ids);
    this.disk.hintsAcked(acked);
  }

  countHints(targetNode?: string): number {
    return this.e.countHints(targetNode);
  }

  hasHints(targetNode?: string): boolean {
    return this.e.hasHints(targetNode);
  }

  hintTargets(): string[] {
    return this.e.hintTargets();
  }

  getMeta(name: string): Uint8Array | undefined {
    return this.e.getMeta(name);
  }

  listMeta(prefix: string): MetaEntry[] {
    return this.e.listMeta(prefix);
  }

  async setMeta(name: string, value: Uint8Array): Promise<void> {
    const engine = this.e;
    if (!this.disk.takeWrite()) throw diskFault();
    return engine.setMeta(name, value);
  }

  async deleteMeta(name: string): Promise<void> {
    const engine = this.e;
    if (!this.disk.takeWrite()) throw diskFault();
    return engine.deleteMeta(name);
  }

  stats(): ReturnType<StorageEngine['stats']> {
    return this.e.stats();
  }

  async close(): Promise<void> {
    // The disk outlives the process: closing a view closes nothing.
  }
}
