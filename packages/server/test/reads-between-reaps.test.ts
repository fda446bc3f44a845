// Each replica reaps its copy of a dead record on its own tick. A read of the key in between used
// to write the dead record back where it had just been reaped: the record was re-created (to be
// reaped again), and that replica distrusted its own epochs the record named (a copy into an empty
// slot), so every hot key it coordinated took a new actor at its next write. A hot key's clock
// must not grow because other keys were deleted and read.
import type { NodeHandle } from '@quorumkv/harness';
import { enc, eventually, localRecord, sleep, useCluster } from './support.js';

describe('reads of a deleted key while its replicas reap it', () => {
  const { clients, nodes } = useCluster({ nodes: 3, n: 3, r: 2, w: 2, hostBase: 242, extraArgs: ['--tombstone-grace-ms', '300', '--read-repair-chance', '1'] });

  it('neither re-create the reaped record nor add actors to other keys', async () => {
    const [a, b] = nodes() as [NodeHandle, NodeHandle, NodeHandle];
    let context: Uint8Array | undefined;
    const deleted: string[] = [];
    for (let i = 0; i < 4; i++) {
      const key = `deleted-${i}`;
      deleted.push(key);
      const put = await clients.of(a).kv.put({ key: enc(key), value: enc('x'), w: 3 });
      await clients.of(a).kv.delete({ key: enc(key), context: put.context, w: 3 });
      for (const until = Date.now() + 1_500; Date.now() < until; ) {
        for (const node of [a, b]) expect((await clients.of(node).kv.get({ key: enc(key), r: 2 })).found).toBe(false);
        await sleep(10);
      }
      context = (await clients.of(a).kv.put({ key: enc('hot'), value: enc(`v${i}`), context, w: 2 })).context;
    }
    const clock = (await localRecord(clients, a, 'hot'))!.clock;
    expect([...clock.matchAll(/([^{}\s,]+):\d+/g)].map((m) => m[1]!)).toHaveLength(1);
    expect(await eventually(async () => {
      for (const node of nodes()) for (const key of deleted) if ((await localRecord(clients, node, key)) !== undefined) return false;
      return true;
    })).toBe(true);
  });
});
