// Sibling explosion (as described in Riak's documentation on causal context): clients that write
// without reading in between, each re-using the context its own last write returned, on a single
// server node. With one vector clock per object maintained by the server, the server cannot tell
// which siblings a client's context covers, so every write adds a sibling; with a DVVSet each write
// replaces the client's own previous value and the count stays at the number of writers.
import { join, siblingCount, update, values, type DVVSet } from './dvvset.js';
import type { VersionVector } from './version-vector.js';
import { descends, emptyClock, increment, merge, type VectorClock } from './vector-clock.js';

const WRITES_PER_CLIENT = 1000;
const CLIENTS = ['alice', 'bob'] as const;
const SERVER = 'server-1';

/** A Riak-1.x-style object: one server-side vector clock for the whole object, plus its siblings. */
interface ClockObject {
  readonly clock: VectorClock;
  readonly siblings: readonly string[];
}

/** The put of such an object: a context that descends the object's clock replaces everything; any other adds a sibling. */
function putWithVectorClock(obj: ClockObject, context: VectorClock, value: string): ClockObject {
  const siblings = descends(context, obj.clock) ? [value] : [...obj.siblings, value];
  return { clock: increment(merge(obj.clock, context), SERVER), siblings };
}

function runVectorClock(): number[] {
  let obj: ClockObject = { clock: emptyClock(), siblings: [] };
  const ctx = new Map<string, VectorClock>(CLIENTS.map((c) => [c, emptyClock()]));
  const counts: number[] = [];
  for (let i = 0; i < WRITES_PER_CLIENT; i++) {
    for (const client of CLIENTS) {
      obj = putWithVectorClock(obj, ctx.get(client)!, `${client}-${i}`);
      ctx.set(client, obj.clock); // the context returned by the write
      counts.push(obj.siblings.length);
    }
  }
  return counts;
}

function runDVVSet(): { counts: number[]; final: string[] } {
  let set: DVVSet<string> | undefined;
  const ctx = new Map<string, VersionVector | undefined>(CLIENTS.map((c) => [c, undefined]));
  const counts: number[] = [];
  for (let i = 0; i < WRITES_PER_CLIENT; i++) {
    for (const client of CLIENTS) {
      set = update(set, ctx.get(client), SERVER, `${client}-${i}`);
      ctx.set(client, join(set)); // the context returned by the write
      counts.push(siblingCount(set));
    }
  }
  return { counts, final: set === undefined ? [] : values(set) };
}

describe('sibling explosion: two clients writing alternately without reading', () => {
  it(`DVVSet keeps ${CLIENTS.length} siblings while a per-object server vector clock piles them up`, () => {
    const vc = runVectorClock();
    const { counts: dvv, final } = runDVVSet();
    const last = (xs: number[]) => xs[xs.length - 1]!;
    console.log(
      `sibling explosion after ${WRITES_PER_CLIENT} writes per client (${CLIENTS.length} clients, 1 server): ` +
        `vector clock ${last(vc)} siblings, DVVSet ${last(dvv)} siblings (max ${Math.max(...dvv)})`,
    );
    expect(Math.max(...dvv)).toBe(CLIENTS.length);
    expect(last(dvv)).toBe(CLIENTS.length);
    // The survivors are exactly each client's latest write: the truly concurrent values.
    expect(final.sort()).toEqual(CLIENTS.map((c) => `${c}-${WRITES_PER_CLIENT - 1}`));
    expect(last(vc)).toBe(2 * WRITES_PER_CLIENT);
    // Growth is monotone: the vector clock never recovers without a read.
    for (let i = 1; i < vc.length; i++) expect(vc[i]!).toBeGreaterThanOrEqual(vc[i - 1]!);
  });
});
