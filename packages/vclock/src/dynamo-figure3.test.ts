// The version history of Figure 3 of the Dynamo paper (DeCandia et al., SOSP 2007): an object
// written at Sx twice, then updated concurrently through Sy and Sz, and finally reconciled at Sx.
import { compareSets, join, sync, update, values, emptySet } from './dvvset.js';
import { compare, descends, emptyClock, increment, merge, toVersionVector } from './vector-clock.js';

const vv = (m: ReadonlyMap<string, number>) => Object.fromEntries(m);

describe('Dynamo Figure 3 with VectorClock', () => {
  it('D1..D5 have the versions of the paper and D5 reconciles D3 and D4', () => {
    const d1 = increment(emptyClock(), 'Sx');
    const d2 = increment(d1, 'Sx');
    const d3 = increment(d2, 'Sy');
    const d4 = increment(d2, 'Sz');
    // The client that read both D3 and D4 writes the reconciled D5 through Sx.
    const d5 = increment(merge(d3, d4), 'Sx');

    expect(vv(toVersionVector(d1))).toEqual({ Sx: 1 });
    expect(vv(toVersionVector(d2))).toEqual({ Sx: 2 });
    expect(vv(toVersionVector(d3))).toEqual({ Sx: 2, Sy: 1 });
    expect(vv(toVersionVector(d4))).toEqual({ Sx: 2, Sz: 1 });
    expect(vv(toVersionVector(d5))).toEqual({ Sx: 3, Sy: 1, Sz: 1 });

    expect(compare(d1, d2)).toBe('before');
    expect(compare(d3, d2)).toBe('after');
    expect(compare(d4, d2)).toBe('after');
    expect(compare(d3, d4)).toBe('concurrent'); // the conflict the client must reconcile
    expect(compare(d5, d3)).toBe('after');
    expect(compare(d5, d4)).toBe('after');
    for (const older of [d1, d2, d3, d4]) expect(descends(d5, older)).toBe(true);
  });
});

describe('Dynamo Figure 3 with DVVSet', () => {
  it('D3 and D4 become siblings and D5 supersedes both', () => {
    let sx = update(undefined, undefined, 'Sx', 'D1');
    expect(vv(join(sx))).toEqual({ Sx: 1 });

    sx = update(sx, join(sx), 'Sx', 'D2');
    expect(vv(join(sx))).toEqual({ Sx: 2 });
    expect(values(sx)).toEqual(['D2']);

    // D2 is replicated to Sy and Sz; two clients read it and write through different nodes.
    let sy = sync(emptySet<string>(), sx);
    let sz = sync(emptySet<string>(), sx);
    const readD2 = join(sx);
    sy = update(sy, readD2, 'Sy', 'D3');
    sz = update(sz, readD2, 'Sz', 'D4');
    expect(vv(join(sy))).toEqual({ Sx: 2, Sy: 1 });
    expect(vv(join(sz))).toEqual({ Sx: 2, Sz: 1 });
    expect(compareSets(sy, sz)).toBe('concurrent');

    // Sx receives both: they are siblings, and a read returns both with their joint context.
    sx = sync(sync(sx, sy), sz);
    expect(values(sx).sort()).toEqual(['D3', 'D4']);
    expect(vv(join(sx))).toEqual({ Sx: 2, Sy: 1, Sz: 1 });

    // The client reconciles and writes D5 through Sx with that context.
    const staleSy = sy;
    sx = update(sx, join(sx), 'Sx', 'D5');
    expect(values(sx)).toEqual(['D5']);
    expect(vv(join(sx))).toEqual({ Sx: 3, Sy: 1, Sz: 1 });

    // Replicas holding D3 or D4 are stale; syncing brings them D5 only.
    expect(compareSets(staleSy, sx)).toBe('before');
    expect(compareSets(sz, sx)).toBe('before');
    sy = sync(sy, sx);
    sz = sync(sx, sz);
    expect(values(sy)).toEqual(['D5']);
    expect(values(sz)).toEqual(['D5']);
    expect(compareSets(sy, sx)).toBe('equal');
  });
});
