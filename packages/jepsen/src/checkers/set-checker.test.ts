import type { Operation } from '../history.js';
import { checkLwwSet, checkSet, encodeSet } from './set-checker.js';

let clock = 0;
const add = (workload: 'set' | 'lww', key: string, value: string, outcome: Operation['outcome'] = 'ok', extra: Partial<Operation> = {}): Operation => ({
  process: 0, workload, key, value, saw: [], invokeMs: clock++, completeMs: clock++, outcome, ...extra,
});
const final = (entries: Record<string, string[]>): Map<string, string[]> => new Map(Object.entries(entries));

describe('checkSet', () => {
  it('passes when every acknowledged add is in the final siblings, united', () => {
    const ops = [add('set', 's', 'a'), add('set', 's', 'b'), add('set', 's', 'c', 'info')];
    // Two concurrent siblings hold a and b between them; the unknown add c is absent: allowed.
    const r = checkSet(ops, final({ s: [encodeSet(['a']), encodeSet(['b'])] }));
    expect(r.verdict).toBe('pass');
    expect(r.counts).toMatchObject({ attempted: 3, acknowledged: 2, lost: 0, unexpected: 0, recovered: 0 });
  });

  it('fails on a lost acknowledged add and names it', () => {
    const ops = [add('set', 's', 'a'), add('set', 's', 'b')];
    const r = checkSet(ops, final({ s: [encodeSet(['a'])] }));
    expect(r.verdict).toBe('fail');
    expect(r.counts['lost']).toBe(1);
    expect(r.examples['lost']).toEqual(['s/b']);
  });

  it('fails on an element nobody added, and counts unknown adds that did land as recovered', () => {
    const ops = [add('set', 's', 'a'), add('set', 's', 'c', 'info')];
    const r = checkSet(ops, final({ s: [encodeSet(['a', 'c', 'zz'])] }));
    expect(r.verdict).toBe('fail');
    expect(r.counts).toMatchObject({ lost: 0, unexpected: 1, recovered: 1 });
    expect(r.examples['unexpected']).toEqual(['s/zz']);
  });

  it('judges only its own workload', () => {
    const r = checkSet([add('lww', 'l', 'x')], final({}));
    expect(r.counts['attempted']).toBe(0);
    expect(r.verdict).toBe('pass');
  });
});

describe('checkLwwSet', () => {
  it('reports lost adds and their fraction without failing, and counts lwwLost receipts', () => {
    const ops = [add('lww', 'l', 'a'), add('lww', 'l', 'b', 'ok', { lwwLost: true }), add('lww', 'l', 'c'), add('lww', 'l', 'd')];
    const r = checkLwwSet(ops, final({ l: [encodeSet(['c', 'd'])] }));
    expect(r.verdict).toBe('reported');
    expect(r.counts).toMatchObject({ acknowledged: 4, lost: 2, lostFraction: 0.5, lostByReceipt: 1 });
  });

  it('fails only on an element nobody added', () => {
    expect(checkLwwSet([add('lww', 'l', 'a')], final({ l: ['a,ghost'] })).verdict).toBe('fail');
  });
});
