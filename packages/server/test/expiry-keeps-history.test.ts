// Issue #13, sequence 4: expiry must not forget causal history. v1 (no TTL) is overwritten by v2
// with a 2 s TTL while c is down (a keeps c's hint); a goes down; c returns with v1. Once v2 has
// expired, v1 is still overwritten: it must not come back, neither from c nor through the hint.
import type { NodeHandle } from '@quorumkv/harness';
import { dec, enc, eventually, readValues, sleep, waitAllUp, waitSeenUp, useCluster } from './support.js';

describe('an expired overwrite keeps its history', () => {
  const { clients, nodes } = useCluster({ nodes: 3, n: 3, r: 2, w: 2, hostBase: 218, extraArgs: ['--tombstone-grace-ms', '1500', '--hint-delivery-interval-ms', '300'] });

  it('does not resurrect the overwritten value after the overwrite expires', async () => {
    const [a, b, c] = nodes() as [NodeHandle, NodeHandle, NodeHandle];
    const key = 'expiry-history';
    const v1 = await clients.of(a).kv.put({ key: enc(key), value: enc('v1'), w: 3 });
    await c.kill('SIGKILL');
    clients.reset(c);
    const v2 = await clients.of(a).kv.put({ key: enc(key), value: enc('v2'), context: v1.context, ttlMs: 2_000n, w: 2 });
    const v2At = Date.now();
    expect(v2.receipt!.answered).toBe(2);
    expect((await clients.of(a).admin.status({})).hintsPending).toBeGreaterThan(0n);
    await a.kill('SIGKILL');
    clients.reset(a);
    c.start();
    await c.waitReady();
    await waitSeenUp(clients, [b, c], [b.id, c.id]);
    await sleep(Math.max(0, v2At + 2_500 - Date.now()));

    // The expired record stays (with its clock) but is not listed.
    expect((await clients.of(b).kv.listKeys({})).keys.map(dec)).not.toContain(key);
    // b and c answer: b's copy of v2 has expired, c still holds v1.
    expect(await readValues(clients, b, key, 2)).toEqual([]);
    await sleep(500);
    expect(await readValues(clients, c, key, 2)).toEqual([]);

    a.start();
    await a.waitReady();
    await waitAllUp(clients, nodes());
    expect(await eventually(async () => (await clients.of(a).admin.status({})).hintsPending === 0n, 15_000)).toBe(true);
    await sleep(500);
    for (const node of nodes()) expect(await readValues(clients, node, key, 3)).toEqual([]);
  });
});
