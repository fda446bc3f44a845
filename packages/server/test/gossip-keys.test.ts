// Issue #17: gossip was accepted from anyone who knew the cluster id. With gossip keys, a message
// whose tag none of a node's keys produces (a wrong key, or none) is dropped, counted and changes
// no member's state; a rotation of the key file (new key accepted, made primary, old one dropped)
// keeps every node talking to every other, without a restart.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toBinary } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { encodeMessage } from '@quorumkv/gossip';
import { BucketPropsSchema, ErrorDetailSchema, ErrorReason, Liveness, MembershipService } from '@quorumkv/protocol';
import { startCluster, type Cluster, type NodeHandle } from '@quorumkv/harness';
import { parseGossipKeys, signGossip } from '../src/security/gossip-keys.js';
import { Clients, eventually, sleep } from './support.js';

const HOST_BASE = 67;

async function badTags(node: NodeHandle): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  return Number(/^quorumkv_gossip_bad_tags_total (\d+)/m.exec(text)?.[1] ?? NaN);
}

describe('gossip signed with cluster keys', () => {
  let cluster: Cluster;
  const clients = new Clients();
  const sessions: Http2SessionManager[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'qkv-gossip-keys-'));
  const keyFile = join(dir, 'gossip.keys');
  const k1 = randomBytes(32).toString('base64');
  const k2 = randomBytes(32).toString('base64');

  beforeAll(async () => {
    writeFileSync(keyFile, `${k1}\n`);
    cluster = await startCluster({ nodes: 3, n: 3, r: 2, w: 2, partitions: 64, hostBase: HOST_BASE, extraArgs: ['--gossip-key-file', keyFile, '--gossip-interval-ms', '200'] });
  });
  afterAll(async () => {
    clients.close();
    for (const s of sessions) s.abort();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A push-pull from an intruder announcing itself and a bucket, tagged under `keys` (or not at all). */
  async function intrude(node: NodeHandle, clusterId: string, keys: string | undefined, who: string): Promise<unknown> {
    const sessionManager = new Http2SessionManager(node.url);
    sessions.push(sessionManager);
    const membership = createClient(MembershipService, createConnectTransport({ baseUrl: node.url, httpVersion: '2', sessionManager }));
    const props = toBinary(BucketPropsSchema, { $typeName: 'quorumkv.v1.BucketProps', name: who, n: 1, r: 1, w: 1, conflicts: 0, defaultTtlMs: 0n, version: 5n });
    const message = encodeMessage({
      type: 'push-pull',
      sourceId: who,
      sourceAddress: '127.0.0.1:9',
      join: true,
      reply: false,
      members: [{ id: who, address: '127.0.0.1:9', state: 'alive', incarnation: 0, meta: new Uint8Array(0) }],
      metadata: [{ key: `bucket:${who}`, version: 5, value: props }],
    });
    const envelope = { clusterId, fromAddress: '127.0.0.1:9', message };
    const tag = keys === undefined ? new Uint8Array(0) : signGossip(parseGossipKeys(keys), envelope);
    return membership.pushPull({ ...envelope, tag }).then(() => undefined, (e: unknown) => e);
  }

  const gossipMembers = async (node: NodeHandle): Promise<number> => (await clients.of(node).admin.status({})).memberCount;
  const allAlive = async (): Promise<boolean> => {
    for (const node of cluster.nodes) {
      const members = (await clients.of(node).admin.members({})).members.filter((m) => ['n1', 'n2', 'n3'].includes(m.id));
      if (members.length !== 3 || members.some((m) => m.liveness !== Liveness.ALIVE)) return false;
    }
    return true;
  };

  it('drops and counts a message under a wrong key or none, which changes nothing; one under the cluster key gets in', async () => {
    const [n1, n2] = cluster.nodes as [NodeHandle, NodeHandle];
    const { clusterId } = await clients.of(n1).admin.status({});
    expect(await eventually(allAlive)).toBe(true);
    const before = await Promise.all(cluster.nodes.map(badTags));
    for (const [keys, who] of [[randomBytes(32).toString('base64'), 'forger'], [undefined, 'unsigned']] as const) {
      const err = ConnectError.from(await intrude(n1, clusterId, keys, who));
      expect({ who, code: err.code, reason: err.findDetails(ErrorDetailSchema)[0]?.reason }).toEqual({ who, code: Code.Unauthenticated, reason: ErrorReason.UNAUTHENTICATED });
    }
    expect(await badTags(n1)).toBe(before[0]! + 2);
    await sleep(1_000);
    for (const node of cluster.nodes) {
      expect({ node: node.id, members: await gossipMembers(node) }).toEqual({ node: node.id, members: 3 });
      const buckets = (await clients.of(node).admin.listBuckets({})).buckets.map((b) => b.name);
      expect(buckets).not.toContain('forger');
      expect(buckets).not.toContain('unsigned');
    }
    // The same message under the cluster's key is taken (so the refusals above were the key's doing).
    expect(await intrude(n2, clusterId, k1, 'keyholder')).toBeUndefined();
    expect(await eventually(async () => (await clients.of(n2).admin.listBuckets({})).buckets.some((b) => b.name === 'keyholder'), 5_000)).toBe(true);
    expect(await gossipMembers(n2)).toBe(4);
  });

  it('rotates keys without a restart: members stay alive at every step, and the old key stops working at the end', async () => {
    const n3 = cluster.nodes[2]!;
    const { clusterId } = await clients.of(n3).admin.status({});
    const before = await Promise.all(cluster.nodes.map(badTags));
    for (const step of [`${k1}\n${k2}\n`, `${k2}\n${k1}\n`, `${k2}\n`]) {
      writeFileSync(keyFile, step);
      // Every node polls the file twice a second; then a few gossip rounds under the new keys.
      await sleep(1_500);
      expect(await eventually(allAlive, 5_000)).toBe(true);
    }
    expect(await Promise.all(cluster.nodes.map(badTags))).toEqual(before);
    expect(ConnectError.from(await intrude(n3, clusterId, k1, 'late')).code).toBe(Code.Unauthenticated);
    expect(await intrude(n3, clusterId, k2, 'rotated')).toBeUndefined();
    // Every node signed with the new key throughout: none was ever told its gossip was refused.
    for (const node of cluster.nodes) expect(node.logs()).not.toMatch(/refuses this node's gossip/);
    expect(await eventually(async () => (await clients.of(n3).admin.listBuckets({})).buckets.some((b) => b.name === 'rotated'), 5_000)).toBe(true);
    expect((await clients.of(n3).admin.listBuckets({})).buckets.map((b) => b.name)).not.toContain('late');
  });

  it('a member restarted with a key nobody else accepts is refused, counted, and says why in its log', async () => {
    const [n1, n2, n3] = cluster.nodes as [NodeHandle, NodeHandle, NodeHandle];
    const wrong = join(dir, 'wrong.keys');
    writeFileSync(wrong, `${randomBytes(32).toString('base64')}\n`);
    const before = (await badTags(n1)) + (await badTags(n2));
    clients.reset(n3);
    await n3.restart({ extraArgs: ['--gossip-key-file', wrong] });
    expect(await eventually(async () => (await badTags(n1)) + (await badTags(n2)) > before, 10_000)).toBe(true);
    expect(await eventually(async () => /refuses this node's gossip or internal calls as unauthenticated/.test(n3.logs()), 10_000)).toBe(true);
    // Back with the cluster's key, it is a member again.
    clients.reset(n3);
    await n3.restart();
    expect(await eventually(allAlive, 10_000)).toBe(true);
  });
});
