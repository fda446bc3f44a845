// A YCSB-style load generator for any key-value store behind a small adapter: a load phase that
// inserts every record, then core workloads A (50% read / 50% update), B (95/5) and C (100% read)
// with keys chosen by YCSB's scrambled Zipfian. Closed loop by default, like YCSB without a target
// rate: each caller issues its next operation when the previous one returns, so latencies include
// queueing in the store but not time a request would have waited to be sent. With `targetOpsPerSec`
// (YCSB's -target) the operations are issued on a fixed schedule instead and each latency is taken
// from the operation's intended start, so a stall that delays later operations counts against all of
// them (coordinated-omission correction, YCSB's "intended" latencies).
//
// To compare another store (Redis Cluster, etcd...), write an adapter and call runYcsb with the pids
// of that store's server processes; everything else (keys, values, mix, metrics, table) is shared.
// See tools/bench/README.md.
import { cpuSeconds, percentile } from './bench-report.mjs';
import { keyName, ScrambledZipfian, seededRandom } from './ycsb-keys.mjs';

/**
 * What the benchmark needs from a store. Keys are strings (YCSB names such as `user6284781860667377211`),
 * values are byte arrays the runner never mutates. A failed operation rejects; a rejected call is
 * counted as an error of its operation type and the caller moves on.
 *
 * @typedef {object} YcsbStore
 * @property {string} name label of the store in reports
 * @property {(key: string) => Promise<boolean | void>} read reads one record; resolves `false` if the
 *   key does not exist (counted as "not found", which after a complete load means lost data)
 * @property {(key: string, value: Uint8Array) => Promise<unknown>} update replaces the value of an
 *   existing record, as an application would (with whatever version or context the store needs)
 * @property {(key: string, value: Uint8Array) => Promise<unknown>} insert writes a new record (load phase)
 * @property {() => Promise<void> | void} close releases connections; called by runYcsb when it is done
 * @property {() => Record<string, number>} [stats] optional store-specific counters since the previous
 *   call (e.g. siblings seen); reported with each phase
 */

/**
 * YCSB core workloads this harness runs: operation mix (proportions summing to 1).
 * Key choice is scrambled Zipfian (theta 0.99) for all of them, as in YCSB's workloads a-c.
 */
export const WORKLOADS = {
  A: { description: 'update heavy', mix: { read: 0.5, update: 0.5 } },
  B: { description: 'read mostly', mix: { read: 0.95, update: 0.05 } },
  C: { description: 'read only', mix: { read: 1 } },
};

/**
 * Options of {@link runYcsb}, all optional.
 * @typedef {object} YcsbOptions
 * @property {number} [recordCount] records inserted by the load phase (default 10,000)
 * @property {number} [valueBytes] bytes per value (default 1024)
 * @property {number} [callers] concurrent callers, each awaiting its own operations (default 32)
 * @property {number} [seconds] time limit of each workload (default 10)
 * @property {number} [maxOps] operation limit of each workload; a workload ends at whichever limit comes first (default 1,000,000)
 * @property {number} [loadSeconds] time limit of the load phase (default 300); a load cut short is reported as incomplete
 * @property {string[]} [workloads] which of {@link WORKLOADS} to run after the load, in order (default A, B, C)
 * @property {boolean} [skipLoad] run the workloads on records an earlier run loaded into the same store,
 *   with the same recordCount and seed (default false); the result then has no load phase
 * @property {number} [seed] seed of keys, operation mix and values (default 42)
 * @property {number[]} [serverPids] processes of the store whose CPU time is charged to it (read from /proc)
 * @property {(line: string) => void} [log] progress lines (default stderr)
 * @property {boolean} [timeline] also return every successful operation of each workload as
 *   `{ at, ms }` (its start on the `performance.now()` clock, its latency), so a caller can take
 *   percentiles over part of a phase, e.g. while something else was happening in the cluster
 * @property {number} [targetOpsPerSec] issue each workload's operations at this fixed rate, spread
 *   over the callers (operation k is due at k / rate seconds after the start); latencies are measured
 *   from that due time, not from when a busy caller got to send it. Default: closed loop. The load
 *   phase is always closed loop.
 */

const VALUE_POOL = 64;

