/**
 * What the LMDB engine does when things go wrong on disk: flipped bits, a full map, a data
 * directory created with another layout.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CorruptRecordError, LayoutMismatchError, StorageFullError } from './errors.js';
import { openLmdbEngine, type LmdbEngine, type LmdbEngineOptions } from './lmdb-engine.js';
import { b, testPartitioner } from './test-support/engine-contract.js';

let dir: string;
const base = (): LmdbEngineOptions => ({ path: dir, partitionCount: 16, partitioner: testPartitioner(16) });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'qkv-storage-fail-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Flips one bit in every copy of `marker` in data.mdb (the engine must be closed). Copy-on-write
 * can leave stale copies in free pages; flipping all of them makes sure the live one is hit.
 */
function flipOnDisk(marker: Uint8Array, offsetInMarker: number): void {
  const file = join(dir, 'data.mdb');
  const bytes = readFileSync(file);
  let copies = 0;
  for (let at = bytes.indexOf(marker); at >= 0; at = bytes.indexOf(marker, at + marker.length)) {
    bytes[at + offsetInMarker]! ^= 0x10;
    copies++;
  }
  expect(copies).toBeGreaterThanOrEqual(1);
  writeFileSync(file, bytes);
}

describe('lmdb engine: corruption', () => {
  it('raises CorruptRecordError for a record whose bytes were flipped on disk, and repairs on update', async () => {
    const marker = b('QKV-CORRUPTION-MARKER-'.repeat(4));
    let engine = await openLmdbEngine(base());
    await engine.update(b('bk'), b('victim'), () => ({ value: marker }));
    await engine.update(b('bk'), b('bystander'), () => ({ value: b('fine') }));
    await engine.close();

    flipOnDisk(marker, 17);
    const reported: CorruptRecordError[] = [];
    engine = await openLmdbEngine({ ...base(), onCorruptRecord: (e) => reported.push(e) });
    let thrown: unknown;
    try {
      engine.get(b('bk'), b('victim'));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CorruptRecordError);
    const corrupt = thrown as CorruptRecordError;
    expect(new TextDecoder().decode(corrupt.bucket)).toBe('bk');
    expect(new TextDecoder().decode(corrupt.key)).toBe('victim');
    expect(corrupt.reason).toBe('checksum');
    expect(new TextDecoder().decode(engine.get(b('bk'), b('bystander'))!.value)).toBe('fine');

    // Scans skip and report it rather than returning garbage or stopping.
    const p = engine.partitionOf(b('bk'), b('victim'));
    const items = engine.scanPartition(p, { limit: 100 }).items;
    expect(items.some((item) => new TextDecoder().decode(item.key) === 'victim')).toBe(false);
    expect(reported.length).toBeGreaterThanOrEqual(1);

    // An update sees it as absent, so writing the repaired value from a replica fixes it.
    const seen: unknown[] = [];
    await engine.update(b('bk'), b('victim'), (cur) => {
      seen.push(cur);
      return { value: b('repaired') };
    });
    expect(seen).toEqual([undefined]);
    expect(new TextDecoder().decode(engine.get(b('bk'), b('victim'))!.value)).toBe('repaired');
    await engine.close();
  });

  it('detects a flipped expiry (header) byte too', async () => {
    const marker = b('QKV-HEADER-MARKER-'.repeat(4));
    let engine = await openLmdbEngine(base());
    await engine.update(b('bk'), b('k'), () => ({ value: marker, expiresAtMs: Date.now() + 3_600_000 }));
    await engine.close();
    // The 8 expiry bytes sit right before the value; flip the lowest one.
    flipOnDisk(marker, -1);
    engine = await openLmdbEngine(base());
    expect(() => engine.get(b('bk'), b('k'))).toThrow(CorruptRecordError);
    await engine.close();
  });

  it('reports corrupt hints and metadata instead of returning them', async () => {
    const marker = b('QKV-HINT-MARKER-'.repeat(4));
    const metaMarker = b('QKV-META-MARKER-'.repeat(4));
    let engine = await openLmdbEngine(base());
    await engine.addHint('node-b', { bucket: b('bk'), key: b('k'), value: marker });
    await engine.addHint('node-b', { bucket: b('bk'), key: b('k2'), value: b('ok') });
    await engine.setMeta('ring', metaMarker);
    await engine.close();
    flipOnDisk(marker, 3);
    flipOnDisk(metaMarker, 3);
    const reported: CorruptRecordError[] = [];
    engine = await openLmdbEngine({ ...base(), onCorruptRecord: (e) => reported.push(e) });
    expect(engine.hintsFor('node-b', 10).map((h) => new TextDecoder().decode(h.value))).toEqual(['ok']);
    expect(reported).toHaveLength(1);
    expect(() => engine.getMeta('ring')).toThrow(CorruptRecordError);
    await engine.close();
  });

  it('drops a damaged hint once found: it can never be delivered, and must not stay pending forever', async () => {
    const marker = b('QKV-HINT-MARKER-'.repeat(4));
    let engine = await openLmdbEngine(base());
    await engine.addHint('node-b', { bucket: b('bk'), key: b('k'), value: marker });
    await engine.close();
    flipOnDisk(marker, 3);
    engine = await openLmdbEngine(base());
    expect(engine.countHints('node-b')).toBe(1);
    expect(engine.hintsFor('node-b', 10)).toEqual([]);
    expect(engine.countHints('node-b')).toBe(0);
    expect(engine.countHints()).toBe(0);
    expect(engine.hintTargets()).toEqual([]);
    await engine.close();
    // Durably.
    engine = await openLmdbEngine(base());
    expect(engine.countHints()).toBe(0);
    await engine.close();
  });
});

