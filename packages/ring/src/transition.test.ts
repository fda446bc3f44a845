import fc from 'fast-check';
import { apply, plan, type PlanOptions, type RingPlan } from './claim.js';
import {
  NoTransitionError,
  RingArgumentError,
  StalePlanError,
  TransitionInProgressError,
  TransitionNotDoneError,
} from './errors.js';
import { preferenceListForPartition } from './preference-list.js';
import { decodeRing, encodeRing } from './ring-codec.js';
import { createRing } from './ring.js';
import { balanceOf } from './transition-summary.js';
import { makeNodes, seededRandom } from './test-support/nodes.js';
import {
  allNodes,
  beginTransition,
  finishTransition,
  inTransition,
  markDone,
  partitionTransfers,
  pendingHolders,
  pendingPartitions,
  replicaSets,
  replicasAfter,
  targetRing,
  transfersOf,
  writeOnlyHolders,
} from './transition.js';
import type { Ring } from './types.js';

/** A random membership change: some joiners (with zones and weights), some leavers. */
interface Change {
  q: number;
  initial: number;
  zones: number;
  joins: { zone: number; weight: number }[];
  leaves: number[];
  n: number;
  seed: number;
}

const changeArb: fc.Arbitrary<Change> = fc.record({
  q: fc.constantFrom(16, 32, 64, 128, 256),
  initial: fc.integer({ min: 1, max: 7 }),
  zones: fc.integer({ min: 1, max: 3 }),
  joins: fc.array(fc.record({ zone: fc.nat(2), weight: fc.integer({ min: 1, max: 3 }) }), { maxLength: 3 }),
  leaves: fc.array(fc.nat(), { maxLength: 2 }),
  n: fc.integer({ min: 1, max: 5 }),
  seed: fc.nat(),
});

/** The ring and plan of a change, or undefined when it would leave no active node. */
function setUp(c: Change): { ring: Ring; plan: RingPlan } | undefined {
  const ring = createRing({ partitionCount: c.q, nodes: makeNodes(c.initial, c.zones) });
  const ids = ring.nodes.map((x) => x.id);
  const leave = [...new Set(c.leaves.map((i) => ids[i % ids.length]!))];
  if (leave.length >= ids.length && c.joins.length === 0) return undefined;
  const options: PlanOptions = {
    join: c.joins.map((j, i) => ({ id: `j${i}`, address: `10.1.0.${i}:7070`, zone: `z${j.zone % c.zones}`, weight: j.weight })),
    leave,
  };
  return { ring, plan: plan(ring, options) };
}

/** Runs the transfers of `ring` in a seeded random order, calling `step` after each. */
function runTransfers(ring: Ring, seed: number, step: (ring: Ring, completed: { partition: number; to: string; minN: number; maxN: number }) => void): Ring {
  const random = seededRandom(seed);
  const remaining = [...transfersOf(ring)];
  const left = new Map<number, number>();
  for (const t of remaining) left.set(t.partition, (left.get(t.partition) ?? 0) + 1);
  while (remaining.length > 0) {
    const [t] = remaining.splice(Math.floor(random() * remaining.length), 1);
    const count = left.get(t!.partition)! - 1;
    left.set(t!.partition, count);
    if (count === 0) ring = markDone(ring, [t!.partition]);
    step(ring, t!);
  }
  return ring;
}

