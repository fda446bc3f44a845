// Storage engine vs raw lmdb-js, side by side in one run: 1 KiB values, 100k keys.
// Rewrites the storage section of docs/benchmarks.md. Run with `npm run bench -w @quorumkv/storage`
// (builds first under nx; plain npm needs `npm run build -w @quorumkv/storage` once).
import { open } from 'lmdb';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openLmdbEngine } from '../dist/index.js';

const KEYS = 100_000;
const VALUE_BYTES = 1024;
const CONCURRENCY = 64;
// fsync-bound phases write a slice of the keys (overwrites), so the run stays under ~2 minutes
// even on a slow shared disk; nosync phases and gets cover all 100k keys.
const SYNC_BATCHED_PUTS = 20_000;
const SYNC_SINGLE_PUTS = 400;
const NOSYNC_SINGLE_PUTS = 5_000;
const ROUNDS = 3;
const PARTITIONS = 256;

const root = mkdtempSync(join(os.tmpdir(), 'qkv-storage-bench-'));
const enc = new TextEncoder();
const bucket = enc.encode('bench');
const keys = Array.from({ length: KEYS }, (_, i) => enc.encode(`key-${String(i).padStart(8, '0')}`));
const partitioner = (_b, key) => (key.reduce((h, x) => Math.imul(h ^ x, 16777619), 2166136261) >>> 0) & (PARTITIONS - 1);
const partitions = keys.map((k) => partitioner(bucket, k));
/** Raw lmdb-js gets the same stored key bytes the engine uses: [u32 partition][u8 len][bucket][key]. */
const rawKeys = keys.map((k, i) => {
  const out = Buffer.alloc(5 + bucket.length + k.length);
  out.writeUInt32BE(partitions[i], 0);
  out[4] = bucket.length;
  out.set(bucket, 5);
  out.set(k, 5 + bucket.length);
  return out;
});
const value = Buffer.alloc(VALUE_BYTES, 0x5a);
const dirs = { engine: join(root, 'engine'), raw: join(root, 'raw') };

/** The engine under test, reopened on the same directory with the given durability. */
async function engineTarget(durability, syncMethod) {
  const engine = await openLmdbEngine({ path: dirs.engine, partitionCount: PARTITIONS, partitioner, durability, syncMethod });
  const record = { value };
  const fn = () => record;
  return {
    put: (i) => engine.update(bucket, keys[i], fn, partitions[i]),
    get: (i) => engine.get(bucket, keys[i], partitions[i]),
    close: () => engine.close(),
  };
}

/** Raw lmdb-js with the same durability: binary encoding; overlapping sync = put, then await flushed. */
async function rawTarget(durability, syncMethod) {
  const overlapping = durability === 'sync' && syncMethod === 'flushed';
  const env = open({ path: dirs.raw, maxDbs: 8, noSync: durability === 'nosync', overlappingSync: overlapping });
  const db = env.openDB({ name: 'data', encoding: 'binary', keyEncoding: 'binary' });
  return {
    put: overlapping
      ? async (i) => {
          await db.put(rawKeys[i], value);
          await db.flushed;
        }
      : (i) => db.put(rawKeys[i], value),
    get: (i) => db.get(rawKeys[i]),
    close: () => env.close(),
  };
}
const targets = { engine: engineTarget, raw: rawTarget };

async function measure(ops, run) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { opsPerSec: (ops / ms) * 1000, cpuUsPerOp: (cpu.user + cpu.system) / ops };
}

/** `count` writes of keys offset.., `CONCURRENCY` in flight. */
function batchedPuts(target, count, offset = 0) {
  let next = 0;
  return measure(count, () =>
    Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < count) await target.put((offset + next++) % KEYS);
      }),
    ),
  );
}

function singlePuts(target, count, offset = 0) {
  return measure(count, async () => {
    for (let i = 0; i < count; i++) await target.put((offset + i) % KEYS);
  });
}

// A fixed pseudo-random order, the same for both sides.
let seed = 12345;
const order = Array.from({ length: KEYS }, () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % KEYS));
function gets(target) {
  return measure(KEYS, () => {
    for (const i of order) if (target.get(i) === undefined) throw new Error(`missing key ${i}`);
  });
}

