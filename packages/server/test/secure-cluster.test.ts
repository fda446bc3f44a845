// Issue #17: everything a node served was open to anyone who could reach its port: LocalGet handed
// out a record's stored bytes and a Replicate carrying bytes like those changed keys. With TLS,
// mutual TLS between nodes (a cluster CA) and client tokens on, internal services serve only
// peers whose certificate the cluster CA signed, refused before their request is read, and each
// client call needs a token with the scope it asks for.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient as createRpcClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { encodeMessage } from '@quorumkv/gossip';
import {
  AdminService,
  ErrorDetailSchema,
  ErrorReason,
  KvService,
  MembershipService,
  HandoffRequestSchema,
  ReplicaHeaderSchema,
  ReplicaItemSchema,
  ReplicaOp,
  ReplicaService,
  ReplicateRequestSchema,
  SessionRequestSchema,
} from '@quorumkv/protocol';
import { partitionOf } from '@quorumkv/ring';
import { createClusterCerts, issueTokens, startCluster, type Cluster, type NodeHandle, type PemPair } from '@quorumkv/harness';
import { parseGossipKeys, signGossip } from '../src/security/gossip-keys.js';
import { enc, dec, eventually } from './support.js';

const HOST_BASE = 64;
const PARTITIONS = 64;

const TOKENS = {
  admin: { secret: 'qkv_admin_5f1d8c0e', scopes: ['read', 'write', 'admin'] },
  reader: { secret: 'qkv_reader_91ab77e2', scopes: ['read'] },
  writer: { secret: 'qkv_writer_0c4e19d3', scopes: ['read', 'write'] },
  writeOnly: { secret: 'qkv_writeonly_6a93d0b4', scopes: ['write'] },
  users: { secret: 'qkv_users_7d2f60aa', scopes: ['read', 'write'], buckets: ['users'] },
  expired: { secret: 'qkv_expired_44e0b1c9', scopes: ['read', 'write', 'admin'], expiresAt: '2020-01-01T00:00:00Z' },
} as const;
type TokenName = keyof typeof TOKENS;

function tokenFile(names: readonly TokenName[], extra: { name: string; token: string; scopes: ['read'] }[] = []): string {
  const listed = names.map((name) => {
    const { secret, ...grant } = TOKENS[name];
    return { name, ...grant, token: secret };
  });
  return issueTokens([...listed, ...extra]).fileText;
}

function reasonOf(err: unknown): { code: Code | undefined; reason: ErrorReason | undefined } {
  if (err === undefined) return { code: undefined, reason: undefined };
  const ce = ConnectError.from(err);
  return { code: ce.code, reason: ce.findDetails(ErrorDetailSchema)[0]?.reason };
}

const UNAUTHENTICATED = { code: Code.Unauthenticated, reason: ErrorReason.UNAUTHENTICATED };
const PERMISSION_DENIED = { code: Code.PermissionDenied, reason: ErrorReason.PERMISSION_DENIED };

async function* one<T>(value: T): AsyncIterable<T> {
  yield value;
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) {
    // only the outcome matters
  }
}

