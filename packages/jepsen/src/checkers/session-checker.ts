// Session guarantees, judged per client process (one SDK client, so one session) and key, on the
// register workload, whose operations record the full read that preceded each write. Values are
// unique, and a write supersedes exactly what its read returned (`saw`), so a read "includes" a
// value when one of its values is that value or reaches it through `saw` edges. Judged from the
// history alone: no version vector is decoded, so a bug in the SDK's own check cannot hide here.
//
// - read-your-writes: a read includes every write the same process had acknowledged on the key
//   before it; a write is required until a read includes it (later ones are then held to that
//   read by monotonic reads).
// - monotonic reads: a read includes every value of the same process's previous read of the key.
import type { Operation } from '../history.js';
import { MAX_EXAMPLES, type CheckResult } from './check-result.js';

/** What a value supersedes, per key: value -> the values its write's read returned. */
type SawGraph = ReadonlyMap<string, readonly string[]>;

/**
 * The read-your-writes and monotonic-reads checkers. With `judged` (the clients ran with the SDK's
 * session option) a violation fails; without, the counts are reported: plain reads may go back.
 */
export function checkSessions(ops: readonly Operation[], judged: boolean): [CheckResult, CheckResult] {
  const register = ops.filter((o) => o.workload === 'register');
  const graphs = new Map<string, Map<string, readonly string[]>>();
  for (const o of register) {
    const g = graphs.get(o.key) ?? new Map<string, readonly string[]>();
    g.set(o.value, o.saw);
    graphs.set(o.key, g);
  }
  const ryw: string[] = [];
  const monotonic: string[] = [];
  let reads = 0;
  const processes = new Set<number>();
  const byProcess = new Map<number, Operation[]>();
  for (const o of register) byProcess.set(o.process, [...(byProcess.get(o.process) ?? []), o]);
  for (const [process, mine] of byProcess) {
    processes.add(process);
    const lastRead = new Map<string, readonly string[]>();
    const pending = new Map<string, string[]>();
    for (const o of [...mine].sort((a, b) => a.invokeMs - b.invokeMs)) {
      if (o.readCompleteMs !== undefined) {
        reads++;
        const graph = graphs.get(o.key)!;
        const missingOwn = (pending.get(o.key) ?? []).filter((w) => !reaches(graph, o.saw, w));
        if (missingOwn.length > 0) ryw.push(`p${process} ${o.key}: read [${o.saw.join(',')}] at ${o.readCompleteMs.toFixed(0)} ms lacks its own ${missingOwn.join(',')}`);
        const missingSeen = (lastRead.get(o.key) ?? []).filter((v) => !reaches(graph, o.saw, v));
        if (missingSeen.length > 0) monotonic.push(`p${process} ${o.key}: read [${o.saw.join(',')}] at ${o.readCompleteMs.toFixed(0)} ms lacks ${missingSeen.join(',')} read before`);
        pending.set(o.key, missingOwn);
        lastRead.set(o.key, o.saw);
      }
      if (o.outcome === 'ok') pending.set(o.key, [...(pending.get(o.key) ?? []), o.value]);
    }
  }
  const staleRefused = register.filter((o) => o.outcome === 'fail' && o.error?.startsWith('read: StaleReadError') === true).length;
  const verdict = (violations: number): CheckResult['verdict'] => (!judged ? 'reported' : violations === 0 ? 'pass' : 'fail');
  const counts = { sessions: processes.size, reads, staleRefused };
  return [
    { checker: 'read-your-writes', verdict: verdict(ryw.length), counts: { ...counts, violations: ryw.length }, examples: { violations: ryw.slice(0, MAX_EXAMPLES) } },
    { checker: 'monotonic-reads', verdict: verdict(monotonic.length), counts: { ...counts, violations: monotonic.length }, examples: { violations: monotonic.slice(0, MAX_EXAMPLES) } },
  ];
}

/** Whether one of `from` is `target` or reaches it through what writes saw (iterative: chains are long). */
function reaches(graph: SawGraph, from: readonly string[], target: string): boolean {
  const seen = new Set<string>();
  const todo = [...from];
  for (let v = todo.pop(); v !== undefined; v = todo.pop()) {
    if (v === target) return true;
    if (seen.has(v)) continue;
    seen.add(v);
    for (const s of graph.get(v) ?? []) todo.push(s);
  }
  return false;
}
