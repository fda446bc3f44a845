import fc from 'fast-check';
import { apply, plan, type RingPlan } from './claim.js';
import {
  DuplicateNodeError,
  InvalidNodeError,
  NotEnoughNodesError,
  RingError,
  StalePlanError,
  UnknownNodeError,
} from './errors.js';
import { createRing, ownership, spreadViolations } from './ring.js';
import { makeNodes, partitionCountArb } from './test-support/nodes.js';
import type { Ring } from './types.js';

type Step = { kind: 'join'; zone: number } | { kind: 'leave'; pick: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('join' as const), zone: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant('leave' as const), pick: fc.nat() }),
);

function activeIds(ring: Ring): string[] {
  return ring.nodes.filter((n) => n.state === 'active').map((n) => n.id);
}

/** Runs a history of joins and leaves (equal weights) from a fresh ring, checking every plan. */
function runHistory(q: number, initial: number, zones: number, steps: Step[], check: (before: Ring, p: RingPlan, after: Ring, step: Step) => void): Ring {
  let ring = createRing({ partitionCount: q, nodes: makeNodes(initial, zones) });
  let next = initial;
  for (const step of steps) {
    let p: RingPlan;
    if (step.kind === 'join') {
      p = plan(ring, { join: [{ id: `j${next++}`, address: 'x', zone: `z${step.zone % zones}` }] });
    } else {
      const active = activeIds(ring);
      if (active.length <= 1) continue;
      p = plan(ring, { leave: [active[step.pick % active.length]!] });
    }
    const after = apply(ring, p);
    check(ring, p, after, step);
    ring = after;
  }
  return ring;
}