const results = {}; // `${phase}|${side}` -> samples
const record = (key, sample) => (results[key] ??= []).push(sample);
const started = Date.now();
const log = (what) => process.stdout.write(`${what} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);

for (const side of ['engine', 'raw']) {
  // Load all 100k keys without fsync (not measured) so every phase works on the full data set.
  const target = await targets[side]('nosync');
  await batchedPuts(target, KEYS);
  await target.close();
}
log('loaded');
for (let round = 0; round < ROUNDS; round++) {
  // Alternate which side goes first so drift in the machine's load hits both equally.
  for (const side of round % 2 === 0 ? ['engine', 'raw'] : ['raw', 'engine']) {
    const offset = round * SYNC_BATCHED_PUTS;
    let t = await targets[side]('sync', 'flushed');
    record(`sync (flushed)|batched puts|${side}`, await batchedPuts(t, SYNC_BATCHED_PUTS, offset));
    record(`sync (flushed)|single puts|${side}`, await singlePuts(t, SYNC_SINGLE_PUTS, offset));
    record(`sync (flushed)|gets|${side}`, await gets(t));
    await t.close();
    t = await targets[side]('sync', 'serial');
    record(`sync (serial)|batched puts|${side}`, await batchedPuts(t, SYNC_BATCHED_PUTS, offset + 50_000));
    record(`sync (serial)|single puts|${side}`, await singlePuts(t, SYNC_SINGLE_PUTS, offset + 50_000));
    await t.close();
    t = await targets[side]('nosync');
    record(`nosync|batched puts|${side}`, await batchedPuts(t, KEYS));
    record(`nosync|single puts|${side}`, await singlePuts(t, NOSYNC_SINGLE_PUTS));
    record(`nosync|gets|${side}`, await gets(t));
    await t.close();
  }
  log(`round ${round + 1}/${ROUNDS}`);
}
rmSync(root, { recursive: true, force: true });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const phases = [...new Set(Object.keys(results).map((k) => k.slice(0, k.lastIndexOf('|'))))];
const rows = phases.map((phase) => {
  const [durability, operation] = phase.split('|');
  const e = results[`${phase}|engine`];
  const r = results[`${phase}|raw`];
  const eOps = median(e.map((x) => x.opsPerSec));
  const rOps = median(r.map((x) => x.opsPerSec));
  const eCpu = median(e.map((x) => x.cpuUsPerOp));
  const rCpu = median(r.map((x) => x.cpuUsPerOp));
  return `| ${durability} | ${operation} | ${fmt(eOps)} | ${eCpu.toFixed(1)} | ${fmt(rOps)} | ${rCpu.toFixed(1)} | ${(rOps / eOps).toFixed(2)}x | ${(eCpu / rCpu).toFixed(2)}x |`;
});
const cpus = os.cpus();
const section = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, Node ${process.version}; medians of ${ROUNDS} rounds.`,
  '',
  `Both sides hold the same ${KEYS.toLocaleString('en-US')} keys with ${VALUE_BYTES}-byte values (${PARTITIONS} partitions) and run with the same durability.`,
  `Batched: ${CONCURRENCY} writers in flight, which lmdb-js groups into shared transactions and fsyncs`,
  `(${SYNC_BATCHED_PUTS.toLocaleString('en-US')} overwrites per round in sync modes, all ${KEYS.toLocaleString('en-US')} keys in nosync).`,
  `Single: each write awaited before the next (${SYNC_SINGLE_PUTS} in sync modes, ${NOSYNC_SINGLE_PUTS.toLocaleString('en-US')} in nosync). Gets: all keys, random order, synchronous.`,
  'Engine puts are `update()` (read-modify-write inside the batched transaction, CRC-32C on the old and new record, TTL index check);',
  'raw puts are `db.put`. `flushed` = overlapping sync, each write then awaits `db.flushed`; `serial` = `overlappingSync: false`.',
  'Overhead = raw ops/s ÷ engine ops/s, and engine CPU ÷ raw CPU (1.00x = none). CPU is µs of this process per operation.',
  '',
  '| durability | operation | engine ops/s | engine CPU µs/op | raw lmdb-js ops/s | raw CPU µs/op | overhead (ops/s) | overhead (CPU) |',
  '|---|---|---:|---:|---:|---:|---:|---:|',
  ...rows,
].join('\n');
console.log(`\n${section}\n`);

const docs = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'benchmarks.md');
const text = readFileSync(docs, 'utf8');
const start = '<!-- bench:storage:start -->';
const end = '<!-- bench:storage:end -->';
const a = text.indexOf(start);
const b = text.indexOf(end);
if (a < 0 || b < a) throw new Error('storage markers not found in docs/benchmarks.md');
writeFileSync(docs, `${text.slice(0, a + start.length)}\n${section}\n${text.slice(b)}`);
console.log(`updated ${docs}`);
