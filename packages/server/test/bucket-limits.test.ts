// Buckets per cluster are capped (issue #15): the bucket past the cap is refused with
// RESOURCE_EXHAUSTED (reason LIMIT_EXCEEDED, naming maxBuckets) wherever it is asked for, and
// nothing changes on any node; existing buckets can still be updated.
import { Code, ConnectError } from '@connectrpc/connect';
import { ErrorDetailSchema, ErrorReason } from '@quorumkv/protocol';
import { eventually, useCluster } from './support.js';

const CAP = 3;

describe('bucket cap', () => {
  const { clients, nodes } = useCluster({ nodes: 2, n: 2, r: 1, w: 1, hostBase: 131, extraArgs: ['--max-buckets', String(CAP)] });
  const names = async (i: number) => (await clients.of(nodes()[i]!).admin.listBuckets({})).buckets.map((b) => `${b.name}:${b.n}`).sort();

  it('refuses the bucket past the cap with a clear error, and nothing changes', async () => {
    const [n1, n2] = nodes();
    for (let i = 0; i < CAP; i++) await clients.of(n1!).admin.createBucket({ props: { name: `b${i}`, n: 1 } });
    const want = ['b0:1', 'b1:1', 'b2:1', 'default:2'];
    expect(await eventually(async () => JSON.stringify(await names(1)) === JSON.stringify(want), 10_000)).toBe(true);
    for (const node of [n1!, n2!]) {
      const err = await clients
        .of(node)
        .admin.createBucket({ props: { name: 'one-too-many', n: 1 } })
        .then(() => undefined, (e: unknown) => ConnectError.from(e));
      expect(err?.code).toBe(Code.ResourceExhausted);
      expect(err?.rawMessage).toMatch(/maxBuckets: the cluster has 3 buckets, the most it allows; bucket "one-too-many" was not created/);
      const detail = err?.findDetails(ErrorDetailSchema)[0];
      expect([detail?.reason, detail?.field]).toEqual([ErrorReason.LIMIT_EXCEEDED, 'maxBuckets']);
    }
    expect(await names(0)).toEqual(want);
    expect(await names(1)).toEqual(want);
    // An existing bucket can still change.
    await clients.of(n2!).admin.createBucket({ props: { name: 'b1', n: 2 } });
    expect(await eventually(async () => (await names(0)).includes('b1:2'), 10_000)).toBe(true);
  });
});
