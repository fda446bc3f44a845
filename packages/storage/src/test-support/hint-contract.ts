/**
 * The hint behaviour every StorageEngine must have (limits, eviction order, expiry, figures), run
 * against each engine by `defineEngineContract`.
 */
import type { HintLimits, StorageEngine } from '../engine.js';
import { StorageArgumentError } from '../errors.js';
import type { ContractHarness, EngineFactory } from './engine-contract.js';

const enc = new TextEncoder();
const b = (s: string): Uint8Array => enc.encode(s);
const s = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const UNLIMITED: HintLimits = { maxPerTarget: 1e9, maxTotal: 1e9, maxBytes: 1e12 };

export function defineHintContract(name: string, factory: EngineFactory): void {
  describe(`${name}: hint limits and figures`, () => {
    let clock = 1_000_000;
    let h: ContractHarness;
    let engine: StorageEngine;

    beforeEach(async () => {
      clock = 1_000_000;
      h = await factory({ partitionCount: 8, partitioner: () => 0, now: () => clock });
      engine = h.engine;
    });
    afterEach(async () => {
      await h.cleanup();
    });

    const add = (target: string, key: string, limits?: HintLimits, value = 'v') => engine.addHint(target, { bucket: b('bk'), key: b(key), value: b(value) }, limits);
    const keysOf = (target: string) => engine.hintsFor(target, 1000).map((x) => s(x.key));

    it('gives ids that sort by age and tell when each hint was stored', async () => {
      const first = await add('n1', 'a');
      const second = await add('n1', 'b');
      clock += 7;
      const third = await add('n1', 'c');
      expect(second.id).toBeGreaterThan(first.id);
      expect(third.id).toBeGreaterThan(second.id);
      expect(engine.hintsFor('n1', 10).map((x) => x.createdAtMs)).toEqual([1_000_000, 1_000_000, 1_000_007]);
      // The clock stepping back never reorders ids.
      clock -= 100;
      expect((await add('n1', 'd')).id).toBeGreaterThan(third.id);
      expect(keysOf('n1')).toEqual(['a', 'b', 'c', 'd']);
    });

    it('evicts the oldest hints of the same target at the per-target cap', async () => {
      const limits = { ...UNLIMITED, maxPerTarget: 3 };
      for (const k of ['a', 'b', 'c']) expect((await add('n1', k, limits)).evicted).toEqual({ perTarget: 0, total: 0, bytes: 0 });
      await add('n2', 'other', limits);
      expect((await add('n1', 'd', limits)).evicted).toEqual({ perTarget: 1, total: 0, bytes: 0 });
      expect((await add('n1', 'e', limits)).evicted.perTarget).toBe(1);
      expect(keysOf('n1')).toEqual(['c', 'd', 'e']);
      expect(keysOf('n2')).toEqual(['other']);
      expect(engine.countHints('n1')).toBe(3);
      expect(engine.countHints()).toBe(4);
    });

    it('at a large cap, evicts a small batch of the oldest at once, keeping the newest within the cap', async () => {
      const limits = { ...UNLIMITED, maxPerTarget: 128 };
      let evicted = 0;
      for (let i = 0; i < 300; i++) evicted += (await add('n1', `k${String(i).padStart(3, '0')}`, limits)).evicted.perTarget;
      const kept = keysOf('n1');
      // Batches of 1 + 128/64 = 3.
      expect(kept.length).toBeGreaterThanOrEqual(126);
      expect(kept.length).toBeLessThanOrEqual(128);
      expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => `k${String(300 - kept.length + i).padStart(3, '0')}`));
      expect(evicted).toBe(300 - kept.length);
      expect(engine.countHints('n1')).toBe(kept.length);
    });

    it('evicts the oldest hints of any target at the total cap', async () => {
      const limits = { ...UNLIMITED, maxTotal: 3 };
      await add('n1', 'a', limits);
      clock++;
      await add('n2', 'b', limits);
      clock++;
      await add('n1', 'c', limits);
      clock++;
      expect((await add('n2', 'd', limits)).evicted).toEqual({ perTarget: 0, total: 1, bytes: 0 });
      expect(keysOf('n1')).toEqual(['c']);
      clock++;
      await add('n3', 'e', limits);
      expect(keysOf('n2')).toEqual(['d']);
      expect(engine.hintTargets()).toEqual(['n1', 'n2', 'n3']);
      expect(engine.countHints()).toBe(3);
    });

    it('keeps hints within their byte quota, oldest out first, and refuses one larger than the quota', async () => {
      await add('n1', 'probe', UNLIMITED, 'x'.repeat(100));
      const one = engine.hintStats().bytes;
      await engine.dropHints('n1', 10);
      const limits = { ...UNLIMITED, maxBytes: one * 4 };
      for (let i = 0; i < 10; i++) {
        clock++;
        await add('n1', `k${i}`, limits, 'x'.repeat(100));
        expect(engine.hintStats().bytes).toBeLessThanOrEqual(limits.maxBytes);
      }
      expect(keysOf('n1')).toEqual(['k6', 'k7', 'k8', 'k9']);
      await expect(add('n1', 'huge', limits, 'x'.repeat(one * 4))).rejects.toThrow(StorageArgumentError);
      expect(engine.countHints('n1')).toBe(4);
      await expect(add('n1', 'k', { ...limits, maxTotal: 0 })).rejects.toThrow(StorageArgumentError);
    });

    it('expires hints stored before a time, oldest first, in bounded batches', async () => {
      for (let i = 0; i < 5; i++) {
        await add('n1', `old${i}`);
        await add('n2', `old${i}`);
        clock += 10;
      }
      const cutoff = clock;
      await add('n1', 'new');
      expect(await engine.expireHints({ createdBeforeMs: cutoff, limit: 4 })).toEqual({ removed: 4, targets: ['n1'], more: true });
      const rest = await engine.expireHints({ createdBeforeMs: cutoff, limit: 100 });
      expect(rest.removed).toBe(6);
      expect(rest.more).toBe(false);
      expect(rest.targets.sort()).toEqual(['n1', 'n2']);
      expect(keysOf('n1')).toEqual(['new']);
      expect(engine.hintTargets()).toEqual(['n1']);
      expect(await engine.expireHints({ createdBeforeMs: cutoff, limit: 100 })).toEqual({ removed: 0, targets: [], more: false });
    });

    it('drops a target’s hints in batches', async () => {
      for (let i = 0; i < 5; i++) await add('gone', `k${i}`);
      await add('kept', 'k');
      expect(await engine.dropHints('gone', 3)).toEqual({ removed: 3, targets: ['gone'], more: true });
      expect((await engine.dropHints('gone', 3)).removed).toBe(2);
      expect(engine.hintTargets()).toEqual(['kept']);
      expect(await engine.dropHints('nobody', 3)).toEqual({ removed: 0, targets: [], more: false });
    });

    it('keeps hint figures exact through adds, acks, evictions and expiry', async () => {
      const limits = { ...UNLIMITED, maxPerTarget: 4, maxTotal: 7 };
      const ids: Record<string, number[]> = {};
      for (let i = 0; i < 20; i++) {
        const target = `n${i % 3}`;
        clock += 1;
        const { id } = await add(target, `k${i}`, limits, 'v'.repeat(i));
        (ids[target] ??= []).push(id);
        if (i % 5 === 4) await engine.ackHints(target, [ids[target]![0]!, 999]);
      }
      await engine.expireHints({ createdBeforeMs: clock - 3, limit: 100 });
      const st = engine.hintStats();
      let count = 0;
      let bytes = 0;
      for (const t of st.targets) {
        const hints = engine.hintsFor(t.target, 1000);
        expect(t.count).toBe(hints.length);
        expect(engine.countHints(t.target)).toBe(hints.length);
        expect(t.oldestCreatedAtMs).toBe(hints[0]!.createdAtMs);
        count += t.count;
        bytes += t.bytes;
      }
      expect(st.count).toBe(count);
      expect(st.bytes).toBe(bytes);
      expect(engine.countHints()).toBe(count);
      expect(count).toBeLessThanOrEqual(7);
      for (const t of st.targets) await engine.dropHints(t.target, 100);
      expect(engine.hintStats()).toEqual({ count: 0, bytes: 0, targets: [] });
    });

    it('refuses an empty target name', async () => {
      await expect(add('', 'k')).rejects.toThrow(StorageArgumentError);
    });
  });
}
