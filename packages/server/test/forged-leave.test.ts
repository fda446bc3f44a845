// Adversarial review of issues #17 and #19: the ring gate (ring-plausibility.ts) checks that an
// offered ring can follow the node's own, but in the quick-start (insecure) mode anyone who can
// reach the port can build a well-formed successor with the ring library: a transition in which
// the node leaves, then its end. The node then drops its copies of every partition, as after a
// genuine leave. The issue asks that "one request from anyone who can reach a port" not destroy
// the cluster, and that the forged ring be refused even in the insecure mode.
import { create } from '@bufbuild/protobuf';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { ReplicaHeaderSchema, ReplicaService } from '@quorumkv/protocol';
import { beginTransition, encodeRing, finishTransition, markDone, plan } from '@quorumkv/ring';
import type { NodeHandle } from '@quorumkv/harness';
import { enc, fetchRing, localRecord, sleep, useCluster } from './support.js';

const HOST_BASE = 27;
const Q = 16;

describe('a well-formed forged leave sent to a quick-start (insecure) cluster', () => {
  const { clients, nodes } = useCluster({ nodes: 4, hostBase: HOST_BASE, partitions: Q, n: 3, r: 2, w: 2, extraArgs: ['--log-level', 'warn'] });
  let session: Http2SessionManager | undefined;
  afterAll(() => session?.abort());

  it('does not make a node drop its data', async () => {
    const [n1] = nodes() as [NodeHandle];
    for (let i = 0; i < 40; i++) await clients.of(n1).kv.put({ key: enc(`k${i}`), value: enc(`v${i}`), w: 3 });
    const held = async (): Promise<number> => {
      let count = 0;
      for (let i = 0; i < 40; i++) if (await localRecord(clients, n1, `k${i}`)) count++;
      return count;
    };
    const before = await held();
    expect(before).toBeGreaterThan(0);

    // What an outsider can learn (GetRouting, Status) and build with the public ring library.
    const { clusterId } = await clients.of(n1).admin.status({});
    const ring = await fetchRing(clients, n1);
    const begun = beginTransition(ring, plan(ring, { leave: ['n1'] }), 3);
    const ended = finishTransition(markDone(begun, Array.from({ length: Q }, (_, p) => p)));
    session = new Http2SessionManager(n1.url);
    const replica = createClient(ReplicaService, createConnectTransport({ baseUrl: n1.url, httpVersion: '2', sessionManager: session }));
    for (const r of [begun, ended]) {
      const header = create(ReplicaHeaderSchema, { fromNode: 'outsider', clusterId, ringVersion: BigInt(r.version), ring: encodeRing(r) });
      await replica.deliverHints({ header, items: [] });
    }
    await sleep(2_000);
    expect({ ringVersion: (await fetchRing(clients, n1)).version, held: await held() }).toEqual({ ringVersion: ring.version, held: before });
  }, 60_000);
});
