import { createMemoryEngine } from '@quorumkv/storage';
import { versionVector } from '@quorumkv/vclock';
import { nodeOfActor } from './actor-id.js';
import { ActorEpochs } from './actor-epochs.js';

const engine = () => createMemoryEngine({ partitionCount: 8, partitioner: () => 0 });
const seeded = (n: number): Uint8Array => new Uint8Array(n).fill(1);
const start = (storage: ReturnType<typeof engine>, leaseBlock = 100) => ActorEpochs.start('n1', storage, { leaseBlock, randomBytes: seeded });
const context = (...actors: [string, number][]) => versionVector(actors);
const slot = (key: string) => ({ bucket: new TextEncoder().encode('default'), key: new TextEncoder().encode(key) });

describe('ActorEpochs: which actor a write mints under', () => {
  it('gives a key without local history a fresh epoch, and a key with a trusted epoch that epoch', async () => {
    const epochs = await start(engine());
    const a = epochs.actorFor(undefined)!;
    const b = epochs.actorFor(context(['n2~xyz.1', 4]))!;
    expect(a).toBe('n1~11111111.1');
    expect(b).toBe('n1~11111111.2');
    expect(nodeOfActor(a)).toBe('n1');
    // The record names two of this node's trusted epochs: the highest is used.
    expect(epochs.actorFor(context([a, 3], [b, 1], ['n2~xyz.1', 9]))).toBe(b);
  });

  it('never reuses an epoch it did not hand out, nor one of another incarnation or node', async () => {
    const epochs = await start(engine());
    expect(epochs.actorFor(context(['n1~11111111.50', 1]))).toBe('n1~11111111.1'); // not handed out yet
    expect(epochs.actorFor(context(['n1~otherinc.1', 1]))).toBe('n1~11111111.2');
    expect(epochs.actorFor(context(['n10~11111111.1', 1]))).toBe('n1~11111111.3');
    expect(epochs.actorFor(context(['n1~7', 1]))).toBe('n1~11111111.4'); // the old `node~epoch` form
  });

  it('keeps trusting its epochs across a clean stop, and trusts none after an unclean one', async () => {
    const storage = engine();
    const first = await start(storage);
    const actor = first.actorFor(undefined)!;
    await first.markCleanStop();
    // Nothing is minted after the marker: a write racing the stop is refused, not lost.
    expect(() => first.actorFor(undefined)).toThrow('node is stopping');
    const clean = await start(storage);
    expect(clean.actorFor(context([actor, 5]))).toBe(actor);
    // No marker this time (a crash): the old epoch is distrusted, a fresh one beyond the lease is used.
    const crashed = await start(storage);
    const fresh = crashed.actorFor(context([actor, 5]))!;
    expect(fresh).not.toBe(actor);
    expect(crashed.trustedFromEpoch).toBe(crashed.nextEpoch - 1);
    expect(parseInt(fresh.split('.')[1]!, 36)).toBeGreaterThan(200);
  });

  it('distrusts every epoch handed out so far after a failed commit, durably', async () => {
    const storage = engine();
    const epochs = await start(storage);
    const actor = epochs.actorFor(undefined)!;
    epochs.distrustAfterFailedCommit();
    expect(epochs.actorFor(context([actor, 1]))).not.toBe(actor);
    await epochs.markCleanStop();
    const again = await start(storage);
    expect(again.actorFor(context([actor, 1]))).not.toBe(actor);
  });

  it('distrusts every epoch handed out so far once a record is found corrupt', async () => {
    const epochs = await start(engine());
    const actor = epochs.actorFor(undefined)!;
    expect(epochs.actorFor(context([actor, 2]))).toBe(actor);
    epochs.distrustAfterLostRecord();
    // The lost record may have held dot 3 of the actor: a context naming counter 2 must not mint it.
    expect(epochs.actorFor(context([actor, 2]))).not.toBe(actor);
  });

  it('distrusts the epochs a copy stored into a lost slot names, and only those and older', async () => {
    const epochs = await start(engine());
    const older = epochs.actorFor(undefined)!;
    const copied = epochs.actorFor(undefined)!;
    const newer = epochs.actorFor(undefined)!;
    epochs.distrustCopy(context([copied, 2], ['n2~xyz.1', 1]), undefined, slot('k'));
    expect(epochs.actorFor(context([copied, 2]))).not.toBe(copied);
    expect(epochs.actorFor(context([older, 2]))).not.toBe(older);
    expect(epochs.actorFor(context([newer, 2]))).toBe(newer);
    // A copy naming no trusted epoch of this node changes nothing.
    epochs.distrustCopy(context(['n2~xyz.1', 1]), undefined, slot('k'));
    expect(epochs.actorFor(context([newer, 2]))).toBe(newer);
  });

  it('distrusts an epoch a copy knows more of than the local record, even when the record exists', async () => {
    const epochs = await start(engine());
    const actor = epochs.actorFor(undefined)!;
    // Knowing no more of it than the local record (the usual replica write) changes nothing.
    epochs.distrustCopy(context([actor, 2], ['n2~xyz.1', 5]), context([actor, 2]), slot('k'));
    expect(epochs.actorFor(context([actor, 2]))).toBe(actor);
    // A local record rebuilt from an earlier copy that did not name it, then a copy that does.
    epochs.distrustCopy(context([actor, 1], ['n2~xyz.1', 5]), context(['n2~xyz.1', 4]), slot('k'));
    expect(epochs.actorFor(context([actor, 1], ['n2~xyz.1', 5]))).not.toBe(actor);
  });

  it('trusts a copy into a slot it reaped that knows exactly what it reaped of its epochs, once', async () => {
    const epochs = await start(engine());
    const actor = epochs.actorFor(undefined)!;
    // The tombstone another replica has not reaped yet, with a newer write of that replica.
    epochs.noteReaped(slot('k').bucket, slot('k').key, context([actor, 2], ['n2~xyz.1', 1]));
    epochs.distrustCopy(context([actor, 2], ['n2~xyz.1', 2]), undefined, slot('k'));
    expect(epochs.actorFor(context([actor, 2]))).toBe(actor);
    // Remembered once: the slot holds a record again, so a later copy into an empty slot is a loss.
    epochs.distrustCopy(context([actor, 2]), undefined, slot('k'));
    expect(epochs.actorFor(context([actor, 2]))).not.toBe(actor);
  });

  it('distrusts a copy into a slot it reaped that knows less, or more, than what it reaped', async () => {
    for (const counter of [1, 3]) {
      const epochs = await start(engine());
      const actor = epochs.actorFor(undefined)!;
      epochs.noteReaped(slot('k').bucket, slot('k').key, context([actor, 2]));
      epochs.distrustCopy(context([actor, counter]), undefined, slot('k'));
      expect(epochs.actorFor(context([actor, 2]))).not.toBe(actor);
    }
  });

  it('hands out epochs up to the durable lease only, extending it ahead of need', async () => {
    const storage = engine();
    let failWrites = false;
    const store = {
      getMeta: (name: string) => storage.getMeta(name),
      setMeta: (name: string, value: Uint8Array) => (failWrites ? Promise.reject(new Error('disk gone')) : storage.setMeta(name, value)),
    };
    const epochs = await ActorEpochs.start('n1', store, { leaseBlock: 10, randomBytes: seeded });
    failWrites = true;
    const handed: string[] = [];
    for (let i = 0; i < 20; i++) {
      const a = epochs.actorFor(undefined);
      if (a === undefined) break;
      handed.push(a);
    }
    // The extension could not be persisted: exactly the first block was handed out.
    expect(handed).toHaveLength(10);
    await expect(epochs.available()).rejects.toThrow('disk gone');
    failWrites = false;
    await epochs.available();
    expect(epochs.actorFor(undefined)).toBe('n1~11111111.b');
    // A restart starts beyond everything leased, so nothing handed out is ever handed out again.
    const restarted = await ActorEpochs.start('n1', store, { leaseBlock: 10, randomBytes: seeded });
    expect(parseInt(restarted.actorFor(undefined)!.split('.')[1]!, 36)).toBeGreaterThan(11);
  });

  it('starts a new incarnation, trusting nothing, when its stored state is unreadable', async () => {
    const storage = engine();
    const first = await start(storage);
    const written = first.actorFor(undefined)!;
    for (const garbage of ['{"incarnation":', '{"incarnation":"x","lease":-1}', '\u0000\u00ff']) {
      await storage.setMeta('actor-epochs', new TextEncoder().encode(garbage));
      const seen: unknown[] = [];
      const again = await ActorEpochs.start('n1', storage, { leaseBlock: 100, onCorruptState: (e) => seen.push(e) });
      expect(seen).toHaveLength(1);
      expect(again.incarnation).not.toBe(first.incarnation);
      // Not even a key whose record names the old actor mints under it again.
      expect(again.actorFor(context([written, 1]))).not.toBe(written);
    }
    // A store whose metadata read fails (a checksum mismatch) is treated the same way.
    const failing = { getMeta: () => { throw new Error('corrupt metadata'); }, setMeta: (n: string, v: Uint8Array) => storage.setMeta(n, v) };
    const seen: unknown[] = [];
    expect((await ActorEpochs.start('n1', failing, { onCorruptState: (e) => seen.push(e) })).incarnation).toMatch(/^[0-9a-z]{8}$/);
    expect(seen).toHaveLength(1);
  });

  it('makes a new incarnation for a new data dir', async () => {
    const a = await ActorEpochs.start('n1', engine());
    const b = await ActorEpochs.start('n1', engine());
    expect(a.incarnation).not.toBe(b.incarnation);
    expect(a.incarnation).toMatch(/^[0-9a-z]{8}$/);
  });
});

describe('ActorEpochs: a write whose store failed before its rejection arrived', () => {
  it('does not mint from a record that lacks an unsettled dot of the same actor', async () => {
    const epochs = await start(engine());
    const actor = epochs.actorFor(undefined)!;
    // Dot (actor, 3) went out; the local record still says 2, and the store's failure is not known yet.
    const settle = epochs.minted(actor, 3);
    const next = epochs.actorFor(context([actor, 2]));
    expect(next).not.toBe(actor);
    settle();
    // Once distrusted, the old epoch stays distrusted.
    expect(epochs.actorFor(context([actor, 3]))).not.toBe(actor);
  });

  it('keeps minting under the actor when the unsettled dot is in the record (pipelined writes)', async () => {
    const epochs = await start(engine());
    const actor = epochs.actorFor(undefined)!;
    const settle = epochs.minted(actor, 1);
    expect(epochs.actorFor(context([actor, 1]))).toBe(actor);
    const settle2 = epochs.minted(actor, 2);
    settle();
    expect(epochs.actorFor(context([actor, 2]))).toBe(actor);
    settle2();
    expect(epochs.actorFor(context([actor, 2]))).toBe(actor);
  });
});