describe('a secure cluster (TLS, mutual TLS between nodes, client tokens)', () => {
  let cluster: Cluster;
  const dir = mkdtempSync(join(tmpdir(), 'qkv-secure-'));
  const tokensPath = join(dir, 'tokens.json');
  const sessions: Http2SessionManager[] = [];
  let member: PemPair;
  let rogue: PemPair;

  beforeAll(async () => {
    writeFileSync(tokensPath, tokenFile(['admin', 'reader', 'writer', 'writeOnly', 'users', 'expired']));
    cluster = await startCluster({ nodes: 3, n: 3, r: 2, w: 2, partitions: PARTITIONS, hostBase: HOST_BASE, secure: true, extraArgs: ['--token-file', tokensPath, '--hint-delivery-interval-ms', '300'] });
    // A certificate of this cluster's CA, as a member holds (the test speaks as a node), and one
    // of another CA with the same names, as an intruder could make.
    member = { cert: readFileSync(join(cluster.tls!.dir, 'n1.pem'), 'utf8'), key: readFileSync(join(cluster.tls!.dir, 'n1-key.pem'), 'utf8') };
    rogue = (await createClusterCerts({ nodes: ['n1'], hosts: ['localhost', ...cluster.nodes.map((n) => n.host)] })).nodes['n1']!;
  });
  afterAll(async () => {
    for (const s of sessions) s.abort();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** RPC clients for one node over TLS trusting the cluster CA, with a client certificate and/or token. */
  function rpc(node: NodeHandle, as: { cert?: PemPair; token?: TokenName | string; grpc?: boolean } = {}) {
    const sessionManager = new Http2SessionManager(node.url, undefined, { ca: cluster.tls!.ca, ...(as.cert ?? {}) });
    sessions.push(sessionManager);
    const token = as.token === undefined ? undefined : as.token in TOKENS ? TOKENS[as.token as TokenName].secret : as.token;
    const interceptors = token === undefined ? [] : [(next: Parameters<import('@connectrpc/connect').Interceptor>[0]) => (req: Parameters<typeof next>[0]) => (req.header.set('authorization', `Bearer ${token}`), next(req))];
    const options = { baseUrl: node.url, httpVersion: '2' as const, sessionManager, interceptors };
    const transport = as.grpc ? createGrpcTransport(options) : createConnectTransport(options);
    return {
      kv: createRpcClient(KvService, transport),
      admin: createRpcClient(AdminService, transport),
      replica: createRpcClient(ReplicaService, transport),
      membership: createRpcClient(MembershipService, transport),
    };
  }

  /** One operation on the Session stream (the Node SDK's path, served raw): its result's error, or undefined. */
  async function sessionOp(node: NodeHandle, token: TokenName | undefined, op: 'get' | 'put'): Promise<unknown> {
    const kv = rpc(node, token ? { token } : {}).kv;
    const value = op === 'get' ? { case: 'get' as const, value: { key: enc('kept') } } : { case: 'put' as const, value: { key: enc('kept'), value: enc('changed') } };
    try {
      for await (const res of kv.session(one(create(SessionRequestSchema, { ops: [{ id: 1n, op: value }] })))) {
        const r = res.results[0]?.result;
        if (r?.case === 'error') return new ConnectError(r.value.message, r.value.code, undefined, r.value.detail ? [{ desc: ErrorDetailSchema, value: r.value.detail }] : []);
      }
      return undefined;
    } catch (err) {
      return err;
    }
  }

  const values = async (node: NodeHandle, key: string): Promise<string[]> => {
    const got = await rpc(node, { token: 'admin' }).kv.get({ key: enc(key), r: 3 });
    return got.siblings.map((s) => dec(s.value));
  };

  const failure = (p: Promise<unknown>): Promise<unknown> => p.then(() => undefined, (e: unknown) => e);

  it('does quorum puts and gets over TLS (Connect, gRPC, the Session stream), and every replica holds the write (mutual TLS between nodes works)', async () => {
    const [n1, n2, n3] = cluster.nodes as [NodeHandle, NodeHandle, NodeHandle];
    await rpc(n1, { token: 'admin' }).kv.put({ key: enc('greeting'), value: enc('hello'), w: 3 });
    expect(await values(n2, 'greeting')).toEqual(['hello']);
    const grpc = rpc(n3, { token: 'admin', grpc: true }).kv;
    const { context } = await grpc.get({ key: enc('greeting'), r: 3 });
    await grpc.delete({ key: enc('greeting'), context, w: 3 });
    expect(await values(n1, 'greeting')).toEqual([]);
    await rpc(n2, { token: 'admin' }).kv.put({ key: enc('greeting'), value: enc('again'), w: 3 });
    expect(await sessionOp(n3, 'admin', 'get')).toBeUndefined();
    for (const node of cluster.nodes) {
      const local = await rpc(node, { cert: member }).admin.localGet({ key: enc('greeting') });
      expect({ node: node.id, values: local.siblings.filter((s) => !s.tombstone).map((s) => dec(s.value)) }).toEqual({ node: node.id, values: ['again'] });
    }
    // Each node sees the others alive: gossip runs over mutual TLS.
    for (const node of cluster.nodes) {
      const members = await rpc(node, { token: 'admin' }).admin.members({});
      expect(members.members.map((m) => m.id).sort()).toEqual(['n1', 'n2', 'n3']);
    }
  });

  it('keeps a hint for a replica that is down and delivers it over mutual TLS when it is back', async () => {
    const [n1, , n3] = cluster.nodes as [NodeHandle, NodeHandle, NodeHandle];
    await n3.kill('SIGKILL');
    await rpc(n1, { token: 'admin' }).kv.put({ key: enc('hinted'), value: enc('while n3 was down'), w: 2 });
    await n3.restart();
    const delivered = await eventually(async () => {
      const local = await rpc(n3, { cert: member }).admin.localGet({ key: enc('hinted') });
      return local.found && local.siblings.some((s) => dec(s.value) === 'while n3 was down');
    });
    expect(delivered).toBe(true);
  });

  it('refuses internal calls from a peer without a certificate of the cluster CA (another CA, none, or only a token): no replica write, no LocalGet, no gossip', async () => {
    const [n1] = cluster.nodes as [NodeHandle];
    const status = await rpc(n1, { token: 'admin' }).admin.status({});
    await rpc(n1, { token: 'admin' }).kv.put({ key: enc('source'), value: enc('stolen'), w: 3 });
    // The bytes an attacker wants to plant: a real record of this cluster (read here as a member).
    const { record } = await rpc(n1, { cert: member }).admin.localGet({ key: enc('source') });
    expect(record.length).toBeGreaterThan(0);
    const header = create(ReplicaHeaderSchema, { fromNode: 'n2', clusterId: status.clusterId, ringVersion: status.ringVersion });
    const item = create(ReplicaItemSchema, { id: 1n, op: ReplicaOp.WRITE, bucket: 'default', key: enc('planted'), partition: partitionOf(PARTITIONS, 'default', 'planted'), record });
    const gossip = encodeMessage({
      type: 'push-pull',
      sourceId: 'intruder',
      sourceAddress: '127.0.0.1:1',
      join: true,
      reply: false,
      members: [{ id: 'intruder', address: '127.0.0.1:1', state: 'alive', incarnation: 0, meta: new Uint8Array(0) }],
      metadata: [],
    });

    for (const [who, as] of [
      ['another CA', { cert: rogue }],
      ['no certificate', {}],
      ['an admin token', { token: 'admin' }],
    ] as const) {
      for (const grpc of [false, true]) {
        const c = rpc(n1, { ...as, grpc });
        const calls: [string, () => Promise<unknown>][] = [
          ['localGet', () => c.admin.localGet({ key: enc('source') })],
          ['replicate', () => drain(c.replica.replicate(one(create(ReplicateRequestSchema, { messageId: 1n, header, items: [item] }))))],
          ['apply', () => c.replica.apply({ header, item })],
          ['deliverHints', () => c.replica.deliverHints({ header, items: [item] })],
          ['pushPull', () => c.membership.pushPull({ clusterId: status.clusterId, fromAddress: '127.0.0.1:1', message: gossip })],
        ];
        for (const [name, call] of calls) {
          expect({ who, grpc, name, ...reasonOf(await failure(call())) }).toEqual({ who, grpc, name, ...UNAUTHENTICATED });
        }
      }
    }
    // Nothing changed: the key was not planted anywhere, the intruder is no member.
    for (const node of cluster.nodes) {
      const local = await rpc(node, { cert: member }).admin.localGet({ key: enc('planted') });
      expect({ node: node.id, found: local.found }).toEqual({ node: node.id, found: false });
      const members = await rpc(node, { token: 'admin' }).admin.members({});
      expect(members.members.map((m) => m.id)).not.toContain('intruder');
    }
    expect(await values(n1, 'planted')).toEqual([]);
  });

  it("refuses a member whose certificate names another node than its message claims (replica header, gossip sender), and counts it", async () => {
    const [n1, , n3] = cluster.nodes as [NodeHandle, NodeHandle, NodeHandle];
    const status = await rpc(n3, { token: 'admin' }).admin.status({});
    await rpc(n3, { token: 'admin' }).kv.put({ key: enc('claimed'), value: enc('original'), w: 3 });
    const { record } = await rpc(n3, { cert: member }).admin.localGet({ key: enc('claimed') });
    const item = create(ReplicaItemSchema, { id: 1n, op: ReplicaOp.WRITE, bucket: 'default', key: enc('claimed-planted'), partition: partitionOf(PARTITIONS, 'default', 'claimed-planted'), record });
    const headerOf = (fromNode: string) => create(ReplicaHeaderSchema, { fromNode, clusterId: status.clusterId, ringVersion: status.ringVersion });
    // The certificate is n1's: as n1 it is a member, as n2 it is not believed.
    const gossipAs = (sourceId: string) => {
      const message = encodeMessage({ type: 'gossip', sourceId, gossip: [{ kind: 'suspect', id: 'n3', incarnation: 1_000, from: sourceId }] });
      const envelope = { clusterId: status.clusterId, fromAddress: n1.address, message };
      return { ...envelope, tag: signGossip(parseGossipKeys(readFileSync(cluster.tls!.gossipKeyFile, 'utf8')), envelope) };
    };
    for (const grpc of [false, true]) {
      const c = rpc(n3, { cert: member, grpc });
      const header = headerOf('n2');
      const calls: [string, () => Promise<unknown>][] = [
        ['replicate', () => drain(c.replica.replicate(one(create(ReplicateRequestSchema, { messageId: 1n, header, items: [item] }))))],
        ['apply', () => c.replica.apply({ header, item })],
        ['deliverHints', () => c.replica.deliverHints({ header, items: [item] })],
        ['handoff', () => c.replica.handoff(one(create(HandoffRequestSchema, { header, partition: item.partition, items: [item], since: status.ringVersion, last: true })))],
        ['gossip', () => c.membership.ping(gossipAs('n2'))],
      ];
      for (const [name, call] of calls) expect({ grpc, name, ...reasonOf(await failure(call())) }).toEqual({ grpc, name, ...UNAUTHENTICATED });
      // What the certificate's own node sends is served.
      expect(reasonOf(await failure(c.replica.deliverHints({ header: headerOf('n1'), items: [] })))).toEqual({ code: undefined, reason: undefined });
    }
    const local = await rpc(n3, { cert: member }).admin.localGet({ key: enc('claimed-planted') });
    expect(local.found).toBe(false);
    const metrics = await new Promise<string>((resolve, reject) => {
      httpsGet(`${n3.url}/metrics`, { ca: cluster.tls!.ca }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    const counted = (service: string): number => Number(new RegExp(`quorumkv_peer_identity_mismatches_total\\{service="${service}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    expect({ replica: counted('replica'), membership: counted('membership') }).toEqual({ replica: 8, membership: 2 });
  });

  it('gives each client the code its token earns and changes nothing for the refused ones', async () => {
    const [n1, n2] = cluster.nodes as [NodeHandle, NodeHandle];
    await rpc(n1, { token: 'admin' }).kv.put({ key: enc('kept'), value: enc('original'), w: 3 });
    const put = (token?: TokenName | string, bucket = 'default') => failure(rpc(n2, token === undefined ? {} : { token }).kv.put({ bucket, key: enc('kept'), value: enc('changed') }));
    const get = (token?: TokenName | string) => failure(rpc(n1, token === undefined ? {} : { token }).kv.get({ key: enc('kept') }));

    expect(reasonOf(await get())).toEqual(UNAUTHENTICATED);
    expect(reasonOf(await get('qkv_not_a_token'))).toEqual(UNAUTHENTICATED);
    expect(reasonOf(await get('expired'))).toEqual(UNAUTHENTICATED);
    expect(reasonOf(await get('reader'))).toEqual({ code: undefined, reason: undefined });
    expect(reasonOf(await put())).toEqual(UNAUTHENTICATED);
    expect(reasonOf(await put('expired'))).toEqual(UNAUTHENTICATED);
    expect(reasonOf(await put('reader'))).toEqual(PERMISSION_DENIED);
    expect(reasonOf(await put('users'))).toEqual(PERMISSION_DENIED);
    // A write token cannot administer: no bucket is created.
    const createUsers = (token: TokenName) => failure(rpc(n1, { token }).admin.createBucket({ props: { name: 'users', n: 3, r: 2, w: 2 } }));
    expect(reasonOf(await createUsers('writer'))).toEqual(PERMISSION_DENIED);
    expect(reasonOf(await failure(rpc(n1, { token: 'writer' }).admin.status({})))).toEqual(PERMISSION_DENIED);
    expect((await rpc(n1, { token: 'admin' }).admin.listBuckets({})).buckets.map((b) => b.name)).not.toContain('users');

    // The Session stream (raw path): refused whole without a valid token, per operation by scope.
    expect(reasonOf(await sessionOp(n1, undefined, 'get'))).toEqual(UNAUTHENTICATED);
    expect(reasonOf(await sessionOp(n1, 'expired', 'get'))).toEqual(UNAUTHENTICATED);
    expect(reasonOf(await sessionOp(n1, 'reader', 'put'))).toEqual(PERMISSION_DENIED);
    expect(reasonOf(await sessionOp(n1, 'users', 'put'))).toEqual(PERMISSION_DENIED);
    expect(await sessionOp(n1, 'reader', 'get')).toBeUndefined();
    expect(await values(n1, 'kept')).toEqual(['original']);

    // What the tokens may do, they can: a writer writes, `users` writes its bucket, admin creates it.
    await rpc(n2, { token: 'writer' }).kv.put({ key: enc('written'), value: enc('by the writer') });
    expect(reasonOf(await createUsers('admin'))).toEqual({ code: undefined, reason: undefined });
    await eventually(async () => (await rpc(n2, { token: 'admin' }).admin.listBuckets({})).buckets.some((b) => b.name === 'users'));
    await rpc(n2, { token: 'users' }).kv.put({ bucket: 'users', key: enc('profile'), value: enc('mine') });

    // A write-only token opens a Session (opening needs read or write) and writes in it; each
    // operation is still checked, so its reads are denied.
    expect(reasonOf(await sessionOp(n1, 'writeOnly', 'get'))).toEqual(PERMISSION_DENIED);
    expect(await sessionOp(n1, 'writeOnly', 'put')).toBeUndefined();
    expect(await values(n1, 'kept')).toContain('changed');
  });

  it('follows the token file without a restart: a new token works, a removed one stops working', async () => {
    const n3 = cluster.nodes[2]!;
    const newcomer = 'qkv_newcomer_3b8e51f0';
    const get = (token: string) => failure(rpc(n3, { token }).kv.get({ key: enc('kept') }));
    expect(reasonOf(await get(newcomer))).toEqual(UNAUTHENTICATED);
    writeFileSync(tokensPath, tokenFile(['admin', 'writer'], [{ name: 'newcomer', token: newcomer, scopes: ['read'] }]));
    expect(await eventually(async () => reasonOf(await get(newcomer)).code === undefined, 10_000)).toBe(true);
    expect(reasonOf(await get(TOKENS.reader.secret))).toEqual(UNAUTHENTICATED);
    // A broken file is not taken: the tokens in force stay.
    writeFileSync(tokensPath, '{ "tokens": [ oops');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(reasonOf(await get(newcomer))).toEqual({ code: undefined, reason: undefined });
    expect(n3.logs()).toMatch(/token file not reloaded: keeping the one in force/);
  });

  it('stops a token removed from the file on a Session stream opened before the removal (the SDK keeps its stream open)', async () => {
    const n3 = cluster.nodes[2]!;
    const revoked = 'qkv_revoked_a51c09e7';
    const extra = [{ name: 'revoked', token: revoked, scopes: ['read'] as ['read'] }];
    writeFileSync(tokensPath, tokenFile(['admin', 'writer'], extra));
    const get = () => failure(rpc(n3, { token: revoked }).kv.get({ key: enc('kept') }));
    expect(await eventually(async () => reasonOf(await get()).code === undefined, 10_000)).toBe(true);
    // One stream, fed by hand: an operation, then (after the removal) another.
    type SessionRequest = ReturnType<typeof create<typeof SessionRequestSchema>>;
    const ids: bigint[] = [];
    let wake: (() => void) | undefined;
    async function* requests(): AsyncIterable<SessionRequest> {
      for (let sent = 0; sent < 2; sent++) {
        while (ids.length === 0) await new Promise<void>((r) => (wake = r));
        yield create(SessionRequestSchema, { ops: [{ id: ids.shift()!, op: { case: 'get', value: { key: enc('kept') } } }] });
      }
    }
    const send = (id: bigint): void => {
      ids.push(id);
      wake?.();
    };
    const responses = rpc(n3, { token: revoked }).kv.session(requests())[Symbol.asyncIterator]();
    const result = async () => (await responses.next()).value?.results[0]?.result;
    send(1n);
    expect((await result())?.case).toBe('get');
    writeFileSync(tokensPath, tokenFile(['admin', 'writer']));
    expect(await eventually(async () => reasonOf(await get()).code === Code.Unauthenticated, 10_000)).toBe(true);
    send(2n);
    const after = await result();
    expect(after?.case).toBe('error');
    expect(after?.case === 'error' ? after.value.code : undefined).toBe(Code.Unauthenticated);
    void responses.return?.();
  });
});
