import { versionVector, descendsVersionVector, type VersionVector } from '@quorumkv/vclock';
import { QuorumNotMetError, StaleReadError, TimeoutError } from '../errors.js';
import type { GetResult, Receipt } from '../types.js';
import { readInSession, type SessionAttempt, type SessionReadOptions } from './session-read.js';

/** A get result from `node` whose context carries `vv` (the test's versionOf reads it back). */
const answer = (node: string, vv: Record<string, number>): GetResult & { vv: VersionVector } => ({
  found: true,
  values: [],
  siblings: [],
  context: new Uint8Array(0),
  receipt: { node } as Receipt,
  resolved: false,
  vv: versionVector(vv),
});

function options(floor: Record<string, number>, script: (a: SessionAttempt) => Promise<GetResult>, more: Partial<SessionReadOptions> = {}): { o: SessionReadOptions; calls: SessionAttempt[] } {
  const calls: SessionAttempt[] = [];
  const seen = versionVector(floor);
  const o: SessionReadOptions = {
    name: 'b/k',
    read: (a) => (calls.push(a), script(a)),
    versionOf: (r) => (r as GetResult & { vv: VersionVector }).vv,
    covers: (v) => descendsVersionVector(v, seen),
    alternatives: (tried) => ['x:1', 'y:1', 'z:1'].filter((n) => !tried.has(n)),
    n: 3,
    r: undefined,
    retries: 3,
    timeoutMs: 1000,
    now: () => 0,
    ...more,
  };
  return { o, calls };
}

describe('readInSession', () => {
  it('returns the first answer when it includes what the session saw, with one read', async () => {
    const { o, calls } = options({ a: 2 }, async () => answer('x:1', { a: 3 }));
    const { result, version } = await readInSession(o);
    expect(result.receipt.node).toBe('x:1');
    expect(version.get('a')).toBe(3);
    expect(calls).toEqual([{ timeoutMs: 1000 }]);
  });

  it('reads a stale answer again at another coordinator, first at R = N, then at the caller\'s R', async () => {
    const { o, calls } = options({ a: 2 }, async (a) => (a.node === 'z:1' ? answer('z:1', { a: 2 }) : answer(a.node ?? 'x:1', { a: 1 })));
    const { result } = await readInSession({ ...o, r: 1 });
    expect(result.receipt.node).toBe('z:1');
    expect(calls.map((c) => [c.node, c.r])).toEqual([[undefined, undefined], ['y:1', 3], ['z:1', 1]]);
    // Half of what is left of the deadline each, the last allowed reread all of it.
    expect(calls.map((c) => c.timeoutMs)).toEqual([1000, 500, 500]);
    const last = options({ a: 2 }, async (a) => answer(a.node ?? 'x:1', a.node === 'y:1' ? { a: 2 } : {}), { retries: 1 });
    await readInSession(last.o);
    expect(last.calls.map((c) => c.timeoutMs)).toEqual([1000, 1000]);
  });

  it('never returns an older or concurrent state: StaleReadError once the rereads run out', async () => {
    const { o, calls } = options({ a: 2, b: 1 }, async (a) => answer(a.node ?? 'x:1', { a: 5 }));
    const err = (await readInSession(o).catch((e: unknown) => e)) as StaleReadError;
    expect(err).toBeInstanceOf(StaleReadError);
    expect(err.code).toBe('unavailable');
    expect(err.attempts).toBe(3);
    expect(err.staleNodes).toEqual(['x:1', 'y:1', 'z:1']);
    expect(err.message).toMatch(/get b\/k: no replica answered with what this session already saw/);
    expect(calls).toHaveLength(3);
  });

  it('moves on past a reread that fails, and names the last failure', async () => {
    const quorum = new QuorumNotMetError('get: quorum not met', { operation: 'get', asked: 3, answered: 1, required: 3, replicas: [] });
    const { o } = options({ a: 2 }, async (a) => {
      if (a.node === undefined) return answer('x:1', {});
      if (a.node === 'y:1') throw quorum;
      throw new TimeoutError('get: timed out', { timeoutMs: 1 });
    });
    const err = (await readInSession(o).catch((e: unknown) => e)) as StaleReadError;
    expect(err).toBeInstanceOf(StaleReadError);
    expect(err.staleNodes).toEqual(['x:1']);
    expect(err.message).toMatch(/last error: get: timed out/);
    expect(err.cause).toBeInstanceOf(TimeoutError);
  });

  it('stops when no other coordinator is left or the deadline has passed, and lets a failed first read through', async () => {
    const alone = options({ a: 1 }, async () => answer('x:1', {}), { alternatives: () => [] });
    await expect(readInSession(alone.o)).rejects.toBeInstanceOf(StaleReadError);
    expect(alone.calls).toHaveLength(1);
    let t = 0;
    const late = options({ a: 1 }, async () => ((t += 2000), answer('x:1', {})), { now: () => t });
    await expect(readInSession(late.o)).rejects.toBeInstanceOf(StaleReadError);
    expect(late.calls).toHaveLength(1);
    const failing = options({}, async () => Promise.reject(new TimeoutError('get: timed out', { timeoutMs: 1 })));
    await expect(readInSession(failing.o)).rejects.toBeInstanceOf(TimeoutError);
  });

  it('treats an answer whose context cannot be read as stale', async () => {
    const { o } = options({}, async (a) => answer(a.node ?? 'x:1', {}), { versionOf: () => { throw new Error('bad context'); } });
    await expect(readInSession(o)).rejects.toBeInstanceOf(StaleReadError);
  });
});
