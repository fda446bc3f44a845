// The causal register (siblings mode). A write carries the context of a read, so it supersedes the
// values that read returned (`saw`); a blind write supersedes nothing. In the final state a value
// may be missing only when something that saw it is itself kept: present, or superseded in turn by
// a kept write. And a value some effective write saw must never come back.
import type { Operation } from '../history.js';
import { MAX_EXAMPLES, type CheckResult, type FinalState } from './check-result.js';

/**
 * Per key: every acknowledged write is kept (in the final siblings, or seen by a write that is kept,
 * transitively); no final sibling is a value that an acknowledged or kept write saw (a superseded
 * write that came back); no final sibling is a value nobody wrote.
 */
export function checkRegister(ops: readonly Operation[], final: FinalState): CheckResult {
  const writes = ops.filter((o) => o.workload === 'register');
  const byKey = new Map<string, Operation[]>();
  for (const w of writes) byKey.set(w.key, [...(byKey.get(w.key) ?? []), w]);
  const lost: string[] = [];
  const resurrected: string[] = [];
  const unexpected: string[] = [];
  for (const [key, keyWrites] of byKey) {
    const siblings = new Set(final.get(key) ?? []);
    // Applied writes may have been superseded; `fail` ones never took effect.
    const effective = keyWrites.filter((w) => w.outcome !== 'fail');
    const kept = keptValues(siblings, effective);
    for (const w of keyWrites) if (w.outcome === 'ok' && !kept.has(w.value)) lost.push(`${key}/${w.value}`);
    const superseded = new Set<string>();
    for (const w of effective) if (w.outcome === 'ok' || kept.has(w.value)) for (const v of w.saw) superseded.add(v);
    const written = new Set(keyWrites.map((w) => w.value));
    for (const v of siblings) {
      if (superseded.has(v)) resurrected.push(`${key}/${v}`);
      if (!written.has(v)) unexpected.push(`${key}/${v}`);
    }
  }
  const ok = lost.length === 0 && resurrected.length === 0 && unexpected.length === 0;
  return {
    checker: 'register',
    verdict: ok ? 'pass' : 'fail',
    counts: {
      keys: byKey.size,
      writes: writes.length,
      acknowledged: writes.filter((w) => w.outcome === 'ok').length,
      lost: lost.length,
      resurrected: resurrected.length,
      unexpected: unexpected.length,
    },
    examples: { lost: lost.slice(0, MAX_EXAMPLES), resurrected: resurrected.slice(0, MAX_EXAMPLES), unexpected: unexpected.slice(0, MAX_EXAMPLES) },
  };
}

/** The final siblings, plus every value a kept write saw, to a fixed point. */
function keptValues(siblings: ReadonlySet<string>, writes: readonly Operation[]): Set<string> {
  const kept = new Set(siblings);
  const sawBy = new Map(writes.map((w) => [w.value, w.saw]));
  const todo = [...kept];
  for (let v = todo.pop(); v !== undefined; v = todo.pop()) {
    for (const seen of sawBy.get(v) ?? []) {
      if (kept.has(seen)) continue;
      kept.add(seen);
      todo.push(seen);
    }
  }
  return kept;
}
