import { DrainWatch, Watchdog, messageDeadline, tickFor, type ConnectionTimeouts, type Watched } from './watchdog.js';

const T: ConnectionTimeouts = { firstByteMs: 10_000, headersMs: 10_000, idleMs: 120_000, messageMs: 10_000, messageMinBytesPerSecond: 65_536, drainMs: 30_000 };

describe('deadlines', () => {
  it('gives a message its timeout plus a second per messageMinBytesPerSecond received', () => {
    expect(messageDeadline(1_000, 0, T)).toBe(11_000);
    expect(messageDeadline(1_000, 65_536 * 30, T)).toBe(41_000);
  });

  it('calls output stalled only after drainMs without the reader taking anything', () => {
    const d = new DrainWatch();
    expect(d.stalled(0, 0, 100)).toBe(false);
    expect(d.stalled(500, 10, 100)).toBe(false);
    // More written, none read: the clock runs from the first unread byte.
    expect(d.stalled(800, 60, 100)).toBe(false);
    expect(d.stalled(800, 111, 100)).toBe(true);
    // Some read: progress.
    const e = new DrainWatch();
    e.stalled(800, 0, 100);
    expect(e.stalled(700, 90, 100)).toBe(false);
    expect(e.stalled(700, 180, 100)).toBe(false);
    expect(e.stalled(700, 191, 100)).toBe(true);
  });

  it('sweeps at a quarter of the shortest timeout, between 5 ms and 1 s', () => {
    expect(tickFor(T)).toBe(1000);
    expect(tickFor({ ...T, headersMs: 400 })).toBe(100);
    expect(tickFor({ ...T, firstByteMs: 1 })).toBe(5);
  });
});

describe('Watchdog', () => {
  it('cuts what overstayed once, counts it, and forgets it', () => {
    let now = 0;
    const cuts: string[] = [];
    const dog = new Watchdog({ tickMs: 1000, now: () => now, onCut: (scope, reason) => cuts.push(`${scope}:${reason}`) });
    const cutCalls: string[] = [];
    const watched = (name: string, dueMs: number): Watched => ({
      scope: 'stream',
      check: (n) => (n > dueMs ? 'message_timeout' : undefined),
      cut: (reason) => cutCalls.push(`${name}:${reason}`),
    });
    dog.watch(watched('a', 100));
    const unwatchB = dog.watch(watched('b', 50));
    dog.watch(watched('c', 500));
    unwatchB();
    now = 200;
    dog.sweep();
    now = 300;
    dog.sweep();
    expect(cutCalls).toEqual(['a:message_timeout']);
    expect(cuts).toEqual(['stream:message_timeout']);
    now = 600;
    dog.sweep();
    expect(cutCalls).toEqual(['a:message_timeout', 'c:message_timeout']);
    dog.stop();
  });
});
