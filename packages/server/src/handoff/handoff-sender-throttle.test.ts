import { jest } from '@jest/globals';
import { HandoffSender, type HandoffSenderDeps, type HandoffSenderOptions } from './handoff-sender.js';

// The adaptive throttle on its own (a private method: the sender's other deps are not needed).
const MAX = 64_000; // floor, start and step: 1,000 B/s

function batchBytesNow(bytesPerSecond: number, adaptive: boolean): number {
  const o: HandoffSenderOptions = { batchItems: 1000, batchBytes: 1024 * 1024, bytesPerSecond, adaptive, concurrency: 2, intervalMs: 1000 };
  const s = new HandoffSender({ now: () => Date.now() } as unknown as HandoffSenderDeps, o) as unknown as { batchBytesNow(): number };
  return s.batchBytesNow();
}

function sender(adaptive = true): { throttle: (bytes: number) => Promise<void>; paidUntil: () => number } {
  const o: HandoffSenderOptions = { batchItems: 1000, batchBytes: 1024 * 1024, bytesPerSecond: MAX, adaptive, concurrency: 2, intervalMs: 1000 };
  const s = new HandoffSender({ now: () => Date.now() } as unknown as HandoffSenderDeps, o) as unknown as { throttle(bytes: number): Promise<void>; paidUntil: number };
  return { throttle: (bytes) => s.throttle(bytes), paidUntil: () => s.paidUntil };
}

describe('HandoffSender adaptive throttle', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('lets every one of several concurrent batches out, one at a time, each after the one before has had its time', async () => {
    const s = sender();
    const released: { i: number; at: number; paidUntil: number }[] = [];
    const all = Array.from({ length: 6 }, (_, i) => s.throttle(1000).then(() => released.push({ i, at: Date.now(), paidUntil: s.paidUntil() })));
    await jest.advanceTimersByTimeAsync(60_000);
    await Promise.all(all);
    expect(released).toHaveLength(6);
    for (let k = 1; k < released.length; k++) expect(released[k]!.at).toBeGreaterThanOrEqual(released[k - 1]!.paidUntil);
    // The first goes at once; none waits more than the five before it at the start rate.
    expect(released[0]!.at).toBe(1_000_000);
    expect(released.at(-1)!.at - 1_000_000).toBeLessThanOrEqual(5_000);
    for (const r of released) expect(Number.isFinite(r.paidUntil)).toBe(true);
  });

  it('sizes adaptive batches to a quarter second at the pace (16 KiB at least, batchBytes at most); fixed ones to batchBytes', () => {
    expect(batchBytesNow(16 * 1024 * 1024, true)).toBe(64 * 1024); // starts at 256 KiB/s
    expect(batchBytesNow(MAX, true)).toBe(16 * 1024);
    expect(batchBytesNow(1024 * 1024 * 1024, true)).toBe(1024 * 1024);
    expect(batchBytesNow(MAX, false)).toBe(1024 * 1024);
    expect(batchBytesNow(0, true)).toBe(1024 * 1024); // unthrottled: no pace
  });

  // Batches take their turns in call order: one arriving as paidUntil passes, before an older
  // waiter's timer fires (a scan resumed by setImmediate does), must not overtake it (review helper-47).
  it.each([true, false])('serves waiters in call order: a late batch arriving at the boundary does not overtake a waiting one (adaptive: %s)', async (adaptive) => {
    const s = sender(adaptive);
    const order: string[] = [];
    await s.throttle(1000); // paidUntil = now + 1 s
    let arrivals = 0;
    const newcomer = (): void => {
      arrivals++;
      const name = `late${arrivals}`;
      void s.throttle(1000).then(() => {
        order.push(name);
        // The next one arrives exactly when this one's time is up (before the waiter's timer fires).
        if (arrivals < 5) setTimeout(newcomer, s.paidUntil() - Date.now());
      });
    };
    setTimeout(newcomer, s.paidUntil() - Date.now()); // timer made before the waiter's: fires first
    const waiter = s.throttle(1000).then(() => order.push('waiter'));
    await jest.advanceTimersByTimeAsync(60_000);
    await waiter;
    // FIFO: the waiter called throttle() before every late batch but the first (which arrived as paidUntil passed).
    expect(order.indexOf('waiter')).toBeLessThanOrEqual(1);
  });
});
