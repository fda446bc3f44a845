// Last-write-wins buckets discard a write that loses on timestamp; the receipt says so instead of
// acknowledging it without a word. Node 1's LWW timestamps run a minute ahead (the testing knob
// --lww-clock-offset-ms stands in for a skewed clock), so a later write through node 2 loses.
import { startCluster, type Cluster } from '@quorumkv/harness';
import { createClient, type QuorumKvClient } from '../src/node.js';

let cluster: Cluster;
const clients: QuorumKvClient[] = [];
const pinned = (i: number): QuorumKvClient => {
  const c = createClient({ nodes: [cluster.nodes[i]!.address], routing: false, timeoutMs: 5_000 });
  clients.push(c);
  return c;
};

beforeAll(async () => {
  cluster = await startCluster({ nodes: 3, partitions: 16, hostBase: 52, nodeArgs: { 0: ['--lww-clock-offset-ms', '60000'] } });
  await pinned(0).admin.createBucket({ name: 'latest', conflicts: 'lww' });
  // Bucket definitions spread by gossip: wait (bounded) until every node knows this one.
  const admins = [0, 1, 2].map((i) => pinned(i).admin);
  for (let i = 0; i < 100; i++) {
    const known = await Promise.all(admins.map(async (a) => (await a.getBucket('latest'))?.conflicts === 'lww'));
    if (known.every(Boolean)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('bucket "latest" did not reach every node within 10 s');
});
afterAll(async () => {
  for (const c of clients) c.close();
  await cluster?.stop();
});

describe('the receipt of a write to an LWW bucket', () => {
  it('says lwwLost when the coordinator already held a later value, and the later value stays', async () => {
    const ahead = pinned(0);
    const behind = pinned(1);
    const first = await ahead.putString('k', 'from the future', { bucket: 'latest', w: 3 });
    expect(first.receipt.lwwLost).toBe(false);
    const later = await behind.putString('k', 'written later, older stamp', { bucket: 'latest', w: 3 });
    expect(later.receipt.lwwLost).toBe(true);
    expect((await behind.getString('k', { bucket: 'latest', r: 3 })).values).toEqual(['from the future']);
    // Timestamps decide only between concurrent writes: one that saw the value (a put with its
    // context, or a delete, which takes the coordinator's) supersedes it, whatever its stamp.
    const { context } = await behind.get('k', { bucket: 'latest', r: 3 });
    const informed = await behind.putString('k', 'saw it', { bucket: 'latest', w: 3, context });
    expect(informed.receipt.lwwLost).toBe(false);
    expect((await behind.getString('k', { bucket: 'latest', r: 3 })).values).toEqual(['saw it']);
    const del = await behind.delete('k', { bucket: 'latest', w: 3 });
    expect(del.receipt.lwwLost).toBe(false);
    expect((await behind.getString('k', { bucket: 'latest', r: 3 })).found).toBe(false);
  });

  it('is false for writes that win, and never set in a siblings bucket', async () => {
    const behind = pinned(1);
    expect((await behind.putString('fresh', 'a', { bucket: 'latest' })).receipt.lwwLost).toBe(false);
    expect((await behind.putString('fresh', 'b', { bucket: 'latest' })).receipt.lwwLost).toBe(false);
    await pinned(0).putString('sib', 'ahead', { w: 3 });
    const blind = await behind.putString('sib', 'behind');
    expect(blind.receipt.lwwLost).toBe(false);
    expect((await behind.getString('sib', { r: 3 })).values.sort()).toEqual(['ahead', 'behind']);
  });
});
