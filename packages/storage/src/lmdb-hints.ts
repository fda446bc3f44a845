/**
 * The hint store of the LMDB engine: writes kept for nodes that could not take them. Keys are
 * `[target length][target][u64 id]` (see key-layout.ts), ids increasing with time, so one node's
 * hints are one range, oldest first, and a hint's age is read from its key.
 *
 * Counts and bytes, per target and in total, live in the `hint-stats` database and change in the
 * same transaction as the hints, so they are exact after a crash and cost one read to know: adding
 * a hint under limits, listing targets, metrics and status never walk the hints themselves.
 */
import type { Database } from 'lmdb';
import type { ExpireHintsOptions, Hint, HintAdded, HintInput, HintLimits, HintRemoval, HintStats, HintTargetStats } from './engine.js';
import { CorruptRecordError } from './errors.js';
import { decodeHintBody, encodeHintBody, hintStoredSize, storedHintSize } from './hint-codec.js';
import { checkHintLimits, evictionBatch, totalsOverflow } from './hint-limits.js';
import { HINT_TOTALS_KEY, decodeHintKey, encodeHintKey, hintCreatedAt, hintTargetPrefix, nextHintId, prefixEnd, readU64, writeU64 } from './key-layout.js';
import { encodeFrame, frameValue, verifyFrame } from './record-codec.js';
import { checkLimit } from './validation.js';

type Db = Database<Buffer, Buffer>;

/** What the engine lends its stores: durable-write waiting and space accounting. */
export interface WriteSupport {
  durable<T>(committed: Promise<T>): Promise<T>;
  admit(bytes: number): void;
}

interface Figures {
  count: number;
  bytes: number;
}