/**
 * Runs the load phase, then each workload, against `store`, and closes it.
 * @param {YcsbStore} store
 * @param {YcsbOptions} [options]
 * @returns {Promise<{ store: string, settings: object, phases: object[] }>} one entry per phase
 *   (`load`, then the workloads): ops/s, latency percentiles per operation type, errors, CPU per op
 */
export async function runYcsb(store, options = {}) {
  const settings = {
    recordCount: options.recordCount ?? 10_000,
    valueBytes: options.valueBytes ?? 1024,
    callers: options.callers ?? 32,
    seconds: options.seconds ?? 10,
    maxOps: options.maxOps ?? 1_000_000,
    loadSeconds: options.loadSeconds ?? 300,
    workloads: options.workloads ?? ['A', 'B', 'C'],
    seed: options.seed ?? 42,
    skipLoad: options.skipLoad ?? false,
    timeline: options.timeline ?? false,
    targetOpsPerSec: options.targetOpsPerSec,
  };
  if (settings.targetOpsPerSec !== undefined && !(settings.targetOpsPerSec > 0)) throw new RangeError(`targetOpsPerSec must be a positive rate, got ${settings.targetOpsPerSec}`);
  const serverPids = options.serverPids ?? [];
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  for (const w of settings.workloads) if (!WORKLOADS[w]) throw new RangeError(`unknown workload ${w}`);

  const keys = Array.from({ length: settings.recordCount }, (_, i) => keyName(i));
  const valueRandom = seededRandom(settings.seed ^ 0x5eed);
  const values = Array.from({ length: VALUE_POOL }, () => Uint8Array.from({ length: settings.valueBytes }, () => Math.floor(valueRandom() * 256)));
  const measure = { callers: settings.callers, serverPids, store, timeline: settings.timeline };

  const phases = [];
  try {
    // Load: records in order (hashed names), shared among the callers.
    if (!settings.skipLoad) {
      let nextRecord = 0;
      const load = await runPhase({ ...measure, name: 'load', seconds: settings.loadSeconds, maxOps: settings.recordCount }, () => {
        let i = 0;
        return () => {
          if (nextRecord >= keys.length) return undefined;
          const record = nextRecord++;
          return { type: 'insert', key: keys[record], value: values[i++ % VALUE_POOL] };
        };
      });
      load.complete = nextRecord >= keys.length && load.errors === 0;
      phases.push(load);
      log(summaryLine(load));
    }

    for (const name of settings.workloads) {
      const { mix } = WORKLOADS[name];
      const readShare = mix.read ?? 0;
      const phase = await runPhase({ ...measure, name, seconds: settings.seconds, maxOps: settings.maxOps, targetOpsPerSec: settings.targetOpsPerSec }, (caller) => {
        const random = seededRandom(settings.seed * 1000 + caller * 7 + name.charCodeAt(0));
        const chooser = new ScrambledZipfian(keys.length, random);
        let i = caller;
        return () => {
          const key = keys[chooser.next()];
          return random() < readShare ? { type: 'read', key } : { type: 'update', key, value: values[i++ % VALUE_POOL] };
        };
      });
      phase.mix = mix;
      phases.push(phase);
      log(summaryLine(phase));
    }
  } finally {
    await store.close();
  }
  return { store: store.name, settings, phases };
}

/**
 * One phase: `callers` callers, each drawing operations from its own `makeNext(caller)` until the
 * time limit, the op limit, or the generator returns undefined. Closed loop, or with
 * `targetOpsPerSec` each operation takes the next slot of a shared schedule and waits for it.
 */
