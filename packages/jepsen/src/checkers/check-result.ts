/**
 * A checker's verdict. `pass`/`fail` for properties QuorumKV promises; `reported` for a figure
 * that is measured, not promised (what last-write-wins loses under skew).
 */
export type Verdict = 'pass' | 'fail' | 'reported';

/** What one checker found: its verdict, its counts, and a few examples of each problem. */
export interface CheckResult {
  readonly checker: string;
  readonly verdict: Verdict;
  readonly counts: Readonly<Record<string, number>>;
  /** Up to {@link MAX_EXAMPLES} offending values per problem, for the report. */
  readonly examples: Readonly<Record<string, readonly string[]>>;
}

export const MAX_EXAMPLES = 10;

/** `set: pass (acknowledged=120 lost=0 ...)`: the one line per checker printed on stdout. */
export function verdictLine(r: CheckResult): string {
  const counts = Object.entries(r.counts)
    .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(3)}`)
    .join(' ');
  return `${r.checker}: ${r.verdict.toUpperCase()} (${counts})`;
}

/** The final state read after the run: for each key, the values of its siblings (none when absent). */
export type FinalState = ReadonlyMap<string, readonly string[]>;
