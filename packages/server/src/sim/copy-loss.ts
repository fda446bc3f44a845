// What a lost disk or a corrupt record destroys, judged from every copy left in the cluster: the
// values whose last stored copy it held (nothing promises they survive), and the superseded values
// whose last stored record of supersession it held (nothing promises they stay superseded).
// In-flight messages do not count as copies, so this errs towards excusing.
import type { KeyRecord } from '../record/key-record.js';
import { decodeSiblingValue } from '../record/sibling-value.js';

const decoder = new TextDecoder();

/** A record with the client values of its live or dead (non-tombstone) siblings. */
interface Copy {
  record: KeyRecord;
  values: Set<string>;
}

function copyOf(record: KeyRecord): Copy {
  const values = new Set<string>();
  for (const s of record.siblings) {
    const v = decodeSiblingValue(s.value);
    if (!v.tombstone) values.add(decoder.decode(v.value));
  }
  return { record, values };
}

export interface LossAssessment {
  /** Values no remaining copy holds. */
  lost: string[];
  /** Values no remaining copy knows to be superseded. */
  revivable: string[];
  /** Values the lost records held. */
  held: string[];
  /** Values the lost records knew to be superseded. */
  superseded: string[];
}

/**
 * `destroyed`: the key's records about to be lost; `remaining`: every other stored copy of them
 * (records and hints on every node); `candidates`: every value of the key with its dot.
 */
export function assessLoss(destroyed: readonly KeyRecord[], remaining: readonly KeyRecord[], candidates: Iterable<[value: string, dot: string]>): LossAssessment {
  const gone = destroyed.map(copyOf);
  const kept = remaining.map(copyOf);
  const supersedes = (c: Copy, value: string, actor: string, counter: number): boolean => (c.record.context.get(actor) ?? 0) >= counter && !c.values.has(value);
  const out: LossAssessment = { lost: [], revivable: [], held: [], superseded: [] };
  for (const [value, dot] of candidates) {
    if (gone.some((c) => c.values.has(value))) {
      out.held.push(value);
      if (!kept.some((c) => c.values.has(value))) out.lost.push(value);
    }
    const at = dot.lastIndexOf(':');
    const actor = dot.slice(0, at);
    const counter = Number(dot.slice(at + 1));
    if (gone.some((c) => supersedes(c, value, actor, counter))) {
      out.superseded.push(value);
      if (!kept.some((c) => supersedes(c, value, actor, counter))) out.revivable.push(value);
    }
  }
  return out;
}
