// A cluster smaller than its buckets' n that grows: two nodes with n = 3 keep two copies of each
// key (n is clamped to the cluster size), and a third node joins while a client writes. Once the
// change finished, n is 3 again: every key written before and during the change must be on all
// three owners, not only on the two the two-node ring had (a read at r = 2 from the other two
// would miss an acknowledged write). Checked by local reads on each node.
import type { NodeHandle } from '@quorumkv/harness';
import { enc, eventually, localValues, settled, sleep, startSeeded, useCluster, waitAllUp } from './support.js';

const HOST_BASE = 10;
const Q = 16;
const FLAGS = ['--partitions', String(Q), '--n', '3', '--r', '2', '--w', '2', '--log-level', 'warn', '--gossip-interval-ms', '200', '--replica-timeout-ms', '3000'];
const BEFORE = 200;

describe('a cluster smaller than n that grows', () => {
  const { clients, nodes } = useCluster({ nodes: 2, hostBase: HOST_BASE, partitions: Q, n: 3, r: 2, w: 2, extraArgs: FLAGS.slice(8) });
  let third: NodeHandle | undefined;
  afterAll(async () => {
    await third?.stop();
  });

  it('every acknowledged write ends on all n owners of the grown ring', async () => {
    const [n1, n2] = nodes() as [NodeHandle, NodeHandle];
    await waitAllUp(clients, nodes());
    const acked: string[] = [];
    const put = async (key: string, via: NodeHandle): Promise<void> => {
      await clients.of(via).kv.put({ key: enc(key), value: enc(`v-${key}`), timeoutMs: 5000 });
      acked.push(key);
    };
    for (let i = 0; i < BEFORE; i += 20) await Promise.all(Array.from({ length: 20 }, (_, j) => put(`before-${i + j}`, [n1, n2][j % 2]!)));
    expect(acked.length).toBe(BEFORE);

    const n3 = (third = await startSeeded({ id: 'n3', hostBase: HOST_BASE, index: 2, seed: n1, near: n1, args: FLAGS }));
    let running = true;
    let during = 0;
    const writer = (async () => {
      for (let i = 0; running && i < 20_000; i++) {
        const via = [n1, n2][i % 2]!;
        // A write refused while the ring changes is not acknowledged: nothing to check for it.
        await put(`during-${i}`, via).then(
          () => void during++,
          () => sleep(20),
        );
      }
    })();
    const admin = clients.of(n1).admin;
    expect(await eventually(async () => (await admin.join({ nodeId: 'n3' }).catch(() => undefined)) !== undefined, 30_000)).toBe(true);
    const { fromVersion } = await admin.plan({});
    await admin.commit({ fromVersion });
    await settled(clients, [n1, n2, n3], (r) => r.transition === undefined && r.nodes.length === 3, 60_000);
    running = false;
    await writer;
    expect(during).toBeGreaterThan(0);

    const all = [n1, n2, n3];
    const missing = async (): Promise<string[]> => {
      const out: string[] = [];
      for (const key of acked) {
        for (const node of all) {
          const values = await localValues(clients, node, key).catch(() => undefined);
          if (!values?.includes(`v-${key}`)) out.push(`${key}@${node.id}`);
        }
      }
      return out;
    };
    // Copies of the last writes (acknowledged at w = 2 of 3) may still be on their way.
    let last: string[] = [];
    await eventually(async () => (last = await missing()).length === 0, 10_000, 500);
    expect({ acked: acked.length, missing: last.length, first: last.slice(0, 10) }).toEqual({ acked: acked.length, missing: 0, first: [] });
  }, 150_000);
});
