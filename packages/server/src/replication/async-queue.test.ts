import { AsyncQueue } from './async-queue.js';

describe('AsyncQueue', () => {
  it('hands queued items out in order, then ends', async () => {
    const q = new AsyncQueue<number>();
    q.push(1);
    q.push(2);
    q.close();
    const seen: number[] = [];
    for await (const x of q) seen.push(x);
    expect(seen).toEqual([1, 2]);
  });

  it('fails a consumer that is already waiting when closed with an error (a stream handler must not end quietly)', async () => {
    const q = new AsyncQueue<number>();
    const it = q[Symbol.asyncIterator]();
    const waiting = it.next();
    q.close(new Error('broken'));
    await expect(waiting).rejects.toThrow('broken');
  });

  it('fails a consumer that asks after the queue was closed with an error, once the queued items are out', async () => {
    const q = new AsyncQueue<number>();
    q.push(7);
    q.close(new Error('broken'));
    const it = q[Symbol.asyncIterator]();
    await expect(it.next()).resolves.toEqual({ value: 7, done: false });
    await expect(it.next()).rejects.toThrow('broken');
  });
});
