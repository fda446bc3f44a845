// npm run bench:peers: one YCSB-style harness (tools/bench/ycsb.mjs) against QuorumKV and the stores
// it is measured against, one after the other on this machine, all on loopback:
//   - QuorumKV, 3 nodes, n=3 r=2 w=2, durable (fsync) commits, through the Node SDK: its default
//     Session-stream path, then its unary path (http2.stream=false) on the same cluster and records;
//   - etcd, 3 members, default durability (WAL fsync before ack), through etcd3;
//   - Redis Cluster, 3 masters + 3 replicas, AOF appendfsync everysec, through ioredis's Cluster,
//     plain and with WAIT 1 after every write (a fresh cluster for each).
// Installs redis-server and etcd from Debian if missing. Writes docs/bench-results/peers.json,
// docs/peers.svg and the peers section of docs/benchmarks.md. Every process it starts is stopped by
// pid, also on SIGINT/SIGTERM and on errors.
//
// Environment: QKV_PEERS_RECORDS (100000), QKV_PEERS_CALLERS (32), QKV_PEERS_SECONDS (15 per
// workload), QKV_PEERS_LOAD_SECONDS (300, time limit of each load), QKV_PEERS_MAX_OPS (1000000 per
// workload), QKV_PEERS_SYSTEMS (quorumkv,quorumkv-unary,etcd,redis,redis-wait),
// QKV_PEERS_WRITE=0 prints the tables only.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCluster } from '@quorumkv/harness';
import { durableClusterOptions, quorumKvStore, waitUntilWritable } from '../../packages/client/bench/quorumkv-store.mjs';
import { codeVersion, envInt, machine, writeSection } from './bench-report.mjs';
import { startEtcdCluster } from './etcd-cluster.mjs';
import { etcdStore, redisStore } from './peer-stores.mjs';
import { ensurePeerBinaries, PeerInstallError, peerVersions } from './peers-install.mjs';
import { peersSvg } from './peers-plot.mjs';
import { stopAllTracked } from './peers-procs.mjs';
import { computeRatios, evaluateTargets, phaseTables, ratioTable, targetList } from './peers-report.mjs';
import { startRedisCluster } from './redis-cluster.mjs';
import { selfCheck } from './ycsb-keys.mjs';
import { runYcsb } from './ycsb.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const resultsFile = resolve(repo, 'docs/bench-results/peers.json');
const svgFile = resolve(repo, 'docs/peers.svg');
const log = (line) => process.stderr.write(`${line}\n`);

const ALL_SYSTEMS = ['quorumkv', 'quorumkv-unary', 'etcd', 'redis', 'redis-wait'];
const LABELS = {
  quorumkv: 'QuorumKV (SDK stream)',
  'quorumkv-unary': 'QuorumKV (SDK unary)',
  etcd: 'etcd',
  redis: 'Redis Cluster',
  'redis-wait': 'Redis Cluster + WAIT 1',
};
const selected = (process.env.QKV_PEERS_SYSTEMS || ALL_SYSTEMS.join(','))
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const s of selected) if (!ALL_SYSTEMS.includes(s)) throw new Error(`QKV_PEERS_SYSTEMS: unknown system "${s}" (known: ${ALL_SYSTEMS.join(', ')})`);
const systemIds = ALL_SYSTEMS.filter((s) => selected.includes(s));

const options = {
  recordCount: envInt('QKV_PEERS_RECORDS', 100_000),
  valueBytes: 1024,
  callers: envInt('QKV_PEERS_CALLERS', 32),
  seconds: envInt('QKV_PEERS_SECONDS', 15),
  loadSeconds: envInt('QKV_PEERS_LOAD_SECONDS', 300),
  maxOps: envInt('QKV_PEERS_MAX_OPS', 1_000_000),
  workloads: ['A', 'B', 'C'],
  seed: 42,
};
const WAIT_TIMEOUT_MS = 1000;
const QKV_PARTITIONS = 64;
const QKV_HOSTS = ['127.0.0.61', '127.0.0.62', '127.0.0.63'];

