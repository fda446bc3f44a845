import { RingArgumentError, NotEnoughNodesError } from './errors.js';
import { partitionOf, type KeyInput } from './key-hash.js';
import { indexRing } from './ring-index.js';
import type { Ring } from './types.js';

/** Liveness oracle (e.g. from the failure detector): true when the node can take requests. */
export type IsUp = (nodeId: string) => boolean;

/** Options of {@link preferenceList}; a bare {@link IsUp} function may be passed instead. */
export interface PreferenceListOptions {
  /** Filters `fallbacks` to live nodes. Default: no filtering. Primaries are never filtered. */
  readonly isUp?: IsUp;
  /** Throw {@link NotEnoughNodesError} when fewer than n distinct nodes own partitions. Default false. */
  readonly strict?: boolean;
}

/** Replicas of one partition. Frozen; cached per ring, so do not expect a fresh object per call. */
export interface PreferenceList {
  readonly partition: number;
  /**
   * The n home replicas, regardless of liveness, in walk order: distinct nodes, in distinct
   * zones as far as the zones allow. `primaries[0]` is the partition's owner. Fewer than n only
   * when the ring has fewer than n owning nodes (unless `strict`).
   */
  readonly primaries: readonly string[];
  /**
   * Every other owning node in walk order (live ones only if `isUp` was given): a down primary
   * is replaced by the first fallback not yet used (sloppy quorum / hinted handoff).
   */
  readonly fallbacks: readonly string[];
}

interface RingTables {
  /** Sorted partitions of each node. */
  readonly positions: readonly Int32Array[];
  /** Indices of nodes owning at least one partition. */
  readonly owning: readonly number[];
  /** Per n: lazily filled preference list of each partition. */
  readonly byN: (PreferenceList | undefined)[][];
}

// Global lookups are slow inside vm contexts (jest): alias what the hot path uses.
const isInteger = Number.isInteger;

const tablesByRing = new WeakMap<Ring, RingTables>();
// One-entry memo in front of the WeakMap: servers ask the same (ring, n) over and over.
let lastRing: Ring | undefined;
let lastN = 0;
let lastTable: (PreferenceList | undefined)[] = [];

function tablesFor(ring: Ring): RingTables {
  let tables = tablesByRing.get(ring);
  if (tables === undefined) {
    const { owner, ids } = indexRing(ring);
    const lists: number[][] = ids.map(() => []);
    owner.forEach((x, p) => lists[x]!.push(p));
    const owning: number[] = [];
    lists.forEach((l, x) => {
      if (l.length > 0) owning.push(x);
    });
    tables = { positions: lists.map((l) => Int32Array.from(l)), owning, byN: [] };
    tablesByRing.set(ring, tables);
  }
  return tables;
}

function tableFor(ring: Ring, n: number): (PreferenceList | undefined)[] {
  if (!Number.isInteger(n) || n < 1) throw new RingArgumentError('n', `must be an integer >= 1, got ${String(n)}`);
  const tables = tablesFor(ring);
  let table = tables.byN[n];
  if (table === undefined) {
    table = new Array<PreferenceList | undefined>(ring.partitionCount).fill(undefined);
    tables.byN[n] = table;
  }
  lastRing = ring;
  lastN = n;
  lastTable = table;
  return table;
}

/** Distance walking clockwise from p to the first partition in `sorted` (which is non-empty). */
function distanceTo(sorted: Int32Array, p: number, q: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < p) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length ? sorted[lo]! - p : sorted[0]! + q - p;
}

function compute(ring: Ring, p: number, n: number): PreferenceList {
  const { ids, zoneOf } = indexRing(ring);
  const { positions, owning } = tablesFor(ring);
  // The walk meets each node first at its nearest partition clockwise from p, so sorting nodes
  // by that distance gives the walk order without stepping through up to Q partitions.
  const walk = owning
    .map((x) => ({ x, d: distanceTo(positions[x]!, p, ring.partitionCount) }))
    .sort((a, b) => a.d - b.d);
  const chosen = new Set<number>();
  const zones = new Set<number>();
  for (const { x } of walk) {
    if (chosen.size === n) break;
    if (!zones.has(zoneOf[x]!)) {
      chosen.add(x);
      zones.add(zoneOf[x]!);
    }
  }
  for (const { x } of walk) {
    if (chosen.size === n) break;
    chosen.add(x);
  }
  const primaries: string[] = [];
  const fallbacks: string[] = [];
  for (const { x } of walk) (chosen.has(x) ? primaries : fallbacks).push(ids[x]!);
  return Object.freeze({ partition: p, primaries: Object.freeze(primaries), fallbacks: Object.freeze(fallbacks) });
}

/**
 * The preference list of a partition: walk clockwise from it and take the first n distinct
 * owner nodes, skipping nodes whose zone is already taken while other zones remain.
 * Computed once per (ring, n, partition) and then served from a table.
 * @param options an {@link IsUp} function, or {@link PreferenceListOptions}
 * @throws RingArgumentError for a partition outside 0..Q-1 or n < 1;
 *   NotEnoughNodesError when `strict` and fewer than n nodes own partitions
 */
export function preferenceListForPartition(
  ring: Ring,
  partition: number,
  n: number,
  options?: IsUp | PreferenceListOptions,
): PreferenceList {
  const table = ring === lastRing && n === lastN ? lastTable : tableFor(ring, n);
  if (!(partition >= 0 && partition < ring.partitionCount && isInteger(partition))) {
    throw new RingArgumentError('partition', `${String(partition)} is not in 0..${ring.partitionCount - 1}`);
  }
  let list = table[partition];
  if (list === undefined) {
    list = compute(ring, partition, n);
    table[partition] = list;
  }
  if (options === undefined) return list;
  const isUp = typeof options === 'function' ? options : options.isUp;
  if (typeof options === 'object' && options.strict === true && list.primaries.length < n) {
    throw new NotEnoughNodesError(n, list.primaries.length);
  }
  if (isUp === undefined) return list;
  return { partition, primaries: list.primaries, fallbacks: list.fallbacks.filter(isUp) };
}

/**
 * The preference list of (bucket, key): {@link partitionOf} then
 * {@link preferenceListForPartition}. One hash and one table read once the table is warm.
 */
export function preferenceList(
  ring: Ring,
  bucket: KeyInput,
  key: KeyInput,
  n: number,
  options?: IsUp | PreferenceListOptions,
): PreferenceList {
  return preferenceListForPartition(ring, partitionOf(ring.partitionCount, bucket, key), n, options);
}
