/**
 * Runs the acceptance scenarios in the deterministic simulator and rewrites the gossip section of
 * docs/benchmarks.md. Run with `npm run bench -w @quorumkv/gossip`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crashScenario, falsePositiveScenario, formatTable, joinScenario, partitionScenario } from '../src/test-support/scenarios.js';

const SEED = 42;
const started = Date.now();
const results = {
  joins: [10, 50, 200].map((n) => joinScenario(n, SEED)),
  crash: crashScenario(50, SEED, 10),
  fp: falsePositiveScenario(SEED, 50, 10_000, 0.1, 2000),
  partition: partitionScenario(SEED, 50, 100),
};
const wallS = ((Date.now() - started) / 1000).toFixed(1);
const table = formatTable(results);
console.log(table);

const cpu = cpus();
const section = [
  `Machine: ${cpu[0]?.model ?? 'unknown'}, ${cpu.length} cores; date: ${new Date().toISOString().slice(0, 10)}; seed: ${SEED};`,
  `simulated (virtual clock, 1 period = probeIntervalMs = 1000 ms, default config, latency 0.5 ms + exp(mean 2 ms));`,
  `wall time of the whole run: ${wallS} s. Regenerate with \`npm run bench -w @quorumkv/gossip\`.`,
  '',
  table,
].join('\n');

// The compiled script runs from packages/gossip/.bench-build/bench/.
const here = dirname(fileURLToPath(import.meta.url));
const docs = resolve(here, '../../../../docs/benchmarks.md');
const text = readFileSync(docs, 'utf8');
const start = '<!-- bench:gossip:start -->';
const end = '<!-- bench:gossip:end -->';
const i = text.indexOf(start);
const j = text.indexOf(end);
if (i < 0 || j < i) throw new Error('gossip markers not found in docs/benchmarks.md');
writeFileSync(docs, `${text.slice(0, i + start.length)}\n${section}\n${text.slice(j)}`);
console.log(`wrote ${docs}`);
