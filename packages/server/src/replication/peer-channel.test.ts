import type { Client } from '@connectrpc/connect';
import { ReplicaOp, newReplicaItem, type ByteStream, type ReplicaService } from '@quorumkv/protocol';
import { PeerChannel, PeerUnavailableError } from './peer-channel.js';

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
