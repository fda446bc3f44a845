// Report of the peer benchmark (peers-bench.mjs): one Markdown table per phase with a row per system,
// the ratios the issue asks about, and which of its targets the run met.

const fmtMs = (x) => (x === undefined ? '–' : x < 10 ? x.toFixed(2) : x.toFixed(1));
const int = (x) => Math.round(x).toLocaleString('en-US');
const ratio = (a, b) => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);
const fmtRatio = (x) => (x === undefined ? '–' : x >= 10 ? `${x.toFixed(0)}x` : `${x.toFixed(2)}x`);

export const PHASES = ['load', 'A', 'B', 'C'];
const PHASE_TITLES = {
  load: 'load (100% insert)',
  A: 'YCSB-A (50% read / 50% update)',
  B: 'YCSB-B (95% read / 5% update)',
  C: 'YCSB-C (100% read)',
};

/** The phase `name` of one system's run, or undefined. */
export const phaseOf = (system, name) => system?.result?.phases.find((p) => p.phase === name);

/**
 * One table per phase: system, ops/s, ops, p50/p99/p99.9 over all its operations, errors,
 * not-found reads, CPU per operation of the benchmark process and of the store's servers.
 * @param {{ id: string, label: string, result?: { phases: object[] }, note?: string }[]} systems
 */