export class LmdbHintStore {
  /** Last id handed out per target, loaded lazily from the last stored hint. */
  private readonly lastId = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly statsDb: Db,
    private readonly writes: WriteSupport,
    private readonly now: () => number,
    private readonly onCorrupt?: (error: CorruptRecordError) => void,
  ) {}

  /** Builds the per-target figures of a store written before they existed (one pass, once). */
  async ensureStats(): Promise<void> {
    if (this.statsDb.getBinaryFast(HINT_TOTALS_KEY) !== undefined) return;
    const committed = this.db.transaction(() => {
      const byTarget = new Map<string, Figures>();
      const totals: Figures = { count: 0, bytes: 0 };
      for (const { key, value } of this.db.getRange({})) {
        const target = prefixOf(key);
        const f = byTarget.get(latin1(target)) ?? { count: 0, bytes: 0 };
        f.count++;
        f.bytes += storedHintSize(key, value);
        byTarget.set(latin1(target), f);
        totals.count++;
        totals.bytes += storedHintSize(key, value);
      }
      for (const [target, f] of byTarget) this.statsDb.putSync(Buffer.from(target, 'latin1'), encodeFigures(f));
      this.statsDb.putSync(HINT_TOTALS_KEY, encodeFigures(totals));
    });
    await this.writes.durable(committed);
  }

  async add(target: string, hint: HintInput, limits?: HintLimits): Promise<HintAdded> {
    const prefix = hintTargetPrefix(target);
    const body = encodeHintBody(hint);
    const size = hintStoredSize(prefix.length, body);
    if (limits !== undefined) checkHintLimits(limits, size);
    this.writes.admit(size);
    let added: HintAdded | undefined;
    let failure: unknown;
    const committed = this.db.transaction(() => {
      try {
        const id = this.allocate(target, prefix);
        const hintKey = encodeHintKey(prefix, id);
        // Encoded before anything is removed: nothing below throws once removals started.
        const frame = encodeFrame(hintKey, { value: body });
        const evicted = { perTarget: 0, total: 0, bytes: 0 };
        if (limits !== undefined) this.makeRoom(prefix, size, limits, evicted);
        this.db.putSync(hintKey, frame);
        this.adjust(prefix, 1, storedHintSize(hintKey, frame));
        added = { id, evicted };
      } catch (error) {
        failure = error;
      }
    });
    await this.writes.durable(committed);
    if (failure !== undefined) throw failure;
    return added!;
  }

  list(target: string, limit: number): Hint[] {
    checkLimit(limit);
    const prefix = hintTargetPrefix(target);
    const out: Hint[] = [];
    const damaged: Buffer[] = [];
    for (const { key, value } of this.db.getRange(range(prefix))) {
      const bad = verifyFrame(key, value);
      const body = bad === undefined ? decodeHintBody(frameValue(value)) : undefined;
      if (body === undefined) {
        // Skipped, not thrown: one damaged hint must not block delivery of the others.
        this.onCorrupt?.(new CorruptRecordError(new Uint8Array(0), key, bad ?? 'format'));
        damaged.push(Buffer.from(key));
        continue;
      }
      const id = decodeHintKey(key)!.seq;
      out.push({ id, createdAtMs: hintCreatedAt(id), ...body });
      if (out.length === limit) break;
    }
    // Dropped once reported: it can never be delivered, and kept it would count as pending for
    // ever (the server reaps no key while a hint for one of its replicas is pending). Rare, so a
    // synchronous write; should it not reach the disk, the next listing finds it again.
    if (damaged.length > 0) this.db.transactionSync(() => this.removeKeys(prefix, damaged));
    return out;
  }

  async ack(target: string, ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    const prefix = hintTargetPrefix(target);
    const committed = this.db.transaction(() => {
      this.removeKeys(prefix, ids.map((id) => encodeHintKey(prefix, id)));
    });
    await this.writes.durable(committed);
  }

  async expire(options: ExpireHintsOptions): Promise<HintRemoval> {
    checkLimit(options.limit);
    return this.removeBatch(this.targetPrefixes(), options.limit, (id) => hintCreatedAt(id) < options.createdBeforeMs);
  }

  drop(target: string, limit: number): Promise<HintRemoval> {
    checkLimit(limit);
    return this.removeBatch([hintTargetPrefix(target)], limit, () => true);
  }

  /** One read of the figures. */
  count(target?: string): number {
    return this.figures(target === undefined ? HINT_TOTALS_KEY : hintTargetPrefix(target)).count;
  }

  has(target?: string): boolean {
    return this.count(target) > 0;
  }

  targets(): string[] {
    return this.targetPrefixes().map(targetName);
  }

  stats(): HintStats {
    const totals = this.figures(HINT_TOTALS_KEY);
    const targets: HintTargetStats[] = [];
    for (const prefix of this.targetPrefixes()) {
      const f = this.figures(prefix);
      const oldest = this.oldestKey(prefix);
      targets.push({ target: targetName(prefix), count: f.count, bytes: f.bytes, oldestCreatedAtMs: oldest ? hintCreatedAt(decodeHintKey(oldest)!.seq) : 0 });
    }
    return { count: totals.count, bytes: totals.bytes, targets };
  }

  /** Removes the oldest hints until one more of `size` bytes fits the limits; inside a write transaction. */
  private makeRoom(prefix: Buffer, size: number, limits: HintLimits, evicted: HintAdded['evicted']): void {
    const over = this.figures(prefix).count + 1 - limits.maxPerTarget;
    if (over > 0) evicted.perTarget += this.removeOldest(prefix, over - 1 + evictionBatch(limits.maxPerTarget));
    for (;;) {
      const overflow = totalsOverflow(this.figures(HINT_TOTALS_KEY), size, limits);
      const victim = overflow && this.oldestTarget();
      const removed = victim === undefined ? 0 : this.removeOldest(victim, overflow!.n);
      if (removed === 0) return;
      evicted[overflow!.limit] += removed;
    }
  }

  /** The target whose oldest hint is the oldest of all (one seek per target). */
  private oldestTarget(): Buffer | undefined {
    let best: Buffer | undefined;
    let bestId = Infinity;
    for (const prefix of this.targetPrefixes()) {
      const oldest = this.oldestKey(prefix);
      const id = oldest && decodeHintKey(oldest)?.seq;
      if (id !== undefined && id < bestId) {
        best = prefix;
        bestId = id;
      }
    }
    return best;
  }

  /** Removes up to `n` of a target's oldest hints with one range read; inside a write transaction. */
  private removeOldest(prefix: Buffer, n: number): number {
    // Collected first: deleting under an open cursor of the same transaction is asking for trouble.
    return this.removeKeys(prefix, [...this.db.getKeys({ ...range(prefix), limit: n })]);
  }

  private oldestKey(prefix: Buffer): Buffer | undefined {
    for (const key of this.db.getKeys({ ...range(prefix), limit: 1 })) return key;
    return undefined;
  }

  /** Removes, oldest first per target, up to `limit` hints whose id `matches` (a prefix of the range). */
  private async removeBatch(prefixes: Buffer[], limit: number, matches: (id: number) => boolean): Promise<HintRemoval> {
    // Collected first: deleting under an open cursor of the same transaction is asking for trouble.
    const doomed: { prefix: Buffer; key: Buffer }[] = [];
    for (const prefix of prefixes) {
      for (const key of this.db.getKeys({ ...range(prefix), limit: limit + 1 - doomed.length })) {
        const id = decodeHintKey(key)?.seq;
        if (id === undefined || !matches(id)) break;
        doomed.push({ prefix, key });
      }
      if (doomed.length > limit) break;
    }
    const more = doomed.length > limit;
    const batch = doomed.slice(0, limit);
    if (batch.length === 0) return { removed: 0, targets: [], more: false };
    let removed = 0;
    const committed = this.db.transaction(() => {
      for (const { prefix, keys } of groupByTarget(batch)) removed += this.removeKeys(prefix, keys);
    });
    await this.writes.durable(committed);
    const targets = [...new Set(batch.map((d) => latin1(d.prefix)))].map((p) => targetName(Buffer.from(p, 'latin1')));
    return { removed, targets, more };
  }

  /** Removes hints of one target and updates the figures once; inside a write transaction. Returns how many there were. */
  private removeKeys(prefix: Buffer, hintKeys: readonly Buffer[]): number {
    let removed = 0;
    let bytes = 0;
    for (const hintKey of hintKeys) {
      const frame = this.db.getBinaryFast(hintKey);
      if (frame === undefined) continue;
      bytes += storedHintSize(hintKey, frame);
      this.db.removeSync(hintKey);
      removed++;
    }
    if (removed > 0) this.adjust(prefix, -removed, -bytes);
    return removed;
  }

  /** Moves the figures of one target and the totals; inside a write transaction. */
  private adjust(prefix: Buffer, count: number, bytes: number): void {
    for (const key of [prefix, HINT_TOTALS_KEY]) {
      const f = this.figures(key);
      const next = { count: f.count + count, bytes: f.bytes + bytes };
      if (key !== HINT_TOTALS_KEY && next.count <= 0) this.statsDb.removeSync(key);
      else this.statsDb.putSync(key, encodeFigures(next));
    }
  }

  private figures(key: Buffer): Figures {
    const bytes = this.statsDb.getBinaryFast(key);
    if (bytes === undefined || bytes.length !== 16) return { count: 0, bytes: 0 };
    return { count: readU64(bytes, 0), bytes: readU64(bytes, 8) };
  }

  /** Prefixes of the targets with hints, from the figures (one entry per target, not per hint). */
  private targetPrefixes(): Buffer[] {
    const out: Buffer[] = [];
    for (const key of this.statsDb.getKeys({ start: prefixEnd(HINT_TOTALS_KEY)! })) out.push(key);
    return out;
  }

  private allocate(target: string, prefix: Buffer): number {
    let last = this.lastId.get(target);
    if (last === undefined) {
      last = 0;
      // A reverse range starts at its high end.
      const { start, end } = range(prefix);
      for (const key of this.db.getKeys({ start: end, end: start, reverse: true, limit: 1 })) last = decodeHintKey(key)?.seq ?? 0;
    }
    const id = nextHintId(last, this.now());
    this.lastId.set(target, id);
    return id;
  }
}

