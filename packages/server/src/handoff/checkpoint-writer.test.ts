import { createMemoryEngine, type StorageEngine } from '@quorumkv/storage';
import { CheckpointWriter } from './checkpoint-writer.js';

const KEY = 'handoff-checkpoint:1:0:n2';
const cursor = (n: number) => new Uint8Array([n]);

/** A memory engine whose metadata writes finish only when the test releases them, in order. */
function slowMeta(): { storage: StorageEngine; writes: number[]; running: () => number; release: () => Promise<void>; fail: (err: Error) => void } {
  const storage = createMemoryEngine({ partitionCount: 1, partitioner: () => 0, now: () => 0 });
  const writes: number[] = [];
  const pending: { done: () => void; value: Uint8Array }[] = [];
  let failure: Error | undefined;
  const setMeta = storage.setMeta.bind(storage);
  storage.setMeta = (name, value) =>
    new Promise<void>((resolve, reject) => {
      pending.push({
        value,
        done: () => {
          writes.push(value[0]!);
          if (failure) reject(failure);
          else void setMeta(name, value).then(resolve, reject);
        },
      });
    });
  const release = async () => {
    // Lets queued writes reach setMeta, then finishes the oldest.
    for (let i = 0; i < 5; i++) await Promise.resolve();
    pending.shift()?.done();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { storage, writes, running: () => pending.length, release, fail: (err) => (failure = err) };
}

describe('CheckpointWriter', () => {
  it('writes checkpoints in order, one at a time, collapsing those queued behind a running write into the last', async () => {
    const { storage, writes, running, release } = slowMeta();
    const writer = new CheckpointWriter(storage, KEY);
    writer.write(cursor(1));
    for (let i = 0; i < 5; i++) await Promise.resolve();
    // 1 is being written: 2 waits behind it, and 3 replaces 2 before its turn comes.
    writer.write(cursor(2));
    writer.write(cursor(3));
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(running()).toBe(1);
    await release();
    expect(writes).toEqual([1]);
    expect(running()).toBe(1);
    await release();
    await writer.settled();
    expect(writes).toEqual([1, 3]);
    expect([...storage.getMeta(KEY)!]).toEqual([3]);
  });

  it('does not make the caller wait for the write, and reports a failed write when settled', async () => {
    const { storage, release, fail } = slowMeta();
    const writer = new CheckpointWriter(storage, KEY);
    fail(new Error('disk full'));
    writer.write(cursor(1));
    let settled = false;
    const done = writer.settled().then(
      () => (settled = true),
      (err: unknown) => err,
    );
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(settled).toBe(false);
    await release();
    expect(await done).toEqual(new Error('disk full'));
    expect(storage.getMeta(KEY)).toBeUndefined();
  });
});
