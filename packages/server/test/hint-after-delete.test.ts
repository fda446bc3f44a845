// Issue #13, sequence 3: a hint held by a fallback that is down must not bring a deleted key back.
// 4 nodes, n=3: b is down while v1 is written (fallback d keeps b's hint); d goes down; b returns;
// the key is deleted with the read's context on a, b and c; after the grace d returns and delivers
// its hint. The key must stay deleted, and the tombstone is reaped once nothing can revive it.
import type { NodeHandle } from '@quorumkv/harness';
import { dec, enc, eventually, localRecord, nodesForKey, readValues, sleep, waitAllUp, waitSeenUp, useCluster } from './support.js';

describe('a fallback’s hint after a delete', () => {
  const { clients, nodes } = useCluster({ nodes: 4, n: 3, r: 2, w: 2, hostBase: 214, extraArgs: ['--tombstone-grace-ms', '1500', '--hint-delivery-interval-ms', '300'] });

  it('keeps the key deleted when the hint arrives after the grace, then reaps it everywhere', async () => {
    const key = 'hinted-then-deleted';
    const [a, b, c, d] = (await nodesForKey(clients, nodes(), key, 3)) as [NodeHandle, NodeHandle, NodeHandle, NodeHandle];

    await b.kill('SIGKILL');
    clients.reset(b);
    const put = await clients.of(a).kv.put({ key: enc(key), value: enc('v1'), w: 3 });
    expect(put.receipt!.replicas.some((r) => r.ok && r.nodeId === d.id && r.standingInFor === b.id)).toBe(true);
    await d.kill('SIGKILL');
    clients.reset(d);
    b.start();
    await b.waitReady();
    await waitSeenUp(clients, [a, b, c], [a.id, b.id, c.id]);

    const read = await clients.of(a).kv.get({ key: enc(key), r: 2 });
    expect(read.found).toBe(true);
    const del = await clients.of(a).kv.delete({ key: enc(key), context: read.context, w: 3 });
    expect(del.receipt!.replicas.filter((r) => r.ok && !r.fallback).map((r) => r.nodeId).sort()).toEqual([a.id, b.id, c.id].sort());
    // The tombstone stays until reaped, but a listing does not show the deleted key.
    expect((await clients.of(a).kv.listKeys({})).keys.map(dec)).not.toContain(key);
    // Past the grace (the old reaper removed the tombstone everywhere here).
    await sleep(4_000);

    d.start();
    await d.waitReady();
    await waitAllUp(clients, nodes());
    expect(await eventually(async () => (await clients.of(d).admin.status({})).hintsPending === 0n, 15_000)).toBe(true);
    await sleep(500);
    for (const node of [a, b, c]) expect(await readValues(clients, node, key, 3)).toEqual([]);
    // Nothing can bring v1 back any more: the tombstone is reaped on every replica.
    for (const node of [a, b, c]) expect(await eventually(async () => (await localRecord(clients, node, key)) === undefined, 15_000)).toBe(true);
    expect(await readValues(clients, a, key, 3)).toEqual([]);
  });
});
