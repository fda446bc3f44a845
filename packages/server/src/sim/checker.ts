// Checks a simulated history against what QuorumKV promises (DESIGN.md, issue #13), and nothing
// more: sloppy quorums make reads stale, so reads during the run are held only to what quorum
// intersection guarantees.
//
// "X saw W" is derived from the history alone, never from context bytes: X carried the context of
// a read R of the same key, and R returned W, or returned a value whose own write saw W. A write
// that may have happened (`ok` or `info`) and saw W supersedes it legitimately.
import type { DotLedger } from './dot-ledger.js';
import type { History, Op } from './history.js';

export type CheckName =
  /** (a) An acknowledged write is neither in the final reads nor superseded by a write that saw it (nor destroyed with every copy). */
  | 'lost-write'
  /** (b) A dot named two different values. */
  | 'dot-reuse'
  /** A node replaced a stored record with one that does not descend from it (state changes only by merging). */
  | 'overwrite'
  /** (c) A value superseded by an acknowledged write (or delete) that saw it is in a final read. */
  | 'superseded-value-returned'
  /** A read asked a replica that had acknowledged a superseding write, yet returned the superseded value. */
  | 'stale-read-after-quorum'
  /** A read returned a value no client wrote. */
  | 'phantom-value'
  /** With every node up and the network healed, the last read of all replicas failed (the first may meet corrupt copies it then repairs). */
  | 'final-read-failed';

export interface Violation {
  check: CheckName;
  message: string;
  /** Operations involved (ids in the history). */
  ops: number[];
}

const isWrite = (op: Op): boolean => op.kind === 'put' || op.kind === 'delete';
const mayHaveHappened = (op: Op): boolean => op.outcome === 'ok' || op.outcome === 'info';
/** Primaries that stored the write themselves (not as a hint): receipt entries without `>`. */
const primariesOf = (op: Op): string[] => (op.replicas ?? []).filter((r) => !r.includes('>'));

