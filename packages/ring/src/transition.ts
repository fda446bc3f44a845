// Ownership transitions: how a committed ring change is carried out without a moment where a
// partition's readable replicas lack its data.
//
// A key lives under its hash partition p, and its replicas are the n distinct owners met walking
// the ring from p. Changing slot owners therefore changes the replica sets of several
// key-partitions. A transition records the target ring next to the current one; for each
// key-partition the nodes it gains (next \ current) receive writes at once and the partition's
// data by transfer, while reads keep using the current set. Once every gaining node of p holds
// the data, p is marked done and its reads move to the target set. When all are done, the target
// becomes the ring.
import { apply, type RingPlan } from './claim.js';
import {
  NoTransitionError,
  RingArgumentError,
  TransitionInProgressError,
  TransitionNotDoneError,
} from './errors.js';
import { preferenceListForPartition } from './preference-list.js';
import { buildRing } from './ring-value.js';
import type { Ring, RingNode, RingTransition } from './types.js';

/** The replica sets of a key-partition during (or outside) a transition. */
export interface ReplicaSets {
  /** Readable replicas: they hold the partition's data (the target set once the partition is done). */
  readonly current: readonly string[];
  /** Replicas once the transition finishes; equal to `current` without a transition or once done. */
  readonly next: readonly string[];
  /** next \ current: nodes that receive writes and a transfer but are not read yet. */
  readonly pending: readonly string[];
}

/**
 * One copy to make: the keys of key-partition `partition` in buckets whose n is in
 * `minN..maxN`, streamed to node `to`, which joins the replica set for those n.
 *
 * Why a range: a bucket's replicas are the first n chosen by the walk, so a node can gain a
 * small-n bucket's keys without gaining a large-n one's (it held those already). The partition's
 * owner, `sources[0]`, is a replica under every n and so holds every bucket; any other source
 * holds a bucket's keys when it is in `replicaSets(ring, partition, bucketN).current`.
 */
export interface Transfer {
  readonly partition: number;
  /** A node that joins the partition's replica set. */
  readonly to: string;
  /** The current replica set for the transition's n, in walk order; `sources[0]` owns the partition. */
  readonly sources: readonly string[];
  /** The smallest bucket n whose keys `to` must receive. */
  readonly minN: number;
  /** The largest (at most the transition's n). */
  readonly maxN: number;
}

const EMPTY: readonly string[] = Object.freeze([]);
const NO_TRANSFERS: readonly Transfer[] = Object.freeze([]);
const targets = new WeakMap<Ring, Ring>();
const setsByRing = new WeakMap<Ring, Map<number, (ReplicaSets | undefined)[]>>();
const transfersByRing = new WeakMap<Ring, readonly Transfer[]>();

/**
 * The ring a transition leads to, exactly as {@link finishTransition} will make it (version + 1,
 * no transition, members that left removed); undefined when `ring` has no transition.
 */
export function targetRing(ring: Ring): Ring | undefined {
  const t = ring.transition;
  if (t === undefined) return undefined;
  let target = targets.get(ring);
  if (target === undefined) {
    const owning = new Set(t.owners);
    target = buildRing({
      version: ring.version + 1,
      partitionCount: ring.partitionCount,
      targetN: t.targetN,
      owners: t.owners,
      nodes: t.nodes.filter((n) => n.state === 'active' || owning.has(n.id)),
    });
    targets.set(ring, target);
  }
  return target;
}

/**
 * The replica sets of key-partition `partition` for replica count `n`: `current` (read from, and
 * written to) and `next` (after the transition). For a partition not yet done, `current` comes
 * from the ring's owners; for a done one both are the target's. Cached per (ring, n, partition).
 * Transfers cover replica counts up to the transition's `n`; for a larger n (a bucket made after
 * the commit) a partition never counts as done: its reads stay on the current set to the end.
 * @throws RingArgumentError for a partition outside 0..Q-1 or n < 1
 */
export function replicaSets(ring: Ring, partition: number, n: number): ReplicaSets {
  const current = preferenceListForPartition(ring, partition, n).primaries;
  let byN = setsByRing.get(ring);
  if (byN === undefined) {
    byN = new Map();
    setsByRing.set(ring, byN);
  }
  let table = byN.get(n);
  if (table === undefined) {
    table = new Array<ReplicaSets | undefined>(ring.partitionCount).fill(undefined);
    byN.set(n, table);
  }
  let sets = table[partition];
  if (sets === undefined) {
    sets = computeSets(ring, partition, n, current);
    table[partition] = sets;
  }
  return sets;
}

