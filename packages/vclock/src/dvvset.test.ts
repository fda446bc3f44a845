import fc from 'fast-check';
import {
  compareSets,
  emptySet,
  filter,
  join,
  lww,
  map,
  newSet,
  siblingCount,
  sync,
  update,
  values,
  type DVVSet,
} from './dvvset.js';
import { InvalidClockError } from './errors.js';
import { normalize, opArb, simulate, Simulation, threeSetsArb } from './test-support/simulation.js';

const RUNS = { seed: 42, numRuns: 300 };
const flip = { before: 'after', after: 'before', equal: 'equal', concurrent: 'concurrent' } as const;

describe('DVVSet basics', () => {
  it('newSet is update without stored set or context', () => {
    const s = newSet('n1', 'v');
    expect(normalize(s)).toEqual(normalize(update(undefined, undefined, 'n1', 'v')));
    expect(values(s)).toEqual(['v']);
    expect(siblingCount(s)).toBe(1);
    expect([...join(s)]).toEqual([['n1', 1]]);
    expect(siblingCount(emptySet())).toBe(0);
  });

  it('a write without context adds a sibling; with the read context it replaces them', () => {
    const s1 = update(undefined, undefined, 'n1', 'x');
    const s2 = update(s1, undefined, 'n1', 'y');
    expect(values(s2).sort()).toEqual(['x', 'y']);
    const s3 = update(s2, join(s2), 'n2', 'z');
    expect(values(s3)).toEqual(['z']);
    expect(Object.fromEntries(join(s3))).toEqual({ n1: 2, n2: 1 });
  });

  it('rejects invalid node ids', () => {
    expect(() => update(undefined, undefined, '', 'v')).toThrow(InvalidClockError);
    expect(() => update(undefined, undefined, 'a\uD800', 'v')).toThrow(InvalidClockError);
    expect(() => update(undefined, new Map([['x', -1]]), 'n', 'v')).toThrow(InvalidClockError);
    expect(() => update(undefined, new Map([['x', 0.5]]), 'n', 'v')).toThrow(InvalidClockError);
    expect(() => update(undefined, new Map([['', 1]]), 'n', 'v')).toThrow(InvalidClockError);
  });

  it('lww keeps the winner at its own dot and the whole context', () => {
    let s = update(undefined, undefined, 'n1', 3);
    s = update(s, undefined, 'n1', 9);
    s = update(s, undefined, 'n1', 5);
    s = update(s, undefined, 'n2', 1);
    const won = lww(s, (a, b) => (a >= b ? a : b));
    expect(values(won)).toEqual([9]);
    expect(won.siblings[0]).toMatchObject({ node: 'n1', counter: 2 });
    expect(join(won)).toBe(join(s));
    expect(compareSets(s, won)).toBe('before');
    // A replica that still holds the losers adopts the resolution when it syncs.
    expect(values(sync(s, won))).toEqual([9]);
    expect(lww(emptySet<number>(), (a) => a)).toEqual(emptySet());
  });

  it('map transforms values and keeps dots; filter drops siblings as overwritten', () => {
    let s = update(undefined, undefined, 'n1', 'a');
    s = update(s, undefined, 'n2', 'bb');
    const lengths = map(s, (v, dot) => `${v.length}@${dot.node}:${dot.counter}`);
    expect(values(lengths)).toEqual(['1@n1:1', '2@n2:1']);
    const short = filter(s, (v) => v.length < 2);
    expect(values(short)).toEqual(['a']);
    expect(values(sync(short, s))).toEqual(['a']);
    expect(filter(s, () => true)).toBe(s);
  });
});

describe('DVVSet laws (fast-check)', () => {
  it('sync is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(threeSetsArb, ([a, b, c]) => {
        expect(normalize(sync(a, b))).toEqual(normalize(sync(b, a)));
        expect(normalize(sync(sync(a, b), c))).toEqual(normalize(sync(a, sync(b, c))));
        expect(normalize(sync(a, a))).toEqual(normalize(a));
        expect(normalize(sync(a, { context: new Map(a.context), siblings: [...a.siblings] }))).toEqual(normalize(a));
      }),
      RUNS,
    );
  });

  it('compareSets is a partial order consistent with sync', () => {
    fc.assert(
      fc.property(threeSetsArb, ([a, b, c]) => {
        const le = (x: DVVSet<string>, y: DVVSet<string>) => ['before', 'equal'].includes(compareSets(x, y));
        const same = (x: DVVSet<string>, y: DVVSet<string>) =>
          JSON.stringify(normalize(x)) === JSON.stringify(normalize(y));
        expect(compareSets(a, a)).toBe('equal');
        expect(compareSets(b, a)).toBe(flip[compareSets(a, b)]);
        // Antisymmetry: both ways ≤ only for identical sets.
        expect(compareSets(a, b) === 'equal').toBe(same(a, b));
        // Transitivity.
        if (le(a, b) && le(b, c)) expect(le(a, c)).toBe(true);
        // a ≤ b exactly when merging a into b changes nothing (what read repair relies on).
        expect(le(a, b)).toBe(same(sync(a, b), b));
        // The merge is an upper bound of both.
        expect(le(a, sync(a, b))).toBe(true);
        expect(le(b, sync(a, b))).toBe(true);
      }),
      RUNS,
    );
  });

  it('keeps exactly the truly concurrent values (checked against brute-force causality)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const sim = simulate(ops);
        for (const state of sim.observed) {
          expect(new Set(values(state.set))).toEqual(sim.expectedLive(state.known));
        }
      }),
      RUNS,
    );
  });

  it('update with the context of a read supersedes everything that read saw and nothing else', () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 20 }),
        fc.integer({ min: 0, max: 2 }),
        fc.array(opArb, { maxLength: 20 }),
        fc.integer({ min: 0, max: 2 }),
        (before, readReplica, after, writeReplica) => {
          const sim = new Simulation();
          before.forEach((op) => sim.apply(op));
          const read = sim.replicas[readReplica]!;
          const writtenBefore = new Set(sim.past.keys());
          after.forEach((op) => sim.apply(op));
          const target = sim.replicas[writeReplica]!;
          const ctx = join(read.set);

          const id = sim.write(writeReplica, read, 'final');
          const result = sim.replicas[writeReplica]!.set;
          const survivors = values(result);

          expect(survivors).toContain(id);
          // Nothing the client saw survives.
          for (const v of values(read.set)) expect(survivors).not.toContain(v);
          // Everything written after the read that the target held survives.
          for (const v of values(target.set)) {
            if (!writtenBefore.has(v)) expect(survivors).toContain(v);
          }
          // Exactly: the target's siblings minus those whose dot the read had seen, plus the new one.
          const kept = target.set.siblings.filter((s) => s.counter > (ctx.get(s.node) ?? 0)).map((s) => s.value);
          expect(survivors.filter((v) => v !== id).sort()).toEqual(kept.sort());
        },
      ),
      RUNS,
    );
  });
});
