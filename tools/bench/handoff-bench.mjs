// npm run bench:handoff: ownership handoff figures, on real processes with real LMDB (loopback).
//   1. Transfer rate with the throttle off: one node (n=1) holding QKV_HANDOFF_RECORDS records of
//      1 KiB; a second node joins; the founder sends one transfer at a time (concurrency 1). The
//      rate per transfer is bytes sent / the time the founder's transfers ran, both from its own
//      counters (quorumkv_handoff_bytes_sent_total, quorumkv_handoff_send_seconds_total), read
//      before the commit and after balance. The rate of the whole handoff is bytes sent / the time
//      from the first to the last change of the bytes counter, polled every 100 ms (it includes the
//      gaps between transfers); scrapes are kept that sparse because rendering /metrics is work
//      taken from the sender (at one scrape per 25 ms, ~15% of its CPU in a profile).
//   2. Foreground cost: a 3-node cluster (n=3 r=2 w=2, durable), YCSB-B through the SDK for
//      QKV_HANDOFF_SECONDS without any transfer, then a fourth node joins with the default throttle
//      (adaptive pace) and YCSB-B runs again right from the commit for QKV_HANDOFF_BUSY_SECONDS, in
//      the same run; p99 of both, and how long the transfers were active within the second window.
//      Every operation's start time is kept too, so the p99 of the operations started while the
//      transfers were active (commit to balanced) and after them is reported apart.
//      Twice per run: closed loop (32 callers saturating the machine), then on a fresh cluster at a
//      fixed offered load of QKV_HANDOFF_LOAD (default 0.3) times the closed-loop rate without
//      transfers, with latencies from each operation's intended start (ycsb.mjs targetOpsPerSec).
//   3. The time from commit to balanced is measured in phase 2 too (every node holds the final ring).
// QKV_HANDOFF_BATCH_ITEMS sets the sender's --handoff-batch-items in phase 1 (default: the
// server's); QKV_HANDOFF_FOREGROUND=0 runs phase 1 only, QKV_HANDOFF_TRANSFER=0 phase 2 only (then
// nothing is written).
// Repeats QKV_HANDOFF_RUNS times (default 3) and reports medians and every run. Writes the
// "handoff" section of docs/benchmarks.md unless QKV_HANDOFF_WRITE=0.
import os from 'node:os';
import { rmSync } from 'node:fs';
import { startCluster } from '@quorumkv/harness';
import { quorumKvStore } from '../../packages/client/bench/quorumkv-store.mjs';
import { Clients, enc, metrics, pool, settled, sleep, stage, startSeeded } from '../accept/cluster-ops.mjs';
import { codeVersion, envInt, machine, percentile, writeSection } from './bench-report.mjs';
import { runYcsb } from './ycsb.mjs';

