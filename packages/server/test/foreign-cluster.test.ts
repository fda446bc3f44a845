// Issue #16, observation 1: a node of another cluster pointed at ours (--seeds) must change nothing
// in ours — buckets, ring, members — and every internal path refuses another cluster's id (and a
// request that names none). The old node merged the stranger's gossip: its bucket `users` n1/r1/w1
// replaced ours on every node, persisted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { encodeMessage } from '@quorumkv/gossip';
import {
  BucketPropsSchema,
  ErrorDetailSchema,
  ErrorReason,
  MembershipService,
  ReplicaHeaderSchema,
  ReplicaItemSchema,
  ReplicaOp,
  ReplicaService,
  ReplicateRequestSchema,
} from '@quorumkv/protocol';
import { createRing, encodeRing } from '@quorumkv/ring';
import { freePort, NodeHandle, startCluster, type Cluster } from '@quorumkv/harness';
import { Clients, enc, sleep } from './support.js';

const HOST_BASE = 151;

/** What a node holds that a stranger must not change. */
async function snapshot(clients: Clients, node: NodeHandle): Promise<string> {
  const admin = clients.of(node).admin;
  const [buckets, status, members] = await Promise.all([admin.listBuckets({}), admin.status({}), admin.members({})]);
  const users = buckets.buckets.find((b) => b.name === 'users');
  return JSON.stringify({
    users: users && { n: users.n, r: users.r, w: users.w, version: String(users.version) },
    buckets: buckets.buckets.map((b) => b.name),
    ring: `${status.ringVersion}/${status.ringChecksum}`,
    cluster: status.clusterId,
    gossipMembers: status.memberCount,
    members: members.members.map((m) => `${m.id}:${m.liveness}`),
  });
}

async function foreignCount(node: NodeHandle): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(/^quorumkv_foreign_cluster_messages_total\{[^}]*\} (\d+)/gm)) sum += Number(m[1]);
  return sum;
}

function reasonOf(err: unknown): { code: Code | undefined; reason: ErrorReason | undefined } {
  const ce = ConnectError.from(err);
  return { code: ce.code, reason: ce.findDetails(ErrorDetailSchema)[0]?.reason };
}

