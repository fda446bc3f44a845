/**
 * The behaviour every StorageEngine must have, as a jest suite run against each engine by
 * `defineEngineContract(name, factory)`. Engines that persist also pass `reopen`, which adds the
 * restart tests.
 */
import fc from 'fast-check';
import type { Partitioner, StorageEngine, StoredRecord } from '../engine.js';
import { EngineClosedError, StorageArgumentError, KeyTooLargeError } from '../errors.js';
import { defineHintContract } from './hint-contract.js';

/** What a test gets from the factory. */
export interface ContractHarness {
  engine: StorageEngine;
  /** Closes the engine and opens the same store again (persistent engines only). */
  reopen?: () => Promise<StorageEngine>;
  /** Releases everything (closes the engine if still open, removes files). */
  cleanup: () => Promise<void>;
}

/** Options the contract opens engines with. */
export interface ContractEngineOptions {
  partitionCount: number;
  partitioner: Partitioner;
  now: () => number;
}

export type EngineFactory = (options: ContractEngineOptions) => Promise<ContractHarness>;

const enc = new TextEncoder();
const dec = new TextDecoder();
export const b = (s: string): Uint8Array => enc.encode(s);
const s = (bytes: Uint8Array): string => dec.decode(bytes);
/** Deterministic and spread out enough to fill every partition in the tests. */
export const testPartitioner =
  (count: number): Partitioner =>
  (bucket, key) => {
    let h = 2166136261;
    for (const x of bucket) h = Math.imul(h ^ x, 16777619);
    for (const x of key) h = Math.imul(h ^ x, 16777619);
    return (h >>> 0) % count;
  };