async function runPhase({ name, seconds, maxOps, callers, serverPids, store, timeline, targetOpsPerSec }, makeNext) {
  const perType = new Map();
  const samples = timeline ? [] : undefined;
  const typeOf = (type) => {
    if (!perType.has(type)) perType.set(type, { latenciesMs: [], errors: 0 });
    return perType.get(type);
  };
  const errorsByName = {};
  let issued = 0;
  let notFound = 0;
  let stoppedBy = 'done';

  store.stats?.();
  const server0 = serverPids.map(cpuSeconds);
  const client0 = process.cpuUsage();
  const started = performance.now();
  const until = started + seconds * 1000;
  // Open loop: the next free slot of the schedule; a caller that is late sends at once and its
  // latency still counts from the slot.
  let slot = 0;
  const dueAt = () => (targetOpsPerSec === undefined ? performance.now() : started + (slot++ * 1000) / targetOpsPerSec);

  await Promise.all(
    Array.from({ length: callers }, async (_, caller) => {
      const next = makeNext(caller);
      for (;;) {
        if (performance.now() >= until) { stoppedBy = 'time'; return; }
        if (issued >= maxOps) { stoppedBy = 'ops'; return; }
        const op = next();
        if (!op) return;
        issued++;
        const stats = typeOf(op.type);
        const t = dueAt();
        if (t >= until) { stoppedBy = 'time'; return; }
        const wait = t - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        try {
          const result = await (op.type === 'read' ? store.read(op.key) : store[op.type](op.key, op.value));
          const ms = performance.now() - t;
          stats.latenciesMs.push(ms);
          samples?.push({ at: t, ms, type: op.type });
          if (op.type === 'read' && result === false) notFound++;
        } catch (err) {
          stats.errors++;
          const label = err?.name ?? 'Error';
          errorsByName[label] = (errorsByName[label] ?? 0) + 1;
        }
      }
    }),
  );

  const elapsedS = (performance.now() - started) / 1000;
  const clientUsage = process.cpuUsage(client0);
  const clientCpuS = (clientUsage.user + clientUsage.system) / 1e6;
  const serverCpuS = serverPids.reduce((sum, pid, i) => sum + cpuSeconds(pid) - server0[i], 0);
  const ops = {};
  let done = 0;
  let errors = 0;
  const allMs = [];
  for (const [type, { latenciesMs, errors: e }] of perType) {
    for (const x of latenciesMs) allMs.push(x);
    done += latenciesMs.length;
    errors += e;
    latenciesMs.sort((a, b) => a - b);
    const mean = latenciesMs.reduce((s, x) => s + x, 0) / Math.max(1, latenciesMs.length);
    ops[type] = {
      count: latenciesMs.length,
      errors: e,
      meanMs: round3(mean),
      p50Ms: round3(percentile(latenciesMs, 50)),
      p99Ms: round3(percentile(latenciesMs, 99)),
      p999Ms: round3(percentile(latenciesMs, 99.9)),
      maxMs: round3(latenciesMs.length ? latenciesMs[latenciesMs.length - 1] : 0),
    };
  }
  const perOp = (s) => (done > 0 ? Math.round((s / done) * 1e6) : 0);
  return {
    phase: name,
    seconds: round3(elapsedS),
    stoppedBy,
    ops: done,
    opsPerSec: Math.round(done / elapsedS),
    errors,
    ...(Object.keys(errorsByName).length ? { errorsByName } : {}),
    notFound,
    cpu: {
      clientSeconds: round3(clientCpuS),
      serverSeconds: round3(serverCpuS),
      clientUsPerOp: perOp(clientCpuS),
      serverUsPerOp: perOp(serverCpuS),
      totalUsPerOp: perOp(clientCpuS + serverCpuS),
      // CPU-seconds per second of the measured processes: against the core count, how saturated the machine was
      coresBusy: Math.round(((clientCpuS + serverCpuS) / elapsedS) * 100) / 100,
    },
    // every successful operation of the phase, whatever its type
    latency: {
      p50Ms: round3(percentile(allMs, 50)),
      p99Ms: round3(percentile(allMs, 99)),
      p999Ms: round3(percentile(allMs, 99.9)),
      maxMs: round3(allMs.length ? allMs[allMs.length - 1] : 0),
    },
    byOp: ops,
    ...(samples ? { timeline: samples } : {}),
    ...(store.stats ? { storeStats: store.stats() } : {}),
  };
}

const round3 = (x) => Math.round(x * 1000) / 1000;

function summaryLine(p) {
  const lat = Object.entries(p.byOp).map(([t, o]) => `${t} p50 ${o.p50Ms} p99 ${o.p99Ms} ms`).join(', ');
  return `ycsb ${p.phase}: ${p.ops} ops in ${p.seconds} s = ${p.opsPerSec} ops/s (${lat}), ${p.errors} errors, ${p.notFound} not found, ${p.cpu.totalUsPerOp} µs CPU/op`;
}
