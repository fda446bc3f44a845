// npm run bench -w @quorumkv/client: YCSB-style load through the SDK against a local 3-node
// cluster (n=3 r=2 w=2, durable commits). Load phase, then workloads A (50/50 read/update),
// B (95/5) and C (read only) with scrambled-Zipfian keys. Prints a table, writes
// docs/bench-results/ycsb.json and the ycsb section of docs/benchmarks.md.
// QKV_YCSB_RECORDS (10000), QKV_YCSB_CALLERS (32), QKV_YCSB_SECONDS (10 per workload);
// QKV_YCSB_WRITE=0 prints the table only (smoke runs).
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeVersion, machine, writeSection } from '../../../tools/bench/bench-report.mjs';
import { selfCheck } from '../../../tools/bench/ycsb-keys.mjs';
import { ycsbTable } from '../../../tools/bench/ycsb-report.mjs';
import { runYcsb } from '../../../tools/bench/ycsb.mjs';
import { startCluster } from '@quorumkv/harness';
import { durableClusterOptions, quorumKvStore, waitUntilWritable, ycsbOptions } from './quorumkv-store.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const resultsFile = resolve(here, '../../../docs/bench-results/ycsb.json');

const options = ycsbOptions({ records: 10_000 });
const partitions = 64;
const code = codeVersion();
const cluster = { nodes: 3, n: 3, r: 2, w: 2, durability: 'sync', partitions, replicaTransport: 'stream' };

const keyCheck = selfCheck();
console.error(
  `key chooser self-check ok: hottest record ${(keyCheck.hottestShare * 100).toFixed(1)}% of requests, hottest 1% of records ${(keyCheck.top1PercentShare * 100).toFixed(1)}%`,
);

const loadBefore = os.loadavg()[0];
const local = await startCluster({
  hosts: ['127.0.0.51', '127.0.0.52', '127.0.0.53'],
  partitions,
  ...durableClusterOptions,
});
let result;
try {
  const store = quorumKvStore({ nodes: local.addresses, routing: true });
  // On Ctrl-C the cluster stops (exitOnSignal); a node waits for open HTTP/2 sessions, so close ours.
  process.once('SIGINT', () => store.close());
  process.once('SIGTERM', () => store.close());
  try {
    await waitUntilWritable(store.client);
  } catch (err) {
    store.close();
    throw err;
  }
  result = await runYcsb(store, { ...options, serverPids: local.nodes.map((n) => n.pid) });
} finally {
  await local.stop();
}
const loadAfter = os.loadavg()[0];

const table = ycsbTable(result);
console.log(table);

if (process.env.QKV_YCSB_WRITE === '0') process.exit(0);

const date = new Date().toISOString();
mkdirSync(dirname(resultsFile), { recursive: true });
writeFileSync(
  resultsFile,
  `${JSON.stringify(
    {
      benchmark: 'ycsb',
      store: result.store,
      date,
      machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadAverage1m: { before: loadBefore, after: loadAfter } },
      cluster,
      code,
      client: { sdk: '@quorumkv/client/node', routing: true, clients: 1, transport: 'SDK default (HTTP/2, h2c)' },
      keyChooser: { distribution: 'scrambled zipfian', theta: 0.99, ...keyCheck },
      settings: result.settings,
      phases: result.phases,
    },
    null,
    2,
  )}\n`,
);

const load = result.phases[0];
const workloads = result.phases.slice(1);
const busy = workloads.map((p) => p.cpu.coresBusy);
const stats = workloads.filter((p) => p.storeStats).map((p) => `${p.phase}: ${p.storeStats.multiSiblingReads} reads with siblings (max ${p.storeStats.maxSiblings})`);
const notFound = result.phases.reduce((n, p) => n + p.notFound, 0);
writeSection(
  'ycsb',
  `### Client: YCSB-style workloads through the SDK

${machine()}; load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after. One run.
3 server processes on 127.0.0.51-53 and the benchmark process on the same ${os.cpus().length} cores; n=3 r=2 w=2,
durable (fsync) commits, ${partitions} partitions, stream replica transport.
Code at ${code.commit}${code.dirty ? ' with uncommitted changes to the client or server' : ''} (built \`dist\`).
One \`@quorumkv/client/node\` client with its default transport (HTTP/2) and routing on, shared by ${options.callers} closed-loop callers.
Load: ${options.recordCount.toLocaleString('en-US')} records of ${options.valueBytes} B (random bytes), YCSB key names, in ${load.seconds.toFixed(1)} s${load.complete ? '' : ' (incomplete)'}.
Then each workload for ${options.seconds} s (or ${options.maxOps.toLocaleString('en-US')} operations) with scrambled-Zipfian keys (theta 0.99, as YCSB: the hottest record gets ~${(keyCheck.hottestShare * 100).toFixed(1)}% of requests).
An update is a put with the context of the client's last read or write of that key (a blind put would pile up siblings).
Latency is per operation as the caller sees it, retries included; CPU is the phase's CPU time of the
benchmark process + the three servers divided by its operations; during the workloads these four
processes got ${Math.min(...busy).toFixed(1)}-${Math.max(...busy).toFixed(1)} of the ${os.cpus().length} cores and other jobs on the box the rest. The run is CPU-bound:
ops/s moves with whatever else runs (read CPU per operation, the steadier figure), and with
closed-loop callers latency is mostly queueing (mean ≈ callers ÷ ops/s).
Reads of missing keys: ${notFound}. Reads that saw siblings (concurrent updates of one hot key) — ${stats.join('; ')}.
Raw figures: \`docs/bench-results/ycsb.json\`. Regenerate: \`npm run bench -w @quorumkv/client\`.

${table}
`,
);
console.error(`wrote ${resultsFile} and the ycsb section of docs/benchmarks.md`);
