import { create } from '@bufbuild/protobuf';
import { ReplicaItemResultSchema, ReplicaStatus, type ReplicaItemResult } from '@quorumkv/protocol';
import { systemTimers } from '../clock/timers.js';
import { quorumRequest, type QuorumOutcome, type QuorumRequestOptions } from './quorum-request.js';

const ok = (): ReplicaItemResult => create(ReplicaItemResultSchema, { status: ReplicaStatus.OK });
/** A number: answers OK after that many ms; `late`: refuses after 40 ms. */
type Reply = 'ok' | 'fail' | 'silent' | 'late' | number;

function run(replies: Record<string, Reply>, extra: Partial<QuorumRequestOptions> = {}) {
  const sent: string[] = [];
  const unreached: string[] = [];
  const r = quorumRequest({
    required: 2,
    local: { ok: true, error: '', latencyUs: 1 },
    selfId: 'a',
    primaries: ['b', 'c'],
    fallbacks: ['d', 'e'],
    send: (id, hintFor) => {
      sent.push(hintFor ? `${id}->${hintFor}` : id);
      const reply = replies[id] ?? 'ok';
      if (reply === 'ok') return Promise.resolve(ok());
      if (reply === 'fail') return Promise.reject(new Error(`${id} refused`));
      if (typeof reply === 'number') return new Promise<ReplicaItemResult>((r) => setTimeout(() => r(ok()), reply));
      if (reply === 'late') return new Promise<ReplicaItemResult>((_, reject) => setTimeout(() => reject(new Error(`${id} refused`)), 40));
      return new Promise<ReplicaItemResult>(() => undefined);
    },
    isAvailable: () => true,
    accept: (res) => res.status === ReplicaStatus.OK,
    onUnreached: (p) => unreached.push(p),
    replicaTimeoutMs: 50,
    timeoutMs: 500,
    timers: systemTimers,
    ...extra,
  });
  return { ...r, sent, unreached };
}

describe('quorumRequest', () => {
  it('answers as soon as W replicas (the local one included) acknowledged', async () => {
    const { quorum, all, sent } = run({});
    const o = await quorum;
    expect(o.answered).toBeGreaterThanOrEqual(2);
    expect(sent).toEqual(['b', 'c']);
    expect((await all).answered).toBe(3);
  });

  it('replaces a failed primary with the next fallback, which stands in for it', async () => {
    const { quorum, all, sent } = run({ b: 'fail', c: 'fail' });
    const o = await quorum;
    expect(o.answered).toBeGreaterThanOrEqual(2);
    await all;
    expect(sent).toEqual(['b', 'c', 'd->b', 'e->c']);
    expect(o.replicas.filter((x) => x.fallback).map((x) => x.standingInFor).sort()).toEqual(['b', 'c']);
  });

  it('treats a silent primary as failed after the replica timeout', async () => {
    const { quorum, sent } = run({ b: 'silent', c: 'silent' });
    const o = await quorum;
    expect(o.answered).toBeGreaterThanOrEqual(2);
    expect(sent.slice(2)).toEqual(['d->b', 'e->c']);
  });

  it('fails with the counts when W cannot be met, and reports primaries nobody stood in for', async () => {
    const { quorum, unreached } = run({ b: 'fail', c: 'fail' }, { fallbacks: [] });
    await expect(quorum).rejects.toMatchObject({ asked: 3, answered: 1, required: 2 });
    expect(unreached.sort()).toEqual(['b', 'c']);
  });

  it('tells a quorum that failed because replicas refused from one the deadline ended', async () => {
    const refused = await run({ b: 'fail', c: 'fail' }, { fallbacks: [] }).quorum.catch((o: QuorumOutcome) => o);
    expect(refused.expired).toBe(false);
    const late = await run({ b: 'silent', c: 'silent' }, { fallbacks: [], replicaTimeoutMs: 10_000, timeoutMs: 30 }).quorum.catch((o: QuorumOutcome) => o);
    expect(late).toMatchObject({ expired: true, asked: 3, answered: 1, required: 2 });
  });

  it('ends at the deadline when it comes no later than the replica timeout: no stand-in is asked with no time left', async () => {
    const { quorum, sent } = run({ b: 'silent', c: 'silent' }, { replicaTimeoutMs: 30, timeoutMs: 30 });
    const o = await quorum.catch((x: QuorumOutcome) => x);
    expect(o.expired).toBe(true);
    expect(sent).toEqual(['b', 'c']);
  });

  it('reports the primaries still silent at the deadline, or whose stand-ins were, met quorum or not', async () => {
    // No replica timeout before the deadline: c is silent, the write met W = 2 with b.
    const met = run({ c: 'silent' }, { replicaTimeoutMs: 30, timeoutMs: 30 });
    expect((await met.quorum).answered).toBe(2);
    await met.all;
    expect(met.unreached).toEqual(['c']);
    // c timed out and its stand-in d stayed silent until the deadline: W = 3 failed, c is reported.
    const missed = run({ c: 'silent', d: 'silent' }, { required: 3, replicaTimeoutMs: 20, timeoutMs: 60 });
    await expect(missed.quorum).rejects.toMatchObject({ expired: true, answered: 2 });
    expect(missed.sent).toEqual(['b', 'c', 'd->c']);
    expect(missed.unreached).toEqual(['c']);
  });

  it('answers the caller at its deadline, but reports as unreached only replicas silent past unreachedAfterMs', async () => {
    // A 10 ms deadline: b answers at 40 ms, c never, d refuses at 40 ms; reported after 150 ms from the start.
    const r = run({ b: 40, c: 'silent', d: 'late' }, { required: 4, primaries: ['b', 'c', 'd'], fallbacks: [], replicaTimeoutMs: 150, unreachedAfterMs: 150, timeoutMs: 10 });
    const started = Date.now();
    let allDone = false;
    void r.all.then(() => (allDone = true));
    const o = await r.quorum.catch((x: QuorumOutcome) => x);
    expect({ expired: o.expired, answered: o.answered, unreached: [...r.unreached], allDone }).toEqual({ expired: true, answered: 1, unreached: [], allDone: false });
    const all = await r.all;
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect({ answered: all.answered, unreached: r.unreached.sort() }).toEqual({ answered: 2, unreached: ['c', 'd'] });
    // Without a floor (or with one no later than the deadline) everything silent at the deadline is reported then.
    const plain = run({ b: 40, c: 'silent' }, { required: 3, fallbacks: [], replicaTimeoutMs: 150, timeoutMs: 10 });
    await plain.quorum.catch(() => undefined);
    expect(plain.unreached.sort()).toEqual(['b', 'c']);
  });

  it('skips primaries known to be down without asking them', async () => {
    const { quorum, sent } = run({}, { isAvailable: (id) => id !== 'c' });
    await quorum;
    expect(sent).toEqual(['b', 'd->c']);
  });
});

