// A small replicated-key simulator for property tests: three replicas of one key receive client
// writes (each with the context of some earlier read, or none) and exchange state. Alongside the
// DVVSets it keeps the ground truth of causality by brute force (which writes each state has seen,
// and which writes each write had seen), so tests can check the DVVSet against it.
import fc from 'fast-check';
import { join, sync, update, type DVVSet } from '../dvvset.js';
import type { VersionVector } from '../version-vector.js';

export const REPLICAS = ['a', 'b', 'c'] as const;

export type Op =
  | { readonly kind: 'write'; readonly replica: number; readonly readFrom: number | null }
  | { readonly kind: 'sync'; readonly from: number; readonly to: number };

/** A state of one replica together with the ground truth of what it has seen. */
export interface Observed {
  readonly set: DVVSet<string>;
  /** Ids of every write this state has seen (directly or through the writes it has seen). */
  readonly known: ReadonlySet<string>;
}

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('write' as const),
    replica: fc.integer({ min: 0, max: 2 }),
    // Index into the states observed so far (taken modulo their number), or a blind write.
    readFrom: fc.option(fc.nat(), { nil: null }),
  }),
  fc.record({ kind: fc.constant('sync' as const), from: fc.integer({ min: 0, max: 2 }), to: fc.integer({ min: 0, max: 2 }) }),
);

export class Simulation {
  readonly replicas: Observed[] = REPLICAS.map(() => ({ set: { context: new Map(), siblings: [] }, known: new Set<string>() }));
  /** Every state any replica has been in, i.e. everything a client could have read. */
  readonly observed: Observed[] = [...this.replicas];
  /** For each write id, the ids of the writes its client had seen (its causal past). */
  readonly past = new Map<string, ReadonlySet<string>>();
  private seq = 0;

  apply(op: Op): void {
    if (op.kind === 'write') {
      const read = op.readFrom === null ? undefined : this.observed[op.readFrom % this.observed.length]!;
      this.write(op.replica, read);
    } else {
      const to = this.replicas[op.to]!;
      const from = this.replicas[op.from]!;
      this.setReplica(op.to, { set: sync(to.set, from.set), known: new Set([...to.known, ...from.known]) });
    }
  }

  /** A client that read `read` (or nothing) writes a fresh value through `replica`; returns its id. */
  write(replica: number, read: Observed | undefined, id = `w${this.seq++}`): string {
    const state = this.replicas[replica]!;
    const ctx: VersionVector | undefined = read === undefined ? undefined : join(read.set);
    this.past.set(id, read?.known ?? new Set());
    const set = update(state.set, ctx, REPLICAS[replica]!, id);
    this.setReplica(replica, { set, known: new Set([...state.known, ...(read?.known ?? []), id]) });
    return id;
  }

  /** The writes of `known` that no other write of `known` has seen: what should be siblings. */
  expectedLive(known: ReadonlySet<string>): Set<string> {
    const overwritten = new Set<string>();
    for (const id of known) for (const p of this.past.get(id) ?? []) overwritten.add(p);
    return new Set([...known].filter((id) => !overwritten.has(id)));
  }

  private setReplica(i: number, state: Observed): void {
    this.replicas[i] = state;
    this.observed.push(state);
  }
}

/** Runs `ops` and returns the simulation. */
export function simulate(ops: readonly Op[]): Simulation {
  const sim = new Simulation();
  for (const op of ops) sim.apply(op);
  return sim;
}

/** Three states picked from one random history, so they are mutually consistent (same dot, same value). */
export const threeSetsArb: fc.Arbitrary<[DVVSet<string>, DVVSet<string>, DVVSet<string>]> = fc
  .tuple(fc.array(opArb, { maxLength: 30 }), fc.nat(), fc.nat(), fc.nat())
  .map(([ops, i, j, k]) => {
    const { observed } = simulate(ops);
    const pick = (n: number) => observed[n % observed.length]!.set;
    return [pick(i), pick(j), pick(k)];
  });

/** A comparable, order-independent rendering of a set (Map insertion order is not meaningful). */
export function normalize<V>(set: DVVSet<V>): { context: [string, number][]; siblings: [string, number, V][] } {
  return {
    context: [...set.context].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    siblings: set.siblings.map((s) => [s.node, s.counter, s.value]),
  };
}