const RECORDS = envInt('QKV_HANDOFF_RECORDS', 100_000);
const YCSB_RECORDS = envInt('QKV_HANDOFF_YCSB_RECORDS', 20_000);
const SECONDS = envInt('QKV_HANDOFF_SECONDS', 10);
// The window from the commit: long enough to hold every transfer at the adaptive pace, and a
// stretch after balance.
const BUSY_SECONDS = envInt('QKV_HANDOFF_BUSY_SECONDS', 30);
const RUNS = envInt('QKV_HANDOFF_RUNS', 3);
// The fixed offered load of phase 2's second variant, as a share of the closed-loop rate without
// transfers (0: closed loop only).
const LOAD = Number(process.env.QKV_HANDOFF_LOAD ?? '0.3');
const BATCH_ITEMS = process.env.QKV_HANDOFF_BATCH_ITEMS;
const FOREGROUND = process.env.QKV_HANDOFF_FOREGROUND !== '0';
const TRANSFER = process.env.QKV_HANDOFF_TRANSFER !== '0';
// Extra server flags for phase 2's nodes (e.g. another --handoff-bytes-per-second), for experiments.
const FOREGROUND_ARGS = (process.env.QKV_HANDOFF_FOREGROUND_ARGS ?? '').split(' ').filter(Boolean);
const Q = 16;
const log = (line) => process.stderr.write(`${line}\n`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const COMMON = ['--gossip-interval-ms', '200', '--log-level', 'warn'];
const CPU_METRIC = 'quorumkv_process_process_cpu_seconds_total';
const SENT = ['quorumkv_handoff_bytes_sent_total', 'quorumkv_handoff_records_sent_total', 'quorumkv_handoff_send_seconds_total'];

/** Phase 1: one transfer at a time, unthrottled. */
async function transferRate(run) {
  const sender = ['--handoff-bytes-per-second', '0', '--handoff-concurrency', '1', ...(BATCH_ITEMS ? ['--handoff-batch-items', BATCH_ITEMS] : [])];
  const cluster = await startCluster({ nodes: 1, hostBase: 104, idPrefix: 'r', partitions: Q, n: 1, r: 1, w: 1, extraArgs: [...COMMON, ...sender], logLevel: 'warn' });
  const clients = new Clients();
  let joiner;
  try {
    const [r1] = cluster.nodes;
    const value = new Uint8Array(1024).fill(run + 1);
    await pool(Array.from({ length: RECORDS }, (_, i) => `rec-${i}`), 64, (key) => clients.of(r1).kv.put({ key: enc(key), value, w: 1 }));
    joiner = await startSeeded({ id: 'r2', host: '127.0.0.105', seed: r1, near: r1, args: ['--partitions', String(Q), '--n', '1', '--r', '1', '--w', '1', ...COMMON] });
    await stage(clients, r1, { join: 'r2' });
    const { fromVersion } = await clients.of(r1).admin.plan({});
    const samples = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [bytes] = await metrics(r1, ['quorumkv_handoff_bytes_sent_total']);
        samples.push({ t: performance.now(), bytes });
        await sleep(100);
      }
    })();
    // CPU seconds of both processes over the transfer: a figure the machine's load hardly moves.
    const cpu = () => Promise.all([r1, joiner].map(async (node) => (await metrics(node, [CPU_METRIC]))[0]));
    const cpuBefore = await cpu();
    const sentBefore = await metrics(r1, SENT);
    await clients.of(r1).admin.commit({ fromVersion });
    await settled(clients, [r1, joiner], (r) => r.nodes.length === 2, 300_000);
    sampling = false;
    await sampler;
    const cpuAfter = await cpu();
    const [bytes, records, sendSeconds] = (await metrics(r1, SENT)).map((x, i) => x - sentBefore[i]);
    const first = samples.findIndex((s) => s.bytes > 0);
    const end = samples.findIndex((s) => s.bytes === samples.at(-1).bytes);
    const wallSeconds = (samples[end].t - samples[Math.max(0, first - 1)].t) / 1000;
    const [senderUs, receiverUs] = cpuAfter.map((c, i) => ((c - cpuBefore[i]) * 1e6) / records);
    return { bytes, records, sendSeconds, mbPerSec: bytes / 2 ** 20 / sendSeconds, keysPerSec: records / sendSeconds, wallSeconds, wallMbPerSec: bytes / 2 ** 20 / wallSeconds, senderUs, receiverUs };
  } finally {
    await joiner?.stop();
    await cluster.stop();
    if (joiner) rmSync(joiner.dataDir, { recursive: true, force: true });
  }
}

/**
 * Phase 2: YCSB-B p99 without transfers, then from a join's commit with the default throttle.
 * Closed loop (the callers saturate the machine), or at `targetOpsPerSec` on a fixed schedule.
 */
