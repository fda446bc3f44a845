// The Node SDK's two paths against a real cluster: the coalescing Session stream (default) batches
// concurrent operations into few messages, and the unary path gives the same results.
import { createClient } from '@quorumkv/client/node';
import { startCluster, type Cluster } from '@quorumkv/harness';

async function counter(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
}

describe('stream and unary paths of the Node SDK', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ nodes: 3, n: 3, r: 2, w: 2, hostBase: 71 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('coalesces concurrent operations into few Session messages', async () => {
    // No hedged reads: the counts below must be exactly the operations issued (a burst of 400 gets
    // on a busy machine is slow enough for a few hedges).
    const kv = createClient({ nodes: cluster.nodes.map((n) => n.address), hedge: false });
    try {
      await kv.refreshRing();
      const ops = 400;
      await Promise.all(Array.from({ length: ops }, (_, i) => kv.putString(`s-${i}`, `v-${i}`)));
      const got = await Promise.all(Array.from({ length: ops }, (_, i) => kv.getString(`s-${i}`)));
      expect(got.every((g, i) => g.values[0] === `v-${i}`)).toBe(true);
      let messages = 0;
      let received = 0;
      for (const n of cluster.nodes) {
        messages += await counter(n.url, 'quorumkv_session_messages_total');
        received += await counter(n.url, 'quorumkv_session_ops_total');
      }
      expect(received).toBe(2 * ops);
      process.stdout.write(`${received} operations arrived in ${messages} Session messages (${(received / messages).toFixed(1)} per message)\n`);
      expect(received / messages).toBeGreaterThan(4);
      // Replica traffic between nodes is batched too.
      let replicaMessages = 0;
      let replicaItems = 0;
      for (const n of cluster.nodes) {
        replicaMessages += await counter(n.url, 'quorumkv_replica_messages_total');
        replicaItems += await counter(n.url, 'quorumkv_replica_items_total');
      }
      expect(replicaItems / replicaMessages).toBeGreaterThan(2);
      // Both hot streams ran on the raw HTTP/2 path (Connect protocol without connect-es).
      let sessionStreams = 0;
      let replicaStreams = 0;
      for (const n of cluster.nodes) {
        const text = await (await fetch(`${n.url}/metrics`)).text();
        sessionStreams += Number(/quorumkv_raw_streams_total\{path="\/quorumkv.v1.KvService\/Session"\} (\d+)/.exec(text)?.[1] ?? 0);
        replicaStreams += Number(/quorumkv_raw_streams_total\{path="\/quorumkv.v1.ReplicaService\/Replicate"\} (\d+)/.exec(text)?.[1] ?? 0);
      }
      expect(sessionStreams).toBeGreaterThanOrEqual(1);
      expect(replicaStreams).toBeGreaterThanOrEqual(2);
    } finally {
      kv.close();
    }
  });

  it('gives the same results over unary calls, without touching the stream', async () => {
    const before = await counter(cluster.nodes[0]!.url, 'quorumkv_session_ops_total');
    const kv = createClient({ nodes: [cluster.nodes[0]!.address], routing: false, http2: { stream: false } });
    try {
      await kv.putString('unary-key', 'unary-value');
      expect((await kv.getString('unary-key')).values).toEqual(['unary-value']);
      expect((await kv.getString('no-such-key')).found).toBe(false);
    } finally {
      kv.close();
    }
    expect(await counter(cluster.nodes[0]!.url, 'quorumkv_session_ops_total')).toBe(before);
  });
});
