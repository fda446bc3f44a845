// Micro-benchmark of the hand-written hot-path codecs (src/codec/): CPU µs per message to encode and
// decode the Replicate and Session messages that carry almost every operation. Runs against the
// build (dist/), so `npm run bench -w @quorumkv/protocol` compiles first; the medians replace the
// protocol section of docs/benchmarks.md.
//
// A/B mode compares two builds in one session, rounds alternated (this machine's load moves single
// runs by ±25%): `node bench/codec-bench.mjs <distA> <distB>` prints both and writes nothing.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { machine, nsPerCall, writeSection } from '../../../tools/bench/bench-report.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 150);

const dists = process.argv.length > 2 ? process.argv.slice(2) : [new URL('../dist', import.meta.url).pathname];
const builds = await Promise.all(dists.map(async (dir) => ({ dir, m: await import(pathToFileURL(resolve(dir, 'index.js')).href) })));

const value = new Uint8Array(1024).fill(7);
const key = new TextEncoder().encode('user:4242424242');

const header = { fromNode: 'node-1', ringVersion: 3n, clusterId: 'c0ffee00', ring: new Uint8Array(0) };
const item = (i) => ({ id: BigInt(i + 1), op: 1, bucket: 'default', key, partition: 17, record: value, expiresAtMs: 0n, hintFor: '', deadlineMs: 1_790_000_000_000n });
const result = (i) => ({ id: BigInt(i + 1), status: 1, record: new Uint8Array(0), expiresAtMs: 0n, error: '' });
const answer = (id) => ({ nodeId: id, fallback: false, standingInFor: '', ok: true, error: '', latencyUs: 850 });
const receipt = { asked: 3, answered: 2, required: 2, replicas: [answer('node-1'), answer('node-2'), answer('node-3')], siblingCount: 1, ringVersion: 3n, coordinator: 'node-1', forwarded: false };
const putResult = (i) => ({ id: BigInt(i + 1), result: { case: 'put', value: { context: new Uint8Array(24).fill(3), siblings: [], receipt } } });
const putOp = (i) => ({ id: BigInt(i + 1), op: { case: 'put', value: { bucket: 'default', key, value, context: new Uint8Array(24).fill(3), ttlMs: 0n, returnBody: false } } });

/** name → [encode(m), decode(m)] factories over one build's exports. */
const cases = [
  ['Replicate request, 1 × 1 KiB item', (m) => m.encodeReplicateRequest, (m) => m.decodeReplicateRequest, { messageId: 9n, header, items: [item(0)] }],
  ['Replicate request, 4 × 1 KiB items', (m) => m.encodeReplicateRequest, (m) => m.decodeReplicateRequest, { messageId: 9n, header, items: [0, 1, 2, 3].map(item) }],
  ['Replicate response, 4 results', (m) => m.encodeReplicateResponse, (m) => m.decodeReplicateResponse, { messageId: 9n, results: [0, 1, 2, 3].map(result) }],
  ['Session request, 4 puts of 1 KiB', (m) => m.encodeSessionRequest, (m) => m.decodeSessionRequest, { ops: [0, 1, 2, 3].map(putOp) }],
  ['Session response, 4 puts with receipts', (m) => m.encodeSessionResponse, (m) => m.decodeSessionResponse, { results: [0, 1, 2, 3].map(putResult) }],
];

/** µs per call of `fn`. */
const measure = (fn) => nsPerCall(fn, ROUND_MS) / 1000;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const [name, enc, dec, msg] of cases) {
  const samples = builds.map(() => ({ encode: [], decode: [] }));
  const encoded = builds.map((b) => enc(b.m)(msg));
  for (let r = 0; r < ROUNDS; r++) {
    builds.forEach((b, i) => {
      const e = enc(b.m);
      const d = dec(b.m);
      const bytes = encoded[i];
      samples[i].encode.push(measure(() => e(msg)));
      samples[i].decode.push(measure(() => d(bytes)));
    });
  }
  rows.push({ name, bytes: encoded[0].length, results: samples.map((s) => ({ encode: median(s.encode), decode: median(s.decode) })) });
}

const f = (us) => us.toFixed(2);
if (builds.length > 1) {
  console.log(`| message | bytes | ${builds.map((_, i) => `encode ${'AB'[i] ?? i}`).join(' | ')} | ${builds.map((_, i) => `decode ${'AB'[i] ?? i}`).join(' | ')} |`);
  for (const r of rows) console.log(`| ${r.name} | ${r.bytes} | ${r.results.map((x) => f(x.encode)).join(' | ')} | ${r.results.map((x) => f(x.decode)).join(' | ')} |`);
  builds.forEach((b, i) => console.log(`${'AB'[i] ?? i}: ${b.dir}`));
} else {
  const table = [
    '| message | bytes | encode µs | decode µs |',
    '|---|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${r.bytes} | ${f(r.results[0].encode)} | ${f(r.results[0].decode)} |`),
  ].join('\n');
  console.log(table);
  writeSection(
    'protocol',
    `## Hot-path codecs (@quorumkv/protocol)\n\n${machine()}. One process, medians of ${ROUNDS} rounds of ${ROUND_MS} ms, CPU µs per message ` +
      `(\`packages/protocol/bench/codec-bench.mjs\`; \`node bench/codec-bench.mjs <distA> <distB>\` compares two builds).\n\n${table}\n`,
  );
}
