import { assertCounter, assertNodeId, compareNodeIds } from './node-id.js';
import {
  compareVersionVectors,
  emptyVersionVector,
  mergeVersionVectors,
  type Ordering,
  type VersionVector,
} from './version-vector.js';

/** The identity of one write: the `counter`-th event coordinated by `node`. */
export interface Dot {
  readonly node: string;
  readonly counter: number;
}

/** One concurrent value of a {@link DVVSet} with the dot of the write that created it. */
export interface Sibling<V> extends Dot {
  readonly value: V;
}

/**
 * A dotted version vector set: the values of one key that are truly concurrent (siblings), each
 * tagged with the dot of the write that created it, plus the causal context: every write whose
 * effect this set reflects, as a version vector.
 *
 * Invariants (kept by every function here and checked by the decoder):
 * - every sibling's dot is covered by `context` (counter ≤ `context.get(node)`);
 * - `siblings` is sorted by node id, then by counter descending, with no duplicate dot;
 * - no two siblings anywhere share a dot with different values (a dot names one write).
 *
 * A dot covered by `context` but absent from `siblings` is a write known to be overwritten.
 *
 * Unlike Riak's dvvset, which identifies a node's siblings by their position (so they must be that
 * node's latest consecutive writes), each sibling here carries its own counter. That costs about a
 * byte per sibling when encoded, and buys resolutions that drop arbitrary siblings ({@link lww},
 * {@link filter}) without re-labelling dots, so {@link sync} stays an exact lattice join.
 */
export interface DVVSet<V> {
  readonly context: VersionVector;
  readonly siblings: readonly Sibling<V>[];
}

const EMPTY: DVVSet<never> = { context: emptyVersionVector(), siblings: [] };

/** The set of a key never written: no values, no history. */
export function emptySet<V>(): DVVSet<V> {
  return EMPTY;
}

/** A set holding one value, written as the first event of `nodeId`: `update(undefined, undefined, nodeId, value)`. */
export function newSet<V>(nodeId: string, value: V): DVVSet<V> {
  return update(undefined, undefined, nodeId, value);
}

/**
 * The coordinator-side write. `nodeId` (the coordinating replica) mints a new dot for `value`;
 * every stored sibling covered by `context` (what the client read before writing) is discarded as
 * overwritten, and every other one is kept as a concurrent sibling. With no context the write
 * overwrites nothing and simply adds a sibling.
 *
 * The result's context includes the client's context, so siblings that the client saw but this
 * replica has not received yet are discarded when they arrive through {@link sync}.
 */
export function update<V>(
  stored: DVVSet<V> | undefined,
  context: VersionVector | undefined,
  nodeId: string,
  value: V,
): DVVSet<V> {
  assertNodeId(nodeId);
  const base = stored ?? (EMPTY as DVVSet<V>);
  const ctx = context ?? emptyVersionVector();
  // The context comes from a client: a bad entry would otherwise be merged into the stored clock
  // and replicated. Node ids already in the stored context were validated when they entered it.
  for (const [node, counter] of ctx) {
    if (counter !== 0) assertCounter(counter, 'context counter');
    if (!base.context.has(node)) assertNodeId(node);
  }
  const merged = new Map(mergeVersionVectors(base.context, ctx));
  // The new counter must exceed both what this replica stored and what the client saw: a client
  // may know later writes of this node than the replica (e.g. after it lost data), and re-using one
  // of those dots would make the new value look already overwritten.
  const counter = (merged.get(nodeId) ?? 0) + 1;
  merged.set(nodeId, counter);

  const fresh: Sibling<V> = { node: nodeId, counter, value };
  const siblings: Sibling<V>[] = [];
  let placed = false;
  for (const s of base.siblings) {
    if (s.counter <= (ctx.get(s.node) ?? 0)) continue;
    // The new dot is the highest of its node, so it goes first among that node's siblings.
    if (!placed && compareNodeIds(nodeId, s.node) <= 0) {
      siblings.push(fresh);
      placed = true;
    }
    siblings.push(s);
  }
  if (!placed) siblings.push(fresh);
  return { context: merged, siblings };
}

/**
 * Merges two replicas' sets: the join of the two states. A sibling survives if the other side
 * still holds it or has never heard of its dot; it is dropped if the other side knows the dot and
 * has discarded it (it was overwritten there). Commutative, associative and idempotent, so replicas
 * may exchange sets in any order, any number of times.
 */