describe('ring transitions', () => {
  it('after finishing, the ring is the target: same owners, members and replica sets as apply(plan)', () => {
    fc.assert(
      fc.property(changeArb, (c) => {
        const s = setUp(c);
        if (s === undefined) return;
        const expected = apply(s.ring, s.plan);
        const begun = beginTransition(s.ring, s.plan, c.n);
        const finished = finishTransition(runTransfers(begun, c.seed, () => {}));
        expect(finished.transition).toBeUndefined();
        expect(finished.owners).toEqual(expected.owners);
        const owning = new Set(expected.owners);
        expect(finished.nodes).toEqual(expected.nodes.filter((x) => x.state === 'active' || owning.has(x.id)));
        for (let p = 0; p < c.q; p++) {
          for (let k = 1; k <= c.n; k++) {
            expect(replicaSets(finished, p, k).current).toEqual(preferenceListForPartition(expected, p, k).primaries);
          }
        }
      }),
      { seed: 19, numRuns: 60 },
    );
  });

  it('never lets a readable replica lack the data, for every bucket n up to the transition n', () => {
    // Q up to 128: every transfer is a step here, each one a new ring version.
    fc.assert(
      fc.property(changeArb.filter((c) => c.q <= 128), (c) => {
        const s = setUp(c);
        if (s === undefined) return;
        let ring = beginTransition(s.ring, s.plan, c.n);
        // holders[p][k]: nodes holding the keys of partition p in buckets with n = k.
        const holders = Array.from({ length: c.q }, (_, p) =>
          Array.from({ length: c.n + 1 }, (_, k) => new Set(k === 0 ? [] : preferenceListForPartition(s.ring, p, k).primaries)),
        );
        const check = (r: Ring, partitions: readonly number[]): void => {
          for (const p of partitions) {
            for (let k = 1; k <= c.n; k++) {
              const { current, next, pending } = replicaSets(r, p, k);
              for (const id of current) expect({ p, k, id, holds: holders[p]![k]!.has(id) }).toEqual({ p, k, id, holds: true });
              // Writes reach current and pending: every node of the next set, so none misses a write.
              for (const id of next) expect(current.includes(id) || pending.includes(id)).toBe(true);
            }
          }
        };
        const all = [...Array(c.q).keys()];
        check(ring, all);
        // A step changes one partition's holders and at most its done flag, and the replica sets
        // of a partition depend only on its own flag: checking that partition covers the step.
        ring = runTransfers(ring, c.seed, (r, t) => {
          for (let k = t.minN; k <= t.maxN; k++) holders[t.partition]![k]!.add(t.to);
          check(r, [t.partition]);
        });
        check(ring, all);
        check(finishTransition(ring), all);
      }),
      { seed: 19, numRuns: 30 },
    );
  });

  it('a ring smaller than a bucket n that grows: every replica of the grown ring ends with the data and gets every write', () => {
    // The bucket's n is `n` (1..5); rings of 1..4 members keep min(n, members) copies. The
    // transition covers replicasAfter (n clamped to the larger membership), reads use the n of the
    // ring in force, writes reach its replicas and writeOnlyHolders.
    const smallArb = fc.record({ change: changeArb, initial: fc.integer({ min: 1, max: 4 }) }).map(({ change, initial }) => ({ ...change, initial, q: Math.min(change.q, 64) }));
    fc.assert(
      fc.property(smallArb, (c) => {
        const s = setUp(c);
        if (s === undefined) return;
        const nNow = Math.min(c.n, s.ring.nodes.length);
        const nAfter = replicasAfter(beginTransition(s.ring, s.plan, 1), c.n);
        let ring = beginTransition(s.ring, s.plan, nAfter);
        const target = targetRing(ring)!;
        expect(nAfter).toBe(Math.min(c.n, Math.max(s.ring.nodes.length, target.nodes.length)));
        const holders = Array.from({ length: c.q }, (_, p) => new Set(preferenceListForPartition(s.ring, p, nNow).primaries));
        const check = (r: Ring, p: number): void => {
          const { current } = replicaSets(r, p, nNow);
          for (const id of current) expect({ p, id, holds: holders[p]!.has(id) }).toEqual({ p, id, holds: true });
          const written = new Set([...current, ...writeOnlyHolders(r, p, nNow, nAfter)]);
          for (const id of preferenceListForPartition(target, p, nAfter).primaries) expect({ p, id, written: written.has(id) }).toEqual({ p, id, written: true });
        };
        for (let p = 0; p < c.q; p++) check(ring, p);
        ring = runTransfers(ring, c.seed, (r, t) => {
          if (t.minN <= nAfter && nAfter <= t.maxN) holders[t.partition]!.add(t.to);
          check(r, t.partition);
        });
        const finished = finishTransition(ring);
        const nFinal = Math.min(c.n, finished.nodes.length);
        expect(nFinal).toBeLessThanOrEqual(nAfter);
        for (let p = 0; p < c.q; p++) {
          for (const id of replicaSets(finished, p, nFinal).current) expect({ p, id, holds: holders[p]!.has(id) }).toEqual({ p, id, holds: true });
        }
      }),
      { seed: 23, numRuns: 60 },
    );
  });

  it('two nodes with n = 3 joined by a third: it receives every partition and, until done, every write', () => {
    const ring = createRing({ partitionCount: 16, nodes: makeNodes(2) });
    const target = plan(ring, { join: [{ id: 'n02', address: 'x' }] });
    const nAfter = replicasAfter(beginTransition(ring, target, 1), 3);
    expect(nAfter).toBe(3);
    const begun = beginTransition(ring, target, nAfter);
    expect(new Set(transfersOf(begun).map((t) => t.partition)).size).toBe(16);
    for (let p = 0; p < 16; p++) {
      expect(writeOnlyHolders(begun, p, 2, 3)).toContain('n02');
      // Clamped to the ring's two members, the transition of old would have left it out here.
      if (!preferenceListForPartition(targetRing(begun)!, p, 2).primaries.includes('n02')) expect(pendingHolders(begun, p, 2)).toEqual([]);
    }
    const done = markDone(begun, [0]);
    expect(replicaSets(done, 0, 2).current).not.toEqual(replicaSets(done, 0, 3).current);
    expect([...replicaSets(done, 0, 2).current, ...writeOnlyHolders(done, 0, 2, 3)].sort()).toEqual(['n00', 'n01', 'n02']);
    expect(replicasAfter(ring, 3)).toBe(2);
  });

  it('changes the owners of exactly the partitions claim plan moves', () => {
    fc.assert(
      fc.property(changeArb, (c) => {
        const s = setUp(c);
        if (s === undefined) return;
        const target = targetRing(beginTransition(s.ring, s.plan, c.n))!;
        const changed = s.ring.owners.flatMap((o, p) => (o === target.owners[p] ? [] : [{ partition: p, from: o, to: target.owners[p] }]));
        expect(changed).toEqual(s.plan.moves.map((m) => ({ ...m })));
      }),
      { seed: 19, numRuns: 60 },
    );
  });

  it('balances partitions per weight within 1.1 of the mean when every node has at least 10 partitions to its share', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(128, 256, 512),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.record({ weight: fc.integer({ min: 1, max: 4 }), zone: fc.nat(2) }), { minLength: 1, maxLength: 3 }),
        fc.nat(),
        (q, weights, joins, leavePick) => {
          const ring = createRing({ partitionCount: q, nodes: makeNodes(weights.length, 3, (i) => weights[i]!) });
          const leave = weights.length > 1 ? [ring.nodes[leavePick % weights.length]!.id] : [];
          const p = plan(ring, { join: joins.map((j, i) => ({ id: `j${i}`, address: 'x', zone: `z${j.zone}`, weight: j.weight })), leave });
          const target = targetRing(beginTransition(ring, p, 3))!;
          const active = target.nodes.filter((x) => x.state === 'active');
          const total = active.reduce((sum, x) => sum + x.weight, 0);
          fc.pre(active.every((x) => (q * x.weight) / total >= 10));
          expect(balanceOf(target).maxOverMean).toBeLessThanOrEqual(1.1);
        },
      ),
      { seed: 19, numRuns: 60 },
    );
  });

  it('lists transfers with their sources and bucket range, and marks partitions with nothing to copy done', () => {
    const ring = createRing({ partitionCount: 64, nodes: makeNodes(4) });
    const begun = beginTransition(ring, plan(ring, { join: [{ id: 'n04', address: 'x' }] }), 3);
    const transfers = transfersOf(begun);
    expect(transfers.length).toBeGreaterThan(0);
    for (const t of transfers) {
      expect(t.to).toBe('n04');
      expect(t.sources).toEqual(preferenceListForPartition(ring, t.partition, 3).primaries);
      expect(t.sources[0]).toBe(ring.owners[t.partition]);
      expect(t).toMatchObject({ minN: expect.any(Number), maxN: 3 });
      expect(begun.transition!.done[t.partition]).toBe(false);
      expect(pendingHolders(begun, t.partition, 3)).toEqual(['n04']);
    }
    const withTransfers = new Set(transfers.map((t) => t.partition));
    expect(pendingPartitions(begun)).toEqual([...withTransfers].sort((a, b) => a - b));
    for (let p = 0; p < 64; p++) {
      if (!withTransfers.has(p)) expect(replicaSets(begun, p, 3)).toEqual({ current: replicaSets(begun, p, 3).next, next: replicaSets(begun, p, 3).next, pending: [] });
    }
  });

  it('lists the transfers of a partition whether done or not, the same as transfersOf before any is done', () => {
    fc.assert(
      fc.property(changeArb, (c) => {
        const setup = setUp(c);
        if (setup === undefined) return;
        const begun = beginTransition(setup.ring, setup.plan, c.n);
        const all = Array.from({ length: c.q }, (_, p) => partitionTransfers(begun, p)).flat();
        const finishedLast = markDone(begun, Array.from({ length: c.q }, (_, p) => p));
        expect(all).toEqual([...transfersOf(begun)]);
        expect(Array.from({ length: c.q }, (_, p) => partitionTransfers(finishedLast, p)).flat()).toEqual(all);
        expect(partitionTransfers(finishTransition(finishedLast), 0)).toEqual([]);
      }),
      { seed: 1717, numRuns: 60 },
    );
    const ring = createRing({ partitionCount: 16, nodes: makeNodes(3) });
    expect(() => partitionTransfers(beginTransition(ring, plan(ring, { join: [{ id: 'n09', address: 'x' }] }), 2), 16)).toThrow(RingArgumentError);
  });

  it('sends a node only the buckets it gains: a node already holding n=3 keys still receives n=2 keys', () => {
    // When a leaver was the first or second replica of a partition, the old third replica moves
    // up to second: it gains the n=2 keys but already held the n=3 keys.
    const ring = createRing({ partitionCount: 64, nodes: makeNodes(5) });
    const begun = beginTransition(ring, plan(ring, { leave: ['n02'] }), 3);
    const partial = transfersOf(begun).filter((t) => t.maxN < 3);
    expect(partial.length).toBeGreaterThan(0);
    for (const t of partial) {
      expect(replicaSets(begun, t.partition, 3).current).toContain(t.to);
      expect(replicaSets(begun, t.partition, t.maxN).current).not.toContain(t.to);
      expect(pendingHolders(begun, t.partition, t.minN)).toContain(t.to);
    }
  });

  it('versions every step; a repeated markDone changes nothing', () => {
    const ring = createRing({ partitionCount: 32, nodes: makeNodes(3) });
    const begun = beginTransition(ring, plan(ring, { join: [{ id: 'n03', address: 'x' }] }), 2);
    expect(begun.version).toBe(2);
    expect(begun.owners).toEqual(ring.owners);
    const [first] = pendingPartitions(begun);
    const marked = markDone(begun, [first!]);
    expect(marked.version).toBe(3);
    expect(marked.checksum).not.toBe(begun.checksum);
    expect(markDone(marked, [first!])).toBe(marked);
    const all = markDone(marked, pendingPartitions(marked));
    expect(all.version).toBe(4);
    const finished = finishTransition(all);
    expect(finished.version).toBe(5);
    expect(finished.checksum).toBe(targetRing(all)!.checksum);
  });

  it('refuses a second transition, operations without one, early finish and bad partitions', () => {
    const ring = createRing({ partitionCount: 32, nodes: makeNodes(3) });
    const p = plan(ring, { join: [{ id: 'n03', address: 'x' }] });
    const begun = beginTransition(ring, p, 3);
    expect(() => beginTransition(begun, plan(begun, { leave: ['n00'] }), 3)).toThrow(TransitionInProgressError);
    expect(() => beginTransition(begun, plan(begun, { leave: ['n00'] }), 3)).toThrow(/already has a transition in progress/);
    expect(() => markDone(ring, [0])).toThrow(NoTransitionError);
    expect(() => finishTransition(ring)).toThrow(NoTransitionError);
    expect(() => finishTransition(begun)).toThrow(TransitionNotDoneError);
    expect(() => finishTransition(begun)).toThrow(/partitions still wait for transfers/);
    expect(() => markDone(begun, [32])).toThrow(RingArgumentError);
    expect(() => markDone(begun, [-1])).toThrow(/not in 0..31/);
    expect(() => beginTransition(ring, p, 0)).toThrow(RingArgumentError);
    expect(() => beginTransition(begun, p, 3)).toThrow(TransitionInProgressError);
    const other = apply(ring, plan(ring, { leave: ['n02'] }));
    expect(() => beginTransition(other, p, 3)).toThrow(StalePlanError);
    expect(() => beginTransition(ring, createRing({ partitionCount: 64, nodes: makeNodes(3) }), 3)).toThrow(/64 partitions/);
  });

  it('accepts a target ring, keeps departing members known until the end, and reports which partitions move', () => {
    const ring = createRing({ partitionCount: 32, nodes: makeNodes(4) });
    // A force-removal: the target simply lacks n01.
    const target = apply(ring, plan(ring, { leave: ['n01'] }));
    const withoutN01 = createRing({ partitionCount: 32, nodes: makeNodes(4).filter((x) => x.id !== 'n01') });
    const begun = beginTransition(ring, { ...target, nodes: withoutN01.nodes }, 3);
    expect(begun.transition!.nodes.find((x) => x.id === 'n01')?.state).toBe('leaving');
    expect(allNodes(begun).map((x) => x.id)).toEqual(['n00', 'n01', 'n02', 'n03']);
    const finished = finishTransition(markDone(begun, pendingPartitions(begun)));
    expect(finished.nodes.map((x) => x.id)).toEqual(['n00', 'n02', 'n03']);
    const joined = beginTransition(ring, plan(ring, { join: [{ id: 'n04', address: 'a4' }] }), 3);
    expect(allNodes(joined).map((x) => x.id)).toEqual(['n00', 'n01', 'n02', 'n03', 'n04']);
    expect(allNodes(ring)).toBe(ring.nodes);
    const moved = [...new Set(transfersOf(joined).map((t) => t.partition))];
    for (const p of moved) expect(inTransition(joined, p, 3)).toBe(true);
    expect(inTransition(ring, 0, 3)).toBe(false);
    const done = markDone(joined, moved);
    expect(inTransition(done, moved[0]!, 3)).toBe(true);
  });

  it('round-trips a ring with a transition through the codec, and names the transition by the version it began at', () => {
    const ring = createRing({ partitionCount: 64, nodes: makeNodes(3) });
    const begun = beginTransition(ring, plan(ring, { join: [{ id: 'n03', address: 'x', zone: 'z9', weight: 2 }] }), 3);
    const marked = markDone(begun, pendingPartitions(begun).slice(0, 5));
    expect(marked.transition!.since).toBe(begun.version);
    const decoded = decodeRing(encodeRing(marked));
    expect(decoded).toEqual(marked);
    expect(decoded.checksum).toBe(marked.checksum);
    expect(decodeRing(encodeRing(ring)).transition).toBeUndefined();
  });

  it('raises targetN through a plan, and the finished ring carries it', () => {
    const ring = createRing({ partitionCount: 64, nodes: makeNodes(1), targetN: 1 });
    const p = plan(ring, { join: [{ id: 'a', address: 'x' }, { id: 'b', address: 'y' }], targetN: 3 });
    expect(p.targetN).toBe(3);
    const finished = finishTransition(markDone(beginTransition(ring, p, 3), [...Array(64).keys()]));
    expect(finished.targetN).toBe(3);
    expect(plan(ring, {}).targetN).toBeUndefined();
  });
});
