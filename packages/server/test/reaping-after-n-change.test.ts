// A bucket's n can be changed. After lowering it, a node that stopped being a primary of a key
// still holds its copy: a delete then reaches only the new primaries, and if they reaped the
// tombstone looking only at each other, raising n again would bring the deleted value back from
// that node. The reaper must consult every node that can hold a copy of the key.
import type { NodeHandle } from '@quorumkv/harness';
import { enc, eventually, localRecord, nodesForKey, readValues, sleep, useCluster } from './support.js';

describe('reaping after a bucket’s n was lowered', () => {
  const { clients, nodes } = useCluster({ nodes: 3, n: 3, r: 2, w: 2, hostBase: 238, extraArgs: ['--tombstone-grace-ms', '300'] });

  it('does not let a deleted value come back from a former primary', async () => {
    const admin = clients.of(nodes()[0]!).admin;
    const setN = async (n: number): Promise<void> => {
      const version = (await admin.createBucket({ props: { name: 'nb', n, r: 1, w: 1 } })).props!.version;
      // Every node has the new properties before the next step.
      for (const node of nodes()) expect(await eventually(async () => (await clients.of(node).admin.getBucket({ name: 'nb' })).props?.version === version)).toBe(true);
    };
    await setN(3);
    const key = 'k';
    const [a, b, c] = (await nodesForKey(clients, nodes(), key, 3, 'nb')) as [NodeHandle, NodeHandle, NodeHandle];
    const put = await clients.of(a).kv.put({ bucket: 'nb', key: enc(key), value: enc('old'), w: 3 });
    await setN(2);
    await clients.of(a).kv.delete({ bucket: 'nb', key: enc(key), context: put.context, w: 2 });
    // The new primaries reap the tombstone; n goes back up; the value stays deleted.
    const gone = async (...holders: NodeHandle[]): Promise<boolean> => {
      for (const node of holders) if ((await localRecord(clients, node, key, 'nb')) !== undefined) return false;
      return true;
    };
    expect(await eventually(() => gone(a, b), 10_000)).toBe(true);
    await setN(3);
    await sleep(300);
    expect(await readValues(clients, a, key, 3, 'nb')).toEqual([]);
    // The former primary was given the tombstone, and reaped it too.
    expect(await eventually(() => gone(a, b, c), 10_000)).toBe(true);
  });
});