describe('plan / apply', () => {
  it('keeps one owner per partition and equal nodes at floor/ceil(Q/M) through any history', () => {
    fc.assert(
      fc.property(partitionCountArb, fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 4 }), fc.array(stepArb, { maxLength: 6 }), (q, m, zones, steps) => {
        runHistory(q, m, zones, steps, (before, _p, after) => {
          expect(after.version).toBe(before.version + 1);
          expect(after.owners).toHaveLength(q);
          const active = activeIds(after);
          const counts = ownership(after);
          for (const node of after.nodes) {
            const c = counts[node.id]!;
            if (node.state === 'leaving') expect(c).toBe(0);
            else {
              expect(c).toBeGreaterThanOrEqual(Math.floor(q / active.length));
              expect(c).toBeLessThanOrEqual(Math.ceil(q / active.length));
            }
          }
        });
      }),
      { seed: 42, numRuns: 50 },
    );
  });

  it('joining one node to M moves at most ceil(Q/(M+1)) + 1 partitions, all to the new node', () => {
    fc.assert(
      fc.property(partitionCountArb, fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 4 }), fc.array(stepArb, { maxLength: 6 }), (q, m, zones, steps) => {
        runHistory(q, m, zones, steps, (before, p, _after, step) => {
          if (step.kind !== 'join') return;
          const mBefore = activeIds(before).length;
          const joiner = p.nodes.find((n) => !before.nodes.some((b) => b.id === n.id))!;
          expect(p.moves.length).toBeLessThanOrEqual(Math.ceil(q / (mBefore + 1)) + 1);
          for (const move of p.moves) expect(move.to).toBe(joiner.id);
        });
      }),
      { seed: 42, numRuns: 50 },
    );
  });

  it('removing one node moves only its partitions', () => {
    fc.assert(
      fc.property(partitionCountArb, fc.integer({ min: 2, max: 12 }), fc.integer({ min: 1, max: 4 }), fc.array(stepArb, { maxLength: 6 }), (q, m, zones, steps) => {
        runHistory(q, m, zones, [...steps, { kind: 'leave', pick: 0 }], (before, p, _after, step) => {
          if (step.kind !== 'leave') return;
          const stillActive = new Set(p.nodes.filter((n) => n.state === 'active').map((n) => n.id));
          const [leaver, ...others] = activeIds(before).filter((id) => !stillActive.has(id));
          expect(others).toHaveLength(0);
          const owned = before.owners.filter((o) => o === leaver).length;
          expect(p.moves).toHaveLength(owned);
          for (const move of p.moves) expect(move.from).toBe(leaver);
        });
      }),
      { seed: 42, numRuns: 50 },
    );
  });

  it('keeps consecutive partitions on distinct nodes after a join when that is possible', () => {
    for (const m of [3, 4, 5, 8, 15]) {
      const ring = createRing({ partitionCount: 256, nodes: makeNodes(m, 1) });
      const p = plan(ring, { join: [{ id: 'new', address: 'x' }] });
      expect(p.violations.node).toBe(0);
      expect(spreadViolations(apply(ring, p)).node).toBe(0);
    }
  });

  it('balances by weight within one partition, moving only from over- to under-share nodes', () => {
    fc.assert(
      fc.property(
        partitionCountArb,
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 2, maxLength: 10 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 2, maxLength: 10 }),
        (q, w1, w2) => {
          const ring = createRing({ partitionCount: q, nodes: makeNodes(w1.length, 2, (i) => w1[i]!) });
          const weights: Record<string, number> = {};
          ring.nodes.forEach((n, i) => (weights[n.id] = w2[i % w2.length]!));
          const p = plan(ring, { weights });
          const after = apply(ring, p);
          const total = Object.values(weights).reduce((a, b) => a + b, 0);
          const counts = ownership(after);
          for (const n of after.nodes) {
            expect(Math.abs(counts[n.id]! - (q * n.weight) / total)).toBeLessThan(1);
          }
          const before = ownership(ring);
          for (const move of p.moves) {
            expect(before[move.from]!).toBeGreaterThan(counts[move.from]!);
            expect(before[move.to]!).toBeLessThan(counts[move.to]!);
          }
        },
      ),
      { seed: 42, numRuns: 50 },
    );
  });

  it('is deterministic and survives a JSON round trip', () => {
    const ring = createRing({ partitionCount: 128, nodes: makeNodes(5, 2) });
    const options = { join: [{ id: 'x', address: 'a', zone: 'z1' }], leave: ['n02'], weights: { n00: 2 } };
    const a = plan(ring, options);
    expect(plan(ring, options)).toEqual(a);
    const viaJson = JSON.parse(JSON.stringify(a)) as RingPlan;
    expect(apply(ring, viaJson).checksum).toBe(apply(ring, a).checksum);
  });

  it('drains a leaver, then removes it on the next leave', () => {
    const ring = createRing({ partitionCount: 64, nodes: makeNodes(4) });
    const drained = apply(ring, plan(ring, { leave: ['n01'] }));
    expect(drained.nodes.find((n) => n.id === 'n01')?.state).toBe('leaving');
    expect(drained.owners).not.toContain('n01');
    const second = plan(drained, { leave: ['n01'] });
    expect(second.moves).toHaveLength(0);
    const removed = apply(drained, second);
    expect(removed.nodes.map((n) => n.id)).toEqual(['n00', 'n02', 'n03']);
    expect(removed.version).toBe(3);
  });

  it('rejects stale plans, unknown and duplicate nodes with typed errors', () => {
    const ring = createRing({ partitionCount: 64, nodes: makeNodes(3) });
    const p = plan(ring, { join: [{ id: 'n03', address: 'x' }] });
    const next = apply(ring, p);
    expect(() => apply(next, p)).toThrow(StalePlanError);
    expect(() => apply(next, p)).toThrow(/made for ring version 1, ring is at version 2/);
    const sameVersionOtherRing = createRing({ partitionCount: 64, nodes: makeNodes(4) });
    expect(() => apply(sameVersionOtherRing, p)).toThrow(StalePlanError);
    expect(() => plan(ring, { leave: ['ghost'] })).toThrow(UnknownNodeError);
    expect(() => plan(ring, { leave: ['ghost'] })).toThrow(/"ghost"/);
    expect(() => plan(ring, { weights: { ghost: 2 } })).toThrow(UnknownNodeError);
    expect(() => plan(ring, { weights: { n00: -1 } })).toThrow(InvalidNodeError);
    expect(() => plan(ring, { join: [{ id: 'n00', address: 'x' }] })).toThrow(DuplicateNodeError);
    expect(() => plan(ring, { leave: ['n00', 'n01', 'n02'] })).toThrow(NotEnoughNodesError);
    try {
      apply(next, p);
    } catch (err) {
      expect((err as RingError).code).toBe('STALE_PLAN');
    }
  });
});