export function defineEngineContract(name: string, factory: EngineFactory): void {
  describe(`${name}: StorageEngine contract`, () => {
    let clock = 1_000_000;
    let h: ContractHarness;
    let engine: StorageEngine;
    const PARTITIONS = 8;

    beforeEach(async () => {
      clock = 1_000_000;
      h = await factory({ partitionCount: PARTITIONS, partitioner: testPartitioner(PARTITIONS), now: () => clock });
      engine = h.engine;
    });
    afterEach(async () => {
      await h.cleanup();
    });

    const put = (bucket: string, key: string, value: string, expiresAtMs?: number) =>
      engine.update(b(bucket), b(key), () => (expiresAtMs === undefined ? { value: b(value) } : { value: b(value), expiresAtMs }));
    const read = (bucket: string, key: string): string | undefined => {
      const r = engine.get(b(bucket), b(key));
      return r && s(r.value);
    };

    it('reads absent keys as undefined and reads back what update stored', async () => {
      expect(engine.get(b('bk'), b('nope'))).toBeUndefined();
      const stored = await put('bk', 'k1', 'v1');
      expect(s(stored!.value)).toBe('v1');
      expect(read('bk', 'k1')).toBe('v1');
      // Same key, other bucket: distinct records.
      expect(read('other', 'k1')).toBeUndefined();
      // The empty key and empty value are legal.
      await put('bk', '', '');
      expect(read('bk', '')).toBe('');
    });

    it('passes the current record to the update function and keeps it when it returns undefined', async () => {
      await put('bk', 'k', 'one');
      const seen: (string | undefined)[] = [];
      const result = await engine.update(b('bk'), b('k'), (cur) => {
        seen.push(cur && s(cur.value));
        return undefined;
      });
      expect(seen).toEqual(['one']);
      expect(s(result!.value)).toBe('one');
      expect(await engine.update(b('bk'), b('absent'), () => undefined)).toBeUndefined();
      expect(engine.get(b('bk'), b('absent'))).toBeUndefined();
    });

    it('does not alias caller buffers', async () => {
      const value = b('abc');
      await engine.update(b('bk'), b('k'), () => ({ value }));
      value[0] = 0x7a;
      const got = engine.get(b('bk'), b('k'))!;
      expect(s(got.value)).toBe('abc');
      got.value[0] = 0x7a;
      expect(read('bk', 'k')).toBe('abc');
    });

    it('loses no update under 100 concurrent read-modify-writers of one key', async () => {
      const increment = (cur: StoredRecord | undefined): StoredRecord => {
        const n = cur ? new DataView(cur.value.buffer, cur.value.byteOffset).getUint32(0) : 0;
        const value = new Uint8Array(4);
        new DataView(value.buffer).setUint32(0, n + 1);
        return { value };
      };
      const results = await Promise.all(Array.from({ length: 100 }, () => engine.update(b('bk'), b('counter'), increment)));
      const seen = results.map((r) => new DataView(r!.value.buffer, r!.value.byteOffset).getUint32(0)).sort((x, y) => x - y);
      expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      expect(new DataView(engine.get(b('bk'), b('counter'))!.value.buffer).getUint32(0)).toBe(100);
    });

    it('rejects a throwing update function without writing anything, and keeps serving others', async () => {
      await put('bk', 'k', 'v');
      const failing = engine.update(b('bk'), b('k'), () => {
        throw new Error('boom');
      });
      const other = put('bk', 'k2', 'w');
      await expect(failing).rejects.toThrow('boom');
      await other;
      expect(read('bk', 'k')).toBe('v');
      expect(read('bk', 'k2')).toBe('w');
    });

    it('updates many keys of a partition at once, moving its counts as single updates would, and stops at the first failure', async () => {
      const p = engine.partitionOf(b('bk'), b('k0'));
      const keys = [...Array(200).keys()].map((i) => `k${i}`).filter((k) => engine.partitionOf(b('bk'), b(k)) === p);
      expect(keys.length).toBeGreaterThan(4);
      await put('bk', keys[0]!, 'old');
      const seen: (string | undefined)[] = [];
      const results = await engine.updateMany(
        p,
        keys.map((k, i) => ({
          bucket: b('bk'),
          key: b(k),
          fn: (cur: StoredRecord | undefined) => {
            seen.push(cur && s(cur.value));
            // The second entry changes nothing.
            return i === 1 ? undefined : { value: b(`v${i}`), ...(i === 2 ? { dueAtMs: 5_000_000, listedUntilMs: 6_000_000 } : {}) };
          },
        })),
      );
      expect(seen).toEqual(['old', ...keys.slice(1).map(() => undefined)]);
      expect(results.map((r) => r && s(r.value))).toEqual(keys.map((_, i) => (i === 1 ? undefined : `v${i}`)));
      expect(keys.map((k) => read('bk', k))).toEqual(keys.map((_, i) => (i === 1 ? undefined : `v${i}`)));
      expect(engine.countPartition(p)).toBe(keys.length - 1);
      expect(engine.listDue({ untilMs: 5_000_000, limit: 10 }).map((d) => s(d.key))).toEqual([keys[2]]);
      // The same writes one by one give the same counters.
      const bytes = engine.partitionBytes(p);
      for (const [i, k] of keys.entries()) expect(await engine.reap(b('bk'), b(k), b(`v${i}`), p)).toBe(i !== 1);
      expect(engine.partitionBytes(p)).toBe(0);
      for (const [i, k] of keys.entries()) if (i !== 1) await put('bk', k, i === 0 ? 'old' : `v${i}`);
      await engine.update(b('bk'), b(keys[0]!), () => ({ value: b('v0') }));
      await engine.update(b('bk'), b(keys[2]!), () => ({ value: b('v2'), dueAtMs: 5_000_000, listedUntilMs: 6_000_000 }));
      expect(engine.partitionBytes(p)).toBe(bytes);

      // A failing entry: the ones before it are written, it and the ones after it are not.
      const failing = engine.updateMany(p, [
        { bucket: b('bk'), key: b(keys[0]!), fn: () => ({ value: b('w0') }) },
        {
          bucket: b('bk'),
          key: b(keys[1]!),
          fn: () => {
            throw new Error('boom');
          },
        },
        { bucket: b('bk'), key: b(keys[2]!), fn: () => ({ value: b('w2') }) },
      ]);
      await expect(failing).rejects.toThrow('boom');
      expect([keys[0], keys[1], keys[2]].map((k) => read('bk', k!))).toEqual(['w0', undefined, 'v2']);
      expect(engine.countPartition(p)).toBe(keys.length - 1);
      await expect(engine.updateMany(PARTITIONS, [])).rejects.toThrow(StorageArgumentError);
    });

    it('reaps only a record whose value is unchanged', async () => {
      await put('bk', 'k', 'tombstone-1');
      await put('bk', 'k', 'tombstone-2');
      expect(await engine.reap(b('bk'), b('k'), b('tombstone-1'))).toBe(false);
      expect(read('bk', 'k')).toBe('tombstone-2');
      expect(await engine.reap(b('bk'), b('k'), b('tombstone-2'))).toBe(true);
      expect(read('bk', 'k')).toBeUndefined();
      expect(await engine.reap(b('bk'), b('k'), b('tombstone-2'))).toBe(false);
      expect(engine.countPartition(engine.partitionOf(b('bk'), b('k')))).toBe(0);
    });

    it('lists due records in time order, keeps them visible, and keeps the due index with update and reap', async () => {
      const due = (bucket: string, key: string, value: string, dueAtMs?: number) =>
        engine.update(b(bucket), b(key), () => (dueAtMs === undefined ? { value: b(value) } : { value: b(value), dueAtMs }));
      await due('bk', 'late', 'l', clock + 300);
      await due('bk', 'early', 'e', clock + 100);
      await due('bk', 'never', 'n');
      await due('other', 'mid', 'm', clock + 200);
      const listed = (untilMs: number, limit = 10) => engine.listDue({ untilMs, limit }).map((d) => `${s(d.bucket)}/${s(d.key)}=${s(d.record.value)}@${d.record.dueAtMs! - clock}`);
      expect(listed(clock + 99)).toEqual([]);
      expect(listed(clock + 200)).toEqual(['bk/early=e@100', 'other/mid=m@200']);
      expect(listed(clock + 1000, 2)).toEqual(['bk/early=e@100', 'other/mid=m@200']);
      const item = engine.listDue({ untilMs: clock + 100, limit: 1 })[0]!;
      expect(item.partition).toBe(engine.partitionOf(b('bk'), b('early')));
      // Due records stay fully visible.
      expect(engine.get(b('bk'), b('early'))).toEqual({ value: b('e'), dueAtMs: clock + 100 });
      expect(engine.scanPartition(item.partition, { limit: 100 }).items.some((i) => s(i.key) === 'early')).toBe(true);
      // A rewrite moves the entry (later) or drops it (no due time).
      await due('bk', 'early', 'e2', clock + 400);
      await due('other', 'mid', 'm2');
      expect(listed(clock + 1000)).toEqual(['bk/late=l@300', 'bk/early=e2@400']);
      // Reaping removes the entry with the record; a failed reap leaves both.
      expect(await engine.reap(b('bk'), b('late'), b('other bytes'))).toBe(false);
      expect(await engine.reap(b('bk'), b('late'), b('l'))).toBe(true);
      expect(listed(clock + 1000)).toEqual(['bk/early=e2@400']);
      // An expired record is swept together with its due entry.
      await engine.update(b('bk'), b('both'), () => ({ value: b('x'), expiresAtMs: clock + 10, dueAtMs: clock + 20 }));
      clock += 10;
      expect(listed(clock + 1000)).toEqual(['bk/early=e2@390']);
      await engine.sweepExpired({ limit: 10 });
      expect(listed(clock + 1000)).toEqual(['bk/early=e2@390']);
      expect(() => engine.listDue({ untilMs: clock, limit: 0 })).toThrow(StorageArgumentError);
      await expect(engine.update(b('bk'), b('k'), () => ({ value: b('v'), dueAtMs: 1.5 }))).rejects.toThrow(StorageArgumentError);
    });

    it('scans every live key of a partition exactly once across pages, in key order', async () => {
      const expected = new Map<number, string[]>();
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 300; i++) {
        const bucket = i % 3 === 0 ? 'b1' : 'b2';
        const key = `key-${i}`;
        const p = engine.partitionOf(b(bucket), b(key));
        const expired = i % 10 === 0;
        if (!expired) expected.set(p, [...(expected.get(p) ?? []), `${bucket}/${key}`]);
        writes.push(put(bucket, key, `v${i}`, expired ? clock + 5 : undefined));
      }
      await Promise.all(writes);
      clock += 10;
      for (let p = 0; p < PARTITIONS; p++) {
        const seen: string[] = [];
        let after: Uint8Array | undefined;
        let pages = 0;
        do {
          const page = engine.scanPartition(p, after ? { after, limit: 7 } : { limit: 7 });
          expect(page.items.length).toBeLessThanOrEqual(7);
          if (page.next) expect(page.items.length).toBe(7);
          for (const item of page.items) {
            expect(engine.partitionOf(item.bucket, item.key)).toBe(p);
            expect(s(item.record.value)).toBe(`v${s(item.key).slice(4)}`);
            seen.push(`${s(item.bucket)}/${s(item.key)}`);
          }
          after = page.next;
          pages++;
        } while (after && pages < 1000);
        const want = expected.get(p) ?? [];
        expect(seen.length).toBe(want.length);
        expect(new Set(seen)).toEqual(new Set(want));
        expect(engine.countPartition(p)).toBe(want.length);
      }
      expect(() => engine.scanPartition(PARTITIONS, { limit: 1 })).toThrow(StorageArgumentError);
      expect(() => engine.scanPartition(0, { limit: 0 })).toThrow(StorageArgumentError);
    });

    it('ends a scan page at maxBytes of keys and values, with at least one item, and resumes after it', async () => {
      const p = engine.partitionOf(b('bk'), b('k0'));
      const keys = Array.from({ length: 200 }, (_, i) => `k${i}`).filter((k) => engine.partitionOf(b('bk'), b(k)) === p);
      await Promise.all(keys.map((k) => put('bk', k, 'x'.repeat(100))));
      const seen: string[] = [];
      let after: Uint8Array | undefined;
      for (let pages = 0; pages < 1000; pages++) {
        const page = engine.scanPartition(p, { limit: 1000, maxBytes: 250, ...(after ? { after } : {}) });
        const bytes = page.items.reduce((sum, i) => sum + i.key.length + i.record.value.length, 0);
        expect(page.items.length).toBeGreaterThanOrEqual(1);
        // Full once 250 bytes are reached: three items of ~102 bytes, never a fourth.
        if (page.next) expect(page.items.length).toBe(3);
        expect(bytes - page.items.at(-1)!.key.length - page.items.at(-1)!.record.value.length).toBeLessThan(250);
        seen.push(...page.items.map((i) => s(i.key)));
        after = page.next;
        if (!after) break;
      }
      expect(new Set(seen)).toEqual(new Set(keys));
      expect(seen.length).toBe(keys.length);
      expect(engine.scanPartition(p, { limit: 5, maxBytes: 1 }).items.length).toBe(1);
      expect(() => engine.scanPartition(p, { limit: 5, maxBytes: 0 })).toThrow(StorageArgumentError);
    });

    it('counts the bytes of each partition: growing with writes, shrinking with deletes, kept across reopen', async () => {
      const p = engine.partitionOf(b('bk'), b('k0'));
      expect(engine.partitionBytes(p)).toBe(0);
      await put('bk', 'k0', 'x'.repeat(1000));
      const one = engine.partitionBytes(p);
      expect(one).toBeGreaterThanOrEqual(1000);
      await put('bk', 'k0', 'x'.repeat(3000));
      expect(engine.partitionBytes(p)).toBe(one + 2000);
      await put('bk', 'k0', 'x'.repeat(10));
      expect(engine.partitionBytes(p)).toBe(one - 990);
      const others = [...Array(PARTITIONS).keys()].filter((q) => q !== p);
      expect(others.map((q) => engine.partitionBytes(q))).toEqual(others.map(() => 0));
      if (h.reopen) {
        engine = await h.reopen();
        expect(engine.partitionBytes(p)).toBe(one - 990);
      }
      expect(await engine.reap(b('bk'), b('k0'), b('x'.repeat(10)))).toBe(true);
      expect(engine.partitionBytes(p)).toBe(0);
      expect(() => engine.partitionBytes(PARTITIONS)).toThrow(StorageArgumentError);
    });

    it('lists a bucket page by page, with a prefix, without other buckets or expired keys', async () => {
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 120; i++) writes.push(put('users', `u${String(i).padStart(3, '0')}`, 'x'));
      for (let i = 0; i < 30; i++) writes.push(put('user', `u${i}`, 'x'));
      writes.push(put('users', 'u999', 'x', clock + 1));
      await Promise.all(writes);
      clock += 1;
      const collect = (prefix?: string) => {
        const keys: string[] = [];
        let cursor: Uint8Array | undefined;
        do {
          const page = engine.listKeys(b('users'), { limit: 11, ...(prefix ? { prefix: b(prefix) } : {}), ...(cursor ? { cursor } : {}) });
          expect(page.keys.length).toBeLessThanOrEqual(11);
          keys.push(...page.keys.map(s));
          cursor = page.next;
        } while (cursor);
        return keys;
      };
      const all = collect();
      expect(all.length).toBe(120);
      expect(new Set(all).size).toBe(120);
      const u05 = collect('u05');
      expect(u05.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `u05${i}`));
      expect(collect('zz')).toEqual([]);
    });

    it('hides expired records at once and sweeps them in bounded batches', async () => {
      for (let i = 0; i < 5; i++) await put('bk', `t${i}`, 'temp', clock + 100);
      await put('bk', 'forever', 'v');
      await put('bk', 'later', 'v', clock + 10_000);
      expect(read('bk', 't0')).toBe('temp');
      expect(engine.get(b('bk'), b('t0'))!.expiresAtMs).toBe(clock + 100);
      clock += 100;
      expect(read('bk', 't0')).toBeUndefined();
      const seen: (StoredRecord | undefined)[] = [];
      await engine.update(b('bk'), b('t1'), (cur) => {
        seen.push(cur);
        return undefined;
      });
      expect(seen).toEqual([undefined]);
      expect(engine.stats().keys).toBe(7);
      expect(await engine.sweepExpired({ limit: 2 })).toEqual({ removed: 2, more: true });
      expect(await engine.sweepExpired({ limit: 2 })).toEqual({ removed: 2, more: true });
      expect((await engine.sweepExpired({ limit: 2 })).removed).toBe(1);
      expect(await engine.sweepExpired({ limit: 2 })).toEqual({ removed: 0, more: false });
      expect(engine.stats().keys).toBe(2);
      expect(read('bk', 'later')).toBe('v');
    });

    it('keeps a rewritten record when its old expiry passes, and expires it at its new time', async () => {
      await put('bk', 'k', 'v1', clock + 10);
      await put('bk', 'k', 'v2', clock + 1000);
      clock += 10;
      await engine.sweepExpired({ limit: 10 });
      expect(read('bk', 'k')).toBe('v2');
      await put('bk', 'k', 'v3');
      clock += 5000;
      expect((await engine.sweepExpired({ limit: 10 })).removed).toBe(0);
      expect(read('bk', 'k')).toBe('v3');
      await put('bk', 'k', 'v4', clock + 1);
      clock += 1;
      expect(read('bk', 'k')).toBeUndefined();
      expect((await engine.sweepExpired({ limit: 10 })).removed).toBe(1);
    });

    it('sweeps on its own timer when started, and stops', async () => {
      await put('bk', 'k', 'v', clock + 1);
      clock += 1;
      const stop = engine.startSweeper({ intervalMs: 5, batchLimit: 10 });
      for (let i = 0; i < 100 && engine.stats().keys > 0; i++) await new Promise((r) => setTimeout(r, 5));
      stop();
      stop();
      expect(engine.stats().keys).toBe(0);
    });

    it('lists one partition only when asked, stopping at its end', async () => {
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 80; i++) writes.push(put('bk', `k${i}`, 'x'));
      await Promise.all(writes);
      const byPartition = new Map<number, string[]>();
      for (let i = 0; i < 80; i++) {
        const p = engine.partitionOf(b('bk'), b(`k${i}`));
        byPartition.set(p, [...(byPartition.get(p) ?? []), `k${i}`]);
      }
      for (let p = 0; p < PARTITIONS; p++) {
        const keys: string[] = [];
        let cursor: Uint8Array | undefined;
        do {
          const page = engine.listKeys(b('bk'), { partition: p, limit: 3, ...(cursor ? { cursor } : {}) });
          keys.push(...page.keys.map(s));
          cursor = page.next;
        } while (cursor);
        expect(keys.sort()).toEqual((byPartition.get(p) ?? []).sort());
      }
      const other = [...byPartition.keys()].find((p) => p !== 0)!;
      const cursor = engine.listKeys(b('bk'), { partition: other, limit: 1 }).next!;
      expect(() => engine.listKeys(b('bk'), { partition: 0, cursor, limit: 1 })).toThrow(StorageArgumentError);
      expect(() => engine.listKeys(b('bk'), { partition: PARTITIONS, limit: 1 })).toThrow(StorageArgumentError);
    });

    it('leaves records out of listings from their listedUntilMs, and only out of listings', async () => {
      const at = (key: string, listedUntilMs?: number) => engine.update(b('bk'), b(key), () => ({ value: b(key), ...(listedUntilMs === undefined ? {} : { listedUntilMs }) }));
      await at('always');
      await at('gone', clock);
      await at('soon', clock + 10);
      await at('ttl-first', clock + 50);
      await engine.update(b('bk'), b('ttl-first'), (cur) => ({ ...cur!, expiresAtMs: clock + 5 }));
      const listed = () => engine.listKeys(b('bk'), { limit: 100 }).keys.map(s).sort();
      expect(listed()).toEqual(['always', 'soon', 'ttl-first']);
      expect(engine.get(b('bk'), b('gone'))?.listedUntilMs).toBe(clock);
      clock += 5;
      expect(listed()).toEqual(['always', 'soon']);
      clock += 5;
      expect(listed()).toEqual(['always']);
      // Every record is still stored, readable (but the expired one) and counted.
      expect(read('bk', 'gone')).toBe('gone');
      expect(engine.stats().keys).toBe(4);
      expect(engine.scanPartition(engine.partitionOf(b('bk'), b('soon')), { limit: 100 }).items.some((i) => s(i.key) === 'soon')).toBe(true);
      // A rewrite moves or clears the time.
      await at('gone');
      await at('always', clock);
      await at('soon', clock + 1000);
      expect(listed()).toEqual(['gone', 'soon']);
      await engine.reap(b('bk'), b('soon'), b('soon'));
      expect(listed()).toEqual(['gone']);
      expect(() => engine.listKeys(b('bk'), { limit: 1, maxScanned: 0 })).toThrow(StorageArgumentError);
      await expect(engine.update(b('bk'), b('k'), () => ({ value: b('v'), listedUntilMs: 1.5 }))).rejects.toThrow(StorageArgumentError);
    });

    it('examines at most maxScanned keys per call, so unlisted records cost bounded slices', async () => {
      for (let i = 0; i < 30; i++) await engine.update(b('bk'), b(`dead${String(i).padStart(2, '0')}`), () => ({ value: b('x'), listedUntilMs: 0 }), 2);
      await engine.update(b('bk'), b('live'), () => ({ value: b('x') }), 2);
      const calls: number[] = [];
      let cursor: Uint8Array | undefined;
      const keys: string[] = [];
      do {
        const page = engine.listKeys(b('bk'), { partition: 2, limit: 10, maxScanned: 7, ...(cursor ? { cursor } : {}) });
        calls.push(page.keys.length);
        keys.push(...page.keys.map(s));
        cursor = page.next;
      } while (cursor);
      expect(keys).toEqual(['live']);
      // 31 keys examined 7 at a time: 4 calls stop at the budget, the fifth reaches the range's end.
      expect(calls).toEqual([0, 0, 0, 0, 1]);
    });

    it('keeps per-partition counts exact through writes, rewrites, reaps and sweeps', async () => {
      const model = new Map<string, number>();
      const expect_ = () => {
        const want = Array.from({ length: PARTITIONS }, () => 0);
        for (const p of model.values()) want[p]!++;
        const st = engine.stats();
        expect(st.partitions).toEqual(want);
        expect(st.keys).toBe(model.size);
      };
      for (let i = 0; i < 40; i++) {
        await put('bk', `k${i}`, 'v', i % 4 === 0 ? clock + 10 : undefined);
        model.set(`k${i}`, engine.partitionOf(b('bk'), b(`k${i}`)));
      }
      for (let i = 0; i < 40; i += 3) await put('bk', `k${i}`, 'again');
      expect_();
      for (let i = 1; i < 40; i += 5) {
        if (await engine.reap(b('bk'), b(`k${i}`), b(i % 3 === 0 ? 'again' : 'v'))) model.delete(`k${i}`);
      }
      expect_();
      clock += 10;
      while ((await engine.sweepExpired({ limit: 3 })).more);
      for (let i = 0; i < 40; i += 4) if (i % 3 !== 0) model.delete(`k${i}`);
      expect_();
      for (let p = 0; p < PARTITIONS; p++) expect(engine.countPartition(p)).toBe([...model.values()].filter((x) => x === p).length);
    });

    it('stores hints per target in order and removes acknowledged ones', async () => {
      const { id: id1 } = await engine.addHint('node-b', { bucket: b('bk'), key: b('k1'), value: b('v1') });
      const { id: id2 } = await engine.addHint('node-b', { bucket: b('bk'), key: b('k2'), value: b('v2') });
      const { id: id3 } = await engine.addHint('node-c', { bucket: b('bk'), key: b('k3'), value: b('v3') });
      expect(id2).toBeGreaterThan(id1);
      expect(engine.countHints()).toBe(3);
      expect(engine.countHints('node-b')).toBe(2);
      expect([engine.hasHints(), engine.hasHints('node-b'), engine.hasHints('node-c'), engine.hasHints('node-a'), engine.hasHints('node-bb')]).toEqual([true, true, true, false, false]);
      expect(engine.hintTargets()).toEqual(['node-b', 'node-c']);
      const hints = engine.hintsFor('node-b', 10);
      expect(hints.map((x) => [x.id, s(x.bucket), s(x.key), s(x.value), x.createdAtMs])).toEqual([
        [id1, 'bk', 'k1', 'v1', clock],
        [id2, 'bk', 'k2', 'v2', clock],
      ]);
      expect(engine.hintsFor('node-b', 1).map((x) => x.id)).toEqual([id1]);
      await engine.ackHints('node-b', [id1, 12345]);
      expect(engine.hintsFor('node-b', 10).map((x) => x.id)).toEqual([id2]);
      await engine.ackHints('node-b', [id2]);
      await engine.ackHints('node-c', [id3]);
      expect(engine.countHints()).toBe(0);
      expect([engine.hasHints(), engine.hasHints('node-b')]).toEqual([false, false]);
      expect(engine.hintTargets()).toEqual([]);
      expect(engine.hintsFor('nobody', 5)).toEqual([]);
    });

    it('stores metadata', async () => {
      expect(engine.getMeta('node-id')).toBeUndefined();
      await engine.setMeta('node-id', b('n1'));
      await engine.setMeta('ring', new Uint8Array([0, 1, 2, 255]));
      expect(s(engine.getMeta('node-id')!)).toBe('n1');
      expect([...engine.getMeta('ring')!]).toEqual([0, 1, 2, 255]);
      await engine.setMeta('bucket:b', b('2'));
      await engine.setMeta('bucket:a', b('1'));
      await engine.setMeta('bucketz', b('x'));
      expect(engine.listMeta('bucket:').map((e) => [e.name, s(e.value)])).toEqual([
        ['bucket:a', '1'],
        ['bucket:b', '2'],
      ]);
      expect(engine.listMeta('').map((e) => e.name)).toEqual(['bucket:a', 'bucket:b', 'bucketz', 'node-id', 'ring']);
      await engine.deleteMeta('bucket:a');
      await engine.deleteMeta('no-such-name');
      expect(engine.getMeta('bucket:a')).toBeUndefined();
      expect(engine.listMeta('bucket').map((e) => e.name)).toEqual(['bucket:b', 'bucketz']);
    });

    it('reports per-partition counts and sizes', async () => {
      await put('bk', 'a', 'x'.repeat(100));
      await put('bk', 'b', 'y');
      const st = engine.stats();
      expect(st.keys).toBe(2);
      expect(st.partitions.length).toBe(PARTITIONS);
      expect(st.partitions.reduce((x, y) => x + y, 0)).toBe(2);
      expect(st.partitions[engine.partitionOf(b('bk'), b('a'))]).toBeGreaterThanOrEqual(1);
      expect(st.bytes).toBeGreaterThan(100);
    });

    it('uses a precomputed partition and validates arguments', async () => {
      await engine.update(b('bk'), b('k'), () => ({ value: b('v') }), 3);
      expect(engine.get(b('bk'), b('k'), 3)).toBeDefined();
      expect(engine.scanPartition(3, { limit: 10 }).items.length).toBe(1);
      expect(() => engine.get(b('bk'), b('k'), PARTITIONS)).toThrow(StorageArgumentError);
      expect(() => engine.get(b('bk'), b('k'), 1.5)).toThrow(StorageArgumentError);
      expect(() => engine.get(new Uint8Array(256), b('k'))).toThrow(KeyTooLargeError);
      expect(() => engine.get(b('bk'), new Uint8Array(5000))).toThrow(KeyTooLargeError);
      await expect(engine.update(b('bk'), b('k'), () => ({ value: b('v'), expiresAtMs: -1 }))).rejects.toThrow(StorageArgumentError);
      await expect(engine.setMeta('\u0000x', b('v'))).rejects.toThrow(StorageArgumentError);
    });

    it('refuses use after close', async () => {
      await engine.close();
      expect(() => engine.get(b('bk'), b('k'))).toThrow(EngineClosedError);
      await expect(engine.update(b('bk'), b('k'), () => undefined)).rejects.toThrow(EngineClosedError);
      await engine.close();
    });

    it('behaves like a map under random operations', async () => {
      type Op = { kind: 'put' | 'reap' | 'tick'; key: number; value: number; ttl: number };
      const op = fc.record({
        kind: fc.constantFrom<'put' | 'reap' | 'tick'>('put', 'put', 'reap', 'tick'),
        key: fc.nat(15),
        value: fc.nat(3),
        ttl: fc.nat(30),
      });
      let round = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops: Op[]) => {
          const bucket = `prop${round++}`;
          const model = new Map<number, { value: string; expiresAtMs?: number }>();
          for (const o of ops) {
            if (o.kind === 'tick') clock += o.ttl;
            else if (o.kind === 'put') {
              const expiresAtMs = o.ttl > 20 ? clock + o.ttl : undefined;
              await put(bucket, `k${o.key}`, `v${o.value}`, expiresAtMs);
              model.set(o.key, expiresAtMs === undefined ? { value: `v${o.value}` } : { value: `v${o.value}`, expiresAtMs });
            } else {
              const removed = await engine.reap(b(bucket), b(`k${o.key}`), b(`v${o.value}`));
              expect(removed).toBe(model.get(o.key)?.value === `v${o.value}`);
              if (removed) model.delete(o.key);
            }
          }
          const live = [...model].filter(([, r]) => r.expiresAtMs === undefined || clock < r.expiresAtMs);
          for (let k = 0; k < 16; k++) {
            const want = live.find(([key]) => key === k)?.[1].value;
            expect(read(bucket, `k${k}`)).toBe(want);
          }
          const listed: string[] = [];
          let cursor: Uint8Array | undefined;
          do {
            const page = engine.listKeys(b(bucket), cursor ? { limit: 3, cursor } : { limit: 3 });
            listed.push(...page.keys.map(s));
            cursor = page.next;
          } while (cursor);
          expect(listed.sort()).toEqual(live.map(([k]) => `k${k}`).sort());
        }),
        { seed: 42, numRuns: 40 },
      );
    });

    it('keeps data, hints and metadata across a restart', async () => {
      if (!h.reopen) return; // the memory engine has nothing to reopen
      await put('bk', 'k', 'v');
      await put('bk', 'ttl', 'v', clock + 50);
      await engine.update(b('bk'), b('dead'), () => ({ value: b('tombstone'), dueAtMs: clock + 5 }));
      const { id } = await engine.addHint('node-b', { bucket: b('bk'), key: b('k'), value: b('hint') });
      await engine.update(b('bk'), b('unlisted'), () => ({ value: b('v'), listedUntilMs: clock }));
      const partitionsBefore = engine.stats().partitions;
      const hintsBefore = engine.hintStats();
      await engine.setMeta('cluster-id', b('c1'));
      engine = await h.reopen();
      expect(read('bk', 'k')).toBe('v');
      expect(engine.listDue({ untilMs: clock + 5, limit: 10 }).map((d) => s(d.key))).toEqual(['dead']);
      expect(engine.hintsFor('node-b', 10).map((x) => [x.id, s(x.value)])).toEqual([[id, 'hint']]);
      expect(engine.hintTargets()).toEqual(['node-b']);
      expect(s(engine.getMeta('cluster-id')!)).toBe('c1');
      // Counts and the listing index are durable too.
      expect(engine.stats().partitions).toEqual(partitionsBefore);
      expect(engine.hintStats()).toEqual(hintsBefore);
      expect(engine.listKeys(b('bk'), { limit: 10 }).keys.map(s).sort()).toEqual(['dead', 'k', 'ttl']);
      // Hint ids keep increasing after a restart, even with the clock stepped back.
      clock -= 10_000;
      expect((await engine.addHint('node-b', { bucket: b('bk'), key: b('k2'), value: b('h2') })).id).toBeGreaterThan(id);
      clock += 10_000;
      clock += 50;
      expect(read('bk', 'ttl')).toBeUndefined();
      expect((await engine.sweepExpired({ limit: 10 })).removed).toBe(1);
    });
  });
  defineHintContract(name, factory);
}
