import fc from 'fast-check';
import { ConnectionBudget, NodeBudget, StreamBudget, type BudgetTicket } from './stream-budget.js';

const MIB = 1024 * 1024;
/** A node budget that never limits. */
const roomyNode = (): NodeBudget => new NodeBudget({ maxInFlight: Infinity, maxBytes: Infinity });

describe('StreamBudget', () => {
  it('runs few large reads at once and many small ones, as results come in', () => {
    const conn = new ConnectionBudget({ maxInFlight: 10_000, maxBytes: 1024 * MIB }, roomyNode());
    const stream = new StreamBudget({ maxInFlight: 1024, maxBytes: 8 * MIB }, conn, MIB, () => undefined);
    // Before any result, each read is assumed to return the largest value.
    const first: BudgetTicket[] = [];
    for (let t = stream.tryStart(1, 20); t; t = stream.tryStart(1, 20)) first.push(t);
    expect(first).toHaveLength(7);
    // Small results bring the estimate down: then hundreds fit.
    for (const t of first) stream.finish(t, 100);
    for (let i = 0; i < first.length; i++) stream.drained(100);
    for (let i = 0; i < 200; i++) {
      const t = stream.tryStart(1, 20)!;
      stream.finish(t, 100);
      stream.drained(100);
    }
    let running = 0;
    while (stream.tryStart(1, 20)) running++;
    expect(running).toBe(1024);
  });

  it('takes nothing more while unread responses fill it, even with nothing running', () => {
    let woken = 0;
    const conn = new ConnectionBudget({ maxInFlight: 100, maxBytes: 100 * MIB }, roomyNode());
    const stream = new StreamBudget({ maxInFlight: 100, maxBytes: 4 * MIB }, conn, 1024, () => woken++);
    const t = stream.tryStart(1, 10)!;
    stream.finish(t, 5 * MIB);
    expect(stream.inFlight).toBe(0);
    expect(stream.hasRoom).toBe(false);
    expect(stream.tryStart(1, 10)).toBeUndefined();
    stream.drained(5 * MIB);
    expect(woken).toBeGreaterThan(0);
    expect(stream.tryStart(1, 10)).toBeDefined();
  });

  it('always takes one piece of work when idle, however large (progress)', () => {
    const conn = new ConnectionBudget({ maxInFlight: 100, maxBytes: MIB }, roomyNode());
    const stream = new StreamBudget({ maxInFlight: 1, maxBytes: MIB }, conn, 1024, () => undefined);
    expect(stream.tryStart(64, 10 * MIB)).toBeDefined();
    expect(stream.tryStart(1, 1)).toBeUndefined();
  });

  it("shares the connection's limits between its streams, and wakes a waiting stream when another frees room", () => {
    const conn = new ConnectionBudget({ maxInFlight: 4, maxBytes: 100 * MIB }, roomyNode());
    let bWoken = 0;
    const a = new StreamBudget({ maxInFlight: 100, maxBytes: 100 * MIB }, conn, 64, () => undefined);
    const b = new StreamBudget({ maxInFlight: 100, maxBytes: 100 * MIB }, conn, 64, () => bWoken++);
    const held = [a.tryStart(1, 0)!, a.tryStart(1, 0)!, a.tryStart(1, 0)!, a.tryStart(1, 0)!];
    expect(conn.inFlight).toBe(4);
    // b has nothing running, but the connection is full.
    expect(b.tryStart(1, 0)).toBeUndefined();
    a.finish(held[0]!, 10);
    expect(bWoken).toBe(1);
    expect(b.tryStart(1, 0)).toBeDefined();
    // A stream that goes away gives back all it held.
    a.close();
    expect(conn.inFlight).toBe(1);
    expect(conn.bytes).toBe(b.bytes);
  });

  it('keeps the connection equal to the sum of its streams, whatever the order of events', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: 2 }), fc.nat({ max: 3 }), fc.nat({ max: 4 * MIB })), { maxLength: 200 }), (events) => {
        const node = new NodeBudget({ maxInFlight: Infinity, maxBytes: 12 * MIB });
        const conn = new ConnectionBudget({ maxInFlight: 20, maxBytes: 16 * MIB }, node);
        const streams = [0, 1, 2].map(() => new StreamBudget({ maxInFlight: 10, maxBytes: 8 * MIB }, conn, MIB, () => undefined));
        const running: BudgetTicket[][] = [[], [], []];
        const unread: number[][] = [[], [], []];
        for (const [s, kind, bytes] of events) {
          const stream = streams[s]!;
          if (kind === 0) {
            const t = stream.tryStart(1 + (bytes % 3), bytes % 1000);
            if (t) running[s]!.push(t);
          } else if (kind === 1 && running[s]!.length > 0) {
            stream.finish(running[s]!.shift()!, bytes);
            unread[s]!.push(bytes);
          } else if (kind === 2 && unread[s]!.length > 0) {
            stream.drained(unread[s]!.shift()!);
          } else if (kind === 3 && s === 2) {
            stream.close();
            running[s] = [];
            unread[s] = [];
          }
          expect(conn.inFlight).toBe(streams.reduce((n, x) => n + x.inFlight, 0));
          expect(conn.bytes).toBe(streams.reduce((n, x) => n + x.bytes, 0));
          expect(node.bytes).toBe(conn.bytes);
          for (const x of streams) expect(x.inFlight).toBeLessThanOrEqual(10 + 2);
        }
      }),
      { seed: 15, numRuns: 200 },
    );
  });

  it('starts nothing more while the node is full, and asks to shed when unread responses hold half of it', () => {
    const node = new NodeBudget({ maxInFlight: Infinity, maxBytes: 10 * MIB });
    const woken: string[] = [];
    const streams = ['a', 'b', 'c'].map((name) => new StreamBudget({ maxInFlight: 100, maxBytes: 8 * MIB }, new ConnectionBudget({ maxInFlight: 100, maxBytes: 8 * MIB }, node), MIB, () => woken.push(name)));
    const [a, b, c] = streams as [StreamBudget, StreamBudget, StreamBudget];
    // a and b never read: 4 MiB each of unread responses.
    for (const s of [a, b]) s.finish(s.tryStart(1, 0)!, 4 * MIB);
    expect(node.overHoarded).toBe(true);
    expect(node.hoardedExcess).toBe(3 * MIB);
    // c reads: two MiB-sized reads fit (up to the node's 10 MiB), a third does not; c waits on the node.
    const running = [c.tryStart(1, 0)!, c.tryStart(1, 0)!];
    expect(running.every(Boolean)).toBe(true);
    expect(c.tryStart(1, 0)).toBeUndefined();
    // Shedding a closes its connection's share: c is woken and fits again.
    a.close();
    expect(woken).toContain('c');
    expect(node.overHoarded).toBe(false);
    expect(c.tryStart(1, 0)).toBeDefined();
  });
});
