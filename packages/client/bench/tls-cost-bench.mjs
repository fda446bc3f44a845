// npm run bench:tls -w @quorumkv/client: what security costs per operation. The same YCSB load and
// workload B (95% read, 5% update, scrambled Zipfian) through the SDK, in one run, against a plain
// 3-node cluster and against a secure one (TLS on every port, mutual TLS between nodes, signed
// gossip, client token), each fresh. Prints a table and writes the tls-cost section of
// docs/benchmarks.md (QKV_YCSB_WRITE=0: table only). QKV_YCSB_RECORDS (5000), QKV_YCSB_CALLERS (32),
// QKV_YCSB_SECONDS (10).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { codeVersion, machine, writeSection } from '../../../tools/bench/bench-report.mjs';
import { ycsbTable } from '../../../tools/bench/ycsb-report.mjs';
import { runYcsb } from '../../../tools/bench/ycsb.mjs';
import { issueTokens, startCluster } from '@quorumkv/harness';
import { durableClusterOptions, quorumKvStore, waitUntilWritable, ycsbOptions } from './quorumkv-store.mjs';

const options = ycsbOptions({ records: 5_000, workloads: ['B'] });
const partitions = 64;

/** Runs load + B against a fresh cluster, plain or secure. */
async function measure(secure) {
  const dir = mkdtempSync(join(os.tmpdir(), 'qkv-tls-bench-'));
  const issued = issueTokens([{ name: 'bench', scopes: ['read', 'write', 'admin'] }]);
  const tokenFile = join(dir, 'tokens.json');
  writeFileSync(tokenFile, issued.fileText);
  const local = await startCluster({
    hosts: ['127.0.0.51', '127.0.0.52', '127.0.0.53'],
    partitions,
    ...durableClusterOptions,
    ...(secure ? { secure: true, extraArgs: [...durableClusterOptions.extraArgs, '--token-file', tokenFile] } : {}),
  });
  try {
    const store = quorumKvStore({ nodes: local.addresses, routing: true, ...(secure ? { token: issued.tokens['bench'], tls: { ca: local.tls.ca } } : {}) });
    await waitUntilWritable(store.client);
    return await runYcsb(store, { ...options, serverPids: local.nodes.map((n) => n.pid) });
  } finally {
    await local.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const loadBefore = os.loadavg()[0];
const plain = await measure(false);
const secure = await measure(true);
const loadAfter = os.loadavg()[0];

const phaseB = (r) => r.phases.find((p) => p.phase === 'B');
const rows = [
  '| cluster | B ops/s | p50 ms | p99 ms | CPU µs/op client + server | total |',
  '|---|---:|---:|---:|---:|---:|',
  ...[['plain (h2c)', plain], ['secure (TLS, mTLS, token)', secure]].map(([name, r]) => {
    const b = phaseB(r);
    const read = b.byOp.read;
    return `| ${name} | ${Math.round(b.opsPerSec)} | ${read.p50Ms.toFixed(2)} | ${read.p99Ms.toFixed(2)} | ${Math.round(b.cpu.clientUsPerOp)} + ${Math.round(b.cpu.serverUsPerOp)} | ${Math.round(b.cpu.totalUsPerOp)} |`;
  }),
];
const cost = phaseB(secure).cpu.totalUsPerOp - phaseB(plain).cpu.totalUsPerOp;
const table = `${rows.join('\n')}\n\nPlain, all phases:\n\n${ycsbTable(plain)}\n\nSecure, all phases:\n\n${ycsbTable(secure)}`;
console.log(table);
console.log(`security costs ${cost.toFixed(0)} µs of CPU per operation (${((cost / phaseB(plain).cpu.totalUsPerOp) * 100).toFixed(0)}%) in workload B`);
if (process.env.QKV_YCSB_WRITE === '0') process.exit(0);

const code = codeVersion();
const busy =
  loadBefore > os.cpus().length
    ? `\nThe box was busy with other jobs (load average above its ${os.cpus().length} cores): absolute figures are inflated several times over an idle run and a difference of a few per cent between plain and secure is within the noise of one run; re-run on an idle box before quoting it.`
    : '';
writeSection(
  'tls-cost',
  `### What security costs: YCSB-B, plain vs secure, same run

${machine()}; load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after. One run.
The same load (${options.recordCount.toLocaleString('en-US')} records of ${options.valueBytes} B) and workload B (95% read, 5% update, scrambled Zipfian, ${options.seconds} s,
${options.callers} callers on one SDK client with routing) against two fresh 3-node clusters on 127.0.0.51-53, one after the other:
plain (HTTP/2 cleartext, no tokens) and secure (TLS on every port, mutual TLS between nodes with a cluster CA, gossip signed with a
cluster key, a client token checked on every request). n=3 r=2 w=2, durable (fsync) commits, ${partitions} partitions.
Code at ${code.commit}${code.dirty ? ' with uncommitted changes to the client or server' : ''}. Connections are long-lived (one HTTP/2
session per peer pair and per client-node pair), so the handshakes are paid once; what remains is record encryption and the token
lookup (a SHA-256 of the token per request). Latency is of reads. CPU is the benchmark process + the three servers, per operation.
In workload B security cost ${cost.toFixed(0)} µs of CPU per operation (${((cost / phaseB(plain).cpu.totalUsPerOp) * 100).toFixed(0)}%).${busy}
Regenerate: \`npm run bench:tls -w @quorumkv/client\`.

${table}
`,
);
console.error('wrote the tls-cost section of docs/benchmarks.md');
