// Issue #13, "actor growth": a key written through one node keeps one actor for that node across
// clean restarts; an unclean stop (kill -9) adds exactly one.
import type { NodeHandle } from '@quorumkv/harness';
import { enc, localRecord, useCluster } from './support.js';

describe('actors of a hot key across restarts', () => {
  const { clients, nodes } = useCluster({ nodes: 1, n: 1, r: 1, w: 1, hostBase: 226 });

  const actorsOf = async (node: NodeHandle, key: string): Promise<string[]> => {
    const clock = (await localRecord(clients, node, key))!.clock;
    return [...clock.matchAll(/([^{}\s,]+):\d+/g)].map((m) => m[1]!);
  };

  it('keeps one actor across clean restarts and adds one after kill -9', async () => {
    const [a] = nodes() as [NodeHandle];
    const key = 'hot';
    let context = (await clients.of(a).kv.put({ key: enc(key), value: enc('v0') })).context;
    for (let i = 1; i <= 3; i++) {
      await a.stop();
      clients.reset(a);
      a.start();
      await a.waitReady();
      context = (await clients.of(a).kv.put({ key: enc(key), value: enc(`v${i}`), context })).context;
    }
    const clean = await actorsOf(a, key);
    expect(clean).toHaveLength(1);

    await a.kill('SIGKILL');
    clients.reset(a);
    a.start();
    await a.waitReady();
    await clients.of(a).kv.put({ key: enc(key), value: enc('after-crash'), context });
    const after = await actorsOf(a, key);
    expect(after).toHaveLength(2);
    expect(after).toContain(clean[0]);
    expect((await localRecord(clients, a, key))!.values).toEqual(['after-crash']);
  });
});
