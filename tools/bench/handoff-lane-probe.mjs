// node tools/bench/handoff-lane-probe.mjs [repo...] [--rounds N]: what a node receiving handoff does
// to its own foreground writes, in one process with real LMDB and no network. Nine handoff messages
// of 1,000 records of 1 KiB are applied at once (three senders with three batches in flight each),
// 45 in all, while one caller writes a key every 2 ms as a replica write would; prints the handoff's
// records/s and the foreground writes' latency. Each repo (default: this one) is a checkout with
// @quorumkv/server built; repos are alternated round by round, so an old commit's worktree and this
// one can be compared in one session on a shared machine.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ReplicaOp, newReplicaItem } from '@quorumkv/protocol';
import { createRing } from '@quorumkv/ring';
import { openLmdbEngine } from '@quorumkv/storage';
import { percentile } from './bench-report.mjs';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { rounds: { type: 'string', default: '3' } } });
const repos = positionals.length > 0 ? positionals.map((r) => resolve(r)) : [resolve(import.meta.dirname, '../..')];
const MESSAGES = 45;
const IN_FLIGHT = 9;
const RECORDS = 1000;
const enc = (s) => new TextEncoder().encode(s);

async function probe(repo) {
  const dist = (path) => import(pathToFileURL(join(repo, 'packages/server/dist', path)).href);
  const [{ ReplicaApplier }, { ActorEpochs }, { systemTimers }, { NodeMetrics }, { applyWrite, encodeRecord }, { HintAdmission }] = await Promise.all(
    ['replication/replica-applier.js', 'cluster/actor-epochs.js', 'clock/timers.js', 'observability/metrics.js', 'record/key-record.js', 'replication/hint-admission.js'].map(dist),
  );
  const ring = createRing({ partitionCount: 8, nodes: ['a', 'b', 'c', 'd'].map((id) => ({ id, address: `${id}:1` })) });
  const metrics = new NodeMetrics(() => undefined);
  const dir = mkdtempSync(join(os.tmpdir(), 'qkv-lane-probe-'));
  const storage = await openLmdbEngine({ path: dir, partitionCount: 8, partitioner: () => 3, now: () => Date.now() });
  try {
    const epochs = await ActorEpochs.start('c', storage);
    const hints = new HintAdmission(
      { storage, isMember: () => true, isUp: () => false, goneSinceMs: () => undefined, metrics, now: () => Date.now(), timers: systemTimers, warn: () => undefined },
      { limits: { maxPerTarget: 100, maxTotal: 100, maxBytes: 1e6 }, windowMs: 60_000, maxAgeMs: 600_000 },
    );
    const applier = new ReplicaApplier({ selfId: 'c', storage, epochs, tombstoneGraceMs: 60_000, buckets: { resolve: () => ({ lww: false, n: 3 }) }, ring: () => ring, metrics, hints, now: () => Date.now() });
    const value = new Uint8Array(1024).fill(7);
    const record = () => encodeRecord(applyWrite(undefined, undefined, 'b~x.1', { tombstone: false, value, timestampMs: Date.now(), expiresAtMs: 0 }, false));
    const message = (m) => Array.from({ length: RECORDS }, (_, i) => ({ bucket: 'default', bucketBytes: enc('default'), key: enc(`h${m}-${String(i).padStart(5, '0')}`), record: record() }));
    const latencies = [];
    let stop = false;
    const foreground = (async () => {
      for (let i = 0; !stop; i++) {
        const t0 = performance.now();
        await applier.apply({ ...newReplicaItem(), op: ReplicaOp.WRITE, bucket: 'default', key: enc(`fg-${i}`), partition: 3, record: record() }, { ringVersion: ring.version });
        if (i >= 3) latencies.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < MESSAGES) await applier.applyHandoff(3, message(next++), { ringVersion: ring.version });
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    stop = true;
    await foreground;
    latencies.sort((a, b) => a - b);
    return { recordsPerSec: (MESSAGES * RECORDS) / seconds, writes: latencies.length, p50: percentile(latencies, 50), p90: percentile(latencies, 90), max: latencies.at(-1) };
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (let round = 1; round <= Number(values.rounds); round++) {
  for (const repo of repos) {
    const r = await probe(repo);
    const load = os.loadavg()[0].toFixed(1);
    console.log(`round ${round} ${repo}: handoff ${r.recordsPerSec.toFixed(0)} records/s; foreground writes ${r.writes}, p50 ${r.p50.toFixed(1)} ms, p90 ${r.p90.toFixed(1)} ms, max ${r.max.toFixed(1)} ms; load ${load}`);
  }
}
