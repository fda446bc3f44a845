import fc from 'fast-check';
import { encodeBoundContext, versionVector, descendsVersionVector } from '@quorumkv/vclock';
import { contextVersion, SessionFloors } from './session-floors.js';

const key = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('SessionFloors', () => {
  it('accepts a state that descends what the session saw, refuses an older or concurrent one', () => {
    const f = new SessionFloors();
    expect(f.covers('b', key('k'), versionVector())).toBe(true); // nothing seen yet
    f.observe('b', key('k'), versionVector({ a: 2, b: 1 }));
    expect(f.covers('b', key('k'), versionVector({ a: 2, b: 1 }))).toBe(true);
    expect(f.covers('b', key('k'), versionVector({ a: 3, b: 1, c: 1 }))).toBe(true);
    expect(f.covers('b', key('k'), versionVector({ a: 1, b: 1 }))).toBe(false); // older
    expect(f.covers('b', key('k'), versionVector({ a: 3 }))).toBe(false); // concurrent
    expect(f.covers('b', key('k'), versionVector())).toBe(false); // a replica that never had it
    // Floors are per bucket and key.
    expect(f.covers('b', key('other'), versionVector())).toBe(true);
    expect(f.covers('c', key('k'), versionVector())).toBe(true);
  });

  it('merges what it observes: a write and a concurrent read both stay required', () => {
    const f = new SessionFloors();
    f.observe('b', key('k'), versionVector({ a: 2 }));
    f.observe('b', key('k'), versionVector({ b: 5 }));
    expect([...f.floorOf('b', key('k'))].sort()).toEqual([['a', 2], ['b', 5]]);
    expect(f.covers('b', key('k'), versionVector({ a: 2 }))).toBe(false);
  });

  it('forgets the least recently used key beyond maxKeys (and only then)', () => {
    const f = new SessionFloors({ maxKeys: 2 });
    f.observe('b', key('k1'), versionVector({ a: 1 }));
    f.observe('b', key('k2'), versionVector({ a: 1 }));
    f.observe('b', key('k1'), versionVector({ a: 2 })); // k1 used again: k2 is now the oldest
    f.observe('b', key('k3'), versionVector({ a: 1 }));
    expect(f.size).toBe(2);
    expect(f.floorOf('b', key('k2')).size).toBe(0);
    expect(f.floorOf('b', key('k1')).get('a')).toBe(2);
    expect(() => new SessionFloors({ maxKeys: 0 })).toThrow(/session.maxKeys/);
  });

  it('never lowers a floor, whatever it observes (fast-check, fixed seed)', () => {
    const vv = fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 1, max: 9 })).map((o) => versionVector(o));
    fc.assert(
      fc.property(fc.array(vv, { maxLength: 20 }), (seen) => {
        const f = new SessionFloors();
        let previous = versionVector();
        for (const v of seen) {
          f.observe('b', key('k'), v);
          const floor = f.floorOf('b', key('k'));
          expect(descendsVersionVector(floor, previous)).toBe(true);
          expect(descendsVersionVector(floor, v)).toBe(true);
          previous = floor;
        }
      }),
      { seed: 18, numRuns: 300 },
    );
  });

  it('reads the version out of a context a node handed out', () => {
    expect(contextVersion(new Uint8Array(0)).size).toBe(0);
    expect([...contextVersion(encodeBoundContext(42n, versionVector({ n1: 3 })))]).toEqual([['n1', 3]]);
    expect(() => contextVersion(new Uint8Array([1]))).toThrow();
  });
});