export function checkHistory(history: History, ledger: DotLedger): Violation[] {
  const ops = history.ops;
  const writeOfValue = new Map<string, Op>();
  for (const op of ops) if (op.kind === 'put' && op.value !== undefined) writeOfValue.set(op.value, op);
  const violations: Violation[] = [];

  // Which writes each write saw, transitively (memoized; contexts only come from earlier reads).
  const sawMemo = new Map<number, Set<number>>();
  const saw = (x: Op): Set<number> => {
    let s = sawMemo.get(x.id);
    if (s) return s;
    s = new Set();
    sawMemo.set(x.id, s);
    const read = x.contextFrom === undefined || x.contextOfKey !== undefined ? undefined : ops[x.contextFrom];
    for (const v of read?.values ?? []) {
      const w = writeOfValue.get(v);
      if (!w) continue;
      s.add(w.id);
      for (const id of saw(w)) s.add(id);
    }
    return s;
  };
  const supersededBy = new Map<number, Op[]>();
  for (const x of ops) {
    if (!isWrite(x) || !mayHaveHappened(x)) continue;
    for (const id of saw(x)) {
      const list = supersededBy.get(id) ?? [];
      list.push(x);
      supersededBy.set(id, list);
    }
  }

  for (const r of ops) {
    if (r.kind !== 'get' || r.outcome !== 'ok') continue;
    for (const v of r.values ?? []) {
      if (!writeOfValue.has(v)) violations.push({ check: 'phantom-value', message: `read #${r.id} returned ${JSON.stringify(v)}, which no client wrote`, ops: [r.id] });
    }
  }

  const finals = ops.filter((o) => o.finalRound !== undefined);
  const lastRound = Math.max(0, ...finals.map((f) => f.finalRound!));
  // Excused: a key whose corrupt copy has no intact copy anywhere to be repaired from (R = N cannot be met).
  const unrepairable = new Set(finals.filter((f) => f.fromDisks && f.unrepairable && f.finalRound === lastRound).map((f) => f.key));
  for (const f of finals) {
    if (f.outcome !== 'ok' && !f.fromDisks && f.finalRound === lastRound && !unrepairable.has(f.key)) violations.push({ check: 'final-read-failed', message: `final read #${f.id} of ${f.key} failed: ${f.error ?? f.outcome}`, ops: [f.id] });
  }
  const finalsOk = finals.filter((f) => f.outcome === 'ok');

  // (a) acknowledged writes survive unless superseded, expired, or every copy was lost.
  for (const w of ops) {
    if (w.kind !== 'put' || w.outcome !== 'ok' || w.ttlMs) continue;
    if ((supersededBy.get(w.id) ?? []).length > 0) continue;
    if (history.destroyed.has(w.value!)) continue;
    for (const f of finalsOk) {
      if (f.key !== w.key || f.values!.includes(w.value!)) continue;
      violations.push({
        check: 'lost-write',
        message: `acknowledged put #${w.id} ${w.key}=${JSON.stringify(w.value)} (dot ${ledger.dotOfValue.get(w.value!) ?? '?'}) is missing from final read #${f.id}, and no later write saw it`,
        ops: [w.id, f.id],
      });
      break;
    }
  }

  // (c) nothing superseded by an acknowledged write or delete comes back after healing (unless
  // every stored record of its supersession was destroyed: nothing promised that survives).
  for (const [id, by] of supersededBy) {
    const w = ops[id]!;
    if (history.revivable.has(w.value!)) continue;
    const acked = by.find((x) => x.outcome === 'ok');
    if (!acked) continue;
    const back = finalsOk.find((f) => f.key === w.key && f.values!.includes(w.value!));
    if (!back) continue;
    violations.push({
      check: 'superseded-value-returned',
      message: `${w.key}=${JSON.stringify(w.value)} (put #${w.id}) was superseded by acknowledged ${acked.kind} #${acked.id}, which saw it, yet final read #${back.id} returned it`,
      ops: [w.id, acked.id, back.id],
    });
  }

  // Reads during the run: a read that heard from a primary which had acknowledged a superseding
  // write (and kept its copy) must not return the superseded value. Weaker reads may be stale.
  for (const r of ops) {
    if (r.kind !== 'get' || r.outcome !== 'ok' || r.finalRound !== undefined) continue;
    const answered = new Set(primariesOf(r));
    for (const v of r.values ?? []) {
      const w = writeOfValue.get(v);
      if (!w) continue;
      for (const x of supersededBy.get(w.id) ?? []) {
        if (x.outcome !== 'ok' || x.completedSeq! > r.invokedSeq) continue;
        const witness = primariesOf(x).find((p) => answered.has(p) && !history.lostCopyBetween(p, r.key, x.invokedMs, r.completedMs!));
        if (!witness) continue;
        violations.push({
          check: 'stale-read-after-quorum',
          message: `read #${r.id} returned ${r.key}=${JSON.stringify(v)} although ${witness}, which it heard from, had acknowledged ${x.kind} #${x.id} superseding it`,
          ops: [w.id, x.id, r.id],
        });
        break;
      }
    }
  }

  for (const w of history.overwrites) {
    violations.push({ check: 'overwrite', message: `${w.node} replaced ${w.key} ${w.before} with ${w.after}, which does not descend from it (+${w.atMs - history.startMs}ms)`, ops: [] });
  }

  // (b) one dot, one value.
  for (const d of ledger.reuses) {
    violations.push({
      check: 'dot-reuse',
      message: `dot ${d.dot} of ${d.key} names ${JSON.stringify(d.first.value)} (${d.first.where}, +${d.first.atMs - history.startMs}ms) and ${JSON.stringify(d.second.value)} (${d.second.where}, +${d.second.atMs - history.startMs}ms)`,
      ops: [],
    });
  }
  return violations;
}
