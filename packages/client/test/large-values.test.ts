// Values at the size limit through the SDK's Session stream: its batches are split by the limits the
// node shares with it, so 64 values of exactly maxValueBytes all succeed (one message of them would
// exceed any message limit), and a value too large for any message fails alone with
// LimitExceededError while the operations around it succeed.
import { startCluster, type Cluster } from '@quorumkv/harness';
import { createClient, InvalidArgumentError, LimitExceededError, type QuorumKvClient } from '../src/node.js';

const MAX_VALUE_BYTES = 1024 * 1024;

describe('large values through the Session stream', () => {
  let cluster: Cluster;
  let kv: QuorumKvClient;
  beforeAll(async () => {
    // 192 MiB of replica traffic on two shared cores takes seconds (~2.5 s for one node alone):
    // deadlines long enough that only the sizes can make an operation fail.
    cluster = await startCluster({ nodes: 3, n: 3, r: 2, w: 2, hostBase: 165, extraArgs: ['--replica-timeout-ms', '20000', '--request-timeout-ms', '30000'] });
    kv = createClient({ nodes: cluster.nodes.map((n) => n.address), timeoutMs: 30_000 });
    await kv.refreshRing();
  }, 60_000);
  afterAll(async () => {
    kv?.close();
    await cluster?.stop();
  });

  it('puts 64 values of exactly maxValueBytes at once, and reads some back', async () => {
    const value = (i: number): Uint8Array => new Uint8Array(MAX_VALUE_BYTES).fill(i);
    const started = Date.now();
    await Promise.all(Array.from({ length: 64 }, (_, i) => kv.put(`big-${i}`, value(i))));
    process.stdout.write(`64 puts of ${MAX_VALUE_BYTES} bytes (n=3, w=2) took ${Date.now() - started} ms\n`);
    for (const i of [0, 21, 42, 63]) {
      const read = await kv.get(`big-${i}`);
      expect(read.values).toHaveLength(1);
      expect(read.values[0]!.length).toBe(MAX_VALUE_BYTES);
      expect(read.values[0]![MAX_VALUE_BYTES - 1]).toBe(i);
    }
  }, 60_000);

  it('fails a value over the limit alone: INVALID_ARGUMENT when it fits a message, LIMIT_EXCEEDED when it does not', async () => {
    const fail = (p: Promise<unknown>): Promise<unknown> => p.then(() => 'stored', (e: unknown) => e);
    const [small1, slightlyOver, farOver, small2] = await Promise.all([
      fail(kv.put('neighbour-1', 'a')),
      fail(kv.put('slightly-over', new Uint8Array(MAX_VALUE_BYTES + 1))),
      fail(kv.put('far-over', new Uint8Array(3 * MAX_VALUE_BYTES))),
      fail(kv.put('neighbour-2', 'b')),
    ]);
    expect([small1, small2]).toEqual(['stored', 'stored']);
    expect(slightlyOver).toBeInstanceOf(InvalidArgumentError);
    expect(slightlyOver).toMatchObject({ field: 'value' });
    expect(farOver).toBeInstanceOf(LimitExceededError);
    expect(farOver).toMatchObject({ limit: 'maxMessageBytes', reason: 'limit_exceeded' });
  }, 30_000);
});