function computeSets(ring: Ring, partition: number, n: number, current: readonly string[]): ReplicaSets {
  const target = targetRing(ring);
  if (target === undefined) return Object.freeze({ current, next: current, pending: EMPTY });
  const next = preferenceListForPartition(target, partition, n).primaries;
  if (ring.transition!.done[partition] && n <= ring.transition!.n) return Object.freeze({ current: next, next, pending: EMPTY });
  const pending = next.filter((id) => !current.includes(id));
  return Object.freeze({ current, next, pending: pending.length === 0 ? EMPTY : Object.freeze(pending) });
}

/**
 * Nodes that join the replica set of `partition` and do not have its data yet (next \ current):
 * extra write targets until the partition is done. Empty without a transition or once done.
 */
export function pendingHolders(ring: Ring, partition: number, n: number): readonly string[] {
  return replicaSets(ring, partition, n).pending;
}

/**
 * The replica count a bucket whose n is `bucketN` has once the transition of `ring` finishes: its
 * n clamped to the larger of the ring's and the target's member counts (without a transition, to
 * the ring's). A ring of fewer members than a bucket's n keeps fewer copies; when it grows, the
 * copies the grown ring's replicas need are this transition's to make: its transfers and writes
 * use this count, not the n the bucket has in the smaller ring.
 */
export function replicasAfter(ring: Ring, bucketN: number): number {
  return Math.max(1, Math.min(bucketN, Math.max(ring.nodes.length, targetRing(ring)?.nodes.length ?? 0)));
}

/**
 * The nodes that receive a write of `partition` without being read from, for a bucket read with
 * `n` replicas now and with `nAfter` ({@link replicasAfter}) once the transition finishes: the
 * pending holders for n and, when nAfter is larger (a ring smaller than the bucket's n that
 * grows), every other node of the replica sets for nAfter, so that each replica of the grown ring
 * gets every write while it does not count towards the quorum of the smaller one.
 */
export function writeOnlyHolders(ring: Ring, partition: number, n: number, nAfter: number): readonly string[] {
  const now = replicaSets(ring, partition, n);
  if (nAfter <= n) return now.pending;
  const after = replicaSets(ring, partition, nAfter);
  const extra = [...after.current, ...after.pending].filter((id) => !now.current.includes(id) && !now.pending.includes(id));
  return extra.length === 0 ? now.pending : Object.freeze([...now.pending, ...extra]);
}

/**
 * True while `ring` has a transition that changes the replica set of `partition` for `n` (done
 * or not): copies may still be on their way to, or left behind on, nodes outside either set.
 */
export function inTransition(ring: Ring, partition: number, n: number): boolean {
  const target = targetRing(ring);
  if (target === undefined) return false;
  const before = preferenceListForPartition(ring, partition, n).primaries;
  const after = preferenceListForPartition(target, partition, n).primaries;
  return before.length !== after.length || before.some((id) => !after.includes(id));
}

/**
 * Every copy the transition still has to make: for each key-partition not done, each node that
 * joins its replica set under some n up to the transition's n (see {@link Transfer}). By
 * partition, then in walk order. Empty without a transition.
 */
export function transfersOf(ring: Ring): readonly Transfer[] {
  const t = ring.transition;
  if (t === undefined) return NO_TRANSFERS;
  let list = transfersByRing.get(ring);
  if (list === undefined) {
    const out: Transfer[] = [];
    for (let p = 0; p < ring.partitionCount; p++) if (!t.done[p]) out.push(...gains(ring, p, t.n));
    list = Object.freeze(out);
    transfersByRing.set(ring, list);
  }
  return list;
}

/**
 * The transfers of `partition` in the transition of `ring`, done or not (transfersOf lists only
 * those still to do): after a transition finishes, whoever drops its copies asks each `to` here
 * whether it holds them. Empty without a transition.
 * @throws RingArgumentError for a partition outside 0..Q-1
 */
export function partitionTransfers(ring: Ring, partition: number): readonly Transfer[] {
  const t = ring.transition;
  if (t === undefined) return NO_TRANSFERS;
  if (!Number.isInteger(partition) || partition < 0 || partition >= ring.partitionCount) {
    throw new RingArgumentError('partition', `${String(partition)} is not in 0..${ring.partitionCount - 1}`);
  }
  return gains(ring, partition, t.n);
}

/**
 * The transfers of partition p (done or not): node X gains the keys of buckets with n from the
 * first n where X is in the next set to the last n before it is in the current set.
 */