async function foreground(run, targetOpsPerSec) {
  const cluster = await startCluster({ nodes: 3, hostBase: 96, idPrefix: 'f', partitions: Q, n: 3, r: 2, w: 2, extraArgs: [...COMMON, '--durability', 'sync', '--replica-transport', 'stream', ...FOREGROUND_ARGS], logLevel: 'warn' });
  const clients = new Clients();
  let joiner;
  try {
    const nodes = cluster.nodes;
    const opts = { recordCount: YCSB_RECORDS, valueBytes: 1024, callers: 32, seconds: SECONDS, workloads: ['B'], seed: 42 + run, targetOpsPerSec, log: () => undefined };
    const storeOptions = { nodes: nodes.map((n) => n.address), routing: true };
    const quiet = await runYcsb(quorumKvStore(storeOptions), opts);
    const without = quiet.phases.find((p) => p.phase === 'B');
    joiner = await startSeeded({ id: 'f4', host: '127.0.0.99', seed: nodes[0], near: nodes[0], args: ['--partitions', String(Q), '--n', '3', '--r', '2', '--w', '2', ...COMMON, '--durability', 'sync', '--replica-transport', 'stream', ...FOREGROUND_ARGS] });
    await stage(clients, nodes[0], { join: 'f4' });
    const { fromVersion } = await clients.of(nodes[0]).admin.plan({});
    const committedAt = performance.now();
    await clients.of(nodes[0]).admin.commit({ fromVersion });
    let balancedAt;
    const balancing = settled(clients, [...nodes, joiner], (r) => r.nodes.length === 4, 300_000).then(() => (balancedAt = performance.now()));
    const busy = await runYcsb(quorumKvStore(storeOptions), { ...opts, seconds: BUSY_SECONDS, skipLoad: true, timeline: true });
    const ycsbEnd = performance.now();
    await balancing;
    const during = busy.phases.find((p) => p.phase === 'B');
    const activeS = (Math.min(balancedAt, ycsbEnd) - committedAt) / 1000;
    const p99Of = (keep) => percentile(during.timeline.filter(keep).map((s) => s.ms), 99);
    const p99Active = p99Of((s) => s.at < balancedAt);
    const p99After = p99Of((s) => s.at >= balancedAt);
    const perSecond = Array.from({ length: Math.ceil((ycsbEnd - committedAt) / 1000) }, (_, i) => Math.round(p99Of((s) => s.at - committedAt >= i * 1000 && s.at - committedAt < (i + 1) * 1000)));
    log(`p99 per second from the commit: ${perSecond.join(' ')}; active ${p99Active.toFixed(1)} after ${p99After.toFixed(1)}`);
    return { p99Active, p99After, perSecond, p99Without: without.latency.p99Ms, p99During: during.latency.p99Ms, p99ReadWithout: without.byOp.read?.p99Ms, p99ReadDuring: during.byOp.read?.p99Ms, p99UpdateWithout: without.byOp.update?.p99Ms, p99UpdateDuring: during.byOp.update?.p99Ms, errorsDuring: during.errors, opsWithout: without.opsPerSec, opsDuring: during.opsPerSec, balanceS: (balancedAt - committedAt) / 1000, activeS, windowS: (ycsbEnd - committedAt) / 1000 };
  } finally {
    await joiner?.stop();
    await cluster.stop();
    if (joiner) rmSync(joiner.dataDir, { recursive: true, force: true });
  }
}

