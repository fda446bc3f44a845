// Issue #13, sequence 2: read repair merges with what is stored when it writes, never over it. a's
// record is corrupted on disk; after a restarts, a read (whose repair rewrites a's copy) and a put
// (acknowledged by a) race. The put's value must stay on a, and a later blind put must not reuse a
// dot: every replica ends up with the same siblings.
import type { NodeHandle } from '@quorumkv/harness';
import { corruptOnDisk, enc, eventually, localRecord, readValues, sleep, waitAllUp, useCluster } from './support.js';

describe('read repair racing a put on a corrupt replica', () => {
  const { clients, nodes } = useCluster({ nodes: 3, n: 3, r: 2, w: 2, hostBase: 209 });

  it('keeps the acknowledged put on the repaired replica and never gives one dot two values', async () => {
    const [a] = nodes() as [NodeHandle, NodeHandle, NodeHandle];
    const key = 'repair-race';
    const old = await clients.of(a).kv.put({ key: enc(key), value: enc('OLD-VALUE-MARKER'), w: 3 });
    await a.kill('SIGKILL');
    clients.reset(a);
    expect(corruptOnDisk(a.dataDir!, 'OLD-VALUE-MARKER')).toBeGreaterThan(0);
    a.start();
    await a.waitReady();
    await waitAllUp(clients, nodes());

    // Same tick: the read finds a's copy corrupt and repairs it once b and c answered; the put
    // lands on a in between.
    const [, put] = await Promise.all([
      clients.of(a).kv.get({ key: enc(key), r: 2 }),
      clients.of(a).kv.put({ key: enc(key), value: enc('NEWVALUE'), context: old.context, w: 2 }),
    ]);
    expect(put.receipt!.replicas.find((r) => r.nodeId === a.id)?.ok).toBe(true);
    await sleep(500);
    expect((await localRecord(clients, a, key))?.values).toEqual(['NEWVALUE']);

    await clients.of(a).kv.put({ key: enc(key), value: enc('THIRD'), w: 3 });
    expect(await readValues(clients, a, key, 3)).toEqual(['NEWVALUE', 'THIRD']);
    // Every copy converges to the same record.
    const same = await eventually(async () => {
      const records = await Promise.all(nodes().map((n) => localRecord(clients, n, key)));
      return records.every((r) => r !== undefined && Buffer.from(r.record).equals(Buffer.from(records[0]!.record)));
    }, 5_000);
    expect(same).toBe(true);
    expect((await localRecord(clients, a, key))?.values).toEqual(['NEWVALUE', 'THIRD']);
  });
});
