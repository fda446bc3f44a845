import fc from 'fast-check';
import {
  DuplicateNodeError,
  RingArgumentError,
  InvalidNodeError,
  InvalidPartitionCountError,
  NotEnoughNodesError,
} from './errors.js';
import { createRing, nodeById, ownership, partitionsOwnedBy, spreadViolations } from './ring.js';
import { makeNodes, partitionCountArb } from './test-support/nodes.js';

describe('createRing', () => {
  it('uses the documented defaults', () => {
    const ring = createRing({ nodes: [{ id: 'a', address: 'h:1' }] });
    expect(ring.version).toBe(1);
    expect(ring.partitionCount).toBe(256);
    expect(ring.targetN).toBe(3);
    expect(ring.nodes).toEqual([{ id: 'a', address: 'h:1', zone: 'default', weight: 1, state: 'active' }]);
    expect(ring.checksum).toMatch(/^[0-9a-f]{8}$/);
  });

  it('gives every partition one owner and each of M equal nodes floor(Q/M) or ceil(Q/M)', () => {
    fc.assert(
      fc.property(partitionCountArb, fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 5 }), (q, m, zones) => {
        const ring = createRing({ partitionCount: q, nodes: makeNodes(m, zones), targetN: Math.min(3, q / 2) });
        expect(ring.owners).toHaveLength(q);
        const ids = new Set(ring.nodes.map((n) => n.id));
        for (const owner of ring.owners) expect(ids.has(owner)).toBe(true);
        for (const count of Object.values(ownership(ring))) {
          expect(count).toBeGreaterThanOrEqual(Math.floor(q / m));
          expect(count).toBeLessThanOrEqual(Math.ceil(q / m));
        }
      }),
      { seed: 42, numRuns: 80 },
    );
  });

  it('gives weighted nodes within one partition of their proportional share', () => {
    fc.assert(
      fc.property(
        partitionCountArb,
        fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 20 }),
        (q, weights) => {
          const ring = createRing({ partitionCount: q, nodes: makeNodes(weights.length, 3, (i) => weights[i]! / 10) });
          const total = weights.reduce((a, b) => a + b, 0);
          const counts = ownership(ring);
          weights.forEach((w, i) => {
            const share = (q * w) / total;
            expect(Math.abs(counts[ring.nodes[i]!.id]! - share)).toBeLessThan(1);
          });
        },
      ),
      { seed: 42, numRuns: 80 },
    );
  });

  it('puts any targetN consecutive partitions on distinct nodes and zones when Q is a multiple of M', () => {
    fc.assert(
      fc.property(fc.constantFrom(64, 256, 1024), fc.constantFrom(4, 8, 16), fc.constantFrom(1, 2, 4), (q, m, zones) => {
        const ring = createRing({ partitionCount: q, nodes: makeNodes(m, zones) });
        const v = spreadViolations(ring);
        expect(v.node).toBe(0);
        if (zones >= 3) expect(v.zone).toBe(0);
      }),
      { seed: 42, numRuns: 30 },
    );
  });

  it('keeps consecutive partitions on distinct nodes when Q is not a multiple of M', () => {
    for (const m of [5, 6, 7, 9, 10, 11, 13, 17, 23, 50]) {
      expect(spreadViolations(createRing({ partitionCount: 256, nodes: makeNodes(m, 1) })).node).toBe(0);
    }
  });

  it('is deterministic and independent of input order', () => {
    const nodes = makeNodes(7, 3);
    const a = createRing({ partitionCount: 128, nodes });
    const b = createRing({ partitionCount: 128, nodes: [...nodes].reverse() });
    expect(b.owners).toEqual(a.owners);
    expect(b.checksum).toBe(a.checksum);
  });

  it('is deeply frozen', () => {
    const ring = createRing({ partitionCount: 8, nodes: makeNodes(2) });
    expect(Object.isFrozen(ring)).toBe(true);
    expect(Object.isFrozen(ring.owners)).toBe(true);
    expect(Object.isFrozen(ring.nodes)).toBe(true);
    expect(Object.isFrozen(ring.nodes[0])).toBe(true);
  });

  it('rejects invalid input with typed errors that name the problem', () => {
    expect(() => createRing({ partitionCount: 100, nodes: makeNodes(2) })).toThrow(InvalidPartitionCountError);
    expect(() => createRing({ partitionCount: 4, nodes: makeNodes(2) })).toThrow(/invalid partition count 4/);
    expect(() => createRing({ nodes: [] })).toThrow(NotEnoughNodesError);
    expect(() => createRing({ nodes: [{ id: 'a', address: '', state: 'leaving' }] })).toThrow(NotEnoughNodesError);
    expect(() => createRing({ nodes: [{ id: 'a', address: '' }, { id: 'a', address: '' }] })).toThrow(DuplicateNodeError);
    expect(() => createRing({ nodes: [{ id: '', address: '' }] })).toThrow(InvalidNodeError);
    expect(() => createRing({ nodes: [{ id: 'a', address: '', weight: 0 }] })).toThrow(/weight must be a finite number > 0/);
    expect(() => createRing({ nodes: [{ id: 'a', address: '', weight: NaN }] })).toThrow(InvalidNodeError);
    expect(() => createRing({ nodes: makeNodes(2), targetN: 0 })).toThrow(RingArgumentError);
    expect(() => createRing({ partitionCount: 8, nodes: makeNodes(2), targetN: 5 })).toThrow(/targetN/);
  });
});

describe('ring accessors', () => {
  const ring = createRing({ partitionCount: 16, nodes: makeNodes(4) });
  it('finds nodes by id, not-found as undefined', () => {
    expect(nodeById(ring, 'n02')?.address).toBe('10.0.0.2:7070');
    expect(nodeById(ring, 'nope')).toBeUndefined();
  });
  it('lists the partitions of a node', () => {
    const mine = partitionsOwnedBy(ring, 'n01');
    expect(mine).toHaveLength(4);
    for (const p of mine) expect(ring.owners[p]).toBe('n01');
    expect(partitionsOwnedBy(ring, 'nope')).toEqual([]);
  });
});
