import fc from 'fast-check';
import { applyWrite, deathTime, encodeRecord, hasLiveSibling, liveUntil, mergeRecords, storedForm, type KeyRecord } from './key-record.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const write = (stored: KeyRecord | undefined, actor: string, w: { tombstone?: boolean; v?: string; at: number; expires?: number }, blind = false): KeyRecord =>
  applyWrite(stored, blind ? undefined : stored?.context, actor, { tombstone: w.tombstone ?? false, value: enc(w.v ?? ''), timestampMs: w.at, expiresAtMs: w.expires ?? 0 }, false);

describe('dead records and their due time', () => {
  it('a record with a sibling that never expires is alive for good', () => {
    const r = write(undefined, 'a~x.1', { v: 'v', at: 100 });
    expect(deathTime(r)).toBeUndefined();
    expect(storedForm(r, encodeRecord(r), 60_000)).toEqual({ value: encodeRecord(r) });
    // Even next to a tombstone or an expiring sibling.
    const mixed = write(write(r, 'b~y.1', { tombstone: true, at: 200 }, true), 'c~z.1', { v: 'brief', at: 300, expires: 400 }, true);
    expect(mixed.siblings).toHaveLength(3);
    expect(deathTime(mixed)).toBeUndefined();
    expect(hasLiveSibling(mixed, 10_000)).toBe(true);
  });

  it('dies at its tombstone’s timestamp', () => {
    const r = write(write(undefined, 'a~x.1', { v: 'v', at: 100 }), 'a~x.1', { tombstone: true, at: 250 });
    expect(deathTime(r)).toBe(250);
    expect(storedForm(r, encodeRecord(r), 1_000).dueAtMs).toBe(1_250);
    expect(hasLiveSibling(r, 0)).toBe(false);
  });

  it('dies at the latest of its tombstones and expiry times, whatever the order they arrive in', () => {
    const tomb = write(undefined, 'a~x.1', { tombstone: true, at: 500 });
    const brief = write(undefined, 'b~y.1', { v: 'brief', at: 100, expires: 900 });
    const briefer = write(undefined, 'c~z.1', { v: 'briefer', at: 100, expires: 700 });
    const one = mergeRecords(mergeRecords(tomb, brief, false), briefer, false);
    const other = mergeRecords(briefer, mergeRecords(brief, tomb, false), false);
    expect(encodeRecord(one)).toEqual(encodeRecord(other));
    expect(deathTime(one)).toBe(900);
    expect(hasLiveSibling(one, 899)).toBe(true);
    expect(hasLiveSibling(one, 900)).toBe(false);
    // The same bytes give the same due time on every replica.
    expect(storedForm(one, encodeRecord(one), 60_000).dueAtMs).toBe(60_900);
  });
});

describe('when a record leaves listings', () => {
  it('is listed exactly while reads return a sibling (listedUntilMs agrees with hasLiveSibling)', () => {
    const sibling = fc.record({ tombstone: fc.boolean(), at: fc.integer({ min: 1, max: 1_000 }), expires: fc.oneof(fc.constant(0), fc.double({ min: 1, max: 1_000, noNaN: true })) });
    fc.assert(
      fc.property(fc.array(sibling, { minLength: 1, maxLength: 5 }), fc.integer({ min: 0, max: 1_100 }), (writes, now) => {
        let r: KeyRecord | undefined;
        writes.forEach((w, i) => (r = write(r, `a${i}~x.1`, w, true)));
        const stored = storedForm(r!, encodeRecord(r!), 1_000);
        const listed = stored.listedUntilMs === undefined || now < stored.listedUntilMs;
        expect(listed).toBe(hasLiveSibling(r!, now));
        expect(stored.listedUntilMs).toBe(liveUntil(r!));
        expect(stored.dueAtMs === undefined).toBe(stored.listedUntilMs === undefined);
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('a record of tombstones only is never listed', () => {
    const r = write(undefined, 'a~x.1', { tombstone: true, at: 250 });
    expect(storedForm(r, encodeRecord(r), 1_000)).toMatchObject({ listedUntilMs: 0, dueAtMs: 1_250 });
  });
});
