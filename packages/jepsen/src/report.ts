// What a run leaves behind: the result as JSON (the history beside it, in its own file, since it
// is large), the timeline SVG, and one verdict line per checker for stdout.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verdictLine } from './checkers/check-result.js';
import { membershipVerdictLine } from './membership-diagnosis.js';
import { toEvents } from './history.js';
import type { JepsenResult } from './jepsen-run.js';
import { timelineSvg } from './timeline-svg.js';

/** The lines printed after a run: one per checker, convergence, membership when it changed, and final reads that missed R = N. */
export function verdictLines(r: JepsenResult): string[] {
  const c = r.convergence;
  const convergence =
    c.seconds === null
      ? `convergence: FAIL (replicas of ${c.divergentKeys.length} keys still differ)`
      : `convergence: PASS (${c.seconds.toFixed(1)} s after heal${c.readRepair ? ', after read repair' : ', passive'})`;
  const belowN = r.finalReadsBelowN ?? [];
  const reads = belowN.length > 0 ? [`final-reads: FAIL (${belowN.length} keys not readable at R = N, read at the bucket's R: ${belowN.slice(0, 5).join(',')})`] : [];
  return [...r.checks.map(verdictLine), convergence, ...(r.membership ? [membershipVerdictLine(r.membership)] : []), ...reads];
}

/** Writes `<name>.json` (result without the history), `<name>.history.json` and `<name>.svg` under `dir`; returns their paths. */
export function writeReport(dir: string, name: string, r: JepsenResult): string[] {
  mkdirSync(dir, { recursive: true });
  const { ops, ...summary } = r;
  const counts = { operations: ops.length, ok: ops.filter((o) => o.outcome === 'ok').length, fail: ops.filter((o) => o.outcome === 'fail').length, info: ops.filter((o) => o.outcome === 'info').length };
  const files = [join(dir, `${name}.json`), join(dir, `${name}.history.json`), join(dir, `${name}.svg`)] as const;
  writeFileSync(files[0], `${JSON.stringify({ ...summary, counts, verdicts: verdictLines(r) }, null, 2)}\n`);
  writeFileSync(files[1], `${JSON.stringify({ seed: r.seed, ops, events: toEvents(ops) })}\n`);
  const bands = r.applied.map((a) => ({ label: a.description, kind: a.kind, startMs: a.startMs, endMs: a.endMs }));
  const title = `seed ${r.seed}: ${r.options.nodes} nodes, ${(r.options.timeMs / 1000).toFixed(0)} s, workloads ${r.options.workloads.join(',')}, nemesis ${r.options.nemesis.join(',')}${r.options.sessions ? ', sessions' : ''}${r.options.readR !== undefined ? `, reads at R=${r.options.readR}` : ''}`;
  writeFileSync(files[2], timelineSvg({ ops, bands, healMs: r.healMs, title, subtitle: verdictLines(r).join(' | ') }));
  return [...files];
}
