// Adversarial: the first node of a `cluster create` refuses client writes from its emptiness check
// until the grown ring's change begins (cluster-forming). An AdoptCluster proposal of another
// cluster that reaches it meanwhile, and that it refuses only after closing writes for it (its
// second fitness check: by then the nodes it proposed to have taken its cluster, so it has peers),
// reopens writes with `reopenWrites`, which is also the end of the forming refusal. Writes it then
// acknowledges on its one-node ring (n = 1) keep one copy: the grown ring's other replicas never
// receive them (a transition copies data only for the replica count of the ring it starts from).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeHandle } from '@quorumkv/harness';
import { Clients, enc, eventually, localValues, settled, sleep, startLone } from './support.js';

const HOST = '127.0.0.251';
const FLAGS = ['--partitions', '16', '--n', '3', '--log-level', 'warn', '--gossip-interval-ms', '200'];

describe('a foreign proposal refused while a create forms its cluster', () => {
  const clients = new Clients();
  const started: NodeHandle[] = [];
  afterAll(async () => {
    clients.close();
    for (const h of started) {
      h.resume();
      await h.stop().catch(() => undefined);
    }
  });

  it('leaves the first node refusing writes until the grown ring is in force', async () => {
    const root = mkdtempSync(join(tmpdir(), 'qkv-forming-reopen-'));
    for (const id of ['c1', 'c2', 'c3', 'y']) started.push(await startLone({ id, host: HOST, root, args: FLAGS }));
    const [first, c2, c3, y] = started as [NodeHandle, NodeHandle, NodeHandle, NodeHandle];
    const yCluster = (await clients.of(y).admin.status({})).clusterId;
    // y answers its cluster only once it runs again: the proposal waits in `discover` meanwhile.
    y.pause();
    const adopt = clients
      .of(first)
      .admin.adoptCluster({ seed: y.address, clusterId: yCluster, partitions: 16, n: 3 })
      .then(
        () => 'adopted',
        (err: unknown) => `refused: ${String(err)}`,
      );
    await sleep(200);
    const created = await clients.of(first).admin.createCluster({ addresses: [c2.address, c3.address] });
    expect(created.nodes.map((n) => n.nodeId).sort()).toEqual(['c2', 'c3']);
    y.resume();
    expect(await adopt).toMatch(/refused: .*has peers/);

    // The grown ring is not committed yet: the first node's ring is still one node's.
    const put = (key: string): Promise<string> =>
      clients
        .of(first)
        .kv.put({ key: enc(key), value: enc('x'), timeoutMs: 2000 })
        .then(
          () => 'acknowledged',
          (err: unknown) => String(err),
        );
    const early = await put('before-commit');
    const admin = clients.of(first).admin;
    const commit = async (): Promise<boolean> => {
      try {
        await admin.commit({ fromVersion: (await admin.plan({})).fromVersion });
        return true;
      } catch {
        return false;
      }
    };
    expect(await eventually(commit, 30_000, 250)).toBe(true);
    await settled(clients, [first, c2, c3], (r) => r.nodes.length === 3 && r.transition === undefined, 60_000);
    await sleep(1000);
    const holders = (await Promise.all([first, c2, c3].map(async (n) => ((await localValues(clients, n, 'before-commit')) !== undefined ? n.id : '')))).filter((id) => id !== '');
    // Acknowledged and on all three replicas, or refused and nowhere.
    expect({ early: early === 'acknowledged' ? early : 'refused', holders }).toEqual({ early: 'refused', holders: [] });
  }, 120_000);
});
