// A deleted key is reaped on one replica (a) while another (b, here with a longer grace) still
// holds the tombstone; a blind write through b then re-creates the key, and b's record (the
// tombstone a reaped, plus the new value) reaches a's empty slot. That copy knows exactly what a
// reaped of a's own epochs, so a has lost none of its history: it must not distrust its epochs,
// which would give every hot key it coordinates a new actor at each such write.
import type { NodeHandle } from '@quorumkv/harness';
import { enc, eventually, localRecord, useCluster } from './support.js';

describe('a key re-created through a replica that has not reaped it yet', () => {
  const { clients, nodes } = useCluster({
    nodes: 3, n: 3, r: 2, w: 2, hostBase: 246,
    extraArgs: ['--tombstone-grace-ms', '300', '--read-repair-chance', '0'],
    nodeArgs: { 1: ['--tombstone-grace-ms', '600000'] },
  });

  it('costs the other keys of the reaping node no actor', async () => {
    const [a, b] = nodes() as [NodeHandle, NodeHandle, NodeHandle];
    const actorsOf = async (key: string): Promise<string[]> => [...(await localRecord(clients, a, key))!.clock.matchAll(/([^{}\s,]+):\d+/g)].map((m) => m[1]!);
    let context = (await clients.of(a).kv.put({ key: enc('hot'), value: enc('v0'), w: 3 })).context;
    for (let i = 0; i < 2; i++) {
      const key = `queue-item-${i}`;
      const put = await clients.of(a).kv.put({ key: enc(key), value: enc('x'), w: 3 });
      await clients.of(a).kv.delete({ key: enc(key), context: put.context, w: 3 });
      expect(await eventually(async () => (await localRecord(clients, a, key)) === undefined)).toBe(true);
      expect((await localRecord(clients, b, key))?.values).toEqual(['<tombstone>']);
      await clients.of(b).kv.put({ key: enc(key), value: enc('again'), w: 3 });
      expect((await localRecord(clients, a, key))?.values).toContain('again');
      context = (await clients.of(a).kv.put({ key: enc('hot'), value: enc(`v${i + 1}`), context, w: 3 })).context;
    }
    expect(await actorsOf('hot')).toHaveLength(1);
  });
});
