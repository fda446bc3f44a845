// Every dot the simulation ever saw, with the sibling it named: in stored records, hints, replica
// items and replica answers on every node. A dot (actor, counter) of one key must name one value
// forever (DESIGN.md's first invariant); a second value under a known dot is recorded as a reuse.
import { decodeRecord } from '../record/key-record.js';
import { decodeSiblingValue } from '../record/sibling-value.js';

/** One sibling as the ledger describes it. */
export interface SeenSibling {
  /** The client's value (UTF-8), or `(tombstone)`. */
  value: string;
  timestampMs: number;
  /** Where it was first seen, e.g. `stored on n2` or `n1 -> n3`. */
  where: string;
  atMs: number;
}

/** A dot seen naming two different siblings. */
export interface DotReuse {
  bucket: string;
  key: string;
  dot: string;
  first: SeenSibling;
  second: SeenSibling;
}

const decoder = new TextDecoder();
const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');

export class DotLedger {
  readonly reuses: DotReuse[] = [];
  /** The dot each client value was first minted under (`actor:counter`). */
  readonly dotOfValue = new Map<string, string>();
  /** The client values seen under each key. */
  readonly valuesOfKey = new Map<string, Set<string>>();
  private readonly dots = new Map<string, { bytes: string; seen: SeenSibling }>();
  private readonly reported = new Set<string>();
  /** Records already taken apart (the same bytes travel and are stored many times). */
  private readonly known = new Set<string>();

  /** Notes every sibling of a record seen `where` at `atMs`. */
  observe(bucket: string, key: Uint8Array, record: Uint8Array, where: string, atMs: number): void {
    if (record.length === 0) return;
    const keyName = decoder.decode(key);
    const id = `${bucket}\u0000${keyName}\u0000${latin1(record)}`;
    if (this.known.has(id)) return;
    this.known.add(id);
    let siblings;
    try {
      siblings = decodeRecord(record).siblings;
    } catch {
      return; // not a record (replicas refuse it); nothing was named
    }
    for (const s of siblings) {
      const dot = `${s.node}:${s.counter}`;
      const slot = `${bucket}\u0000${keyName}\u0000${dot}`;
      const bytes = latin1(s.value);
      const v = decodeSiblingValue(s.value);
      const seen: SeenSibling = { value: v.tombstone ? '(tombstone)' : decoder.decode(v.value), timestampMs: v.timestampMs, where, atMs };
      if (!v.tombstone && !this.dotOfValue.has(seen.value)) {
        this.dotOfValue.set(seen.value, dot);
        let values = this.valuesOfKey.get(keyName);
        if (!values) this.valuesOfKey.set(keyName, (values = new Set()));
        values.add(seen.value);
      }
      const prior = this.dots.get(slot);
      if (!prior) {
        this.dots.set(slot, { bytes, seen });
      } else if (prior.bytes !== bytes && !this.reported.has(slot)) {
        this.reported.add(slot);
        this.reuses.push({ bucket, key: keyName, dot, first: prior.seen, second: seen });
      }
    }
  }
}