// What is running now, so a signal or a crash can close the client before stopping the servers
// (a QuorumKV node waits for open HTTP/2 sessions before it exits).
const current = { store: undefined, stop: undefined };
// Once stopping, operations never settle: a closed client fails them at once, and the harness's
// callers would spin on those failures without yielding to the event loop (which must see the
// servers exit).
let aborting = false;
const never = new Promise(() => {});
const abortable = (store) => {
  const guard = (op) => (...args) => (aborting ? never : op(...args));
  return {
    name: store.name,
    read: guard(store.read.bind(store)),
    update: guard(store.update.bind(store)),
    insert: guard(store.insert.bind(store)),
    close: () => store.close(),
    ...(store.stats ? { stats: () => store.stats() } : {}),
  };
};
let cleaning;
const cleanUp = () =>
  (cleaning ??= (async () => {
    try {
      await current.store?.close();
    } catch {
      /* closing anyway */
    }
    try {
      await current.stop?.();
    } finally {
      await stopAllTracked();
    }
  })());
const bail = (code) => (why) => {
  aborting = true;
  log(`peers bench: ${why instanceof Error ? (why.stack ?? why.message) : why}; stopping every process it started`);
  cleanUp().finally(() => process.exit(code));
};
process.on('SIGINT', bail(130));
process.on('SIGTERM', bail(143));
process.on('uncaughtException', bail(1));
process.on('unhandledRejection', bail(1));

const needs = [];
if (systemIds.some((s) => s.startsWith('redis'))) needs.push('redis-server', 'redis-cli');
if (systemIds.includes('etcd')) needs.push('etcd');
let installed;
try {
  installed = ensurePeerBinaries(needs, log);
} catch (err) {
  if (err instanceof PeerInstallError) {
    log(`peers bench: cannot get the peer stores' binaries: ${err.message}`);
    process.exit(2);
  }
  throw err;
}
const versions = peerVersions();

// The unary run reuses the stream run's records; each other system loads its own.
const loadsToRun = systemIds.filter((s) => !(s === 'quorumkv-unary' && systemIds.includes('quorumkv'))).length;
const boundS = systemIds.length * (options.seconds * options.workloads.length + 20) + loadsToRun * options.loadSeconds;
log(
  `peers bench: ${systemIds.join(', ')}; ${options.recordCount} records of ${options.valueBytes} B, ${options.callers} callers, ` +
    `${options.seconds} s per workload, loads capped at ${options.loadSeconds} s; at most ~${Math.ceil(boundS / 60)} min`,
);
const keyCheck = selfCheck();

/** @type {Record<string, { id: string, label: string, config: object, result?: object, loadAverage1m: object, skippedPhases?: object }>} */
const systems = {};
const started = new Date();

async function measure(id, config, pids, store, ycsbOptions = {}) {
  const before = os.loadavg()[0];
  current.store = store;
  log(`--- ${LABELS[id]}`);
  const result = await runYcsb(abortable(store), { ...options, serverPids: pids, log: (l) => log(`${id}: ${l}`), ...ycsbOptions });
  current.store = undefined;
  systems[id] = { id, label: LABELS[id], config, result, loadAverage1m: { before, after: os.loadavg()[0] } };
  return result;
}

async function runQuorumKv() {
  const local = await startCluster({
    nodes: QKV_HOSTS.length,
    hosts: QKV_HOSTS,
    partitions: QKV_PARTITIONS,
    ...durableClusterOptions,
  });
  const pids = local.nodes.map((n) => n.pid);
  current.stop = local.stop;
  try {
    const config = { nodes: 3, n: 3, r: 2, w: 2, durability: 'sync (fsync before ack)', partitions: QKV_PARTITIONS, replicaTransport: 'stream', hosts: QKV_HOSTS, code: codeVersion() };
    let loaded = false;
    for (const id of ['quorumkv', 'quorumkv-unary'].filter((s) => systemIds.includes(s))) {
      const stream = id === 'quorumkv';
      const store = quorumKvStore({ nodes: local.addresses, routing: true, ...(stream ? {} : { http2: { stream: false } }) });
      store.name = LABELS[id];
      current.store = store;
      await waitUntilWritable(store.client);
      await measure(id, { ...config, client: { sdk: '@quorumkv/client/node', routing: true, path: stream ? 'Session stream (default)' : 'unary (http2.stream=false)' } }, pids, store, { skipLoad: loaded });
      if (!loaded) loaded = true;
      else systems[id].skippedPhases = { load: 'records of the stream run' };
    }
  } finally {
    current.store?.close();
    current.store = undefined;
    await local.stop();
    current.stop = undefined;
  }
}

