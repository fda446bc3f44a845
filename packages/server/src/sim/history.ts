// What clients did and saw, and what the nemesis did, in virtual time: the input of the checker
// and what `npm run sim -- --seed S` prints.

export type OpKind = 'get' | 'put' | 'delete';

/**
 * `ok`: acknowledged. `fail`: certainly had no effect (refused before anything was written, or the
 * node was down). `info`: unknown (quorum not met, the coordinator crashed): it may have happened.
 */
export type Outcome = 'pending' | 'ok' | 'fail' | 'info';

/** One client operation. */
export interface Op {
  id: number;
  client: number;
  kind: OpKind;
  key: string;
  /** The coordinator the client sent it to. */
  via: string;
  /** Puts: the value, unique in the run. */
  value?: string;
  ttlMs?: number;
  r?: number;
  w?: number;
  /** Puts and deletes: the read whose context the client sent (of this key, or of another key). */
  contextFrom?: number;
  /** Set when that read was of another key. */
  contextOfKey?: string;
  invokedMs: number;
  completedMs?: number;
  /** Order of invocations and completions in the run (times are whole ms, so they tie). */
  invokedSeq: number;
  completedSeq?: number;
  outcome: Outcome;
  error?: string;
  /** Gets: the values returned (live siblings), sorted. */
  values?: string[];
  /** Replicas whose answer counted (receipt: ok), with `>` marking a fallback for a primary (`n4>n2`). */
  replicas?: string[];
  /** Final reads after healing (round 1, 2). */
  finalRound?: number;
  /** A final read taken from the primaries' disks directly, not through a coordinator. */
  fromDisks?: boolean;
  /** Disk reads: a primary's copy is corrupt and no other primary holds any record to repair it from. */
  unrepairable?: boolean;
}

/** A fault or condition the nemesis applied. */
export interface NemesisEvent {
  atMs: number;
  what: string;
}

/** A node lost its copy of `key` (or of every key, `*`): a lost disk or a corrupt record. */
export interface CopyLoss {
  node: string;
  key: string;
  atMs: number;
}

/** A node replaced a stored record with one that does not descend from it. */
export interface Overwrite {
  node: string;
  key: string;
  atMs: number;
  before: string;
  after: string;
}

export class History {
  readonly ops: Op[] = [];
  readonly nemesis: NemesisEvent[] = [];
  readonly copyLosses: CopyLoss[] = [];
  /** Values whose every stored copy (records and hints) was destroyed by lost disks or corruption. */
  readonly destroyed = new Set<string>();
  /** Hints removed without their target's acknowledgement (caps, max age), over the run. */
  hintsDropped = 0;
  /** Superseded values every stored record of whose supersession was destroyed: they may come back. */
  readonly revivable = new Set<string>();
  readonly overwrites: Overwrite[] = [];
  /** Messages, stores, hints and reaps inside the cluster, when tracing. */
  readonly traces: NemesisEvent[] = [];

  constructor(
    readonly startMs: number,
    /** Record what happens inside the cluster too (slower; for replaying one seed). */
    readonly tracing = false,
  ) {}

  trace(atMs: number, what: string): void {
    if (this.tracing) this.traces.push({ atMs, what });
  }

  private seq = 0;

  invoke(op: Omit<Op, 'id' | 'outcome' | 'invokedSeq'>): Op {
    const full: Op = { ...op, id: this.ops.length, outcome: 'pending', invokedSeq: this.seq++ };
    this.ops.push(full);
    return full;
  }

  /** Records how an operation ended, at `atMs`. */
  complete(op: Op, atMs: number, outcome: Exclude<Outcome, 'pending'>, error?: string): void {
    op.outcome = outcome;
    op.completedMs = atMs;
    op.completedSeq = this.seq++;
    if (error) op.error = error;
  }

  note(atMs: number, what: string): void {
    this.nemesis.push({ atMs, what });
  }

  lostCopy(node: string, key: string, atMs: number): void {
    this.copyLosses.push({ node, key, atMs });
  }

  /** Whether `node` lost its copy of `key` between `fromMs` and `toMs`. */
  lostCopyBetween(node: string, key: string, fromMs: number, toMs: number): boolean {
    return this.copyLosses.some((l) => l.node === node && (l.key === key || l.key === '*') && l.atMs >= fromMs && l.atMs <= toMs);
  }

  /** The history as lines, in virtual time (ms since the start); `dotOf` names the dot of a put's value. */
  format(dotOf: (value: string) => string | undefined = () => undefined): string[] {
    const lines: { atMs: number; order: number; text: string }[] = [];
    for (const e of this.nemesis) lines.push({ atMs: e.atMs, order: lines.length, text: `nemesis  ${e.what}` });
    for (const e of this.traces) lines.push({ atMs: e.atMs, order: lines.length, text: `         ${e.what}` });
    for (const op of this.ops) lines.push({ atMs: op.invokedMs, order: lines.length, text: formatOp(op, op.value === undefined ? undefined : dotOf(op.value)) });
    lines.sort((a, b) => a.atMs - b.atMs || a.order - b.order);
    return lines.map((l) => `${`+${l.atMs - this.startMs}`.padStart(7)}ms  ${l.text}`);
  }
}

/** One operation as a line, e.g. `#7 c1 put k0="c1.7"@n2~1:3 ctx=#5 via n2 -> ok +4ms [n2 n3]`. */
export function formatOp(op: Op, dot?: string): string {
  const who = op.finalRound ? `${op.fromDisks ? 'disks' : 'final'}${op.finalRound}` : `c${op.client}`;
  const parts = [`#${op.id}`, who, op.kind, op.key];
  if (op.value !== undefined) parts[parts.length - 1] += `=${JSON.stringify(op.value)}${dot ? `@${dot}` : ''}`;
  if (op.contextFrom !== undefined) parts.push(`ctx=#${op.contextFrom}${op.contextOfKey ? `(of ${op.contextOfKey})` : ''}`);
  else if (op.kind !== 'get') parts.push('blind');
  if (op.ttlMs) parts.push(`ttl=${op.ttlMs}`);
  if (op.r) parts.push(`r=${op.r}`);
  if (op.w) parts.push(`w=${op.w}`);
  parts.push(`via ${op.via} ->`, op.outcome);
  if (op.completedMs !== undefined) parts.push(`+${op.completedMs - op.invokedMs}ms`);
  if (op.values) parts.push(op.values.length ? `{${op.values.map((v) => JSON.stringify(v)).join(', ')}}` : 'not found');
  if (op.replicas) parts.push(`[${op.replicas.join(' ')}]`);
  if (op.error) parts.push(`(${op.error})`);
  return parts.join(' ');
}
