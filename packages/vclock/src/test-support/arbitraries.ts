import fc from 'fast-check';
import type { VectorClock } from '../vector-clock.js';
import type { VersionVector } from '../version-vector.js';

/** Node ids from a small alphabet so that generated clocks overlap and conflict often. */
export const nodeArb = fc.constantFrom('a', 'b', 'c', 'd', 'n-1', 'ノード');

/** Any valid node id: non-empty, no lone surrogates (what the encoding must round-trip). */
export const anyNodeIdArb = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 12 })
  .filter((s) => !/\p{Cs}/u.test(s));

export const versionVectorArb: fc.Arbitrary<VersionVector> = fc
  .dictionary(nodeArb, fc.integer({ min: 1, max: 4 }), { maxKeys: 5 })
  .map((o) => new Map(Object.entries(o)));

export const vectorClockArb: fc.Arbitrary<VectorClock> = fc
  .dictionary(
    nodeArb,
    fc.record({ counter: fc.integer({ min: 1, max: 4 }), timestampMs: fc.integer({ min: 0, max: 3 }) }),
    { maxKeys: 5 },
  )
  .map((o) => new Map(Object.entries(o)));

export function sortedEntries<T>(m: ReadonlyMap<string, T>): [string, T][] {
  return [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
