import type { Operation } from '../history.js';
import { checkSessions } from './session-checker.js';

let clock = 0;
/** A register op of `process`: it read `saw` (unless blind) and wrote `value`. */
const op = (process: number, value: string, saw: string[] | 'blind', outcome: Operation['outcome'] = 'ok', key = 'r'): Operation => {
  const invokeMs = clock++;
  return { process, workload: 'register', key, value, saw: saw === 'blind' ? [] : saw, invokeMs, ...(saw === 'blind' ? {} : { readCompleteMs: clock++ }), completeMs: clock++, outcome };
};

describe('checkSessions', () => {
  it('passes reads that include the process\'s own writes and its previous reads, directly or superseded', () => {
    const ops = [op(0, 'a', []), op(1, 'b', ['a']), op(0, 'c', ['b']), op(0, 'd', ['c']), op(0, 'e', 'blind'), op(0, 'f', ['d', 'e'])];
    const [ryw, mr] = checkSessions(ops, true);
    expect(ryw).toMatchObject({ checker: 'read-your-writes', verdict: 'pass', counts: { sessions: 2, reads: 5, violations: 0 } });
    expect(mr).toMatchObject({ checker: 'monotonic-reads', verdict: 'pass', counts: { violations: 0 } });
  });

  it('fails a read that lacks the process\'s own acknowledged write, but not one lacking an unknown write', () => {
    const [ryw] = checkSessions([op(0, 'a', []), op(0, 'b', [])], true);
    expect(ryw.verdict).toBe('fail');
    expect(ryw.counts['violations']).toBe(1);
    expect(ryw.examples['violations']![0]).toMatch(/^p0 r: read \[\] at \d+ ms lacks its own a$/);
    expect(checkSessions([op(0, 'a', [], 'info'), op(0, 'b', [])], true)[0].verdict).toBe('pass');
    // Another process's read does not have to include p0's write.
    expect(checkSessions([op(0, 'a', []), op(1, 'b', [])], true)[0].verdict).toBe('pass');
  });

  it('fails a read older than the previous read of the same process and key', () => {
    const ops = [op(1, 'a', []), op(1, 'b', ['a'], 'info'), op(0, 'x', ['b'], 'fail'), op(0, 'y', ['a'], 'fail')];
    const [ryw, mr] = checkSessions(ops, true);
    expect(ryw.verdict).toBe('pass');
    expect(mr.verdict).toBe('fail');
    expect(mr.examples['violations']![0]).toMatch(/p0 r: read \[a\] .* lacks b read before/);
    // Keys are separate sessions' floors.
    expect(checkSessions([op(0, 'x', ['b'], 'ok', 'k1'), op(0, 'y', [], 'ok', 'k2')], true)[1].verdict).toBe('pass');
  });

  it('reports rather than judges when the clients had no session, and counts reads refused as stale', () => {
    const refused: Operation = { ...op(0, 'c', 'blind', 'fail'), error: 'read: StaleReadError: get jepsen-register/r: no replica answered' };
    const [ryw, mr] = checkSessions([op(0, 'a', []), op(0, 'b', []), refused], false);
    expect(ryw).toMatchObject({ verdict: 'reported', counts: { violations: 1, staleRefused: 1 } });
    expect(mr.verdict).toBe('reported');
  });
});
