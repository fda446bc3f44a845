import { assertCounter, assertNodeId } from './node-id.js';

/**
 * A version vector: for each node, how many of that node's events are known. Nodes that are absent
 * count as 0, and a canonical vector holds no zero entries. It is the causal context handed to
 * clients (see `join` in dvvset.ts) and the summary of a {@link VectorClock}.
 *
 * It is a `ReadonlyMap` so it can be read without any helper; functions in this package never
 * mutate one, they return new maps.
 */
export type VersionVector = ReadonlyMap<string, number>;

/** The result of comparing two clocks: `'before'` means the first one lacks something the second has. */
export type Ordering = 'before' | 'after' | 'equal' | 'concurrent';

const EMPTY: VersionVector = new Map();

/**
 * Builds a validated version vector from `[node, counter]` pairs or a plain object. Zero counters
 * are dropped (they carry no information); negative or fractional ones throw `InvalidClockError`.
 */
export function versionVector(entries?: Iterable<readonly [string, number]> | Readonly<Record<string, number>>): VersionVector {
  if (entries === undefined) return EMPTY;
  const pairs: Iterable<readonly [string, number]> =
    Symbol.iterator in entries ? (entries as Iterable<readonly [string, number]>) : Object.entries(entries);
  const out = new Map<string, number>();
  for (const [node, counter] of pairs) {
    assertNodeId(node);
    if (counter === 0) continue;
    assertCounter(counter);
    out.set(node, Math.max(out.get(node) ?? 0, counter));
  }
  return out;
}

/** The empty version vector (knows nothing). Shared; never mutated. */
export function emptyVersionVector(): VersionVector {
  return EMPTY;
}

/** True when `a` knows every event `b` knows (`a` is equal to or after `b`). */
export function descendsVersionVector(a: VersionVector, b: VersionVector): boolean {
  // A vector with fewer entries can still descend a larger one only if the extras are zero, and
  // canonical vectors hold no zeros, so this early exit is exact.
  if (b.size > a.size) return false;
  for (const [node, counter] of b) {
    if ((a.get(node) ?? 0) < counter) return false;
  }
  return true;
}

/** Compares two version vectors by the events they know. */
export function compareVersionVectors(a: VersionVector, b: VersionVector): Ordering {
  let aAhead = false;
  let bAhead = false;
  for (const [node, ca] of a) {
    const cb = b.get(node) ?? 0;
    if (ca > cb) aAhead = true;
    else if (ca < cb) bAhead = true;
  }
  for (const [node, cb] of b) {
    if (cb > 0 && !a.has(node)) bAhead = true;
  }
  if (aAhead) return bAhead ? 'concurrent' : 'after';
  return bAhead ? 'before' : 'equal';
}

/** Pointwise maximum: everything either vector knows. Commutative, associative, idempotent. */
export function mergeVersionVectors(a: VersionVector, b: VersionVector): VersionVector {
  if (a === b || b.size === 0) return a;
  if (a.size === 0) return b;
  let out: Map<string, number> | undefined;
  for (const [node, cb] of b) {
    if ((a.get(node) ?? 0) < cb) {
      // Copy lazily: when `a` already covers `b` (the common case on replicas in sync) nothing is allocated.
      out ??= new Map(a);
      out.set(node, cb);
    }
  }
  return out ?? a;
}

/** True when both vectors know exactly the same events. */
export function versionVectorsEqual(a: VersionVector, b: VersionVector): boolean {
  if (a.size !== b.size) return false;
  for (const [node, counter] of a) {
    if (b.get(node) !== counter) return false;
  }
  return true;
}