describe('a node of another cluster pointed at ours', () => {
  let cluster: Cluster;
  const clients = new Clients();
  let stranger: NodeHandle | undefined;
  const strangerDir = mkdtempSync(join(tmpdir(), 'qkv-stranger-'));

  beforeAll(async () => {
    cluster = await startCluster({ nodes: 3, n: 3, r: 2, w: 2, hostBase: HOST_BASE });
  });
  afterAll(async () => {
    clients.close();
    await stranger?.stop();
    await cluster?.stop();
    rmSync(strangerDir, { recursive: true, force: true });
  });

  it('changes nothing in ours: buckets, ring and members stay, and its messages are counted as refused', async () => {
    const [n1] = cluster.nodes;
    await clients.of(n1!).admin.createBucket({ props: { name: 'users', n: 3, r: 2, w: 2 } });
    let before: string[] = [];
    for (let i = 0; i < 100; i++) {
      before = await Promise.all(cluster.nodes.map((n) => snapshot(clients, n)));
      if (before.every((s) => s === before[0] && s.includes('"users":{'))) break;
      await sleep(100);
    }
    expect(before.every((s) => s === before[0])).toBe(true);

    const host = `127.0.0.${HOST_BASE + 3}`;
    const port = await freePort(host);
    stranger = new NodeHandle({
      id: 'intruder',
      host,
      port,
      dataDir: strangerDir,
      args: [
        '--node-id', 'intruder',
        '--listen', `${host}:${port}`,
        '--data-dir', strangerDir,
        '--partitions', '64',
        // A cluster of its own (a node with only --seeds would learn and join ours instead).
        '--initial-cluster', `intruder=${host}:${port}`,
        '--seeds', cluster.nodes.map((n) => n.address).join(','),
        '--gossip-interval-ms', '100',
        '--log-level', 'warn',
      ],
    });
    stranger.start();
    await stranger.waitReady();
    // Its bucket `users` is newer than ours (version 3): gossip, were it merged, would install it.
    for (let i = 0; i < 3; i++) await clients.of(stranger).admin.createBucket({ props: { name: 'users', n: 1, r: 1, w: 1 } });

    // Several gossip and push-pull rounds (push-pull every 5 s on our nodes, 1 s on the stranger).
    await sleep(7_000);
    const after = await Promise.all(cluster.nodes.map((n) => snapshot(clients, n)));
    expect(after).toEqual(before);
    const refused = await Promise.all(cluster.nodes.map((n) => foreignCount(n)));
    expect(refused.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    // The stranger says why, in one line, naming our cluster.
    expect(stranger.logs()).toMatch(/refuses this node as belonging to another cluster/);
  });

  it('every internal path refuses another cluster id, and a request that names none', async () => {
    const n1 = cluster.nodes[0]!;
    const sessions: Http2SessionManager[] = [];
    const transport = (grpc: boolean) => {
      const sessionManager = new Http2SessionManager(n1.url);
      sessions.push(sessionManager);
      const options = { baseUrl: n1.url, httpVersion: '2' as const, sessionManager };
      return grpc ? createGrpcTransport(options) : createConnectTransport(options);
    };
    const membership = createClient(MembershipService, transport(false));
    const replica = createClient(ReplicaService, transport(false));
    const replicaGrpc = createClient(ReplicaService, transport(true));
    try {
      const before = await snapshot(clients, n1);
      const counted = await foreignCount(n1);
      const props = create(BucketPropsSchema, { name: 'users', n: 1, r: 1, w: 1, version: 99n });
      const { toBinary } = await import('@bufbuild/protobuf');
      const message = encodeMessage({
        type: 'push-pull',
        sourceId: 'intruder',
        sourceAddress: '127.0.0.1:1',
        join: true,
        reply: true,
        members: [{ id: 'intruder', address: '127.0.0.1:1', state: 'alive', incarnation: 0, meta: new Uint8Array(0) }],
        metadata: [{ key: 'bucket:users', version: 99, value: toBinary(BucketPropsSchema, props) }],
      });
      for (const clusterId of ['0123456789abcdef', '']) {
        for (const call of [membership.ping, membership.pingReq, membership.pushPull]) {
          const err = await call({ clusterId, fromAddress: '127.0.0.1:1', message }).then(() => undefined, (e: unknown) => e);
          expect(reasonOf(err)).toEqual({ code: Code.FailedPrecondition, reason: ErrorReason.FOREIGN_CLUSTER });
        }
      }

      // A foreign header carrying a newer ring: refused before the ring is looked at.
      const ring = encodeRing({ ...createRing({ partitionCount: 64, nodes: [{ id: 'intruder', address: '127.0.0.1:1' }], targetN: 1 }), version: 1000 });
      const foreign = create(ReplicaHeaderSchema, { fromNode: 'intruder', ringVersion: 1000n, clusterId: '0123456789abcdef', ring });
      const item = create(ReplicaItemSchema, { id: 1n, op: ReplicaOp.WRITE, bucket: 'default', key: enc('k'), partition: 0, record: new Uint8Array([1, 2, 3]) });
      const calls: [string, (header: typeof foreign | undefined) => Promise<unknown>][] = [
        ['apply', (header) => replica.apply({ header, item })],
        ['deliverHints', (header) => replica.deliverHints({ header, items: [item] })],
        ['replicate (raw stream)', (header) => drain(replica.replicate(one(create(ReplicateRequestSchema, { messageId: 1n, header, items: [item] }))))],
        ['replicate (gRPC)', (header) => drain(replicaGrpc.replicate(one(create(ReplicateRequestSchema, { messageId: 1n, header, items: [item] }))))],
      ];
      for (const [name, call] of calls) {
        const wrong = await call(foreign).then(() => undefined, (e: unknown) => e);
        expect({ name, ...reasonOf(wrong) }).toEqual({ name, code: Code.FailedPrecondition, reason: ErrorReason.FOREIGN_CLUSTER });
        const none = await call(undefined).then(() => undefined, (e: unknown) => e);
        expect({ name, ...reasonOf(none) }).toEqual({ name, code: Code.InvalidArgument, reason: ErrorReason.INVALID_FIELD });
      }
      expect(await snapshot(clients, n1)).toEqual(before);
      expect(await foreignCount(n1)).toBeGreaterThanOrEqual(counted + 6 + 4);
    } finally {
      for (const s of sessions) s.abort();
    }
  });
});

async function* one<T>(value: T): AsyncIterable<T> {
  yield value;
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) {
    // answers are not expected
  }
}
