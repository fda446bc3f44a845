import { createMemoryEngine, type MemoryEngine } from '@quorumkv/storage';
import { NodeMetrics } from '../observability/metrics.js';
import { HINT_DROP_QUARANTINE_MS, HintAdmission, HintRefusedError, type HintAdmissionOptions } from './hint-admission.js';
import { systemTimers } from '../clock/timers.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const WINDOW = 10_000;
const MAX_AGE = 60_000;

describe('HintAdmission', () => {
  let nowMs: number;
  let storage: MemoryEngine;
  let up: Set<string>;
  let gone: Map<string, number>;
  let members: Set<string>;
  let metrics: NodeMetrics;
  let hints: HintAdmission;
  const make = (o: Partial<HintAdmissionOptions> = {}) =>
    new HintAdmission(
      { storage, isMember: (id) => members.has(id), isUp: (id) => up.has(id), goneSinceMs: (id) => gone.get(id), metrics, now: () => nowMs, timers: systemTimers, warn: () => undefined },
      { limits: { maxPerTarget: 3, maxTotal: 5, maxBytes: 1e6 }, windowMs: WINDOW, maxAgeMs: MAX_AGE, ...o },
    );
  const store = (target: string, key: string, value = 'v') => hints.store(target, enc('default'), enc(key), enc(value));
  const refusal = (p: Promise<void>) => p.then(() => undefined, (e: unknown) => e as HintRefusedError);
  const counter = async (name: string) => (await metrics.registry.getSingleMetricAsString(name)).split('\n').filter((l) => !l.startsWith('#')).join(' ');

  beforeEach(() => {
    nowMs = 1_000_000;
    storage = createMemoryEngine({ partitionCount: 8, partitioner: () => 0, now: () => nowMs });
    up = new Set(['a']);
    gone = new Map();
    members = new Set(['a', 'b', 'c']);
    metrics = new NodeMetrics(() => undefined);
    hints = make();
  });

  it('refuses a target that is not a member of the ring, stores nothing and counts it', async () => {
    const err = await refusal(store('zz', 'k'));
    expect(err).toBeInstanceOf(HintRefusedError);
    expect([err!.reason, err!.message]).toEqual(['not_member', 'hint_for: "zz" is not a member of the ring']);
    expect(storage.countHints()).toBe(0);
    expect(await counter('quorumkv_hints_refused_total')).toContain('reason="not_member"} 1');
    expect(hints.report().refused).toBe(1);
  });

  it('closes the hint window once a target has been down longer than it, from gossip’s time or its own first sight', async () => {
    // Gossip has had b down since 2 s ago: 8 s of window left.
    gone.set('b', nowMs - 2_000);
    await store('b', 'k1');
    nowMs += 7_999;
    await store('b', 'k2');
    nowMs += 2;
    const err = await refusal(store('b', 'k3'));
    expect([err?.reason, err?.message]).toEqual(['window', 'hint_for: "b" has been down for 10001 ms, longer than the hint window (10000 ms)']);
    expect(storage.countHints('b')).toBe(2);
    expect(hints.report().targets).toEqual([{ nodeId: 'b', pending: 2, bytes: expect.any(Number), oldestAgeMs: 8_001, downForMs: 10_001, windowClosed: true }]);
    // Gossip's later state change (suspect → dead) does not restart the clock.
    gone.set('b', nowMs);
    expect((await refusal(store('b', 'k4')))?.reason).toBe('window');
    // Back up: the window opens again, and a new outage starts a new one.
    up.add('b');
    await store('b', 'k5');
    up.delete('b');
    gone.delete('b');
    nowMs += 1;
    await store('b', 'k6');
    nowMs += WINDOW + 1;
    expect((await refusal(store('b', 'k7')))?.reason).toBe('window');
    expect(await counter('quorumkv_hints_refused_total')).toContain('reason="window"} 3');
  });

  it('a target that is up is never refused by the window (hints for slow replicas)', async () => {
    up.add('b');
    nowMs += 10 * WINDOW;
    await store('b', 'k');
    expect(storage.countHints('b')).toBe(1);
  });

  it('counts evictions by limit, and answers pending for a while after dropping any hint', async () => {
    up.add('b').add('c');
    for (let i = 0; i < 4; i++) await store('b', `b${i}`);
    expect(await counter('quorumkv_hints_evicted_total')).toContain('limit="per_target"} 1');
    for (let i = 0; i < 3; i++) await store('c', `c${i}`);
    expect(await counter('quorumkv_hints_evicted_total')).toContain('limit="total"} 1');
    expect(storage.countHints()).toBe(5);
    expect(hints.report().evicted).toBe(2);
    await storage.ackHints('b', storage.hintsFor('b', 10).map((h) => h.id));
    await storage.ackHints('c', storage.hintsFor('c', 10).map((h) => h.id));
    // Nothing stored, but a delivery of an evicted hint could still be in flight.
    expect(hints.pendingFor('b')).toBe(true);
    expect(hints.anyPending()).toBe(true);
    nowMs += HINT_DROP_QUARANTINE_MS;
    expect(hints.pendingFor('b')).toBe(false);
    expect(hints.anyPending()).toBe(false);
  });

  it('refuses a hint larger than the hint quota, dropping nothing', async () => {
    hints = make({ limits: { maxPerTarget: 10, maxTotal: 10, maxBytes: 200 } });
    up.add('b');
    await store('b', 'small');
    const err = await refusal(store('b', 'big', 'x'.repeat(300)));
    expect(err?.reason).toBe('too_large');
    expect(err?.message).toMatch(/^hint_for: "b": hint: \d+ bytes, more than the hint quota of 200 bytes$/);
    expect(storage.countHints('b')).toBe(1);
  });

  it('sweeps hints past their max age and hints for nodes no longer in the ring, in bounded work', async () => {
    up.add('b').add('c');
    hints = make({ limits: { maxPerTarget: 100_000, maxTotal: 100_000, maxBytes: 1e9 } });
    await store('b', 'old');
    nowMs += MAX_AGE / 2;
    await store('b', 'young');
    for (let i = 0; i < 12_000; i++) await store('c', `c${i}`);
    members.delete('c');
    nowMs += MAX_AGE / 2 + 1;
    await hints.sweep();
    expect(storage.hintsFor('b', 10).map((h) => new TextDecoder().decode(h.key))).toEqual(['young']);
    // 10,000 hints per sweep at most: the rest of c's go at the next one.
    expect(storage.countHints('c')).toBe(12_000 - 9_999);
    await hints.sweep();
    expect(storage.countHints('c')).toBe(0);
    expect(await counter('quorumkv_hints_expired_total')).toContain(' 1');
    expect(await counter('quorumkv_hints_dropped_total')).toContain('reason="not_member"} 12000');
    expect(hints.report()).toMatchObject({ pending: 1, expired: 1, dropped: 12_000 });
  });

  it('redirects hints for a node that left instead of dropping them, and keeps those not yet redirected', async () => {
    hints = make({ limits: { maxPerTarget: 100, maxTotal: 100, maxBytes: 1e6 } });
    for (let i = 0; i < 4; i++) await store('c', `c${i}`);
    members.delete('c');
    const redirected: string[] = [];
    hints.redirectWith(async (h) => {
      const key = new TextDecoder().decode(h.key);
      if (key === 'c3' && !redirected.includes('c3-refused')) {
        redirected.push('c3-refused');
        return false;
      }
      redirected.push(key);
      return true;
    });
    await hints.sweep();
    expect(redirected).toEqual(['c0', 'c1', 'c2', 'c3-refused']);
    expect(storage.hintsFor('c', 10).map((h) => new TextDecoder().decode(h.key))).toEqual(['c3']);
    await hints.sweep();
    expect(storage.countHints('c')).toBe(0);
    expect(hints.report().dropped).toBe(0);
  });

  it('keep() never rejects: the coordinator’s hints are best effort', async () => {
    await expect(hints.keep('zz', enc('default'), enc('k'), enc('v'))).resolves.toBeUndefined();
    await storage.close();
    await expect(hints.keep('b', enc('default'), enc('k'), enc('v'))).resolves.toBeUndefined();
  });
});