export function sync<V>(a: DVVSet<V>, b: DVVSet<V>): DVVSet<V> {
  if (a === b) return a;
  const as = a.siblings;
  const bs = b.siblings;
  const out: Sibling<V>[] = [];
  let i = 0;
  let j = 0;
  // Both lists are in canonical order, so a single merge walk pairs up equal dots.
  while (i < as.length || j < bs.length) {
    const x = as[i];
    const y = bs[j];
    const order = x === undefined ? 1 : y === undefined ? -1 : compareDots(x, y);
    if (order === 0) {
      out.push(x!);
      i++;
      j++;
    } else if (order < 0) {
      if (x!.counter > (b.context.get(x!.node) ?? 0)) out.push(x!);
      i++;
    } else {
      if (y!.counter > (a.context.get(y!.node) ?? 0)) out.push(y!);
      j++;
    }
  }
  return { context: mergeVersionVectors(a.context, b.context), siblings: out };
}

/**
 * The causal context of a set, handed to clients with a read: putting with it overwrites exactly
 * the siblings that read returned (and anything they overwrote).
 */
export function join<V>(set: DVVSet<V>): VersionVector {
  return set.context;
}

/** All sibling values, in canonical order (node id, then newest first). Empty for an empty set. */
export function values<V>(set: DVVSet<V>): V[] {
  return set.siblings.map((s) => s.value);
}

/** How many concurrent values the set holds. */
export function siblingCount<V>(set: DVVSet<V>): number {
  return set.siblings.length;
}

/**
 * Compares what two sets know. `'before'` means `a` lacks something `b` has and `b` has everything
 * `a` has: `sync(a, b)` equals `b`, so a replica holding `a` is stale (read repair sends it `b`).
 * "Knowing" covers both the writes seen and which of them were overwritten, so a set that resolved
 * its siblings (e.g. with {@link lww}) is after the unresolved one even with the same context.
 */
export function compareSets<V>(a: DVVSet<V>, b: DVVSet<V>): Ordering {
  if (a === b) return 'equal';
  const byContext = compareVersionVectors(a.context, b.context);
  if (byContext === 'concurrent') return 'concurrent';
  // a ≤ b additionally needs: every sibling b holds whose dot a knows, a holds too (a did not
  // discard anything b still keeps). Symmetrically for b ≤ a.
  const aLeB = byContext !== 'after' && keepsAllKnown(b, a);
  const bLeA = byContext !== 'before' && keepsAllKnown(a, b);
  if (aLeB && bLeA) return 'equal';
  if (aLeB) return 'before';
  if (bLeA) return 'after';
  return 'concurrent';
}

/**
 * Last-writer-wins: collapses the siblings to the single value `pickWinner` prefers, keeping the
 * whole causal context, so the losers count as overwritten everywhere this set is synced.
 * `pickWinner(a, b)` must return one of its arguments and be a consistent total order (e.g. by a
 * timestamp stored in the value, ties broken deterministically) so that all replicas agree.
 */
export function lww<V>(set: DVVSet<V>, pickWinner: (a: V, b: V) => V): DVVSet<V> {
  const [first, ...rest] = set.siblings;
  if (first === undefined || rest.length === 0) return set;
  let best: Sibling<V> = first;
  for (const s of rest) {
    if (pickWinner(best.value, s.value) !== best.value) best = s;
  }
  return { context: set.context, siblings: [best] };
}

/** Transforms every sibling value, keeping dots and context (e.g. to decode or strip values). */
export function map<V, W>(set: DVVSet<V>, fn: (value: V, dot: Dot) => W): DVVSet<W> {
  return {
    context: set.context,
    siblings: set.siblings.map((s) => ({ node: s.node, counter: s.counter, value: fn(s.value, s) })),
  };
}

/**
 * Keeps only the siblings for which `keep` is true; the others count as overwritten (the context is
 * kept), so the removal wins when synced with a replica that still holds them. Use it for
 * deterministic, replica-independent decisions such as expiry.
 */
export function filter<V>(set: DVVSet<V>, keep: (value: V, dot: Dot) => boolean): DVVSet<V> {
  const siblings = set.siblings.filter((s) => keep(s.value, s));
  return siblings.length === set.siblings.length ? set : { context: set.context, siblings };
}

/** Canonical sibling order: node id ascending, then counter descending (newest first). */
export function compareDots(a: Dot, b: Dot): number {
  return compareNodeIds(a.node, b.node) || b.counter - a.counter;
}

/** True when every sibling of `holder` whose dot `other` knows is also a sibling of `other`. */
function keepsAllKnown<V>(holder: DVVSet<V>, other: DVVSet<V>): boolean {
  const os = other.siblings;
  let j = 0;
  for (const s of holder.siblings) {
    if (s.counter > (other.context.get(s.node) ?? 0)) continue;
    while (j < os.length && compareDots(os[j]!, s) < 0) j++;
    const o = os[j];
    if (o === undefined || compareDots(o, s) !== 0) return false;
  }
  return true;
}
