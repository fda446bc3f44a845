import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
