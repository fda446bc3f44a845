// Issue #13, sequence 1 (Riak's kv679): a coordinator whose local record of a key is gone while
// another replica still knows its dots must not mint one of those dots again. 3 nodes, n=3, short
// grace: put, delete with the read's context (w=3), kill -9 c before the grace ends, wait past
// the grace, restart c, blind put via a: the acknowledged value must survive an r=3 read and its
// read repair. Also a node that lost its disk (a new incarnation) writing a key others know.
import { rmSync } from 'node:fs';
import type { NodeHandle } from '@quorumkv/harness';
import { enc, eventually, localRecord, readValues, sleep, waitAllUp, useCluster } from './support.js';

describe('a blind put after a reaped tombstone (kv679)', () => {
  const { clients, nodes } = useCluster({ nodes: 3, n: 3, r: 2, w: 2, hostBase: 201, extraArgs: ['--tombstone-grace-ms', '1500'] });

  it('keeps the acknowledged value when a replica still holds the old tombstone', async () => {
    const [a, , c] = nodes() as [NodeHandle, NodeHandle, NodeHandle];
    const key = 'kv679';
    await clients.of(a).kv.put({ key: enc(key), value: enc('v1'), w: 3 });
    const read = await clients.of(a).kv.get({ key: enc(key), r: 3 });
    await clients.of(a).kv.delete({ key: enc(key), context: read.context, w: 3 });
    await c.kill('SIGKILL');
    clients.reset(c);
    // Past the grace: the old reaper removed the tombstone on a and b here, while c kept it.
    await sleep(4_000);
    c.start();
    await c.waitReady();
    await waitAllUp(clients, nodes());

    const put = await clients.of(a).kv.put({ key: enc(key), value: enc('v3'), w: 2 });
    expect(put.receipt!.answered).toBeGreaterThanOrEqual(2);
    expect(await readValues(clients, a, key, 3)).toEqual(['v3']);
    // Read repair must not have erased it anywhere.
    await sleep(500);
    for (const node of nodes()) {
      expect(await eventually(async () => (await localRecord(clients, node, key))?.values.includes('v3') === true, 5_000)).toBe(true);
    }
    expect(await readValues(clients, c, key, 3)).toEqual(['v3']);
  });

  it('keeps both values when a node that lost its disk writes a key other replicas know', async () => {
    const [a] = nodes() as [NodeHandle, NodeHandle, NodeHandle];
    const key = 'lost-disk';
    await clients.of(a).kv.put({ key: enc(key), value: enc('before'), w: 3 });
    await a.kill('SIGKILL');
    clients.reset(a);
    rmSync(a.dataDir!, { recursive: true, force: true });
    a.start();
    await a.waitReady();
    await waitAllUp(clients, nodes());
    await clients.of(a).kv.put({ key: enc(key), value: enc('after'), w: 2 });
    expect(await readValues(clients, a, key, 3)).toEqual(['after', 'before']);
  });
});
