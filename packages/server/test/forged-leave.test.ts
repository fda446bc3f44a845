// Adversarial review of issues #17 and #19: the ring gate (ring-plausibility.ts) checks that an
// offered ring can follow the node's own, but in the quick-start (insecure) mode anyone who can
// reach the port can build a well-formed successor with the ring library: a transition in which
// the node leaves, then its end. The node then dropped its copies of every partition, as after a
// genuine leave. The issue asks that "one request from anyone who can reach a port" not destroy
// the cluster, and that the forged ring be refused even in the insecure mode.
import { create } from '@bufbuild/protobuf';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { ReplicaHeaderSchema, ReplicaService } from '@quorumkv/protocol';
import { beginTransition, encodeRing, finishTransition, markDone, plan, type Ring } from '@quorumkv/ring';
import type { NodeHandle } from '@quorumkv/harness';
import { enc, fetchRing, localRecord, sleep, useCluster } from './support.js';

const HOST_BASE = 27;
const Q = 16;
const KEYS = 40;

describe('a well-formed forged leave sent to a quick-start (insecure) cluster', () => {
  const { clients, nodes } = useCluster({ nodes: 4, hostBase: HOST_BASE, partitions: Q, n: 3, r: 2, w: 2, extraArgs: ['--log-level', 'warn'] });
  const sessions: Http2SessionManager[] = [];
  afterAll(() => sessions.forEach((s) => s.abort()));

  /** How many of the keys each node holds a copy of, by node id ('stopped' for a node that exited). */
  const held = async (): Promise<Record<string, number | 'stopped'>> => {
    const out: Record<string, number | 'stopped'> = {};
    for (const node of nodes()) {
      if (!node.running) {
        out[node.id] = 'stopped';
        continue;
      }
      let count = 0;
      for (let i = 0; i < KEYS; i++) if (await localRecord(clients, node, `k${i}`)) count++;
      out[node.id] = count;
    }
    return out;
  };

  /** Sends `rings` (a forged transition and its end) to `target` in DeliverHints headers, as an outsider. */
  const sendForged = async (target: NodeHandle, clusterId: string, rings: readonly Ring[]): Promise<void> => {
    const session = new Http2SessionManager(target.url);
    sessions.push(session);
    const replica = createClient(ReplicaService, createConnectTransport({ baseUrl: target.url, httpVersion: '2', sessionManager: session }));
    for (const r of rings) {
      const header = create(ReplicaHeaderSchema, { fromNode: 'outsider', clusterId, ringVersion: BigInt(r.version), ring: encodeRing(r) });
      await replica.deliverHints({ header, items: [] });
    }
  };

  it('does not make the leaving node, nor any other, drop data, stop serving or stop routing to it', async () => {
    const [n1, n2] = nodes() as [NodeHandle, NodeHandle];
    for (let i = 0; i < KEYS; i++) await clients.of(n1).kv.put({ key: enc(`k${i}`), value: enc(`v${i}`), w: 3 });
    const before = await held();
    expect(before.n1).toBeGreaterThan(0);

    // What an outsider can learn (GetRouting, Status) and build with the public ring library.
    const { clusterId } = await clients.of(n1).admin.status({});
    const ring = await fetchRing(clients, n1);
    const begun = beginTransition(ring, plan(ring, { leave: ['n1'] }), 3);
    const ended = finishTransition(markDone(begun, Array.from({ length: Q }, (_, p) => p)));

    // Attack 1: to the node the forged ring makes leave.
    await sendForged(n1, clusterId, [begun, ended]);
    await sleep(2_000);
    const afterFirst = await held();
    // Attack 2: to a node that is not leaving (it would take n1 for gone and stop routing to it).
    await sendForged(n2, clusterId, [begun, ended]);
    await sleep(2_000);
    const afterSecond = await held();
    // eslint-disable-next-line no-console
    console.log('records held by node', { before, afterFirst, afterSecond });

    expect({ afterFirst, afterSecond }).toEqual({ afterFirst: before, afterSecond: before });
    for (const node of nodes()) {
      expect(node.running).toBe(true);
      const seen = await fetchRing(clients, node);
      expect({ node: node.id, version: seen.version, n1: seen.nodes.find((x) => x.id === 'n1')?.state }).toEqual({ node: node.id, version: ring.version, n1: 'active' });
    }
    // n1 still serves and is still routed to: a write through n2 reaches n1's copies (a sibling
    // of the first value: it is written without its context).
    const n1Keys = Array.from({ length: KEYS }, (_, i) => `k${i}`);
    for (const key of n1Keys) await clients.of(n2).kv.put({ key: enc(key), value: enc(`w-${key}`), w: 3 });
    for (const key of n1Keys) {
      const record = await localRecord(clients, n1, key);
      if (record) expect(record.values).toContain(`w-${key}`);
    }
  }, 90_000);
});