const loadBefore = os.loadavg()[0];
const rates = [];
const fg = [];
const fixed = [];
for (let run = 0; run < RUNS; run++) {
  if (TRANSFER) {
    rates.push(await transferRate(run));
    log(`transfer run ${run + 1}: ${JSON.stringify(rates.at(-1))}`);
  }
  if (!FOREGROUND) continue;
  fg.push(await foreground(run));
  log(`foreground run ${run + 1}: ${JSON.stringify(fg.at(-1))}`);
  if (!(LOAD > 0)) continue;
  const target = Math.round(LOAD * fg.at(-1).opsWithout);
  fixed.push({ target, ...(await foreground(run, target)) });
  log(`foreground run ${run + 1} at ${target} ops/s: ${JSON.stringify(fixed.at(-1))}`);
}
const loadAfter = os.loadavg()[0];
const fmt = (x, d = 1) => (x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(d));
const { commit, dirty } = codeVersion();
const body = `### Ownership handoff (issue 19)

${machine()}; load average ${fmt(loadBefore)} before, ${fmt(loadAfter)} after (the machine is shared). Code ${commit}${dirty ? ' (with local changes)' : ''}. Medians of ${RUNS} runs (\`npm run bench:handoff\`).

**Transfer rate, throttle off** (one node with ${RECORDS} records of 1 KiB, n=1, Q=${Q}; a second node joins; one transfer at a time):

| | median | runs |
|---|---|---|
| MiB/s per transfer | ${fmt(median(rates.map((r) => r.mbPerSec)))} | ${rates.map((r) => fmt(r.mbPerSec)).join(', ')} |
| MB/s per transfer | ${fmt(median(rates.map((r) => (r.mbPerSec * 2 ** 20) / 1e6)))} | ${rates.map((r) => fmt((r.mbPerSec * 2 ** 20) / 1e6)).join(', ')} |
| keys/s per transfer | ${fmt(median(rates.map((r) => r.keysPerSec)), 0)} | ${rates.map((r) => fmt(r.keysPerSec, 0)).join(', ')} |
| MiB/s of the whole handoff (first to last byte, wall clock) | ${fmt(median(rates.map((r) => r.wallMbPerSec)))} | ${rates.map((r) => fmt(r.wallMbPerSec)).join(', ')} |
| MiB moved | ${fmt(median(rates.map((r) => r.bytes / 2 ** 20)))} | |
| CPU µs per record, sender / receiver (from commit to balanced) | ${fmt(median(rates.map((r) => r.senderUs)), 0)} / ${fmt(median(rates.map((r) => r.receiverUs)), 0)} | ${rates.map((r) => `${fmt(r.senderUs, 0)} / ${fmt(r.receiverUs, 0)}`).join(', ')} |

**Foreground YCSB-B during transfers, default throttle** (adaptive pace up to 16 MiB/s per node; 3 nodes, n=3 r=2 w=2, durable, ${YCSB_RECORDS} records of 1 KiB, 32 closed-loop callers, ${SECONDS} s without, then ${BUSY_SECONDS} s from the commit of a fourth node's join):

| | median | runs |
|---|---|---|
| p99 without transfers, ms | ${fmt(median(fg.map((f) => f.p99Without)), 2)} | ${fg.map((f) => fmt(f.p99Without, 2)).join(', ')} |
| p99 over the whole window from the commit, ms | ${fmt(median(fg.map((f) => f.p99During)), 2)} | ${fg.map((f) => fmt(f.p99During, 2)).join(', ')} |
| ratio | ${fmt(median(fg.map((f) => f.p99During / f.p99Without)), 2)} | ${fg.map((f) => fmt(f.p99During / f.p99Without, 2)).join(', ')} |
| p99 of the operations started while transfers were active (commit to balanced), ms | ${fmt(median(fg.map((f) => f.p99Active)), 2)} | ${fg.map((f) => fmt(f.p99Active, 2)).join(', ')} |
| ratio, transfers active only | ${fmt(median(fg.map((f) => f.p99Active / f.p99Without)), 2)} | ${fg.map((f) => fmt(f.p99Active / f.p99Without, 2)).join(', ')} |
| p99 of the operations started after balanced (4 nodes, no transfers), ms | ${fmt(median(fg.map((f) => f.p99After)), 2)} | ${fg.map((f) => fmt(f.p99After, 2)).join(', ')} |
| reads' p99 without / from the commit, ms | ${fmt(median(fg.map((f) => f.p99ReadWithout)), 2)} / ${fmt(median(fg.map((f) => f.p99ReadDuring)), 2)} | ${fg.map((f) => `${fmt(f.p99ReadWithout, 1)} / ${fmt(f.p99ReadDuring, 1)}`).join(', ')} |
| updates' p99 without / from the commit, ms | ${fmt(median(fg.map((f) => f.p99UpdateWithout)), 2)} / ${fmt(median(fg.map((f) => f.p99UpdateDuring)), 2)} | ${fg.map((f) => `${fmt(f.p99UpdateWithout, 1)} / ${fmt(f.p99UpdateDuring, 1)}`).join(', ')} |
| ops/s without / during | ${fmt(median(fg.map((f) => f.opsWithout)), 0)} / ${fmt(median(fg.map((f) => f.opsDuring)), 0)} | |
| transfers active in the window, s | ${fmt(median(fg.map((f) => f.activeS)))} of ${fmt(median(fg.map((f) => f.windowS)))} | ${fg.map((f) => fmt(f.activeS)).join(', ')} |
| commit to balanced, s | ${fmt(median(fg.map((f) => f.balanceS)))} | ${fg.map((f) => fmt(f.balanceS)).join(', ')} |
${fixed.length === 0 ? '' : `
**The same at a fixed offered load** (${fmt(LOAD * 100, 0)}% of each run's closed-loop rate without transfers: ${fixed.map((f) => f.target).join(', ')} ops/s; latency from each operation's intended start, so stalls count in full):

| | median | runs |
|---|---|---|
| p99 without transfers, ms | ${fmt(median(fixed.map((f) => f.p99Without)), 2)} | ${fixed.map((f) => fmt(f.p99Without, 2)).join(', ')} |
| p99 of the operations started while transfers were active, ms | ${fmt(median(fixed.map((f) => f.p99Active)), 2)} | ${fixed.map((f) => fmt(f.p99Active, 2)).join(', ')} |
| ratio, transfers active only | ${fmt(median(fixed.map((f) => f.p99Active / f.p99Without)), 2)} | ${fixed.map((f) => fmt(f.p99Active / f.p99Without, 2)).join(', ')} |
| p99 after balanced, ms | ${fmt(median(fixed.map((f) => f.p99After)), 2)} | ${fixed.map((f) => fmt(f.p99After, 2)).join(', ')} |
| commit to balanced, s | ${fmt(median(fixed.map((f) => f.balanceS)))} | ${fixed.map((f) => fmt(f.balanceS)).join(', ')} |
`}`;
process.stdout.write(`${body}\n`);
if (process.env.QKV_HANDOFF_WRITE !== '0' && FOREGROUND && TRANSFER) writeSection('handoff', body);
process.exit(0);