export function phaseTables(systems) {
  const out = [];
  for (const name of PHASES) {
    const rows = [
      `#### ${PHASE_TITLES[name]}`,
      '',
      '| system | ops/s | ops | p50 ms | p99 ms | p99.9 ms | errors | not found | CPU µs/op client + servers = total |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ];
    for (const s of systems) {
      const p = phaseOf(s, name);
      if (!p) {
        rows.push(`| ${s.label} | ${s.skippedPhases?.[name] ?? 'not run'} |  |  |  |  |  |  |  |`);
        continue;
      }
      const loaded = name === 'load' && !p.complete ? ` (stopped by ${p.stoppedBy}: ${int(p.ops)} of the records)` : '';
      rows.push(
        `| ${s.label}${loaded} | ${int(p.opsPerSec)} | ${int(p.ops)} | ${fmtMs(p.latency.p50Ms)} | ${fmtMs(p.latency.p99Ms)} | ${fmtMs(p.latency.p999Ms)} | ${p.errors} | ${p.notFound} | ${int(p.cpu.clientUsPerOp)} + ${int(p.cpu.serverUsPerOp)} = **${int(p.cpu.totalUsPerOp)}** |`,
      );
    }
    out.push(rows.join('\n'));
  }
  return out.join('\n\n');
}

/**
 * Ratios per phase: QuorumKV (stream) against etcd, Redis + WAIT 1 and plain Redis; SDK stream path
 * against the unary path. A ratio is undefined when either side did not run.
 */
export function computeRatios(byId) {
  const q = byId.quorumkv;
  const rows = {};
  for (const name of PHASES) {
    const qp = phaseOf(q, name);
    const e = phaseOf(byId.etcd, name);
    const rw = phaseOf(byId['redis-wait'], name);
    const r = phaseOf(byId.redis, name);
    const u = phaseOf(byId['quorumkv-unary'], name);
    rows[name] = {
      qkvVsEtcdOps: ratio(qp?.opsPerSec, e?.opsPerSec),
      qkvVsRedisWaitOps: ratio(qp?.opsPerSec, rw?.opsPerSec),
      qkvVsRedisWaitP99: ratio(qp?.latency.p99Ms, rw?.latency.p99Ms),
      qkvVsRedisOps: ratio(qp?.opsPerSec, r?.opsPerSec),
      streamVsUnaryOps: ratio(qp?.opsPerSec, u?.opsPerSec),
      streamVsUnaryCpu: ratio(qp?.cpu.totalUsPerOp, u?.cpu.totalUsPerOp),
    };
  }
  return rows;
}

export function ratioTable(ratios) {
  const rows = [
    '| phase | QuorumKV ÷ etcd ops/s | QuorumKV ÷ Redis+WAIT ops/s | QuorumKV ÷ Redis+WAIT p99 | QuorumKV ÷ Redis ops/s | stream ÷ unary ops/s | stream ÷ unary CPU/op |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const name of PHASES) {
    const r = ratios[name];
    rows.push(
      `| ${name} | ${fmtRatio(r.qkvVsEtcdOps)} | ${fmtRatio(r.qkvVsRedisWaitOps)} | ${fmtRatio(r.qkvVsRedisWaitP99)} | ${fmtRatio(r.qkvVsRedisOps)} | ${fmtRatio(r.streamVsUnaryOps)} | ${fmtRatio(r.streamVsUnaryCpu)} |`,
    );
  }
  return rows.join('\n');
}

/**
 * The issue's targets, each with `met` (true, false, or null when the run lacks a system it needs)
 * and the measured figures behind it.
 */
export function evaluateTargets(byId, ratios) {
  const q = byId.quorumkv;
  const load = phaseOf(q, 'load');
  const a = phaseOf(q, 'A');
  const c = phaseOf(q, 'C');
  const all = (xs) => (xs.some((x) => x === undefined) ? null : xs.every(Boolean));
  const list = (names, f) => names.map((n) => `${n} ${f(n)}`).join(', ');
  // A = half reads, half updates, so CPU per update ≈ 2·A − C (C being all reads); a cross-check of
  // the load phase, whose writes are inserts without a context.
  const writeFromAC = a && c ? 2 * a.cpu.totalUsPerOp - c.cpu.totalUsPerOp : undefined;
  const targets = [
    {
      target: 'QuorumKV total CPU per quorum write ≤ 150 µs at 32 callers',
      met: load ? load.cpu.totalUsPerOp <= 150 : null,
      measured: load
        ? `${int(load.cpu.totalUsPerOp)} µs per insert in the load phase (all writes)${writeFromAC !== undefined ? `; per update, estimated from A and C (2·A − C): ${int(writeFromAC)} µs` : ''}`
        : 'not run',
    },
    {
      target: 'QuorumKV total CPU per read ≤ 120 µs',
      met: c ? c.cpu.totalUsPerOp <= 120 : null,
      measured: c ? `${int(c.cpu.totalUsPerOp)} µs per read in YCSB-C (all reads)` : 'not run',
    },
    {
      target: 'QuorumKV ≥ 4x etcd ops/s on every workload',
      met: all(['A', 'B', 'C'].map((n) => (ratios[n].qkvVsEtcdOps === undefined ? undefined : ratios[n].qkvVsEtcdOps >= 4))),
      measured: list(['A', 'B', 'C'], (n) => fmtRatio(ratios[n].qkvVsEtcdOps)) + ` (load ${fmtRatio(ratios.load.qkvVsEtcdOps)})`,
    },
    {
      target: 'QuorumKV ≥ 0.5x Redis Cluster + WAIT 1 ops/s on YCSB-A and YCSB-B',
      met: all(['A', 'B'].map((n) => (ratios[n].qkvVsRedisWaitOps === undefined ? undefined : ratios[n].qkvVsRedisWaitOps >= 0.5))),
      measured: list(['A', 'B'], (n) => fmtRatio(ratios[n].qkvVsRedisWaitOps)),
    },
    {
      target: "QuorumKV p99 ≤ 2x Redis Cluster + WAIT 1's on YCSB-A and YCSB-B",
      met: all(['A', 'B'].map((n) => (ratios[n].qkvVsRedisWaitP99 === undefined ? undefined : ratios[n].qkvVsRedisWaitP99 <= 2))),
      measured: list(['A', 'B'], (n) => fmtRatio(ratios[n].qkvVsRedisWaitP99)),
    },
    {
      target: 'SDK stream path ≥ 5x the unary path’s ops/s',
      met: all(['A', 'B', 'C'].map((n) => (ratios[n].streamVsUnaryOps === undefined ? undefined : ratios[n].streamVsUnaryOps >= 5))),
      measured: list(['A', 'B', 'C'], (n) => fmtRatio(ratios[n].streamVsUnaryOps)),
    },
    {
      target: 'SDK stream path ≤ 1/5 of the unary path’s CPU per operation',
      met: all(['A', 'B', 'C'].map((n) => (ratios[n].streamVsUnaryCpu === undefined ? undefined : ratios[n].streamVsUnaryCpu <= 0.2))),
      measured: list(['A', 'B', 'C'], (n) => fmtRatio(ratios[n].streamVsUnaryCpu)),
    },
  ];
  return targets;
}

export function targetList(targets) {
  const mark = (met) => (met === null ? 'not measured' : met ? '**met**' : '**missed**');
  return targets.map((t) => `- ${t.target}: ${mark(t.met)} — ${t.measured}`).join('\n');
}