describe('quorumRequest with the local write still in progress', () => {
  it('counts the local replica when its durable write completes', async () => {
    let finishLocal!: () => void;
    const local = new Promise<{ ok: boolean; error: string; latencyUs: number }>((r) => (finishLocal = () => r({ ok: true, error: '', latencyUs: 5 })));
    const { quorum } = run({ b: 'fail', c: 'silent' }, { local, fallbacks: [] });
    let settled = false;
    void quorum.then(() => (settled = true), () => (settled = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    finishLocal();
    await expect(quorum).rejects.toMatchObject({ answered: 1, required: 2 });
  });

  it('reaches W from replicas alone when the local commit fails', async () => {
    const local = Promise.resolve({ ok: false, error: 'storage full', latencyUs: 0 });
    const o = await run({}, { local }).all;
    expect(o.answered).toBe(2);
    expect(o.replicas.find((x) => x.nodeId === 'a')).toMatchObject({ ok: false, error: 'storage full' });
  });
});

describe('quorumRequest with spares (reads that ask only R replicas)', () => {
  const read = { primaries: ['b'], spares: ['c'], fallbacks: [], speculateAfterMs: 30, replicaTimeoutMs: 400 };

  it('asks only the chosen primaries when they answer', async () => {
    const { quorum, all, sent } = run({}, read);
    const o = await quorum;
    expect(o.answered).toBe(2);
    expect((await all).asked).toBe(2);
    expect(sent).toEqual(['b']);
  });

  it('asks a spare, as itself and not as a stand-in, when a chosen primary fails', async () => {
    const { quorum, sent } = run({ b: 'fail' }, read);
    const o = await quorum;
    expect(o.answered).toBe(2);
    expect(sent).toEqual(['b', 'c']);
    expect(o.replicas.find((x) => x.nodeId === 'c')).toMatchObject({ ok: true, fallback: false, standingInFor: '' });
  });

  it('asks the spares once the quorum is still short after speculateAfterMs, long before the replica timeout', async () => {
    const started = Date.now();
    const { quorum, sent } = run({ b: 'silent' }, read);
    const o = await quorum;
    expect(o.answered).toBe(2);
    expect(sent).toEqual(['b', 'c']);
    expect(Date.now() - started).toBeLessThan(read.replicaTimeoutMs);
  });

  it('does not speculate when the quorum came in time', async () => {
    const { quorum, sent } = run({ c: 'fail' }, read);
    await quorum;
    await new Promise((r) => setTimeout(r, 60));
    expect(sent).toEqual(['b']);
  });
});