/** Hint keys grouped by target, in order. */
function groupByTarget(doomed: readonly { prefix: Buffer; key: Buffer }[]): { prefix: Buffer; keys: Buffer[] }[] {
  const out: { prefix: Buffer; keys: Buffer[] }[] = [];
  for (const d of doomed) {
    const last = out[out.length - 1];
    if (last !== undefined && last.prefix.equals(d.prefix)) last.keys.push(d.key);
    else out.push({ prefix: d.prefix, keys: [d.key] });
  }
  return out;
}

function encodeFigures(f: Figures): Buffer {
  const out = Buffer.allocUnsafe(16);
  writeU64(out, 0, Math.max(0, f.count));
  writeU64(out, 8, Math.max(0, f.bytes));
  return out;
}

/** `[target length][target]` of a hint key. */
function prefixOf(hintKey: Buffer): Buffer {
  return hintKey.subarray(0, 1 + hintKey[0]!);
}

function targetName(prefix: Buffer): string {
  return new TextDecoder().decode(prefix.subarray(1));
}

function latin1(bytes: Buffer): string {
  return bytes.toString('latin1');
}

function range(prefix: Buffer): { start: Buffer; end?: Buffer } {
  const end = prefixEnd(prefix);
  return end === undefined ? { start: prefix } : { start: prefix, end };
}
