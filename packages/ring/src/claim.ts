import {
  DuplicateNodeError,
  RingArgumentError,
  NotEnoughNodesError,
  StalePlanError,
  UnknownNodeError,
} from './errors.js';
import { rebalance } from './rebalance.js';
import { indexRing } from './ring-index.js';
import { assertTargetN, assertWeight, buildRing, normalizeNode, sortNodes } from './ring-value.js';
import { countViolations } from './spread.js';
import { computeTargets } from './targets.js';
import type { Ring, RingNode, RingNodeInit, SpreadViolations } from './types.js';

/** A membership change to plan. All fields are optional; `{}` just rebalances. */
export interface PlanOptions {
  /** New members (ids must not be in the ring yet). */
  readonly join?: readonly RingNodeInit[];
  /**
   * Members to drain. A member that still owns partitions becomes `leaving` and all its
   * partitions move; one that owns none (e.g. after an earlier leave plan) is removed.
   */
  readonly leave?: readonly string[];
  /** New weights by node id (members or joiners). */
  readonly weights?: Readonly<Record<string, number>>;
  /**
   * The targetN of the ring after the plan (default: unchanged). A cluster that started smaller
   * than its replica count raises it as it grows, so moved partitions are spread for that n.
   */
  readonly targetN?: number;
}

/** One partition changing owner. */
export interface PartitionMove {
  readonly partition: number;
  readonly from: string;
  readonly to: string;
}

/** Partition counts of a node before and after a plan. */
export interface OwnershipChange {
  readonly before: number;
  readonly after: number;
}

/** The result of {@link plan}: what would change, to review before {@link apply}. */
export interface RingPlan {
  /** Version of the ring the plan was made for; {@link apply} rejects any other. */
  readonly fromVersion: number;
  /** Checksum of that ring, so two different rings with the same version are told apart. */
  readonly fromChecksum: string;
  /** Partition moves, by ascending partition; at most one per partition. */
  readonly moves: readonly PartitionMove[];
  /** Members after the plan, sorted by id. */
  readonly nodes: readonly RingNode[];
  /** Partitions per member (and per removed member) before and after. */
  readonly ownership: Readonly<Record<string, OwnershipChange>>;
  /** Spread violations (windows of targetN repeating a node / a zone) after the plan. */
  readonly violations: SpreadViolations;
  /** targetN of the ring after the plan (absent in plans made before it could change: unchanged). */
  readonly targetN?: number;
}

/**
 * Plans a membership or weight change. Guarantees, for the ring after the plan:
 * - every active node owns floor or ceil of its weighted share of Q (leaving nodes own none);
 * - the move count is the minimum for those shares: only partitions of leaving nodes and the
 *   excess of nodes above their share move, and only to nodes below theirs (so a join moves
 *   partitions only to the joiner, a leave moves only the leaver's partitions);
 * - moved partitions land where any targetN consecutive partitions stay on distinct nodes, then
 *   distinct zones, whenever a destination allows it (see `violations`).
 * Deterministic: the same ring and options always give the same plan.
 * @throws UnknownNodeError, DuplicateNodeError, InvalidNodeError, RingArgumentError,
 *   NotEnoughNodesError (no active node would remain)
 */
export function plan(ring: Ring, options: PlanOptions = {}): RingPlan {
  const targetN = options.targetN ?? ring.targetN;
  assertTargetN(targetN, ring.partitionCount);
  const index = indexRing(ring);
  const ownedBefore = new Map<string, number>(ring.nodes.map((n) => [n.id, 0]));
  for (const id of ring.owners) ownedBefore.set(id, ownedBefore.get(id)! + 1);

  const members = new Map<string, RingNode>(ring.nodes.map((n) => [n.id, n]));
  const joining = new Set<string>();
  for (const init of options.join ?? []) {
    const node = normalizeNode(init);
    if (members.has(node.id)) throw new DuplicateNodeError(node.id);
    members.set(node.id, node);
    joining.add(node.id);
  }
  for (const id of options.leave ?? []) {
    const node = members.get(id);
    if (node === undefined) throw new UnknownNodeError(id);
    if (joining.has(id)) throw new RingArgumentError('plan', `node ${JSON.stringify(id)} cannot join and leave at once`);
    if (ownedBefore.get(id) === 0) members.delete(id);
    else members.set(id, Object.freeze({ ...node, state: 'leaving' as const }));
  }
  for (const [id, weight] of Object.entries(options.weights ?? {})) {
    const node = members.get(id);
    if (node === undefined) throw new UnknownNodeError(id);
    assertWeight(id, weight);
    members.set(id, Object.freeze({ ...node, weight }));
  }
  const nodes = Object.freeze(sortNodes([...members.values()]));
  const weights = nodes.map((n) => (n.state === 'active' ? n.weight : 0));
  if (!weights.some((w) => w > 0)) throw new NotEnoughNodesError(1, 0, 'active nodes after the plan');

  const newIndex = new Map(nodes.map((n, i) => [n.id, i] as const));
  const owner = Int32Array.from(index.owner, (x) => newIndex.get(index.ids[x]!)!);
  const current = nodes.map((n) => ownedBefore.get(n.id) ?? 0);
  const targets = computeTargets(ring.partitionCount, weights, current);
  rebalance(owner, zoneIndexes(nodes), targets, targetN);
  return describePlan(ring, nodes, Array.from(owner, (x) => nodes[x]!.id), targetN);
}

