import fc from 'fast-check';
import { InvalidClockError } from './errors.js';
import { sortedEntries, versionVectorArb } from './test-support/arbitraries.js';
import {
  compareVersionVectors,
  descendsVersionVector,
  mergeVersionVectors,
  versionVector,
  versionVectorsEqual,
} from './version-vector.js';

const RUNS = { seed: 42, numRuns: 300 };

describe('VersionVector', () => {
  it('builds validated vectors from pairs or objects, dropping zeros', () => {
    expect(sortedEntries(versionVector({ b: 2, a: 1, c: 0 }))).toEqual([['a', 1], ['b', 2]]);
    expect(sortedEntries(versionVector([['x', 3]]))).toEqual([['x', 3]]);
    expect(versionVector().size).toBe(0);
    expect(() => versionVector({ a: -1 })).toThrow(InvalidClockError);
    expect(() => versionVector({ a: 1.5 })).toThrow(InvalidClockError);
    expect(() => versionVector([['', 1]])).toThrow(InvalidClockError);
  });

  it('merge is commutative, associative, idempotent; compare is a partial order consistent with descends', () => {
    fc.assert(
      fc.property(versionVectorArb, versionVectorArb, versionVectorArb, (a, b, c) => {
        expect(sortedEntries(mergeVersionVectors(a, b))).toEqual(sortedEntries(mergeVersionVectors(b, a)));
        expect(sortedEntries(mergeVersionVectors(mergeVersionVectors(a, b), c))).toEqual(
          sortedEntries(mergeVersionVectors(a, mergeVersionVectors(b, c))),
        );
        expect(sortedEntries(mergeVersionVectors(a, a))).toEqual(sortedEntries(a));
        const order = compareVersionVectors(a, b);
        expect(descendsVersionVector(a, b)).toBe(order === 'after' || order === 'equal');
        expect(order === 'equal').toBe(versionVectorsEqual(a, b));
        expect(descendsVersionVector(mergeVersionVectors(a, b), b)).toBe(true);
        if (descendsVersionVector(a, b) && descendsVersionVector(b, c)) expect(descendsVersionVector(a, c)).toBe(true);
      }),
      RUNS,
    );
  });
});
