// What a transition will do, for an operator to review before committing: which partitions change
// owner, how much data moves, and how balanced the ring is before and after.
import { targetRing, transfersOf } from './transition.js';
import { NoTransitionError, RingArgumentError } from './errors.js';
import type { PartitionMove } from './claim.js';
import type { Ring } from './types.js';

/** How much a key-partition holds (as one of its replicas reports it). */
export interface PartitionStats {
  readonly keys: number;
  readonly bytes: number;
}

/** Options of {@link summarizeTransition}. */
export interface SummaryOptions {
  /** Keys and bytes of each key-partition (index = partition); missing entries count as 0. */
  readonly stats?: readonly (PartitionStats | undefined)[];
  /** Aggregate transfer rate (bytes/s) the ETA assumes; no ETA without it. */
  readonly bytesPerSecond?: number;
}

/** Partitions per unit of weight, relative to the cluster's mean (1 = perfectly even). */
export interface Balance {
  /** max over active nodes of (partitions / weight), divided by Q / Σ weight. */
  readonly maxOverMean: number;
  /** The same per zone: (partitions of the zone / weight of the zone) / (Q / Σ weight). */
  readonly zones: Readonly<Record<string, number>>;
  /** max over zones of `zones`. */
  readonly zoneMaxOverMean: number;
  /** Partitions owned by each member (active or not). */
  readonly partitions: Readonly<Record<string, number>>;
}

/** Copies one receiving node gets. */
export interface ReceiverTotals {
  readonly transfers: number;
  readonly keys: number;
  readonly bytes: number;
}

/** Owner changes between the same two nodes, summarised. */
export interface OwnerRoute {
  readonly from: string;
  readonly to: string;
  readonly partitions: number;
}

/** The review of a transition (see {@link summarizeTransition}). */
export interface TransitionSummary {
  /** Partitions whose owner changes, ascending. */
  readonly ownerChanges: readonly PartitionMove[];
  /** `ownerChanges` grouped by (from, to), most partitions first. */
  readonly routes: readonly OwnerRoute[];
  /** Copies to make ((key-partition, receiver) pairs) and the key-partitions they cover. */
  readonly transfers: number;
  readonly partitionsToTransfer: number;
  /** Keys and bytes all transfers copy (a partition copied to two nodes counts twice). */
  readonly keys: number;
  readonly bytes: number;
  readonly byReceiver: Readonly<Record<string, ReceiverTotals>>;
  readonly before: Balance;
  readonly after: Balance;
  /** bytes / bytesPerSecond, when a rate was given. */
  readonly etaSeconds?: number;
}

/**
 * Summarises the transition of `ring` (typically the result of beginTransition on the
 * committed ring, before it is published): owner changes, the transfers still to do with their
 * keys and bytes, balance before and after, and an ETA.
 * @throws NoTransitionError, RingArgumentError (a negative or non-finite rate or count)
 */
export function summarizeTransition(ring: Ring, options: SummaryOptions = {}): TransitionSummary {
  const target = targetRing(ring);
  if (target === undefined) throw new NoTransitionError(ring.version);
  const rate = options.bytesPerSecond;
  if (rate !== undefined && !(Number.isFinite(rate) && rate > 0)) {
    throw new RingArgumentError('bytesPerSecond', `must be a finite number > 0, got ${String(rate)}`);
  }
  const ownerChanges: PartitionMove[] = [];
  const routes = new Map<string, { from: string; to: string; partitions: number }>();
  ring.owners.forEach((from, partition) => {
    const to = target.owners[partition]!;
    if (from === to) return;
    ownerChanges.push({ partition, from, to });
    const key = JSON.stringify([from, to]);
    const route = routes.get(key) ?? { from, to, partitions: 0 };
    route.partitions += 1;
    routes.set(key, route);
  });

  const transfers = transfersOf(ring);
  const byReceiver: Record<string, { transfers: number; keys: number; bytes: number }> = {};
  let keys = 0;
  let bytes = 0;
  for (const { partition, to } of transfers) {
    const s = statsOf(options.stats, partition);
    const r = (byReceiver[to] ??= { transfers: 0, keys: 0, bytes: 0 });
    r.transfers += 1;
    r.keys += s.keys;
    r.bytes += s.bytes;
    keys += s.keys;
    bytes += s.bytes;
  }
  return {
    ownerChanges,
    routes: [...routes.values()].sort((a, b) => b.partitions - a.partitions || (a.from + a.to < b.from + b.to ? -1 : 1)),
    transfers: transfers.length,
    partitionsToTransfer: new Set(transfers.map((t) => t.partition)).size,
    keys,
    bytes,
    byReceiver,
    before: balanceOf(ring),
    after: balanceOf(target),
    ...(rate !== undefined ? { etaSeconds: bytes / rate } : {}),
  };
}

function statsOf(stats: readonly (PartitionStats | undefined)[] | undefined, partition: number): PartitionStats {
  const s = stats?.[partition];
  if (s === undefined) return { keys: 0, bytes: 0 };
  for (const field of ['keys', 'bytes'] as const) {
    if (!(Number.isFinite(s[field]) && s[field] >= 0)) {
      throw new RingArgumentError(`stats[${partition}].${field}`, `must be a finite number >= 0, got ${String(s[field])}`);
    }
  }
  return s;
}

/**
 * How evenly `ring`'s owners are spread by weight: partitions per unit of weight of the most
 * loaded active node (and zone), over the mean Q / Σ weight of active nodes.
 */
export function balanceOf(ring: Ring): Balance {
  const partitions: Record<string, number> = {};
  for (const n of ring.nodes) partitions[n.id] = 0;
  for (const id of ring.owners) partitions[id]! += 1;
  const active = ring.nodes.filter((n) => n.state === 'active');
  const totalWeight = active.reduce((sum, n) => sum + n.weight, 0);
  const mean = ring.partitionCount / totalWeight;
  let maxOverMean = 0;
  const zoneLoad = new Map<string, { partitions: number; weight: number }>();
  for (const n of active) {
    maxOverMean = Math.max(maxOverMean, partitions[n.id]! / n.weight / mean);
    const z = zoneLoad.get(n.zone) ?? { partitions: 0, weight: 0 };
    z.partitions += partitions[n.id]!;
    z.weight += n.weight;
    zoneLoad.set(n.zone, z);
  }
  const zones: Record<string, number> = {};
  let zoneMaxOverMean = 0;
  for (const [zone, z] of [...zoneLoad].sort(([a], [b]) => (a < b ? -1 : 1))) {
    zones[zone] = z.partitions / z.weight / mean;
    zoneMaxOverMean = Math.max(zoneMaxOverMean, zones[zone]);
  }
  return { maxOverMean, zones, zoneMaxOverMean, partitions };
}