function gains(ring: Ring, partition: number, n: number): Transfer[] {
  const target = targetRing(ring)!;
  const enterNext = new Map<string, number>();
  const enterCurrent = new Map<string, number>();
  for (let k = n; k >= 1; k--) {
    for (const id of preferenceListForPartition(target, partition, k).primaries) enterNext.set(id, k);
    for (const id of preferenceListForPartition(ring, partition, k).primaries) enterCurrent.set(id, k);
  }
  const sources = preferenceListForPartition(ring, partition, n).primaries;
  const out: Transfer[] = [];
  for (const to of preferenceListForPartition(target, partition, n).primaries) {
    const minN = enterNext.get(to)!;
    const maxN = (enterCurrent.get(to) ?? n + 1) - 1;
    if (minN <= maxN) out.push(Object.freeze({ partition, to, sources, minN, maxN }));
  }
  return out;
}

/** Partitions of the transition not done yet, ascending (empty without a transition). */
export function pendingPartitions(ring: Ring): number[] {
  const out: number[] = [];
  ring.transition?.done.forEach((d, p) => {
    if (!d) out.push(p);
  });
  return out;
}

/**
 * Begins the change from `ring` to `target` (a ring with the same Q, or a plan made for `ring`)
 * with transfers computed for replica counts up to `n`. Key-partitions whose replica sets gain no
 * node start done. Returns version + 1; `ring` itself is unchanged.
 * @throws TransitionInProgressError (`ring` has one), StalePlanError (the plan was made for
 *   another ring), RingArgumentError (another Q, n out of range), UnknownNodeError
 */
export function beginTransition(ring: Ring, target: Ring | RingPlan, n: number): Ring {
  if (ring.transition !== undefined) throw new TransitionInProgressError(ring.version, pendingPartitions(ring).length);
  const to = 'moves' in target ? apply(ring, target) : target;
  if (to.partitionCount !== ring.partitionCount) {
    throw new RingArgumentError('target', `has ${to.partitionCount} partitions, the ring has ${ring.partitionCount}`);
  }
  if (to.transition !== undefined) throw new RingArgumentError('target', 'is itself in a transition');
  // The target members keep every current member (leavers as such) until the end, so a node
  // that is still a source is still known by its address.
  const nodes: RingNode[] = [...to.nodes];
  const targetIds = new Set(to.nodes.map((node) => node.id));
  for (const node of ring.nodes) {
    if (!targetIds.has(node.id)) nodes.push(Object.freeze({ ...node, state: 'leaving' as const }));
  }
  const transition: RingTransition = {
    owners: to.owners,
    nodes,
    targetN: to.targetN,
    n,
    since: ring.version + 1,
    done: new Array<boolean>(ring.partitionCount).fill(false),
  };
  const draft = withTransition(ring, transition, ring.version + 1);
  const done = transition.done.map((_, p) => gains(draft, p, n).length === 0);
  return withTransition(ring, { ...transition, done }, ring.version + 1);
}

/**
 * Marks key-partitions done: every node that joins their replica set holds their data. Returns
 * version + 1, or `ring` itself when all of them were done already (a repeated report changes
 * nothing).
 * @throws NoTransitionError, RingArgumentError (a partition out of range)
 */
export function markDone(ring: Ring, partitions: readonly number[]): Ring {
  const t = ring.transition;
  if (t === undefined) throw new NoTransitionError(ring.version);
  const done = [...t.done];
  let changed = false;
  for (const p of partitions) {
    if (!Number.isInteger(p) || p < 0 || p >= ring.partitionCount) {
      throw new RingArgumentError('partition', `${String(p)} is not in 0..${ring.partitionCount - 1}`);
    }
    changed ||= !done[p];
    done[p] = true;
  }
  return changed ? withTransition(ring, { ...t, done }, ring.version + 1) : ring;
}

/**
 * Ends a transition whose partitions are all done: the target owners become the ring's, members
 * that left (leaving and owning nothing) are removed. Returns version + 1.
 * @throws NoTransitionError, TransitionNotDoneError (lists the partitions still waiting)
 */
export function finishTransition(ring: Ring): Ring {
  if (ring.transition === undefined) throw new NoTransitionError(ring.version);
  const pending = pendingPartitions(ring);
  if (pending.length > 0) throw new TransitionNotDoneError(pending);
  return targetRing(ring)!;
}

/**
 * Every member of the ring and of its transition's target, by id (a current member's own record
 * first): the nodes requests and transfers may need to reach.
 */
export function allNodes(ring: Ring): readonly RingNode[] {
  const t = ring.transition;
  if (t === undefined) return ring.nodes;
  const ids = new Set(ring.nodes.map((n) => n.id));
  return [...ring.nodes, ...t.nodes.filter((n) => !ids.has(n.id))].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function withTransition(ring: Ring, transition: RingTransition, version: number): Ring {
  return buildRing({
    version,
    partitionCount: ring.partitionCount,
    targetN: ring.targetN,
    owners: ring.owners,
    nodes: ring.nodes,
    transition,
  });
}