async function runEtcd() {
  const cluster = await startEtcdCluster({ log });
  current.stop = cluster.stop;
  try {
    const store = etcdStore({ endpoints: cluster.endpoints });
    await measure('etcd', { ...cluster.settings, version: versions.etcd, client: 'etcd3 1.1.2 (gRPC), all 3 endpoints' }, cluster.pids, store);
  } finally {
    await cluster.stop();
    current.stop = undefined;
  }
}

async function runRedis(wait) {
  const id = wait ? 'redis-wait' : 'redis';
  const cluster = await startRedisCluster({ log });
  current.stop = cluster.stop;
  try {
    const store = await redisStore({ nodes: cluster.nodes, wait, waitTimeoutMs: WAIT_TIMEOUT_MS });
    const client = `ioredis 6.0.0 Cluster, reads from masters${wait ? `; every write is a pipeline SET + WAIT 1 ${WAIT_TIMEOUT_MS} on the key's master, failed if no replica acknowledged` : ''}`;
    await measure(id, { ...cluster.settings, version: versions.redis, client }, cluster.pids, store);
  } finally {
    await cluster.stop();
    current.stop = undefined;
  }
}

const loadBefore = os.loadavg()[0];
try {
  if (systemIds.some((s) => s.startsWith('quorumkv'))) await runQuorumKv();
  if (systemIds.includes('etcd')) await runEtcd();
  if (systemIds.includes('redis')) await runRedis(false);
  if (systemIds.includes('redis-wait')) await runRedis(true);
} catch (err) {
  bail(1)(err);
  await new Promise(() => {}); // bail exits once everything is stopped
}
await stopAllTracked();
const loadAfter = os.loadavg()[0];
const elapsedMin = (Date.now() - started.getTime()) / 60_000;

const list = systemIds.map((id) => systems[id] ?? { id, label: LABELS[id] });
const byId = Object.fromEntries(list.map((s) => [s.id, s]));
const tables = phaseTables(list);
const ratios = computeRatios(byId);
const targets = evaluateTargets(byId, ratios);
console.log(`${tables}\n\n${ratioTable(ratios)}\n\n${targetList(targets)}`);

if (process.env.QKV_PEERS_WRITE === '0') process.exit(0);

const coresBusy = list.flatMap((s) => s.result?.phases.map((p) => p.cpu.coresBusy) ?? []);
const date = started.toISOString();
mkdirSync(dirname(resultsFile), { recursive: true });
writeFileSync(
  resultsFile,
  `${JSON.stringify(
    {
      benchmark: 'peers',
      date,
      minutes: Math.round(elapsedMin * 10) / 10,
      machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadAverage1m: { before: loadBefore, after: loadAfter } },
      installedPackages: installed,
      versions,
      settings: { ...options, keyChooser: { distribution: 'scrambled zipfian', theta: 0.99, ...keyCheck } },
      systems: list,
      ratios,
      targets,
    },
    null,
    2,
  )}\n`,
);
writeFileSync(
  svgFile,
  peersSvg(
    list.filter((s) => s.result),
    {
      title: 'QuorumKV vs etcd vs Redis Cluster — YCSB-style, 3 replicas, loopback',
      subtitle: `${options.recordCount.toLocaleString('en-US')} records of 1 KiB, ${options.callers} callers, ${options.seconds} s per workload, zipfian 0.99; ${os.cpus().length} shared cores; ${date.slice(0, 10)}`,
    },
  ),
);

