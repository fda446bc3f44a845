import { NotEnoughNodesError } from './errors.js';
import { initialClaim } from './initial-claim.js';
import { DEFAULT_PARTITION_COUNT, assertPartitionCount } from './key-hash.js';
import { indexRing } from './ring-index.js';
import { DEFAULT_TARGET_N, assertTargetN, buildRing, normalizeNode, sortNodes } from './ring-value.js';
import { countViolations } from './spread.js';
import { computeTargets } from './targets.js';
import type { Ring, RingNode, RingNodeInit, SpreadViolations } from './types.js';

/** Options of {@link createRing}. */
export interface CreateRingOptions {
  /** Q: a power of two from 8 to 65536, fixed for the life of the cluster. Default 256. */
  readonly partitionCount?: number;
  /** Initial members (at least one active). Order does not matter. */
  readonly nodes: readonly RingNodeInit[];
  /** N that claim keeps consecutive partitions distinct for, 1..min(64, Q/2). Default 3. */
  readonly targetN?: number;
}

/**
 * Creates version 1 of a ring: partitions shared by weight (each node within one partition of its
 * proportional share) and dealt so that any targetN consecutive partitions fall on distinct nodes,
 * and distinct zones, whenever the membership allows it.
 * @throws InvalidPartitionCountError, RingArgumentError (targetN), InvalidNodeError,
 *   DuplicateNodeError, NotEnoughNodesError (no active node)
 */
export function createRing(options: CreateRingOptions): Ring {
  const partitionCount = options.partitionCount ?? DEFAULT_PARTITION_COUNT;
  assertPartitionCount(partitionCount);
  const targetN = options.targetN ?? DEFAULT_TARGET_N;
  assertTargetN(targetN, partitionCount);
  const nodes = sortNodes((options.nodes ?? []).map(normalizeNode));
  const weights = nodes.map((n) => (n.state === 'active' ? n.weight : 0));
  if (!weights.some((w) => w > 0)) throw new NotEnoughNodesError(1, 0, 'active nodes');
  const zones = new Map<string, number>();
  const zoneOf = Int32Array.from(nodes, (n) => {
    if (!zones.has(n.zone)) zones.set(n.zone, zones.size);
    return zones.get(n.zone)!;
  });
  const targets = computeTargets(partitionCount, weights, new Int32Array(nodes.length));
  const owner = initialClaim(partitionCount, zoneOf, targets, targetN);
  return buildRing({
    version: 1,
    partitionCount,
    targetN,
    nodes,
    owners: Array.from(owner, (x) => nodes[x]!.id),
  });
}

/** The member with this id, or undefined. */
export function nodeById(ring: Ring, id: string): RingNode | undefined {
  const i = indexRing(ring).indexOf.get(id);
  return i === undefined ? undefined : ring.nodes[i];
}

/** Partitions owned by each member (members owning none included, with 0). */
export function ownership(ring: Ring): Readonly<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const n of ring.nodes) counts[n.id] = 0;
  for (const id of ring.owners) counts[id]! += 1;
  return counts;
}

/** The partitions owned by `nodeId`, ascending (empty for a non-member). */
export function partitionsOwnedBy(ring: Ring, nodeId: string): number[] {
  const result: number[] = [];
  ring.owners.forEach((id, p) => {
    if (id === nodeId) result.push(p);
  });
  return result;
}

/**
 * How many windows of `n` consecutive partitions (default the ring's targetN) repeat a node, and
 * how many repeat a zone. Zero/zero means every such window holds n distinct nodes and zones.
 */
export function spreadViolations(ring: Ring, n: number = ring.targetN): SpreadViolations {
  assertTargetN(n, ring.partitionCount);
  const { owner, zoneOf } = indexRing(ring);
  return countViolations(owner, zoneOf, n);
}
