// Child process of crash-safety.test.ts: writes through the built LMDB engine with 64 writes in
// flight and prints "ack <key>" for each write the engine acknowledged, until it is SIGKILLed.
// Plain .mjs on the built package because Node 20 cannot run the TypeScript sources directly.
import { openLmdbEngine } from '../dist/index.js';

const [dir, round] = process.argv.slice(2);
const enc = new TextEncoder();
const partitioner = (bucket, key) => key.reduce((h, x) => (h * 31 + x) >>> 0, 7) % 64;
const engine = await openLmdbEngine({ path: dir, partitionCount: 64, partitioner, durability: 'sync' });
const bucket = enc.encode('crash');

/** The value is derived from the key, so the parent can check content, not just presence. */
export function valueFor(key) {
  return enc.encode(`${key}|`.repeat(Math.ceil(600 / (key.length + 1))));
}

let next = 0;
async function writer() {
  for (;;) {
    const key = `r${round}-${next++}`;
    await engine.update(bucket, enc.encode(key), () => ({ value: valueFor(key) }));
    process.stdout.write(`ack ${key}\n`);
  }
}
process.stdout.write('ready\n');
await Promise.all(Array.from({ length: 64 }, writer));
