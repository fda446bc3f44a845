// 3 nodes, n=3 r=2, readRepairChance 0: a Get asks only the replicas R needs (the coordinator's own
// copy and one other), and asks the third when that one stays silent (speculative retry), well
// before the replica timeout. A Get with R = N still asks everyone.
import { startCluster, type Cluster, type NodeHandle } from '@quorumkv/harness';
import { Clients, dec, enc, fetchRing, primariesOf } from './support.js';

describe('reads ask R replicas, not N', () => {
  let cluster: Cluster;
  const clients = new Clients();
  let stopped: NodeHandle | undefined;

  beforeAll(async () => {
    // Replica timeout (5 s) above the request deadline (3 s): a read that waited for a silent
    // replica instead of speculating would miss its deadline. Speculation after 400 ms, not the
    // default 50: on a loaded machine a live replica can take longer than 50 ms, and the first
    // test counts the replicas asked.
    cluster = await startCluster({
      nodes: 3,
      n: 3,
      r: 2,
      w: 2,
      hostBase: 91,
      extraArgs: ['--read-repair-chance', '0', '--speculative-retry-ms', '400', '--replica-timeout-ms', '5000', '--request-timeout-ms', '3000'],
    });
  });
  afterAll(async () => {
    if (stopped) await stopped.kill('SIGCONT');
    clients.close();
    await cluster?.stop();
  });

  it('asks the coordinator and one other replica, and the third only with R = N', async () => {
    const [a] = cluster.nodes as [NodeHandle];
    await clients.of(a).kv.put({ key: enc('fan'), value: enc('v') });
    for (let i = 0; i < 5; i++) {
      const got = await clients.of(a).kv.get({ key: enc('fan') });
      expect(got.siblings.map((s) => dec(s.value))).toEqual(['v']);
      expect(got.receipt).toMatchObject({ asked: 2, answered: 2, required: 2 });
      expect(got.receipt!.replicas.map((x) => x.nodeId)).toContain(a.id);
    }
    const all = await clients.of(a).kv.get({ key: enc('fan'), r: 3 });
    expect(all.receipt).toMatchObject({ asked: 3, answered: 3 });
  });

  it('asks the third replica when the one it chose is stopped, long before the replica timeout', async () => {
    const [a, , c] = cluster.nodes as [NodeHandle, NodeHandle, NodeHandle];
    const ring = await fetchRing(clients, a);
    // Keys whose first replica after the coordinator is c: a asks c first.
    const keys: string[] = [];
    for (let i = 0; keys.length < 3; i++) {
      const order = primariesOf(ring, `spec-${i}`, 3).filter((id) => id !== a.id);
      if (order[0] === c.id) keys.push(`spec-${i}`);
    }
    for (const k of keys) await clients.of(a).kv.put({ key: enc(k), value: enc(k) });
    await c.kill('SIGSTOP');
    stopped = c;
    // Right after the stop, gossip cannot know yet: the read asks c, hears nothing, and asks b.
    const first = await clients.of(a).kv.get({ key: enc(keys[0]!) });
    expect(first.siblings.map((s) => dec(s.value))).toEqual([keys[0]]);
    expect(first.receipt).toMatchObject({ asked: 3, answered: 2 });
    expect(first.receipt!.replicas.find((x) => x.nodeId === c.id)).toMatchObject({ ok: false, fallback: false });
    // Later reads succeed too, whether gossip has marked c down by then or not.
    for (const k of keys.slice(1)) expect((await clients.of(a).kv.get({ key: enc(k) })).siblings.map((s) => dec(s.value))).toEqual([k]);
    await c.kill('SIGCONT');
    stopped = undefined;
  });
});