describe('lmdb engine: full map', () => {
  it('fails writes with StorageFullError, keeps serving reads, and accepts writes after a resize', async () => {
    const mapSizeBytes = 1024 * 1024;
    // nosync only to keep ~1,000 one-at-a-time writes fast; the space accounting is the same.
    const options = { ...base(), durability: 'nosync' as const };
    let engine = await openLmdbEngine({ ...options, mapSizeBytes });
    const value = new Uint8Array(1024).fill(7);
    const stored: string[] = [];
    let full: unknown;
    for (let i = 0; i < 5000 && full === undefined; i++) {
      try {
        await engine.update(b('bk'), b(`k${i}`), () => ({ value }));
        stored.push(`k${i}`);
      } catch (error) {
        full = error;
      }
    }
    expect(full).toBeInstanceOf(StorageFullError);
    expect((full as StorageFullError).mapSizeBytes).toBe(mapSizeBytes);
    expect(stored.length).toBeGreaterThan(100);
    expect(engine.get(b('bk'), b(`k${stored.length}`))).toBeUndefined();

    // Still full: every kind of write is refused, nothing is damaged, reads work.
    await expect(engine.update(b('bk'), b('more'), () => ({ value }))).rejects.toThrow(StorageFullError);
    await expect(engine.addHint('n', { bucket: b('bk'), key: b('k'), value })).rejects.toThrow(StorageFullError);
    // Metadata is not refused: a full node must still start and record its epoch lease.
    await engine.setMeta('epoch-lease', b('lease'));
    expect(engine.getMeta('epoch-lease')).toEqual(b('lease'));
    // Buffer.equals: jest's deep equality on 1 KiB arrays would take seconds here.
    for (const key of stored) expect(Buffer.from(engine.get(b('bk'), b(key))!.value).equals(value)).toBe(true);
    // Removing data is always allowed: it is how an operator makes room.
    expect(await engine.reap(b('bk'), b(stored[0]!), value)).toBe(true);

    engine.resize(4 * mapSizeBytes);
    await engine.update(b('bk'), b('after-resize'), () => ({ value }));
    await engine.close();

    // Reopening with the small size keeps refusing; with a larger one, writes work again.
    engine = await openLmdbEngine({ ...options, mapSizeBytes });
    await expect(engine.update(b('bk'), b('x'), () => ({ value }))).rejects.toThrow(StorageFullError);
    await engine.close();
    engine = await openLmdbEngine({ ...options, mapSizeBytes: 8 * mapSizeBytes });
    await engine.update(b('bk'), b('after-reopen'), () => ({ value }));
    for (const key of [...stored.slice(1), 'after-resize', 'after-reopen']) {
      expect(Buffer.from(engine.get(b('bk'), b(key))!.value).equals(value)).toBe(true);
    }
    expect(engine.stats().mapSizeBytes).toBe(8 * mapSizeBytes);
    await engine.close();
  });
});

describe('lmdb engine: full map, then room again', () => {
  /** Fills a 1 MiB store with 1 KiB values; returns the keys stored. */
  async function fill(engine: LmdbEngine, value: Uint8Array): Promise<string[]> {
    const stored: string[] = [];
    for (let i = 0; i < 5000; i++) {
      try {
        await engine.update(b('bk'), b(`k${String(i).padStart(5, '0')}`), () => ({ value }));
        stored.push(`k${String(i).padStart(5, '0')}`);
      } catch (error) {
        if (error instanceof StorageFullError) return stored;
        throw error;
      }
    }
    throw new Error('never filled');
  }

  it('accepts a write that shrinks a record (a delete) on a full store, and says it is full', async () => {
    const engine = await openLmdbEngine({ ...base(), durability: 'nosync', mapSizeBytes: 1024 * 1024 });
    const value = new Uint8Array(1024).fill(7);
    const stored = await fill(engine, value);
    expect(engine.stats().full).toBe(true);
    // A tombstone-sized record over a value: the store does not grow.
    await engine.update(b('bk'), b(stored[3]!), () => ({ value: new Uint8Array(8) }));
    expect(engine.get(b('bk'), b(stored[3]!))!.value).toEqual(new Uint8Array(8));
    await expect(engine.update(b('bk'), b('new'), () => ({ value }))).rejects.toThrow(StorageFullError);
    await engine.close();
  });

  it('takes writes again once most records are reaped, without a resize (the file never shrinks)', async () => {
    const engine = await openLmdbEngine({ ...base(), durability: 'nosync', mapSizeBytes: 1024 * 1024 });
    const value = new Uint8Array(1024).fill(7);
    const stored = await fill(engine, value);
    const before = engine.stats().bytes;
    const reaped = stored.slice(0, Math.floor(stored.length * 0.8));
    for (const key of reaped) expect(await engine.reap(b('bk'), b(key), value)).toBe(true);
    expect(engine.stats().bytes).toBeLessThan(before / 2);
    for (let i = 0; i < 100; i++) await engine.update(b('bk'), b(`again${i}`), () => ({ value }));
    expect(engine.stats().full).toBe(false);
    for (const key of stored.slice(reaped.length)) expect(Buffer.from(engine.get(b('bk'), b(key))!.value).equals(value)).toBe(true);
    await engine.close();
  });
});

describe('lmdb engine: layout', () => {
  it('refuses to open a data directory with another partition count', async () => {
    const engine = await openLmdbEngine(base());
    await engine.close();
    await expect(openLmdbEngine({ ...base(), partitionCount: 32, partitioner: testPartitioner(32) })).rejects.toThrow(LayoutMismatchError);
    // ... and still opens with the right one.
    await (await openLmdbEngine(base())).close();
  });
});