const qkvCode = byId.quorumkv?.config?.code ?? byId['quorumkv-unary']?.config?.code;
const loads = list
  .filter((s) => s.result?.phases[0]?.phase === 'load')
  .map((s) => {
    const p = s.result.phases[0];
    return `${s.label} ${p.ops.toLocaleString('en-US')} in ${p.seconds.toFixed(1)} s${p.complete ? '' : ` (incomplete: stopped by ${p.stoppedBy})`}`;
  });
const siblings = ['quorumkv', 'quorumkv-unary']
  .filter((id) => byId[id]?.result)
  .map((id) => `${LABELS[id]}: ${byId[id].result.phases.filter((p) => p.storeStats).map((p) => `${p.phase} ${p.storeStats.multiSiblingReads}`).join(', ')}`);
writeSection(
  'peers',
  `### Peers: QuorumKV against etcd and Redis Cluster (YCSB-style)

${machine()}; load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after; ${elapsedMin.toFixed(1)} min. One run.
Each system ran alone (its servers and the benchmark process on the same ${os.cpus().length} cores, one
system after the other), but the box is shared with other jobs: the measured processes got
${Math.min(...coresBusy).toFixed(1)}-${Math.max(...coresBusy).toFixed(1)} of the ${os.cpus().length} cores. Ops/s move with the box's load; CPU per operation is the steadier figure.

- **QuorumKV**: 3 server processes on ${QKV_HOSTS[0]}-${QKV_HOSTS[2].split('.').pop()}, n=3 r=2 w=2, durable commits (fsync before ack on the
  w replicas), ${QKV_PARTITIONS} partitions, stream replica transport; code at ${qkvCode?.commit ?? 'unknown'}${qkvCode?.dirty ? ' with uncommitted changes' : ''} (built \`dist\`).
  One \`@quorumkv/client/node\` client, routing on. *SDK stream* is its default path (one coalescing
  Session stream per node); *SDK unary* is \`http2: { stream: false }\` (one unary call per operation),
  run on the same cluster and records right after the stream run (so it has no load row). An update
  is a put with the context of this client's last read or write of the key; the unary client starts
  with no contexts, so its first update of a key is a blind put that may add a sibling.
  Reads that saw siblings per workload — ${siblings.join('; ') || 'n/a'}.
- **etcd** ${versions.etcd.replace('etcd Version: ', '')}: 3 members on 127.0.0.1, static \`--initial-cluster\`, default durability (WAL
  fsync on a quorum before ack), etcd3 1.1.2 client (gRPC) given all 3 endpoints.
- **Redis Cluster** ${/v=([\d.]+)/.exec(versions.redis)?.[1] ?? ''}: 6 \`redis-server\` on 127.0.0.1, 3 masters + 3 replicas
  (\`--cluster-replicas 1\`), \`--appendonly yes --appendfsync everysec --save ''\` (a write is acknowledged
  before it is fsynced, and replication is asynchronous), ioredis 6.0.0 \`Cluster\` client, reads from
  masters. *+ WAIT 1*: every write is a pipeline \`SET\` + \`WAIT 1 ${WAIT_TIMEOUT_MS}\` to the key's master, and
  fails unless a replica acknowledged it (in memory, not fsynced). A fresh cluster for each variant.

Same harness for all (\`tools/bench/ycsb.mjs\`): load ${options.recordCount.toLocaleString('en-US')} records of ${options.valueBytes} B (capped at
${options.loadSeconds} s: ${loads.join('; ')}), then YCSB A, B, C for ${options.seconds} s each (or ${options.maxOps.toLocaleString('en-US')} operations),
${options.callers} closed-loop callers sharing one client, scrambled-Zipfian keys (theta 0.99). Latency is per
operation as the caller sees it, over all operations of the phase; CPU is the phase's CPU time of
the benchmark process (client) and of all the store's server processes (from /proc), divided by
its completed operations.
Raw figures: \`docs/bench-results/peers.json\`. Regenerate: \`npm run bench:peers\`.

![ops/s and p99 per system and workload](peers.svg)

${tables}

#### Ratios

${ratioTable(ratios)}

#### The issue's targets

${targetList(targets)}
`,
);
log(`wrote ${resultsFile}, ${svgFile} and the peers section of docs/benchmarks.md`);
process.exit(0);