/** Zone index of each node (in node order), zones numbered as first met. */
function zoneIndexes(nodes: readonly RingNode[]): Int32Array {
  const zoneIds = new Map<string, number>();
  return Int32Array.from(nodes, (n) => {
    if (!zoneIds.has(n.zone)) zoneIds.set(n.zone, zoneIds.size);
    return zoneIds.get(n.zone)!;
  });
}

/**
 * The {@link RingPlan} that takes `ring` to `owners` over `nodes` (sorted by id, every owner
 * among them): its moves, ownership counts and spread violations.
 */
export function describePlan(ring: Ring, nodes: readonly RingNode[], owners: readonly string[], targetN: number): RingPlan {
  const ownedBefore = new Map<string, number>(ring.nodes.map((n) => [n.id, 0]));
  for (const id of ring.owners) ownedBefore.set(id, ownedBefore.get(id)! + 1);
  const newIndex = new Map(nodes.map((n, i) => [n.id, i] as const));
  const moves: PartitionMove[] = [];
  const ownedAfter = new Map<string, number>(nodes.map((n) => [n.id, 0]));
  owners.forEach((to, p) => {
    ownedAfter.set(to, ownedAfter.get(to)! + 1);
    const from = ring.owners[p]!;
    if (from !== to) moves.push(Object.freeze({ partition: p, from, to }));
  });
  const ownershipChanges: Record<string, OwnershipChange> = {};
  for (const id of [...new Set([...ownedBefore.keys(), ...ownedAfter.keys()])].sort()) {
    ownershipChanges[id] = Object.freeze({ before: ownedBefore.get(id) ?? 0, after: ownedAfter.get(id) ?? 0 });
  }
  const owner = Int32Array.from(owners, (id) => newIndex.get(id)!);
  return Object.freeze({
    fromVersion: ring.version,
    fromChecksum: ring.checksum,
    moves: Object.freeze(moves),
    nodes: Object.freeze([...nodes]),
    ownership: Object.freeze(ownershipChanges),
    violations: Object.freeze(countViolations(owner, zoneIndexes(nodes), targetN)),
    ...(targetN !== ring.targetN ? { targetN } : {}),
  });
}

/**
 * Applies a plan made by {@link plan} for exactly this ring, returning the next ring
 * (version + 1). Plans survive JSON round trips, so one node can plan and others apply.
 * @throws StalePlanError if the plan was made for another version or checksum, or a move's
 *   `from` is not the partition's owner; UnknownNodeError if a move targets a non-member.
 */
export function apply(ring: Ring, ringPlan: RingPlan): Ring {
  if (ringPlan.fromVersion !== ring.version) throw new StalePlanError(ringPlan.fromVersion, ring.version);
  if (ringPlan.fromChecksum !== ring.checksum) {
    throw new StalePlanError(ringPlan.fromVersion, ring.version, `checksum ${ringPlan.fromChecksum} != ${ring.checksum}`);
  }
  const members = new Set(ringPlan.nodes.map((n) => n.id));
  const owners = [...ring.owners];
  for (const move of ringPlan.moves) {
    if (!Number.isInteger(move.partition) || move.partition < 0 || move.partition >= owners.length) {
      throw new RingArgumentError('plan', `move of partition ${String(move.partition)} is out of range`);
    }
    if (owners[move.partition] !== move.from) {
      throw new StalePlanError(ringPlan.fromVersion, ring.version, `partition ${move.partition} is not owned by ${move.from}`);
    }
    if (!members.has(move.to)) throw new UnknownNodeError(move.to);
    owners[move.partition] = move.to;
  }
  return buildRing({
    version: ring.version + 1,
    partitionCount: ring.partitionCount,
    targetN: ringPlan.targetN ?? ring.targetN,
    owners,
    nodes: ringPlan.nodes,
  });
}
