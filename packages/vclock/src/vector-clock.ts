import { assertCounter, assertNodeId, assertTimestamp, compareNodeIds } from './node-id.js';
import type { Ordering, VersionVector } from './version-vector.js';

/** One node's entry in a vector clock. */
export interface ClockEntry {
  /** How many events of this node the clock has seen (≥ 1). */
  readonly counter: number;
  /**
   * When this entry last changed, in ms, as told by the caller. Only {@link prune} reads it: it
   * decides which entries are old enough to forget. It never affects ordering.
   */
  readonly timestampMs: number;
}

/**
 * A classic vector clock (Lamport/Fidge/Mattern, as in Dynamo and riak_core): node → counter, each
 * entry stamped with the time it last changed so that the clock can be pruned. Immutable: every
 * function returns a new map.
 */
export type VectorClock = ReadonlyMap<string, ClockEntry>;

const EMPTY: VectorClock = new Map();

/** The empty clock (no events). Shared; never mutated. */
export function emptyClock(): VectorClock {
  return EMPTY;
}

/** Builds a validated clock from `[node, entry]` pairs (for tests, fixtures and migrations). */
export function vectorClock(entries?: Iterable<readonly [string, ClockEntry]>): VectorClock {
  if (entries === undefined) return EMPTY;
  const out = new Map<string, ClockEntry>();
  for (const [node, entry] of entries) {
    assertNodeId(node);
    assertCounter(entry.counter);
    assertTimestamp(entry.timestampMs);
    const prev = out.get(node);
    out.set(node, prev === undefined ? { counter: entry.counter, timestampMs: entry.timestampMs } : maxEntry(prev, entry));
  }
  return out;
}

/**
 * Records one more event of `node`. `timestampMs` (caller-supplied: this package reads no clock)
 * stamps the entry for {@link prune}; when omitted the entry keeps its previous stamp, or 0 for a new
 * entry, which makes it the first candidate for pruning.
 */
export function increment(clock: VectorClock, node: string, timestampMs?: number): VectorClock {
  assertNodeId(node);
  if (timestampMs !== undefined) assertTimestamp(timestampMs);
  const prev = clock.get(node);
  const out = new Map(clock);
  out.set(node, {
    counter: (prev?.counter ?? 0) + 1,
    timestampMs: timestampMs ?? prev?.timestampMs ?? 0,
  });
  return out;
}

/** The counter of `node` in `clock` (0 when absent). */
export function counterOf(clock: VectorClock, node: string): number {
  return clock.get(node)?.counter ?? 0;
}

/**
 * Compares two clocks by the events they have seen (timestamps play no part). `'before'` means `a`
 * happened before `b`; `'concurrent'` means neither saw all of the other: a conflict.
 */
export function compare(a: VectorClock, b: VectorClock): Ordering {
  let aAhead = false;
  let bAhead = false;
  for (const [node, ea] of a) {
    const cb = b.get(node)?.counter ?? 0;
    if (ea.counter > cb) aAhead = true;
    else if (ea.counter < cb) bAhead = true;
  }
  for (const node of b.keys()) {
    if (!a.has(node)) bAhead = true;
  }
  if (aAhead) return bAhead ? 'concurrent' : 'after';
  return bAhead ? 'before' : 'equal';
}

/** True when `a` has seen every event of `b`, i.e. `a` is `b` or a descendant of it. */
export function descends(a: VectorClock, b: VectorClock): boolean {
  if (b.size > a.size) return false; // entries are never zero, so b has a node a lacks
  for (const [node, eb] of b) {
    if ((a.get(node)?.counter ?? 0) < eb.counter) return false;
  }
  return true;
}

/**
 * The least clock descending both: per node the larger counter. On equal counters the later
 * timestamp is kept, which makes the merge commutative, associative and idempotent even when two
 * replicas stamped the same event differently.
 */
export function merge(a: VectorClock, b: VectorClock): VectorClock {
  if (a === b || b.size === 0) return a;
  if (a.size === 0) return b;
  const out = new Map(a);
  for (const [node, eb] of b) {
    const ea = out.get(node);
    if (ea === undefined) out.set(node, eb);
    else if (maxEntry(ea, eb) !== ea) out.set(node, eb);
  }
  return out;
}

/** The counters of a clock, without timestamps. */
export function toVersionVector(clock: VectorClock): VersionVector {
  const out = new Map<string, number>();
  for (const [node, entry] of clock) out.set(node, entry.counter);
  return out;
}

/** Settings of {@link prune}; the defaults are riak_core's bucket defaults. */
export interface PruneOptions {
  /** Never prune a clock with at most this many entries. Default 50. */
  readonly smallVclock?: number;
  /** Always prune down to this many entries (oldest first), unless they are young. Default 50. */
  readonly bigVclock?: number;
  /** Never drop an entry changed less than this long ago. Default 20 000 ms. */
  readonly youngVclockMs?: number;
  /** Drop entries unchanged for longer than this (while above `smallVclock`). Default 86 400 000 ms. */
  readonly oldVclockMs?: number;
  /** The current time in the same unit and epoch as the entries' timestamps. Required. */
  readonly nowMs: number;
}

/** Default values of {@link PruneOptions} (riak_core's `small_vclock`, `big_vclock`, ...). */
export const DEFAULT_PRUNE_OPTIONS = {
  smallVclock: 50,
  bigVclock: 50,
  youngVclockMs: 20_000,
  oldVclockMs: 86_400_000,
} as const;

/**
 * Bounds the size of a clock whose writers come and go (client ids, retired nodes), at the price of
 * possibly reporting a false conflict later: forgetting an entry can only make a descendant look
 * concurrent, never make a conflict look like a descent.
 *
 * Entries are considered oldest first (by timestamp, then node id so that every replica prunes the
 * same way). While the clock has more than `smallVclock` entries, the oldest is dropped if it is not
 * younger than `youngVclockMs` and either the clock has more than `bigVclock` entries or the entry is
 * older than `oldVclockMs`; pruning stops at the first entry that may not be dropped.
 */
export function prune(clock: VectorClock, options: PruneOptions): VectorClock {
  const smallVclock = options.smallVclock ?? DEFAULT_PRUNE_OPTIONS.smallVclock;
  const bigVclock = options.bigVclock ?? DEFAULT_PRUNE_OPTIONS.bigVclock;
  const youngVclockMs = options.youngVclockMs ?? DEFAULT_PRUNE_OPTIONS.youngVclockMs;
  const oldVclockMs = options.oldVclockMs ?? DEFAULT_PRUNE_OPTIONS.oldVclockMs;
  const { nowMs } = options;
  if (clock.size <= smallVclock) return clock;

  const byAge = [...clock].sort(
    ([na, ea], [nb, eb]) => ea.timestampMs - eb.timestampMs || compareNodeIds(na, nb),
  );
  let drop = 0;
  let size = byAge.length;
  while (size > smallVclock) {
    const ageMs = nowMs - byAge[drop]![1].timestampMs;
    if (ageMs < youngVclockMs) break;
    if (!(size > bigVclock || ageMs > oldVclockMs)) break;
    drop++;
    size--;
  }
  if (drop === 0) return clock;
  const out = new Map<string, ClockEntry>();
  for (const [node, entry] of clock) out.set(node, entry);
  for (let i = 0; i < drop; i++) out.delete(byAge[i]![0]);
  return out;
}

function maxEntry(a: ClockEntry, b: ClockEntry): ClockEntry {
  if (a.counter !== b.counter) return a.counter > b.counter ? a : b;
  return b.timestampMs > a.timestampMs ? b : a;
}
