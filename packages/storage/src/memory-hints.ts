/**
 * The hint store of the in-memory engine, with the LMDB store's behaviour: time-ordered ids per
 * target, the same byte accounting (hint-codec.ts), the same limits and the same eviction order.
 */
import type { ExpireHintsOptions, Hint, HintAdded, HintInput, HintLimits, HintRemoval, HintStats } from './engine.js';
import { encodeHintBody, hintStoredSize } from './hint-codec.js';
import { checkHintLimits, evictionBatch, totalsOverflow } from './hint-limits.js';
import { hintCreatedAt, hintTargetPrefix, nextHintId } from './key-layout.js';
import { checkLimit } from './validation.js';

interface Kept {
  hint: Hint;
  bytes: number;
}

export class MemoryHintStore {
  /** Per target, in insertion order, which is id order. */
  private readonly byTarget = new Map<string, Map<number, Kept>>();
  private readonly lastId = new Map<string, number>();
  private count = 0;
  private bytes = 0;

  constructor(private readonly now: () => number) {}

  add(target: string, hint: HintInput, limits?: HintLimits): HintAdded {
    const size = hintStoredSize(hintTargetPrefix(target).length, encodeHintBody(hint));
    if (limits !== undefined) checkHintLimits(limits, size);
    const evicted = { perTarget: 0, total: 0, bytes: 0 };
    if (limits !== undefined) {
      const over = (this.byTarget.get(target)?.size ?? 0) + 1 - limits.maxPerTarget;
      if (over > 0) evicted.perTarget += this.removeOldest(target, over - 1 + evictionBatch(limits.maxPerTarget));
      for (;;) {
        const overflow = totalsOverflow({ count: this.count, bytes: this.bytes }, size, limits);
        const victim = overflow && this.oldestTarget();
        const removed = victim === undefined ? 0 : this.removeOldest(victim, overflow!.n);
        if (removed === 0) break;
        evicted[overflow!.limit] += removed;
      }
    }
    const id = nextHintId(this.lastId.get(target) ?? 0, this.now());
    this.lastId.set(target, id);
    let mine = this.byTarget.get(target);
    if (!mine) this.byTarget.set(target, (mine = new Map()));
    mine.set(id, { hint: { id, createdAtMs: hintCreatedAt(id), bucket: copy(hint.bucket), key: copy(hint.key), value: copy(hint.value) }, bytes: size });
    this.count++;
    this.bytes += size;
    return { id, evicted };
  }

  list(target: string, limit: number): Hint[] {
    checkLimit(limit);
    const out: Hint[] = [];
    for (const { hint } of this.byTarget.get(target)?.values() ?? []) {
      out.push({ ...hint, bucket: copy(hint.bucket), key: copy(hint.key), value: copy(hint.value) });
      if (out.length === limit) break;
    }
    return out;
  }

  ack(target: string, ids: readonly number[]): void {
    for (const id of ids) this.remove(target, id);
  }

  expire(options: ExpireHintsOptions): HintRemoval {
    checkLimit(options.limit);
    return this.removeWhile([...this.byTarget.keys()], options.limit, (hint) => hint.createdAtMs < options.createdBeforeMs);
  }

  drop(target: string, limit: number): HintRemoval {
    checkLimit(limit);
    hintTargetPrefix(target);
    return this.removeWhile([target], limit, () => true);
  }

  countOf(target?: string): number {
    return target === undefined ? this.count : (this.byTarget.get(target)?.size ?? 0);
  }

  /** Targets in the LMDB key order (by name length, then bytes). */
  targets(): string[] {
    return [...this.byTarget.keys()].sort((a, b) => Buffer.compare(hintTargetPrefix(a), hintTargetPrefix(b)));
  }

  stats(): HintStats {
    return {
      count: this.count,
      bytes: this.bytes,
      targets: this.targets().map((target) => {
        const mine = this.byTarget.get(target)!;
        let bytes = 0;
        for (const k of mine.values()) bytes += k.bytes;
        return { target, count: mine.size, bytes, oldestCreatedAtMs: mine.values().next().value!.hint.createdAtMs };
      }),
    };
  }

  private removeWhile(targets: string[], limit: number, matches: (hint: Hint) => boolean): HintRemoval {
    let removed = 0;
    const touched = new Set<string>();
    for (const target of targets) {
      for (const { hint } of [...(this.byTarget.get(target)?.values() ?? [])]) {
        if (!matches(hint)) break;
        if (removed === limit) return { removed, targets: [...touched], more: true };
        this.remove(target, hint.id);
        touched.add(target);
        removed++;
      }
    }
    return { removed, targets: [...touched], more: false };
  }

  private oldestTarget(): string | undefined {
    let best: string | undefined;
    let bestId = Infinity;
    for (const [target, mine] of this.byTarget) {
      const id = mine.keys().next().value;
      if (id !== undefined && id < bestId) {
        best = target;
        bestId = id;
      }
    }
    return best;
  }

  private removeOldest(target: string, n: number): number {
    const oldest = [...(this.byTarget.get(target)?.keys() ?? [])].slice(0, n);
    for (const id of oldest) this.remove(target, id);
    return oldest.length;
  }

  private remove(target: string, id: number): boolean {
    const mine = this.byTarget.get(target);
    const kept = mine?.get(id);
    if (!mine || !kept) return false;
    mine.delete(id);
    if (mine.size === 0) this.byTarget.delete(target);
    this.count--;
    this.bytes -= kept.bytes;
    return true;
  }
}

/** `new Uint8Array(x)` copies; `Buffer#slice` would return a view. */
function copy(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}
