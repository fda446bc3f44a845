import { Awareness } from './awareness.js';
import { BroadcastQueue, retransmitLimit } from './broadcast-queue.js';
import { MetadataStore } from './metadata.js';
import { Suspicion, expectedConfirmations, suspicionMinTimeoutMs } from './suspicion.js';

const b = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe('suspicion', () => {
  test('timeout scales with log10(n) and falls from max to min with confirmations', () => {
    expect(suspicionMinTimeoutMs(4, 10, 1000)).toBe(4000);
    expect(suspicionMinTimeoutMs(4, 100, 1000)).toBe(8000);
    const s = new Suspicion(3, 'a', 2, 0, 1000, 6000);
    expect(s.deadlineMs).toBe(6000);
    expect(s.confirm('a')).toBe(false); // the accuser does not confirm itself
    expect(s.confirm('b')).toBe(true);
    expect(s.deadlineMs).toBeLessThan(6000);
    expect(s.confirm('b')).toBe(false);
    expect(s.confirm('c')).toBe(true);
    expect(s.deadlineMs).toBe(1000);
    expect(s.confirm('d')).toBe(false);
    s.postpone(5000);
    expect(s.deadlineMs).toBe(5000);
  });

  test('confirmations needed: multiplier - 2, capped by the members that can give one (one in a 3-member cluster)', () => {
    expect([2, 3, 4, 5, 50].map((n) => expectedConfirmations(4, n))).toEqual([0, 1, 2, 2, 2]);
    expect(expectedConfirmations(2, 50)).toBe(0);
  });
});

describe('broadcast queue', () => {
  test('least-transmitted first, newest first, dropped at the limit, replaced by subject', () => {
    const q = new BroadcastQueue();
    q.enqueue('m:a', { kind: 'left', id: 'a', incarnation: 1 }, 10);
    q.enqueue('m:b', { kind: 'left', id: 'b', incarnation: 1 }, 10);
    expect(q.take(1000, 2).map((g) => (g.kind === 'left' ? g.id : ''))).toEqual(['b', 'a']);
    q.enqueue('m:a', { kind: 'left', id: 'a', incarnation: 2 }, 10);
    expect(q.take(15, 2)).toEqual([{ kind: 'left', id: 'a', incarnation: 2 }]);
    expect(q.take(1000, 2).length).toBe(2);
    expect(q.size).toBe(0);
    expect(retransmitLimit(4, 50)).toBe(8);
  });

  test('an update larger than any message is dropped instead of waiting forever', () => {
    const q = new BroadcastQueue();
    q.enqueue('k:ring', { kind: 'left', id: 'big', incarnation: 1 }, 5000);
    q.enqueue('m:a', { kind: 'left', id: 'a', incarnation: 1 }, 10);
    expect(q.take(1200, 4)).toEqual([{ kind: 'left', id: 'a', incarnation: 1 }]);
    expect(q.size).toBe(1);
  });
});

describe('metadata store', () => {
  test('highest version wins, ties by bytes, in any order', () => {
    const entries = [
      { key: 'k', version: 2, value: b('x') },
      { key: 'k', version: 3, value: b('a') },
      { key: 'k', version: 3, value: b('b') },
      { key: 'k', version: 1, value: b('z') },
    ];
    for (const order of [entries, [...entries].reverse()]) {
      const store = new MetadataStore();
      for (const e of order) store.apply(e);
      expect(store.get('k')).toEqual({ key: 'k', version: 3, value: b('b') });
    }
  });
});

describe('awareness', () => {
  test('clamps to [0, max-1] and scales timeouts', () => {
    const a = new Awareness(3);
    a.applyDelta(-1);
    expect(a.getScore()).toBe(0);
    a.applyDelta(10);
    expect(a.getScore()).toBe(2);
    expect(a.scale(500)).toBe(1500);
  });
});
