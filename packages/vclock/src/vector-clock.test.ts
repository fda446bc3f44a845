import fc from 'fast-check';
import { InvalidClockError } from './errors.js';
import { sortedEntries, vectorClockArb } from './test-support/arbitraries.js';
import {
  compare,
  counterOf,
  descends,
  emptyClock,
  increment,
  merge,
  prune,
  toVersionVector,
  vectorClock,
  type VectorClock,
} from './vector-clock.js';

const RUNS = { seed: 42, numRuns: 300 };
const flip = { before: 'after', after: 'before', equal: 'equal', concurrent: 'concurrent' } as const;
const same = (a: VectorClock, b: VectorClock) => expect(sortedEntries(a)).toEqual(sortedEntries(b));

describe('VectorClock', () => {
  it('increment counts events and stamps the entry', () => {
    const c1 = increment(emptyClock(), 'a', 100);
    const c2 = increment(c1, 'a');
    expect(c2.get('a')).toEqual({ counter: 2, timestampMs: 100 });
    expect(increment(emptyClock(), 'b').get('b')).toEqual({ counter: 1, timestampMs: 0 });
    expect(counterOf(c2, 'zz')).toBe(0);
    expect(c1.get('a')!.counter).toBe(1); // immutability
  });

  it('rejects bad input', () => {
    expect(() => increment(emptyClock(), '')).toThrow(InvalidClockError);
    expect(() => increment(emptyClock(), 'a', -1)).toThrow(InvalidClockError);
    expect(() => increment(emptyClock(), 'a', 1.5)).toThrow(InvalidClockError);
    expect(() => vectorClock([['a', { counter: 0, timestampMs: 0 }]])).toThrow(InvalidClockError);
  });

  it('merge is commutative, associative, idempotent and the least upper bound', () => {
    fc.assert(
      fc.property(vectorClockArb, vectorClockArb, vectorClockArb, (a, b, c) => {
        same(merge(a, b), merge(b, a));
        same(merge(merge(a, b), c), merge(a, merge(b, c)));
        same(merge(a, a), a);
        expect(descends(merge(a, b), a)).toBe(true);
        expect(descends(merge(a, b), b)).toBe(true);
        if (descends(c, a) && descends(c, b)) expect(descends(c, merge(a, b))).toBe(true);
      }),
      RUNS,
    );
  });

  it('compare is a partial order consistent with descends', () => {
    fc.assert(
      fc.property(vectorClockArb, vectorClockArb, vectorClockArb, (a, b, c) => {
        expect(compare(a, a)).toBe('equal');
        expect(compare(b, a)).toBe(flip[compare(a, b)]);
        expect(descends(a, b)).toBe(['after', 'equal'].includes(compare(a, b)));
        expect(descends(b, a)).toBe(['before', 'equal'].includes(compare(a, b)));
        if (compare(a, b) === 'equal') expect(sortedEntries(toVersionVector(a))).toEqual(sortedEntries(toVersionVector(b)));
        if (descends(a, b) && descends(b, c)) expect(descends(a, c)).toBe(true);
        expect(compare(increment(a, 'a'), a)).toBe('after');
      }),
      RUNS,
    );
  });
});

describe('prune', () => {
  const clockOf = (n: number, ts: (i: number) => number) =>
    vectorClock(Array.from({ length: n }, (_, i) => [`n${String(i).padStart(2, '0')}`, { counter: 1, timestampMs: ts(i) }] as const));
  const opts = { smallVclock: 3, bigVclock: 5, youngVclockMs: 100, oldVclockMs: 1000 };

  it('leaves small clocks alone, however old', () => {
    const c = clockOf(3, () => 0);
    expect(prune(c, { ...opts, nowMs: 1e9 })).toBe(c);
  });

  it('never drops young entries, even from big clocks', () => {
    const c = clockOf(8, () => 950);
    expect(prune(c, { ...opts, nowMs: 1000 })).toBe(c);
  });

  it('cuts big clocks down to bigVclock, oldest first', () => {
    const c = clockOf(8, (i) => i * 10); // n00 is the oldest
    const p = prune(c, { ...opts, nowMs: 500 });
    expect([...p.keys()].sort()).toEqual(['n03', 'n04', 'n05', 'n06', 'n07']);
  });

  it('drops entries older than oldVclockMs down to smallVclock', () => {
    const c = clockOf(5, (i) => (i < 4 ? 0 : 5000));
    const p = prune(c, { ...opts, nowMs: 5050 });
    // n00..n03 are old; dropping stops at smallVclock = 3 entries.
    expect([...p.keys()].sort()).toEqual(['n02', 'n03', 'n04']);
  });

  it('breaks timestamp ties by node id so every replica prunes alike, and uses riak defaults', () => {
    const c = clockOf(60, () => 0);
    const p = prune(c, { nowMs: 10 ** 9 });
    expect(p.size).toBe(50);
    expect(p.has('n00')).toBe(false);
    expect(p.has('n59')).toBe(true);
  });
});
