import type { Operation } from '../history.js';
import { checkRegister } from './register-checker.js';

let clock = 0;
const write = (value: string, saw: string[] = [], outcome: Operation['outcome'] = 'ok', key = 'r'): Operation => ({
  process: 0, workload: 'register', key, value, saw, invokeMs: clock++, completeMs: clock++, outcome,
});
const final = (entries: Record<string, string[]>): Map<string, string[]> => new Map(Object.entries(entries));

describe('checkRegister', () => {
  it('passes a chain of writes each superseding the last, and concurrent siblings', () => {
    const ops = [write('a'), write('b', ['a']), write('c', ['b']), write('d'), write('e', [], 'info')];
    // c superseded b (which superseded a); d was blind, so it is a sibling; e is unknown and absent.
    const r = checkRegister(ops, final({ r: ['c', 'd'] }));
    expect(r.verdict).toBe('pass');
    expect(r.counts).toMatchObject({ writes: 5, acknowledged: 4, lost: 0, resurrected: 0, unexpected: 0 });
  });

  it('fails when an acknowledged write nobody superseded is missing (a lost ack)', () => {
    const ops = [write('a'), write('b')]; // two blind writes: both must stay as siblings
    const r = checkRegister(ops, final({ r: ['b'] }));
    expect(r.verdict).toBe('fail');
    expect(r.examples['lost']).toEqual(['r/a']);
  });

  it('fails when a superseded write comes back beside the write that saw it', () => {
    const ops = [write('a'), write('b', ['a'])];
    const r = checkRegister(ops, final({ r: ['a', 'b'] }));
    expect(r.verdict).toBe('fail');
    expect(r.counts['resurrected']).toBe(1);
    expect(r.examples['resurrected']).toEqual(['r/a']);
  });

  it('lets an unknown write that is kept cover what it saw, but not one that vanished', () => {
    const kept = checkRegister([write('a'), write('b', ['a'], 'info')], final({ r: ['b'] }));
    expect(kept.verdict).toBe('pass');
    const vanished = checkRegister([write('a'), write('b', ['a'], 'info')], final({ r: [] }));
    expect(vanished.verdict).toBe('fail');
    expect(vanished.examples['lost']).toEqual(['r/a']);
  });

  it('does not let a failed write cover anything, and flags values nobody wrote', () => {
    expect(checkRegister([write('a'), write('b', ['a'], 'fail')], final({ r: [] })).counts['lost']).toBe(1);
    const r = checkRegister([write('a')], final({ r: ['a', 'ghost'] }));
    expect(r.counts['unexpected']).toBe(1);
    expect(r.verdict).toBe('fail');
  });

  it('judges keys separately', () => {
    const ops = [write('a', [], 'ok', 'k1'), write('b', ['a'], 'ok', 'k2')];
    // b saw a value named "a" of another key: k1's a must still be there.
    expect(checkRegister(ops, final({ k1: [], k2: ['b'] })).examples['lost']).toEqual(['k1/a']);
  });
});
