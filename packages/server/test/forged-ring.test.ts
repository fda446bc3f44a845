// Issue #17: one Replicate whose header carried a ring at version 1001 naming only a made-up node
// was adopted, persisted, still in force after a restart, and every put then failed with "quorum
// not met". Even in the insecure quick-start mode (no TLS, anyone who can reach the port can send
// it) a node refuses a ring that cannot follow its own, whichever way it arrives: a replica header
// on the raw stream, a unary replica call, or gossip.
import { create, toBinary } from '@bufbuild/protobuf';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { encodeMessage } from '@quorumkv/gossip';
import { MembershipService, ReplicaHeaderSchema, ReplicaService, ReplicateRequestSchema } from '@quorumkv/protocol';
import { createRing, encodeRing } from '@quorumkv/ring';
import { startCluster, type Cluster, type NodeHandle } from '@quorumkv/harness';
import { Clients, enc, readValues, sleep } from './support.js';

const HOST_BASE = 189;

async function refusedRings(node: NodeHandle): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(/^quorumkv_refused_rings_total\{[^}]*\} (\d+)/gm)) sum += Number(m[1]);
  return sum;
}

async function* one<T>(value: T): AsyncIterable<T> {
  yield value;
}

describe('a forged ring sent to a quick-start (insecure) cluster', () => {
  let cluster: Cluster;
  const clients = new Clients();
  const sessions: Http2SessionManager[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ nodes: 3, n: 3, r: 2, w: 2, partitions: 64, hostBase: HOST_BASE });
  });
  afterAll(async () => {
    clients.close();
    for (const s of sessions) s.abort();
    await cluster?.stop();
  });

  const connect = (node: NodeHandle) => {
    const sessionManager = new Http2SessionManager(node.url);
    sessions.push(sessionManager);
    return createConnectTransport({ baseUrl: node.url, httpVersion: '2', sessionManager });
  };

  it('is refused by every path it can arrive on, and puts still work, also after a restart', async () => {
    const [n1, n2, n3] = cluster.nodes as [NodeHandle, NodeHandle, NodeHandle];
    await clients.of(n1).kv.put({ key: enc('before'), value: enc('v0'), w: 3 });
    const status = await clients.of(n1).admin.status({});
    const { clusterId } = status;
    const genuine = `${status.ringVersion}/${status.ringChecksum}`;

    // The attack of the issue: version 1001, only a made-up node, on the raw Replicate stream.
    const ghostRing = encodeRing({ ...createRing({ partitionCount: 64, nodes: [{ id: 'ghost', address: '127.0.0.1:1' }], targetN: 1 }), version: 1001 });
    const header = (ring: Uint8Array, version: bigint) => create(ReplicaHeaderSchema, { fromNode: 'ghost', clusterId, ringVersion: version, ring });
    const replicate = createClient(ReplicaService, connect(n1)).replicate(one(create(ReplicateRequestSchema, { messageId: 1n, header: header(ghostRing, 1001n), items: [] })));
    for await (const _ of replicate) {
      // the answer (an ack of no items) does not matter
    }
    // Every node kept, plus one it never heard of: a unary replica call to n3.
    const phantomNodes = ['n1', 'n2', 'n3', 'phantom'].map((id, i) => ({ id, address: `127.0.0.${HOST_BASE + i}:1` }));
    const phantomRing = encodeRing({ ...createRing({ partitionCount: 64, nodes: phantomNodes, targetN: 3 }), version: 1002 });
    await createClient(ReplicaService, connect(n3)).deliverHints({ header: header(phantomRing, 1002n), items: [] });
    // The ghost ring as gossip metadata in a push-pull to n2 (same cluster id: nothing else stops it).
    const message = encodeMessage({
      type: 'push-pull',
      sourceId: 'ghost',
      sourceAddress: '127.0.0.1:1',
      join: false,
      reply: false,
      members: [{ id: 'ghost', address: '127.0.0.1:1', state: 'alive', incarnation: 0, meta: new Uint8Array(0) }],
      metadata: [{ key: 'ring', version: 1001, value: ghostRing }],
    });
    await createClient(MembershipService, connect(n2)).pushPull({ clusterId, fromAddress: '127.0.0.1:1', message });

    // Gossip would have spread an adopted ring to every node within a few rounds.
    await sleep(2_000);
    for (const node of cluster.nodes) {
      const s = await clients.of(node).admin.status({});
      expect({ node: node.id, ring: `${s.ringVersion}/${s.ringChecksum}` }).toEqual({ node: node.id, ring: genuine });
    }
    expect(await refusedRings(n1)).toBeGreaterThanOrEqual(1);
    expect(await refusedRings(n2)).toBeGreaterThanOrEqual(1);
    expect(await refusedRings(n3)).toBeGreaterThanOrEqual(1);
    expect(n1.logs()).toMatch(/refusing a ring that cannot follow this node's/);
    expect(n1.logs()).toMatch(/drops this node \(n1\), which has not left/);
    expect(n3.logs()).toMatch(/names nodes no member has heard of: phantom/);

    // Nothing was persisted: after a restart the node still routes with the genuine ring.
    clients.reset(n1);
    await n1.restart();
    expect((await clients.of(n1).admin.status({})).ringVersion).toBe(status.ringVersion);
    for (const [i, node] of cluster.nodes.entries()) {
      await clients.of(node).kv.put({ key: enc(`after-${i}`), value: enc(`v${i}`), w: 3 });
      expect(await readValues(clients, node, 'before', 3)).toEqual(['v0']);
    }
    expect(n1.logs()).not.toMatch(/adopted newer ring/);
  });
});
