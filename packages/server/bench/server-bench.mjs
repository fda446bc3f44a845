// npm run bench -w @quorumkv/server: a 3-node cluster on this machine (n=3 r=2 w=2, durable
// commits), 1 KiB values, 64 concurrent callers: a put phase, then a get phase, each bounded in
// time. Reports ops/s, p50/p99 and CPU per operation (all processes), and writes the figures to
// docs/benchmarks.md. Every process it starts is stopped by pid.
import { createClient } from '@connectrpc/connect';
import { createConnectTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { KvService } from '@quorumkv/protocol';
import { cpuSeconds, machine, percentile, writeSection } from '../../../tools/bench/bench-report.mjs';
import { startCluster as startHarnessCluster } from '@quorumkv/harness';

const seconds = Number(process.env.QKV_BENCH_SECONDS ?? 20);
const callers = Number(process.env.QKV_BENCH_CALLERS ?? 64);
const keyspace = 10_000;
const value = new Uint8Array(1024).fill(7);
const enc = new TextEncoder();

async function startCluster(transport) {
  const cluster = await startHarnessCluster({
    hosts: ['127.0.0.21', '127.0.0.22', '127.0.0.23'],
    partitions: 64,
    n: 3,
    r: 2,
    w: 2,
    extraArgs: ['--replica-transport', transport, '--max-in-flight', '100000'],
    logLevel: 'warn',
    verbose: true,
    exitOnSignal: true,
  });
  return { nodes: cluster.addresses, pids: cluster.nodes.map((n) => n.pid), stop: cluster.stop };
}

async function phase(name, clients, pids, op) {
  const latencies = [];
  let errors = 0;
  const cpu0 = pids.map((pid) => cpuSeconds(pid));
  const self0 = process.cpuUsage();
  const started = performance.now();
  const until = started + seconds * 1000;
  let n = 0;
  await Promise.all(Array.from({ length: callers }, async (_, c) => {
    const kv = clients[c % clients.length];
    while (performance.now() < until) {
      const key = enc.encode(`key-${(n++ * 7919) % keyspace}`);
      const t = performance.now();
      try { await op(kv, key); latencies.push(performance.now() - t); } catch { errors++; }
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  const serverCpu = pids.reduce((sum, pid, i) => sum + cpuSeconds(pid) - cpu0[i], 0);
  const self = process.cpuUsage(self0);
  const clientCpu = (self.user + self.system) / 1e6;
  const ops = latencies.length;
  return {
    name, ops, errors, opsPerSec: Math.round(ops / elapsed),
    p50: percentile(latencies, 50), p99: percentile(latencies, 99),
    cpuUsPerOp: Math.round(((serverCpu + clientCpu) / ops) * 1e6), serverUsPerOp: Math.round((serverCpu / ops) * 1e6),
  };
}

async function run(transport) {
  const cluster = await startCluster(transport);
  const sessions = cluster.nodes.map((address) => new Http2SessionManager(`http://${address}`));
  const clients = cluster.nodes.map((address, i) => createClient(KvService, createConnectTransport({ baseUrl: `http://${address}`, httpVersion: '2', sessionManager: sessions[i], acceptCompression: [] })));
  try {
    const put = await phase('put', clients, cluster.pids, (kv, key) => kv.put({ key, value }));
    const get = await phase('get', clients, cluster.pids, (kv, key) => kv.get({ key }));
    return [put, get];
  } finally {
    for (const s of sessions) s.abort();
    await cluster.stop();
  }
}

const rows = [];
for (const transport of (process.env.QKV_BENCH_TRANSPORTS ?? 'stream,unary').split(',')) for (const r of await run(transport)) rows.push({ transport, ...r });
const fmt = (x) => (x < 10 ? x.toFixed(2) : x.toFixed(1));
const table = [
  '| replica transport | op | ops/s | p50 ms | p99 ms | CPU µs/op (all processes) | server CPU µs/op | errors |',
  '|---|---|---:|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.transport} | ${r.name} | ${r.opsPerSec} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${r.cpuUsPerOp} | ${r.serverUsPerOp} | ${r.errors} |`),
].join('\n');
console.log(table);
writeSection('server', `### Server: 3-node cluster, unary client calls\n\n${machine()}. n=3 r=2 w=2, durable (fsync) commits, 1 KiB values, ${keyspace} keys, ${callers} concurrent callers spread over the 3 nodes, ${seconds} s per phase; client calls are unary Connect over HTTP/2. "replica transport" is node-to-node traffic: \`stream\` = one persistent bidi stream per peer with per-turn batching, \`unary\` = one unary call per replica item. One run; the machine is shared, so read the ratios.\n\n${table}\n`);
