// The value stored under a key on every replica: a DVVSet whose values are encoded siblings.
import {
  compareSets,
  decodeDVVSet,
  encodeDVVSet,
  lww,
  siblingCount,
  sync,
  update,
  bytesCodec,
  type DVVSet,
  type Ordering,
  type VersionVector,
} from '@quorumkv/vclock';
import type { StoredRecord } from '@quorumkv/storage';
import { nodeOfActor } from '../cluster/actor-id.js';
import { decodeSiblingValue, encodeSiblingValue, isDeadSibling, type SiblingValue } from './sibling-value.js';

/** A key's causal history and concurrent values, each value an encoded sibling. */
export type KeyRecord = DVVSet<Uint8Array>;

/** Encodes a record for storage and the wire. */
export function encodeRecord(record: KeyRecord): Uint8Array {
  return encodeDVVSet(record, bytesCodec.encode);
}

/** Decodes stored or received record bytes (throws VClockDecodeError on corrupt input). */
export function decodeRecord(bytes: Uint8Array): KeyRecord {
  return decodeDVVSet(bytes, bytesCodec.decode);
}

/** What a write adds: a value or a tombstone, stamped by the coordinator. */
export interface WriteIntent {
  tombstone: boolean;
  value: Uint8Array;
  timestampMs: number;
  expiresAtMs: number;
}

/**
 * The coordinator-side write: a new dot for `nodeId` superseding what `context` saw. In an LWW
 * bucket the siblings then collapse to the latest by timestamp (ties by encoded bytes, so every
 * replica picks the same one).
 */
export function applyWrite(
  stored: KeyRecord | undefined,
  context: VersionVector | undefined,
  nodeId: string,
  intent: WriteIntent,
  lastWriterWins: boolean,
): KeyRecord {
  const next = update(stored, context, nodeId, encodeSiblingValue(intent));
  return lastWriterWins ? lww(next, pickLatest) : next;
}

function pickLatest(a: Uint8Array, b: Uint8Array): Uint8Array {
  const ta = decodeSiblingValue(a).timestampMs;
  const tb = decodeSiblingValue(b).timestampMs;
  if (ta !== tb) return ta > tb ? a : b;
  return Buffer.compare(a, b) >= 0 ? a : b;
}

/** Replica-side merge of a received record into the local one. */
export function mergeRecords(local: KeyRecord | undefined, incoming: KeyRecord, lastWriterWins: boolean): KeyRecord {
  const merged = local ? sync(local, incoming) : incoming;
  return lastWriterWins && siblingCount(merged) > 1 ? lww(merged, pickLatest) : merged;
}

/** Live siblings (not tombstones, not expired) of a record, with the node that wrote each. */
export function liveSiblings(record: KeyRecord, nowMs: number): (SiblingValue & { writtenBy: string })[] {
  const out: (SiblingValue & { writtenBy: string })[] = [];
  for (const s of record.siblings) if (!isDeadSibling(s.value, nowMs)) out.push({ ...decodeSiblingValue(s.value), writtenBy: nodeOfActor(s.node) });
  return out;
}

/** Every sibling, tombstones and expired values included, with the node that wrote it. */
export function allSiblings(record: KeyRecord): (SiblingValue & { writtenBy: string })[] {
  return record.siblings.map((s) => ({ ...decodeSiblingValue(s.value), writtenBy: nodeOfActor(s.node) }));
}

/**
 * When a record is dead for good: every sibling a tombstone or expiring, the latest of their
 * tombstone timestamps and expiry times; undefined while some sibling never expires. A function of
 * the record's bytes only, so every replica holding the same bytes gets the same time. The record
 * itself is kept (with its causal context) until the reaper removes it: expiry never drops history.
 */
export function deathTime(record: KeyRecord): number | undefined {
  let latest = 0;
  for (const s of record.siblings) {
    const v = decodeSiblingValue(s.value);
    if (v.tombstone) latest = Math.max(latest, v.timestampMs);
    else if (v.expiresAtMs === 0) return undefined;
    else latest = Math.max(latest, v.expiresAtMs);
  }
  return Math.trunc(latest);
}

/** True when the record has a sibling reads return at `nowMs` (cheap: no sibling decode). */
export function hasLiveSibling(record: KeyRecord, nowMs: number): boolean {
  return record.siblings.some((s) => !isDeadSibling(s.value, nowMs));
}

/**
 * Until when a record has a sibling reads return: the latest expiry of its values (rounded up to a
 * whole ms, as reads compare `expiresAtMs <= now`), 0 when every sibling is a tombstone, undefined
 * while some value never expires. Like {@link deathTime}, a function of the bytes only.
 */
export function liveUntil(record: KeyRecord): number | undefined {
  let latest = 0;
  for (const s of record.siblings) {
    const v = decodeSiblingValue(s.value);
    if (v.tombstone) continue;
    if (v.expiresAtMs === 0) return undefined;
    latest = Math.max(latest, Math.ceil(v.expiresAtMs));
  }
  return latest;
}

/**
 * What storage keeps for a record: its bytes and, for a record that dies (every sibling a tombstone
 * or expiring), the time from which the reaper may consider it (death time plus the tombstone
 * grace) and the time from which listings leave it out (its last value's expiry). Records never get
 * a storage TTL: an expired record stays, as a tombstone with its clock, until reaped.
 */
export function storedForm(record: KeyRecord, bytes: Uint8Array, graceMs: number): StoredRecord {
  const dead = deathTime(record);
  const listedUntilMs = liveUntil(record);
  return dead === undefined || listedUntilMs === undefined ? { value: bytes } : { value: bytes, dueAtMs: dead + graceMs, listedUntilMs };
}

/** Decodes a stored record, or undefined when its bytes do not decode (treated like a corrupt one). */
export function decodeStored(stored: StoredRecord | undefined): KeyRecord | undefined {
  if (!stored) return undefined;
  try {
    return decodeRecord(stored.value);
  } catch {
    return undefined;
  }
}

/** Causal comparison of two records (read repair: 'before' means `a` lacks something `b` has). */
export function compareRecords(a: KeyRecord, b: KeyRecord): Ordering {
  return compareSets(a, b);
}

/** Human-readable causal context, e.g. "{n1:3, n2:1}". */
export function formatClock(record: KeyRecord): string {
  const parts = [...record.context].sort(([a], [b]) => (a < b ? -1 : 1)).map(([node, c]) => `${node}:${c}`);
  return `{${parts.join(', ')}}`;
}
