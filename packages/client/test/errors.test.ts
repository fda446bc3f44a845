// The SDK's typed errors against a real 3-node cluster: each comes from the reason the node gave,
// never from the Connect code alone.
import { Code, ConnectError, createClient as createConnectClient } from '@connectrpc/connect';
import { createConnectTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { ErrorDetailSchema, ErrorReason, ReplicaService } from '@quorumkv/protocol';
import { startCluster, type Cluster } from '@quorumkv/harness';
import { counter } from './metrics.js';
import { mapFailure } from '../src/error-mapping.js';
import {
  createClient,
  ForeignClusterError,
  InvalidArgumentError,
  QuorumNotMetError,
  TimeoutError,
  TooManySiblingsError,
  type QuorumKvClient,
} from '../src/node.js';

let cluster: Cluster;
const clients: QuorumKvClient[] = [];
const sessions: Http2SessionManager[] = [];

/** A client that sends everything to the first node. */
function pinned(timeoutMs = 5000): QuorumKvClient {
  const c = createClient({ nodes: [cluster.nodes[0]!.address], routing: false, timeoutMs });
  clients.push(c);
  return c;
}

const failure = (p: Promise<unknown>): Promise<unknown> => p.then(() => { throw new Error('expected an error'); }, (e: unknown) => e);

beforeAll(async () => {
  // The default replica timeout (1 s) is shorter than the SDK's deadline, so stopped replicas make
  // a quorum fail for want of replicas; a deadline shorter than it makes the request time out.
  cluster = await startCluster({ nodes: 3, n: 3, r: 2, w: 2, hostBase: 111, extraArgs: ['--siblings-warn', '2', '--siblings-max', '2'] });
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.close();
  for (const s of sessions) s.abort();
  for (const node of cluster?.nodes ?? []) await node.kill('SIGCONT');
  await cluster?.stop();
});

it('a field the node refuses is InvalidArgumentError naming the field', async () => {
  const err = await failure(pinned().put('k'.repeat(2000), 'v'));
  expect(err).toBeInstanceOf(InvalidArgumentError);
  expect(err).toMatchObject({ field: 'key', reason: 'invalid_field', code: 'invalid_argument' });
});

it('a write past the sibling cap is TooManySiblingsError', async () => {
  const kv = pinned();
  await kv.put('crowded', 'a');
  await kv.put('crowded', 'b');
  const err = await failure(kv.put('crowded', 'c'));
  expect(err).toBeInstanceOf(TooManySiblingsError);
  expect(err).toMatchObject({ reason: 'too_many_siblings', code: 'failed_precondition' });
});

it('a node of another cluster is FAILED_PRECONDITION with reason FOREIGN_CLUSTER, read as ForeignClusterError and never as too many siblings', async () => {
  const node = cluster.nodes[0]!;
  const session = new Http2SessionManager(node.url);
  sessions.push(session);
  const replica = createConnectClient(ReplicaService, createConnectTransport({ baseUrl: node.url, httpVersion: '2', sessionManager: session, acceptCompression: [] }));
  const header = { fromNode: 'stranger', ringVersion: 1n, clusterId: 'another-cluster' };
  const err = ConnectError.from(await failure(replica.deliverHints({ header, items: [] })));
  expect(err.code).toBe(Code.FailedPrecondition);
  expect(err.findDetails(ErrorDetailSchema)[0]?.reason).toBe(ErrorReason.FOREIGN_CLUSTER);
  const typed = mapFailure(err, 'put', node.address, 1000).error;
  expect(typed).toBeInstanceOf(ForeignClusterError);
  expect(typed).not.toBeInstanceOf(TooManySiblingsError);
});

describe('with both other replicas stopped', () => {
  beforeAll(async () => {
    await pinned().put('warm-up', 'x');
    for (const node of cluster.nodes.slice(1)) await node.kill('SIGSTOP');
  });
  afterAll(async () => {
    for (const node of cluster.nodes.slice(1)) await node.kill('SIGCONT');
  });

  /** Operations the first node received on Session streams (every SDK attempt in Node is one). */
  const opsReceived = (): Promise<number> => counter(cluster.nodes[0]!.url, 'quorumkv_session_ops_total');

  it('a 1 ms deadline on a put is TimeoutError (deadline_exceeded), not a quorum failure, and is not retried', async () => {
    const kv = pinned();
    await kv.get('warm-up', { r: 1 }); // the stream is open: the put may reach the node within its millisecond
    const before = await opsReceived();
    const err = await failure(kv.put('late', 'v', { timeoutMs: 1 }));
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ code: 'deadline_exceeded', timeoutMs: 1 });
    expect((await opsReceived()) - before).toBeLessThanOrEqual(1);
  });

  it('a deadline longer than the replica timeout is QuorumNotMetError with the facts, and the blind put is not retried', async () => {
    const before = await opsReceived();
    const err = await failure(pinned(5000).put('short', 'v'));
    expect(err).toBeInstanceOf(QuorumNotMetError);
    expect(err).toMatchObject({ reason: 'quorum_not_met', operation: 'put', asked: 3, answered: 1, required: 2 });
    expect((await opsReceived()) - before).toBe(1);
  });
});
