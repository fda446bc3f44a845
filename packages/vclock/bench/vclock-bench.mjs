// Benchmark of @quorumkv/vclock: DVVSet update/sync/codec rates and encoded sizes for a key
// replicated on 3 nodes holding 1 or 10 siblings. Runs against the build (dist/), so `npm run bench`
// compiles first. Each figure is the median of several rounds; the results replace the vclock
// section of docs/benchmarks.md.
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { nsPerCall } from '../../../tools/bench/bench-report.mjs';
import {
  bytesCodec,
  decodeDVVSet,
  encodeContext,
  encodeDVVSet,
  encodeVectorClock,
  increment,
  emptyClock,
  join,
  siblingCount,
  sync,
  update,
} from '../dist/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 100);
const VALUE_BYTES = 100;
const NODES = ['node-1', 'node-2', 'node-3'];
const DOC = fileURLToPath(new URL('../../../docs/benchmarks.md', import.meta.url));

const value = (seed) => new Uint8Array(VALUE_BYTES).fill(seed & 0xff);

/** A key written 1,000 times through the 3 nodes with read contexts, then `siblings` - 1 blind writes. */
function buildSet(siblings) {
  let s;
  for (let i = 0; i < 1000; i++) s = update(s, s && join(s), NODES[i % 3], value(i));
  for (let i = 1; i < siblings; i++) s = update(s, undefined, NODES[i % 3], value(i));
  if (siblingCount(s) !== siblings) throw new Error('bad fixture');
  return s;
}

/** The rate of `fn` over ROUND_MS, in operations per second. */
const measure = (fn) => 1e9 / nsPerCall(fn, ROUND_MS);

const cases = [];
const sizes = [];
for (const siblings of [1, 10]) {
  const set = buildSet(siblings);
  const ctx = join(set);
  const newer = update(set, undefined, 'node-2', value(7)); // the same key after one more write elsewhere
  const copy = decodeDVVSet(encodeDVVSet(set, bytesCodec.encode), bytesCodec.decode); // equal, not identical
  const bytes = encodeDVVSet(set, bytesCodec.encode);
  const v = value(42);
  const add = (name, fn) => cases.push({ name, siblings, fn, rates: [] });
  add('update with the read context (replaces all siblings)', () => update(set, ctx, 'node-1', v));
  add('update without context (adds a sibling)', () => update(set, undefined, 'node-1', v));
  add('sync with a replica one write ahead', () => sync(set, newer));
  add('sync with an equal copy', () => sync(set, copy));
  add('encodeDVVSet (bytes values)', () => encodeDVVSet(set, bytesCodec.encode));
  add('decodeDVVSet (bytes values, views)', () => decodeDVVSet(bytes, bytesCodec.decode));
  sizes.push({
    what: `DVVSet, 3 nodes, ${siblings} sibling${siblings > 1 ? 's' : ''} of ${VALUE_BYTES} B`,
    bytes: bytes.length,
    overhead: bytes.length - siblings * VALUE_BYTES,
  });
  if (siblings === 1) sizes.push({ what: 'client context (3 nodes, counters ~334)', bytes: encodeContext(ctx).length, overhead: encodeContext(ctx).length });
}
// Warm-up, then rounds that interleave the cases: on a shared machine, load changes over time, and
// interleaving spreads it over all cases instead of penalising whichever ran during a spike.
for (const c of cases) nsPerCall(c.fn, 20);
for (let r = 0; r < ROUNDS; r++) for (const c of cases) c.rates.push(measure(c.fn));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = cases.map((c) => ({ name: c.name, siblings: c.siblings, opsPerSec: median(c.rates) }));

let clock = emptyClock();
for (let i = 0; i < 1000; i++) clock = increment(clock, NODES[i % 3], 1_763_700_000_000 + i);
sizes.push({ what: 'VectorClock, 3 nodes with ms timestamps', bytes: encodeVectorClock(clock).length, overhead: encodeVectorClock(clock).length });

const fmt = (n) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));
const names = [...new Set(results.map((r) => r.name))];
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const lines = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${cpu} (${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)} at the end), Node ${process.version}:`,
  `medians of ${ROUNDS} rounds of ${ROUND_MS} ms. A key replicated on 3 nodes, counters around 334, ${VALUE_BYTES}-byte values.`,
  '',
  '| operation (ops/s) | 1 sibling | 10 siblings |',
  '|---|---:|---:|',
  ...names.map((name) => {
    const get = (s) => fmt(results.find((r) => r.name === name && r.siblings === s).opsPerSec);
    return `| ${name} | ${get(1)} | ${get(10)} |`;
  }),
  '',
  '| encoding | bytes | of which clock metadata |',
  '|---|---:|---:|',
  ...sizes.map((s) => `| ${s.what} | ${s.bytes} | ${s.overhead} |`),
];
const section = lines.join('\n');
console.log(section);

const doc = readFileSync(DOC, 'utf8');
const start = '<!-- bench:vclock:start -->';
const end = '<!-- bench:vclock:end -->';
const i = doc.indexOf(start);
const j = doc.indexOf(end);
if (i < 0 || j < i) throw new Error(`markers ${start} / ${end} not found in ${DOC}`);
writeFileSync(DOC, `${doc.slice(0, i + start.length)}\n${section}\n${doc.slice(j)}`);
