import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { openLmdbEngine, type LmdbEngineOptions } from './lmdb-engine.js';
import { defineEngineContract } from './test-support/engine-contract.js';
import type { StorageEngine } from './engine.js';

const variants = [{ durability: 'sync', syncMethod: 'flushed' }, { durability: 'sync', syncMethod: 'serial' }, { durability: 'nosync' }] as const;

for (const variant of variants) {
  defineEngineContract(`lmdb engine (${Object.values(variant).join(', ')})`, async (options) => {
    const dir = mkdtempSync(join(tmpdir(), 'qkv-storage-'));
    const config: LmdbEngineOptions = { ...options, ...variant, path: dir };
    let engine: StorageEngine = await openLmdbEngine(config);
    return {
      engine,
      reopen: async () => {
        await engine.close();
        engine = await openLmdbEngine(config);
        return engine;
      },
      cleanup: async () => {
        await engine.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
}

describe('lmdb engine data dir', () => {
  it.each([
    ['an existing empty directory whose name has a dot', true],
    ['a new directory whose name has a dot', false],
  ])('opens %s as a directory and keeps data across reopen', async (_what, precreate) => {
    const root = mkdtempSync(join(tmpdir(), 'qkv-storage-dir-'));
    const path = join(root, 'data.v2');
    if (precreate) mkdirSync(path);
    const options = { path, partitionCount: 8, partitioner: () => 0 };
    try {
      let engine = await openLmdbEngine(options);
      await engine.update(new Uint8Array([1]), new Uint8Array([2]), () => ({ value: new Uint8Array([3]) }));
      await engine.close();
      expect(readdirSync(path).sort()).toEqual(['data.mdb', 'lock.mdb']);
      engine = await openLmdbEngine(options);
      expect(engine.get(new Uint8Array([1]), new Uint8Array([2]))?.value).toEqual(new Uint8Array([3]));
      await engine.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('rebuilds partition counters written before they counted bytes (8-byte values)', async () => {
    const path = mkdtempSync(join(tmpdir(), 'qkv-storage-counts-'));
    const options = { path, partitionCount: 8, partitioner: () => 3 };
    try {
      let engine = await openLmdbEngine(options);
      await engine.update(new Uint8Array([1]), new Uint8Array([2]), () => ({ value: new Uint8Array(500) }));
      const bytes = engine.partitionBytes(3);
      await engine.close();
      // What an older version wrote: the record count alone.
      const env = open({ path, maxDbs: 12 });
      const counts = env.openDB({ name: 'counts', encoding: 'binary', keyEncoding: 'binary' });
      const key = [...counts.getKeys({})][0]!;
      await counts.put(key, Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]));
      await env.close();
      engine = await openLmdbEngine(options);
      expect({ records: engine.countPartition(3), bytes: engine.partitionBytes(3) }).toEqual({ records: 1, bytes });
      await engine.close();
    } finally {
      rmSync(path, { recursive: true, force: true });
    }
  });
});

describe('lmdb engine updateMany onCommitted', () => {
  it.each(variants)('is called once the writes are visible, once, before the promise resolves (%o)', async (variant) => {
    const dir = mkdtempSync(join(tmpdir(), 'qkv-storage-committed-'));
    const engine = await openLmdbEngine({ path: dir, partitionCount: 8, partitioner: () => 3, ...variant });
    try {
      const b = (s: string) => new TextEncoder().encode(s);
      const events: string[] = [];
      const done = engine
        .updateMany(3, [{ bucket: b('bk'), key: b('k'), fn: () => ({ value: b('v') }) }], {
          onCommitted: () => events.push(`committed, visible: ${engine.get(b('bk'), b('k'), 3) !== undefined}`),
        })
        .then(() => events.push('resolved'));
      expect(events).toEqual([]);
      await done;
      expect(events).toEqual(['committed, visible: true', 'resolved']);
    } finally {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
