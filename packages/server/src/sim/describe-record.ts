// A record as a trace line shows it: its siblings with their dots, then its causal context, e.g.
// `["c1.4"@n3~2:1, ⊥@n1~1:2] {n1~1:2, n3~2:1}` (⊥ a tombstone, † an expired value).
import { decodeRecord, formatClock } from '../record/key-record.js';
import { decodeSiblingValue, isDeadSibling } from '../record/sibling-value.js';

const decoder = new TextDecoder();

export function describeRecord(bytes: Uint8Array, nowMs: number): string {
  if (bytes.length === 0) return '(none)';
  let record;
  try {
    record = decodeRecord(bytes);
  } catch {
    return '(not a record)';
  }
  const siblings = record.siblings.map((s) => {
    const v = decodeSiblingValue(s.value);
    const shown = v.tombstone ? '⊥' : `${JSON.stringify(decoder.decode(v.value))}${isDeadSibling(s.value, nowMs) ? '†' : ''}`;
    return `${shown}@${s.node}:${s.counter}`;
  });
  return `[${siblings.join(', ')}] ${formatClock(record)}`;
}
