// The set workload keeps each set in one key: an add reads the key, unions its siblings' elements,
// adds one and writes the union back with the read's context. Concurrent adds become siblings that
// the next add merges, so every acknowledged add must survive as long as merges are right.
import type { Operation, Workload } from '../history.js';
import { MAX_EXAMPLES, type CheckResult, type FinalState } from './check-result.js';

/** A set value as stored: its elements, comma-separated (elements never hold a comma). */
export const encodeSet = (elements: Iterable<string>): string => [...elements].sort().join(',');

/** The elements of every sibling of a set key, united. */
export function decodeSet(siblings: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const s of siblings) for (const e of s.split(',')) if (e !== '') out.add(e);
  return out;
}

interface SetFigures {
  readonly attempted: number;
  readonly acknowledged: number;
  readonly lost: readonly string[];
  readonly unexpected: readonly string[];
  /** Adds that were not acknowledged (info) but are present. */
  readonly recovered: number;
}

function setFigures(ops: readonly Operation[], final: FinalState, workload: Workload): SetFigures {
  const adds = ops.filter((o) => o.workload === workload);
  const present = new Map<string, Set<string>>();
  for (const [key, siblings] of final) present.set(key, decodeSet(siblings));
  const attempted = new Set(adds.map((o) => `${o.key}/${o.value}`));
  const isPresent = (o: Operation): boolean => present.get(o.key)?.has(o.value) ?? false;
  const lost = adds.filter((o) => o.outcome === 'ok' && !isPresent(o)).map((o) => `${o.key}/${o.value}`);
  const unexpected: string[] = [];
  const keys = new Set(adds.map((o) => o.key));
  for (const [key, elements] of present) if (keys.has(key)) for (const e of elements) if (!attempted.has(`${key}/${e}`)) unexpected.push(`${key}/${e}`);
  return {
    attempted: adds.length,
    acknowledged: adds.filter((o) => o.outcome === 'ok').length,
    lost,
    unexpected,
    recovered: adds.filter((o) => o.outcome !== 'ok' && isPresent(o)).length,
  };
}

/**
 * The set checker (siblings buckets): every acknowledged add is in the final read (lost = 0) and
 * every element read was added by some client (unexpected = 0).
 */
export function checkSet(ops: readonly Operation[], final: FinalState): CheckResult {
  const f = setFigures(ops, final, 'set');
  return {
    checker: 'set',
    verdict: f.lost.length === 0 && f.unexpected.length === 0 ? 'pass' : 'fail',
    counts: { attempted: f.attempted, acknowledged: f.acknowledged, lost: f.lost.length, unexpected: f.unexpected.length, recovered: f.recovered },
    examples: { lost: f.lost.slice(0, MAX_EXAMPLES), unexpected: f.unexpected.slice(0, MAX_EXAMPLES) },
  };
}

/**
 * The same set workload on a last-write-wins bucket: concurrent adds do not merge, the later
 * timestamp wins, so acknowledged adds are lost, more so under clock skew. The figure is reported,
 * not judged; only an element nobody added fails it.
 */
export function checkLwwSet(ops: readonly Operation[], final: FinalState): CheckResult {
  const f = setFigures(ops, final, 'lww');
  const lwwLostReceipts = ops.filter((o) => o.workload === 'lww' && o.outcome === 'ok' && o.lwwLost === true).length;
  return {
    checker: 'lww',
    verdict: f.unexpected.length === 0 ? 'reported' : 'fail',
    counts: {
      attempted: f.attempted,
      acknowledged: f.acknowledged,
      lost: f.lost.length,
      lostFraction: f.acknowledged === 0 ? 0 : f.lost.length / f.acknowledged,
      lostByReceipt: lwwLostReceipts,
      unexpected: f.unexpected.length,
    },
    examples: { lost: f.lost.slice(0, MAX_EXAMPLES), unexpected: f.unexpected.slice(0, MAX_EXAMPLES) },
  };
}
