import fc from 'fast-check';
import { RingArgumentError, NotEnoughNodesError } from './errors.js';
import { partitionOf } from './key-hash.js';
import { preferenceList, preferenceListForPartition } from './preference-list.js';
import { createRing } from './ring.js';
import { makeNodes, partitionCountArb, seededRandom } from './test-support/nodes.js';

describe('preferenceList', () => {
  it('has n distinct nodes when M >= n, and n distinct zones when there are >= n zones', () => {
    fc.assert(
      fc.property(
        partitionCountArb,
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 6 }),
        fc.nat(),
        (q, m, zones, n, start) => {
          const ring = createRing({ partitionCount: q, nodes: makeNodes(m, zones) });
          const owners = new Set(ring.owners);
          const ownerZones = new Set(ring.nodes.filter((x) => owners.has(x.id)).map((x) => x.zone));
          const zoneOf = new Map(ring.nodes.map((x) => [x.id, x.zone]));
          for (let k = 0; k < Math.min(q, 16); k++) {
            const p = (start + k) % q;
            const list = preferenceListForPartition(ring, p, n);
            expect(list.partition).toBe(p);
            expect(list.primaries[0]).toBe(ring.owners[p]);
            expect(new Set(list.primaries).size).toBe(list.primaries.length);
            expect(list.primaries).toHaveLength(Math.min(n, owners.size));
            expect(new Set(list.primaries.map((id) => zoneOf.get(id))).size).toBe(Math.min(n, ownerZones.size, list.primaries.length));
            // Fallbacks: every other owner exactly once, none of them a primary.
            expect(new Set([...list.primaries, ...list.fallbacks]).size).toBe(owners.size);
            expect(list.primaries.length + list.fallbacks.length).toBe(owners.size);
          }
        },
      ),
      { seed: 42, numRuns: 100 },
    );
  });

  it('walks clockwise: primaries are the owners of the next partitions on a well-spread ring', () => {
    const ring = createRing({ partitionCount: 64, nodes: makeNodes(8, 4) });
    for (let p = 0; p < 64; p++) {
      const list = preferenceListForPartition(ring, p, 3);
      expect(list.primaries).toEqual([ring.owners[p], ring.owners[(p + 1) % 64], ring.owners[(p + 2) % 64]]);
      expect(list.fallbacks[0]).toBe(ring.owners[(p + 3) % 64]);
    }
  });

  it('returns the list of the key partition, from cache on repeat', () => {
    const ring = createRing({ nodes: makeNodes(5) });
    const list = preferenceList(ring, 'users', 'alice', 3);
    expect(list.partition).toBe(partitionOf(256, 'users', 'alice'));
    expect(preferenceList(ring, 'users', 'alice', 3)).toBe(list);
    expect(Object.isFrozen(list)).toBe(true);
  });

  it('keeps primaries regardless of liveness and filters fallbacks with isUp, in walk order', () => {
    const ring = createRing({ partitionCount: 32, nodes: makeNodes(6) });
    const all = preferenceListForPartition(ring, 5, 3);
    const down = new Set([all.primaries[1]!, all.fallbacks[0]!]);
    const isUp = (id: string): boolean => !down.has(id);
    const filtered = preferenceListForPartition(ring, 5, 3, isUp);
    expect(filtered.primaries).toEqual(all.primaries);
    expect(filtered.fallbacks).toEqual(all.fallbacks.slice(1));
    expect(preferenceListForPartition(ring, 5, 3, { isUp }).fallbacks).toEqual(filtered.fallbacks);
  });

  it('returns M primaries when M < n, or throws a typed error when strict', () => {
    const ring = createRing({ partitionCount: 16, nodes: makeNodes(2) });
    expect(preferenceList(ring, 'b', 'k', 3).primaries).toHaveLength(2);
    expect(() => preferenceList(ring, 'b', 'k', 3, { strict: true })).toThrow(NotEnoughNodesError);
    expect(() => preferenceList(ring, 'b', 'k', 3, { strict: true })).toThrow(/need 3 distinct owner nodes, the ring has 2/);
    expect(preferenceList(ring, 'b', 'k', 2, { strict: true }).primaries).toHaveLength(2);
  });

  it('rejects bad n and partitions', () => {
    const ring = createRing({ partitionCount: 16, nodes: makeNodes(2) });
    expect(() => preferenceListForPartition(ring, 16, 1)).toThrow(RingArgumentError);
    expect(() => preferenceListForPartition(ring, -1, 1)).toThrow(/partition/);
    expect(() => preferenceListForPartition(ring, 1.5, 1)).toThrow(RingArgumentError);
    expect(() => preferenceListForPartition(ring, 0, 0)).toThrow(/invalid n/);
  });

  it('spreads 1,000,000 random keys over 16 nodes with the busiest at most 1.10x the mean', () => {
    const ring = createRing({ nodes: makeNodes(16, 4) });
    const load = new Map<string, number>(ring.nodes.map((n) => [n.id, 0]));
    const random = seededRandom(42);
    const floor = Math.floor; // global lookups are slow in jest's vm context
    const keys = 1_000_000;
    for (let i = 0; i < keys; i++) {
      const key = `user:${floor(random() * 4294967296).toString(36)}${floor(random() * 4294967296).toString(36)}`;
      const owner = preferenceList(ring, 'default', key, 3).primaries[0]!;
      load.set(owner, load.get(owner)! + 1);
    }
    const mean = keys / 16;
    const max = Math.max(...load.values());
    expect(max / mean).toBeLessThanOrEqual(1.1);
  });
});
