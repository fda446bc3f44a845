import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BucketPropsSchema, ListBucketsResponseSchema, type BucketProps } from '@quorumkv/protocol';
import { NodeClusterChangeError, NodeLimitExceededError } from '../errors/errors.js';
import { BucketRegistry, type BucketStore } from './buckets.js';

describe('BucketRegistry', () => {
  let persisted: [string, BucketProps][];
  let published: string[];
  const store: BucketStore = {
    publish: (key) => void published.push(key),
    persist: async (key, value) => void persisted.push([key, fromBinary(BucketPropsSchema, value)]),
  };
  const registry = (maxBuckets: number, autoCreate = false) => new BucketRegistry({ n: 3, r: 2, w: 2, autoCreate, maxBuckets }, () => 3, store);
  beforeEach(() => {
    persisted = [];
    published = [];
  });

  it('refuses a new bucket past the cap, changing nothing, and still updates existing ones', async () => {
    const buckets = registry(2);
    await buckets.create(create(BucketPropsSchema, { name: 'a' }));
    await buckets.create(create(BucketPropsSchema, { name: 'b' }));
    const before = buckets.list();
    const err = await buckets.create(create(BucketPropsSchema, { name: 'c' })).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(NodeLimitExceededError);
    expect((err as NodeLimitExceededError).message).toBe('limit exceeded: maxBuckets: the cluster has 2 buckets, the most it allows; bucket "c" was not created');
    expect(buckets.list()).toEqual(before);
    expect(published).toEqual(['bucket:a', 'bucket:b']);
    expect(persisted.map(([k]) => k)).toEqual(['bucket:a', 'bucket:b']);
    await buckets.create(create(BucketPropsSchema, { name: 'a', n: 1 }));
    expect(buckets.get('a')?.n).toBe(1);
  });

  it('saves only the definition that changed', async () => {
    const buckets = registry(100);
    for (const name of ['a', 'b', 'c']) await buckets.create(create(BucketPropsSchema, { name }));
    await buckets.create(create(BucketPropsSchema, { name: 'b', n: 2 }));
    expect(persisted.map(([k, p]) => `${k}@${p.version}`)).toEqual(['bucket:a@1', 'bucket:b@1', 'bucket:c@1', 'bucket:b@2']);
    // A definition that arrives by gossip is saved alone too.
    buckets.applyMetadata('bucket:d', toBinary(BucketPropsSchema, create(BucketPropsSchema, { name: 'd', n: 1, r: 1, w: 1, version: 4n })));
    expect(persisted.at(-1)?.[0]).toBe('bucket:d');
  });

  it('loads one definition per entry, and the old all-in-one list, the highest version winning', () => {
    const buckets = registry(100);
    const legacy = toBinary(ListBucketsResponseSchema, create(ListBucketsResponseSchema, { buckets: [create(BucketPropsSchema, { name: 'a', n: 1, version: 3n }), create(BucketPropsSchema, { name: 'b', n: 1, version: 1n })] }));
    buckets.load([toBinary(BucketPropsSchema, create(BucketPropsSchema, { name: 'a', n: 2, version: 2n })), toBinary(BucketPropsSchema, create(BucketPropsSchema, { name: 'b', n: 3, version: 2n }))], legacy);
    expect([buckets.get('a')?.n, buckets.get('b')?.n]).toEqual([1, 3]);
  });

  it('refuses to auto-create a bucket past the cap', () => {
    const buckets = registry(1, true);
    expect(buckets.resolve('first').name).toBe('first');
    expect(() => buckets.resolve('second')).toThrow(NodeLimitExceededError);
    expect(buckets.list().map((b) => b.name)).toEqual(['default', 'first']);
  });

  it('refuses, during a ring change, a bucket with more replicas than the change copies data for, and a raise of n past it', async () => {
    let transition: { n: number; targetNodes: number } | undefined = { n: 3, targetNodes: 5 };
    const buckets = new BucketRegistry({ n: 3, r: 2, w: 2, autoCreate: false, maxBuckets: 10 }, () => 3, store, () => transition);
    await buckets.create(create(BucketPropsSchema, { name: 'three', n: 3 }));
    const err = await buckets.create(create(BucketPropsSchema, { name: 'five', n: 5 })).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(NodeClusterChangeError);
    expect((err as Error).message).toContain('props.n: bucket "five" with n=5 would have 5 replicas, more than the n=3 the ring change in progress copies data for');
    const raise = await buckets.create(create(BucketPropsSchema, { name: 'three', n: 4 })).then(() => undefined, (e: unknown) => e);
    expect(raise).toBeInstanceOf(NodeClusterChangeError);
    expect(buckets.get('five')).toBeUndefined();
    expect(buckets.get('three')?.n).toBe(3);
    // n=7 on a cluster of 3 nodes: 3 replicas, which the change covers.
    transition = { n: 3, targetNodes: 3 };
    await buckets.create(create(BucketPropsSchema, { name: 'seven', n: 7 }));
    transition = undefined;
    expect((await buckets.create(create(BucketPropsSchema, { name: 'five', n: 5 }))).n).toBe(5);
  });
});
