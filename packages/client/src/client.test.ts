// The client's retry and failover decisions against a scripted in-memory transport (the real
// cluster tests live in test/). Each fake node answers by a script: a message or a thrown error.
import { Code, ConnectError } from '@connectrpc/connect';
import { ErrorDetailSchema, ErrorReason, QuorumFailureSchema } from '@quorumkv/protocol';
import { createClient } from './client.js';
import { QuorumNotMetError, TimeoutError, UnavailableError } from './errors.js';
import { fakeCluster, ok, sysErr } from './test-support/fake-cluster.js';
import type { TransportFactory } from './transport.js';

function client(factory: TransportFactory, nodes = ['a:1', 'b:1']) {
  // A frozen clock: every node costs the same, so ties go to the earliest, deterministically.
  return createClient({ nodes, transport: factory, routing: false, random: () => 0, timeoutMs: 1000, now: () => 0 });
}

describe('retries and failover', () => {
  it('retries a read on another node after a connection reset', async () => {
    const { factory, calls } = fakeCluster({ 'a:1': async () => Promise.reject(sysErr('ECONNRESET')), 'b:1': ok });
    const c = client(factory);
    expect((await c.get('k')).receipt.node).toBe('b:1');
    expect(calls).toEqual(['a:1 Get', 'b:1 Get']);
    // a is now avoided.
    await c.get('k');
    expect(calls.at(-1)).toBe('b:1 Get');
    expect(c.nodeStatus().find((s) => s.node === 'a:1')?.up).toBe(false);
  });

  it('does not retry a blind put that may have reached the node', async () => {
    const { factory, calls } = fakeCluster({ 'a:1': async () => Promise.reject(sysErr('ECONNRESET')), 'b:1': ok });
    await expect(client(factory).put('k', 'v')).rejects.toBeInstanceOf(UnavailableError);
    expect(calls).toEqual(['a:1 Put']);
  });

  it('retries a put that never connected, but not one with a context that may have been applied', async () => {
    const refused = fakeCluster({ 'a:1': async () => Promise.reject(sysErr('ECONNREFUSED')), 'b:1': ok });
    await client(refused.factory).put('k', 'v');
    expect(refused.calls).toEqual(['a:1 Put', 'b:1 Put']);

    // Sent twice, a write with a context would mint two dots: a duplicate sibling.
    const reset = fakeCluster({ 'a:1': async () => Promise.reject(sysErr('ECONNRESET')), 'b:1': ok });
    await expect(client(reset.factory).put('k', 'v', { context: new Uint8Array([9]) })).rejects.toBeInstanceOf(UnavailableError);
    expect(reset.calls).toEqual(['a:1 Put']);
  });

  it('retries a load-shed blind put, and surfaces a failed quorum on a blind put at once', async () => {
    let shed = 1;
    const busy = (): Promise<never> => Promise.reject(new ConnectError('busy', Code.ResourceExhausted));
    const { factory, calls } = fakeCluster({ 'a:1': async (m) => (shed-- > 0 ? busy() : ok(m, {}, undefined, undefined)), 'b:1': busy });
    await client(factory).put('k', 'v');
    expect(calls).toEqual(['a:1 Put', 'b:1 Put', 'a:1 Put']);

    const quorum = fakeCluster({
      'q:1': async () =>
        Promise.reject(
          new ConnectError('quorum', Code.Unavailable, undefined, [
            { desc: ErrorDetailSchema, value: { reason: ErrorReason.QUORUM_NOT_MET } },
            { desc: QuorumFailureSchema, value: { operation: 'put', asked: 3, answered: 1, required: 2 } },
          ]),
        ),
    });
    const err = await client(quorum.factory, ['q:1']).put('k', 'v').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QuorumNotMetError);
    expect(err).toMatchObject({ asked: 3, answered: 1, required: 2 });
    expect(quorum.calls).toHaveLength(1);
  });

  it('gives up after maxAttempts and at the deadline', async () => {
    const down = fakeCluster({ 'a:1': async () => Promise.reject(sysErr('ECONNREFUSED')) });
    const c = createClient({ nodes: ['a:1'], transport: down.factory, routing: false, retry: { maxAttempts: 3, baseDelayMs: 1 } });
    await expect(c.get('k')).rejects.toBeInstanceOf(UnavailableError);
    expect(down.calls).toHaveLength(3);

    const slow = fakeCluster({
      'a:1': (_m, _i, signal) => new Promise((_r, fail) => signal?.addEventListener('abort', () => fail(new ConnectError('deadline', Code.DeadlineExceeded)))),
    });
    const s = createClient({ nodes: ['a:1'], transport: slow.factory, routing: false, timeoutMs: 50 });
    const started = Date.now();
    const pending = s.get('k', { signal: AbortSignal.timeout(50) });
    await expect(pending).rejects.toBeDefined();
    expect(Date.now() - started).toBeLessThan(1000);
    s.close();
  });

  it('passes the attempt deadline to the server, a little shortened, and leaves r/w unset unless given', async () => {
    const seen: Record<string, unknown>[] = [];
    const { factory } = fakeCluster({ 'a:1': async (m, input) => (seen.push(input), ok(m, input, undefined, undefined)) });
    const c = createClient({ nodes: ['a:1'], transport: factory, routing: false, timeoutMs: 3000 });
    await c.get('k');
    await c.put('k', 'v', { w: 2, ttlMs: 1500 });
    expect(seen[0]!['r']).toBeUndefined();
    // A read's first attempt gets half the deadline (it may fail over); a write gets all of it.
    expect(seen[0]!['timeoutMs']).toBeGreaterThan(1350);
    expect(seen[0]!['timeoutMs']).toBeLessThanOrEqual(1400);
    expect(seen[1]!['timeoutMs']).toBeGreaterThan(2850);
    expect(seen[1]!['timeoutMs']).toBeLessThanOrEqual(2900);
    expect(seen[1]).toMatchObject({ w: 2, ttlMs: 1500n });
  });
});

it('fails a read over to another node when a node does not answer in time, and marks it down; a write stays failed', async () => {
  const { factory, calls } = fakeCluster({ 'a:1': async () => Promise.reject(new ConnectError('late', Code.DeadlineExceeded)), 'b:1': ok });
  const c = client(factory);
  expect((await c.get('k')).receipt.node).toBe('b:1');
  expect(calls).toEqual(['a:1 Get', 'b:1 Get']);
  expect(c.nodeStatus().find((s) => s.node === 'a:1')?.up).toBe(false);
  c.close();

  const w = fakeCluster({ 'a:1': async () => Promise.reject(new ConnectError('late', Code.DeadlineExceeded)), 'b:1': ok });
  await expect(client(w.factory).put('k', 'v')).rejects.toBeInstanceOf(TimeoutError);
  expect(w.calls).toEqual(['a:1 Put']);
});
