// Preference-list lookups per second and key balance of @quorumkv/ring against `hashring`
// (ketama, md5, 160 points per server), side by side in one run on the same keys and nodes.
// Run with `npm run bench -w @quorumkv/ring` (builds first); rewrites the ring section of
// docs/benchmarks.md.
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import HashRing from 'hashring';
import { createRing, preferenceList } from '../dist/index.js';

const NODES = 16;
const ZONES = 4;
const N = 3;
const LOOKUP_KEYS = 200_000;
const BALANCE_KEYS = 1_000_000;
const ROUNDS = 7;
const BUCKET = 'default';

const ids = Array.from({ length: NODES }, (_, i) => `node-${String(i).padStart(2, '0')}`);
const ring = createRing({ nodes: ids.map((id, i) => ({ id, address: `10.0.0.${i}:7070`, zone: `z${i % ZONES}` })) });
const ketama = new HashRing(ids);

// Deterministic keys (mulberry32), so every run measures the same work.
function keys(count, seed) {
  let a = seed >>> 0;
  const out = new Array(count);
  for (let i = 0; i < count; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = `user:${((t ^ (t >>> 14)) >>> 0).toString(36)}:${i}`;
  }
  return out;
}
const lookupKeys = keys(LOOKUP_KEYS, 1);
// hashring has no buckets: it hashes one string, so give it bucket and key joined.
const lookupKetama = lookupKeys.map((k) => `${BUCKET}/${k}`);

function rate(fn, input) {
  const start = process.hrtime.bigint();
  let sink = 0;
  for (let i = 0; i < input.length; i++) sink += fn(input[i]).length;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (sink < 0) console.log(sink);
  return input.length / seconds;
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

const cases = {
  ringN: (k) => preferenceList(ring, BUCKET, k, N).primaries,
  ketamaN: (k) => ketama.range(k, N, true),
  ring1: (k) => preferenceList(ring, BUCKET, k, 1).primaries,
  ketama1: (k) => [ketama.get(k)],
};
const inputs = { ringN: lookupKeys, ketamaN: lookupKetama, ring1: lookupKeys, ketama1: lookupKetama };
const samples = Object.fromEntries(Object.keys(cases).map((c) => [c, []]));
for (const c of Object.keys(cases)) rate(cases[c], inputs[c]); // warm-up
for (let round = 0; round < ROUNDS; round++) {
  // Alternate the order each round so drift on a shared machine hits both sides alike.
  const order = round % 2 === 0 ? Object.keys(cases) : Object.keys(cases).reverse();
  for (const c of order) samples[c].push(rate(cases[c], inputs[c]));
}
const med = Object.fromEntries(Object.entries(samples).map(([c, xs]) => [c, median(xs)]));

function balance(owner) {
  const load = new Map(ids.map((id) => [id, 0]));
  for (const k of keys(BALANCE_KEYS, 2)) {
    const o = owner(k);
    load.set(o, load.get(o) + 1);
  }
  const values = [...load.values()];
  const mean = BALANCE_KEYS / NODES;
  return { max: Math.max(...values) / mean, min: Math.min(...values) / mean };
}
const ringBalance = balance((k) => preferenceList(ring, BUCKET, k, 1).primaries[0]);
const ketamaBalance = balance((k) => ketama.range(`${BUCKET}/${k}`, 1)[0]);

const fmt = (x) => Math.round(x).toLocaleString('en-US');
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const date = new Date().toISOString().slice(0, 10);
const section = [
  `Measured ${date} on ${cpu} (${os.cpus().length} cores), Node ${process.version}.`,
  `${NODES} nodes in ${ZONES} zones; @quorumkv/ring with Q = ${ring.partitionCount}, \`hashring\` 3.2 (ketama, md5,`,
  `160 points per node). ${LOOKUP_KEYS.toLocaleString('en-US')} distinct keys per round, median of ${ROUNDS} rounds; balance over`,
  `${BALANCE_KEYS.toLocaleString('en-US')} keys (owner = first replica).`,
  '',
  '| | @quorumkv/ring | hashring (ketama) | ratio |',
  '|---|---:|---:|---:|',
  `| preference list, N = ${N} (lookups/s) | ${fmt(med.ringN)} | ${fmt(med.ketamaN)} | ${(med.ringN / med.ketamaN).toFixed(1)}x |`,
  `| owner only, N = 1 (lookups/s) | ${fmt(med.ring1)} | ${fmt(med.ketama1)} | ${(med.ring1 / med.ketama1).toFixed(1)}x |`,
  `| busiest node / mean keys | ${ringBalance.max.toFixed(3)} | ${ketamaBalance.max.toFixed(3)} | |`,
  `| idlest node / mean keys | ${ringBalance.min.toFixed(3)} | ${ketamaBalance.min.toFixed(3)} | |`,
  '',
  'hashring `get` keeps a 5,000-entry LRU cache; with 200,000 distinct keys it mostly misses, as in a',
  'real store. `range` (its N-replica lookup) is uncached.',
].join('\n');
console.log(section);

const docs = fileURLToPath(new URL('../../../docs/benchmarks.md', import.meta.url));
const text = readFileSync(docs, 'utf8');
const start = '<!-- bench:ring:start -->';
const end = '<!-- bench:ring:end -->';
const a = text.indexOf(start);
const b = text.indexOf(end);
if (a < 0 || b < a) throw new Error(`markers ${start} / ${end} not found in ${docs}`);
writeFileSync(docs, `${text.slice(0, a + start.length)}\n${section}\n${text.slice(b)}`);
console.log(`\nwrote ring section of ${docs}`);
