// A record lost on a node (here: corrupt on disk) can be rebuilt there from several stale copies
// (hints, read repair) before the node coordinates the key again. The first copy may name none of
// the node's epochs and a later one an epoch it still trusts, but with an older counter than the
// node minted: the next write must not mint under that epoch again (its next dot exists elsewhere).
// 4 nodes, n=3, primaries a, b, c, fallback d holding two hints for a.
import type { NodeHandle } from '@quorumkv/harness';
import { corruptOnDisk, enc, eventually, localRecord, nodesForKey, readValues, waitSeenUp, useCluster } from './support.js';

describe('a lost record rebuilt from stale copies', () => {
  const { clients, nodes } = useCluster({ nodes: 4, n: 3, r: 2, w: 2, hostBase: 234, extraArgs: ['--read-repair-chance', '0', '--hint-delivery-interval-ms', '200'] });

  it('does not reuse a dot of the epoch a stale copy brings back', async () => {
    const key = 'rebuilt-from-copies';
    const [a, b, c, d] = (await nodesForKey(clients, nodes(), key, 3)) as [NodeHandle, NodeHandle, NodeHandle, NodeHandle];
    const start = async (n: NodeHandle): Promise<void> => {
      n.start();
      await n.waitReady();
    };
    const down = async (n: NodeHandle, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> => {
      await (signal === 'SIGTERM' ? n.stop() : n.kill('SIGKILL'));
      clients.reset(n);
    };
    const hintedFor = (receipt: { replicas: { nodeId: string; ok: boolean; standingInFor: string }[] }): boolean =>
      receipt.replicas.some((r) => r.ok && r.nodeId === d.id && r.standingInFor === a.id);

    // d keeps hint 1 for a: a record naming none of a's epochs.
    await down(a, 'SIGTERM');
    expect(hintedFor((await clients.of(b).kv.put({ key: enc(key), value: enc('v0'), w: 3 })).receipt!)).toBe(true);
    await down(d, 'SIGKILL');
    // a writes the key under a fresh epoch E (dot E:1).
    await start(a);
    await waitSeenUp(clients, [a, b, c], [a.id, b.id, c.id]);
    await clients.of(a).kv.put({ key: enc(key), value: enc('v1'), w: 3 });
    // d keeps hint 2 for a: E:1 and b's next write.
    await down(a, 'SIGTERM');
    await start(d);
    await waitSeenUp(clients, [b, c, d], [b.id, c.id, d.id]);
    const seen = await clients.of(b).kv.get({ key: enc(key), r: 2 });
    expect(hintedFor((await clients.of(b).kv.put({ key: enc(key), value: enc('v1.5'), context: seen.context, w: 3 })).receipt!)).toBe(true);
    await down(d, 'SIGKILL');
    // a mints E:2 for V2, stored on a, b and c.
    await start(a);
    await waitSeenUp(clients, [a, b, c], [a.id, b.id, c.id]);
    const before = await clients.of(a).kv.get({ key: enc(key), r: 3 });
    await clients.of(a).kv.put({ key: enc(key), value: enc('V2-MARKER'), context: before.context, w: 3 });
    // a's copy is damaged on disk (clean stop, so E stays trusted); d then delivers both hints.
    await down(a, 'SIGTERM');
    expect(corruptOnDisk(a.dataDir!, 'V2-MARKER')).toBeGreaterThan(0);
    await start(a);
    await start(d);
    expect(await eventually(async () => (await clients.of(d).admin.status({})).hintsPending === 0n)).toBe(true);
    expect((await localRecord(clients, a, key))?.values).toEqual(['v1.5']);

    // A blind write through a, acknowledged by all three: it and V2 must both survive everywhere.
    await waitSeenUp(clients, [a, b, c], [a.id, b.id, c.id]);
    await clients.of(a).kv.put({ key: enc(key), value: enc('vNEW'), w: 3 });
    for (const node of [a, b, c]) expect(await readValues(clients, node, key, 3)).toEqual(['V2-MARKER', 'vNEW']);
  });
});
