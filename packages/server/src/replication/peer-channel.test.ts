import type { Client } from '@connectrpc/connect';
import { ReplicaOp, newReplicaItem, type ByteStream, type ReplicaService } from '@quorumkv/protocol';
import { PeerChannel, PeerUnavailableError, type PeerChannelOptions } from './peer-channel.js';

/** A peer that accepts the stream and every write, and never answers. */
function silentPeer(): { open: () => Promise<ByteStream>; read: (s: ByteStream) => void; writes: () => number } {
  let writes = 0;
  const stream: ByteStream = { write: () => (writes++, true), end: () => undefined, close: () => undefined, on: () => stream };
  return { open: () => Promise.resolve(stream), read: () => undefined, writes: () => writes };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('PeerChannel with a peer that stops answering', () => {
  it('breaks the stream once its oldest message waited past stallMs, failing its items instead of queueing forever', async () => {
    let nowMs = 0;
    const peer = silentPeer();
    const channel = new PeerChannel('p', {} as Client<typeof ReplicaService>, peer, {
      mode: 'stream',
      batchItems: 64,
      batchBytes: 65536,
      window: 1,
      maxQueuedItems: 100,
      maxQueuedBytes: 1 << 20,
      stallMs: 100,
      header: () => ({ $typeName: 'quorumkv.v1.ReplicaHeader', fromNode: 'me', ringVersion: 1n, clusterId: '', ring: new Uint8Array(0) }),
      onHeader: () => undefined,
      now: () => nowMs,
    });
    const item = { ...newReplicaItem(), op: ReplicaOp.READ, bucket: 'default', key: new Uint8Array([1]) };
    const first = channel.send(item);
    const firstOutcome = first.then(() => 'answered', (e: unknown) => e);
    await turn();
    await turn();
    expect(peer.writes()).toBe(1);
    // Within stallMs a full window only queues.
    nowMs = 50;
    const second = channel.send({ ...item });
    void second.catch(() => undefined);
    expect(channel.available).toBe(true);
    // Past it, the next item breaks the stream: in-flight items fail over and the peer backs off.
    nowMs = 151;
    await expect(channel.send({ ...item })).rejects.toBeInstanceOf(PeerUnavailableError);
    expect(await firstOutcome).toBeInstanceOf(PeerUnavailableError);
    expect(channel.available).toBe(false);
    channel.close();
    await expect(second).rejects.toBeInstanceOf(PeerUnavailableError);
  });
});

describe('PeerChannel queue bound', () => {
  it('fails items past the queue limits at once, without marking the peer down, while the window is full', async () => {
    const peer = silentPeer();
    let full = 0;
    const options: PeerChannelOptions = {
      mode: 'stream',
      batchItems: 64,
      batchBytes: 65536,
      window: 1,
      maxQueuedItems: 2,
      maxQueuedBytes: 10_000,
      onQueueFull: () => full++,
      stallMs: 60_000,
      header: () => ({ $typeName: 'quorumkv.v1.ReplicaHeader', fromNode: 'me', ringVersion: 1n, clusterId: '', ring: new Uint8Array(0) }),
      onHeader: () => undefined,
      now: () => 0,
    };
    const channel = new PeerChannel('p', {} as Client<typeof ReplicaService>, peer, options);
    const item = (recordBytes: number) => ({ ...newReplicaItem(), op: ReplicaOp.WRITE, bucket: 'default', key: new Uint8Array([1]), record: new Uint8Array(recordBytes) });
    const outcomes: Promise<unknown>[] = [];
    const keep = (p: Promise<unknown>): void => void outcomes.push(p.catch((e: unknown) => e));
    keep(channel.send(item(10)));
    await turn();
    expect(peer.writes()).toBe(1);
    // The window (1 message) is full: two items may wait, a third may not.
    keep(channel.send(item(10)));
    keep(channel.send(item(10)));
    await expect(channel.send(item(10))).rejects.toThrow(/queue full \(2 items/);
    expect(full).toBe(1);
    expect(channel.available).toBe(true);
    channel.close();
    await Promise.all(outcomes);
    // Bytes: one large item is always taken into an empty queue, a second is not.
    const bytes = new PeerChannel('q', {} as Client<typeof ReplicaService>, silentPeer(), { ...options, maxQueuedItems: 100, maxQueuedBytes: 5_000 });
    keep(bytes.send(item(10)));
    await turn();
    keep(bytes.send(item(8_000)));
    await expect(bytes.send(item(10))).rejects.toBeInstanceOf(PeerUnavailableError);
    bytes.close();
    await Promise.all(outcomes);
  });
});

describe('PeerChannel header', () => {
  it('names the oldest ring version its items were routed by, not a ring adopted while they were queued', async () => {
    let ringNow = 7;
    const sent: bigint[][] = [];
    const peer = silentPeer();
    const options: PeerChannelOptions = {
      mode: 'stream',
      batchItems: 64,
      batchBytes: 65536,
      window: 2,
      maxQueuedItems: 100,
      maxQueuedBytes: 1 << 20,
      stallMs: 60_000,
      header: (routedBy) => {
        const ringVersion = BigInt(Math.min(routedBy ?? ringNow, ringNow));
        sent.push([ringVersion]);
        return { $typeName: 'quorumkv.v1.ReplicaHeader', fromNode: 'me', ringVersion, clusterId: '', ring: new Uint8Array(0) };
      },
      onHeader: () => undefined,
      now: () => 0,
    };
    const channel = new PeerChannel('p', {} as Client<typeof ReplicaService>, peer, options);
    const item = { ...newReplicaItem(), op: ReplicaOp.WRITE, bucket: 'default', key: new Uint8Array([1]) };
    const keep = (p: Promise<unknown>): void => void p.catch(() => undefined);
    // Routed by version 7; the node adopts version 8 before the message leaves (next turn).
    keep(channel.send({ ...item }, 7));
    ringNow = 8;
    await turn();
    // Queued in one turn, these leave as one message: routed by 8, by 6, and unsaid.
    keep(channel.send({ ...item }, 8));
    keep(channel.send({ ...item }, 6));
    keep(channel.send({ ...item }));
    await turn();
    expect(sent).toEqual([[7n], [6n]]);
    channel.close();
    // Unrouted items alone: the ring now.
    const plain = new PeerChannel('q', {} as Client<typeof ReplicaService>, silentPeer(), options);
    keep(plain.send({ ...item }));
    await turn();
    expect(sent).toEqual([[7n], [6n], [8n]]);
    plain.close();
  });
});
