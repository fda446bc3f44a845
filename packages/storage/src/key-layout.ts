/**
 * How keys are laid out in the LMDB named databases (and, as latin1 strings, in the memory engine).
 *
 * Every byte order here is big-endian so that LMDB's memcmp order is numeric order: a partition is
 * one contiguous range, and the expiry index is ordered by time.
 *
 * data:       [u32 partition][u8 bucket length][bucket][key]
 * expiry:     [u32 expiresAtMs high][u32 expiresAtMs low][data key]
 * due:        [u32 dueAtMs high][u32 dueAtMs low][data key]
 * listing:    [data key] → u64 time from which listKeys leaves the record out
 * counts:     [u32 partition] → u64 records stored in the partition
 * hints:      [u8 target length][target, UTF-8][u64 id], id = createdAtMs × 2048 + n
 * hint-stats: [u8 target length][target] → [u64 count][u64 bytes]; [0x00] → the totals
 */
import { KeyTooLargeError, StorageArgumentError } from './errors.js';

/** Buckets are names; one length byte keeps the prefix short. */
export const MAX_BUCKET_BYTES = 255;
/**
 * lmdb-js accepts keys up to 1978 bytes; the expiry index adds 8 bytes in front of a data key, and a
 * little headroom keeps the limit a round, documented number.
 */
export const MAX_DATA_KEY_BYTES = 1900;
const PARTITION_BYTES = 4;
const DATA_HEADER_BYTES = PARTITION_BYTES + 1;
const TIME_BYTES = 8;
const TWO_32 = 0x1_0000_0000;

/** Encodes the data-db key of `(bucket, key)` in `partition`. */
export function encodeDataKey(partition: number, bucket: Uint8Array, key: Uint8Array): Buffer {
  if (bucket.length > MAX_BUCKET_BYTES) throw new KeyTooLargeError('bucket', bucket.length, MAX_BUCKET_BYTES);
  const size = DATA_HEADER_BYTES + bucket.length + key.length;
  if (size > MAX_DATA_KEY_BYTES) throw new KeyTooLargeError('key', size, MAX_DATA_KEY_BYTES);
  const out = Buffer.allocUnsafe(size);
  out.writeUInt32BE(partition, 0);
  out[4] = bucket.length;
  out.set(bucket, DATA_HEADER_BYTES);
  out.set(key, DATA_HEADER_BYTES + bucket.length);
  return out;
}

/** The parts of a data key. `bucket` and `key` are views into `dataKey`. */
export interface DecodedDataKey {
  partition: number;
  bucket: Uint8Array;
  key: Uint8Array;
}

/** Splits a data key; returns undefined when it is too short to be one (a damaged key). */
export function decodeDataKey(dataKey: Uint8Array): DecodedDataKey | undefined {
  if (dataKey.length < DATA_HEADER_BYTES) return undefined;
  const bucketEnd = DATA_HEADER_BYTES + dataKey[4]!;
  if (bucketEnd > dataKey.length) return undefined;
  return {
    partition: readU32(dataKey, 0),
    bucket: dataKey.subarray(DATA_HEADER_BYTES, bucketEnd),
    key: dataKey.subarray(bucketEnd),
  };
}

/**
 * The key part of a data key, as a plain Uint8Array view: listings call it per key, and
 * `Buffer#subarray` costs several times more (it builds a Buffer through the species constructor).
 */
export function keyOf(dataKey: Uint8Array): Uint8Array {
  const start = DATA_HEADER_BYTES + dataKey[4]!;
  return new Uint8Array(dataKey.buffer, dataKey.byteOffset + start, dataKey.length - start);
}

/** First key of a partition's range; `partitionStart(p + 1)` is its exclusive end. */
export function partitionStart(partition: number): Buffer {
  const out = Buffer.allocUnsafe(PARTITION_BYTES);
  out.writeUInt32BE(partition, 0);
  return out;
}

/** `[partition][bucket length][bucket][prefix]`: every key of a bucket with that prefix starts so. */
export function bucketPrefix(partition: number, bucket: Uint8Array, prefix: Uint8Array): Buffer {
  return encodeDataKey(partition, bucket, prefix);
}

/**
 * The smallest byte string greater than every string starting with `prefix`, or undefined when
 * there is none (all 0xff), meaning "to the end".
 */
export function prefixEnd(prefix: Uint8Array): Buffer | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i] !== 0xff) {
      const out = Buffer.from(prefix.subarray(0, i + 1));
      out[i]! += 1;
      return out;
    }
  }
  return undefined;
}

/**
 * Key of a time index (expiry, due): time first, so "everything due by now" is one range from the
 * start.
 */
export function encodeTimeKey(timeMs: number, dataKey: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(TIME_BYTES + dataKey.length);
  writeU64(out, 0, timeMs);
  out.set(dataKey, TIME_BYTES);
  return out;
}

/** Exclusive end of a time-index range holding everything at or before `nowMs`. */
export function timeRangeEnd(nowMs: number): Buffer {
  const out = Buffer.allocUnsafe(TIME_BYTES);
  writeU64(out, 0, nowMs + 1);
  return out;
}

/** Splits a time-index key into its time and data key (a view). */
export function decodeTimeKey(indexKey: Buffer): { timeMs: number; dataKey: Buffer } {
  return { timeMs: readU64(indexKey, 0), dataKey: indexKey.subarray(TIME_BYTES) };
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** `[target length][target]`: the prefix of every hint for one node. */
export function hintTargetPrefix(target: string): Buffer {
  const name = utf8.encode(target);
  if (name.length > 255) throw new KeyTooLargeError('key', name.length, 255);
  if (name.length === 0) throw new StorageArgumentError('targetNode', 'must not be empty');
  const out = Buffer.allocUnsafe(1 + name.length);
  out[0] = name.length;
  out.set(name, 1);
  return out;
}

/** Key of the hint-stats entry holding the totals over every target (no target name is empty). */
export const HINT_TOTALS_KEY = Buffer.from([0]);

/**
 * Hint ids a target can get per millisecond before ids run ahead of the clock. An id is
 * `createdAtMs × HINT_IDS_PER_MS + n`, so ids sort by age and a hint's age is known from its key;
 * 2^53 / 2048 ms is the year 2109.
 */
export const HINT_IDS_PER_MS = 2048;

/**
 * The id of a target's next hint: after `lastId` (ids only increase, even when the clock steps
 * back) and at least the first id of `nowMs`.
 */
export function nextHintId(lastId: number, nowMs: number): number {
  return Math.max(lastId + 1, Math.max(0, Math.floor(nowMs)) * HINT_IDS_PER_MS);
}

/** When the hint with this id was stored (ms). Ids from before ids carried time read as 0. */
export function hintCreatedAt(id: number): number {
  return Math.floor(id / HINT_IDS_PER_MS);
}

/** Hint key: per target, ordered by id, so the oldest hints are replayed (and expire) first. */
export function encodeHintKey(targetPrefix: Uint8Array, seq: number): Buffer {
  const out = Buffer.allocUnsafe(targetPrefix.length + TIME_BYTES);
  out.set(targetPrefix, 0);
  writeU64(out, targetPrefix.length, seq);
  return out;
}

/** Splits a hint key; undefined when malformed. */
export function decodeHintKey(hintKey: Uint8Array): { target: string; seq: number } | undefined {
  const nameEnd = 1 + (hintKey[0] ?? 0);
  if (hintKey.length !== nameEnd + TIME_BYTES) return undefined;
  return { target: utf8Decoder.decode(hintKey.subarray(1, nameEnd)), seq: readU64(hintKey, nameEnd) };
}

function readU32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

/** Writes a non-negative safe integer as two big-endian u32 (BigInt would cost more on the hot path). */
export function writeU64(out: Uint8Array, at: number, n: number): void {
  const hi = Math.floor(n / TWO_32);
  const lo = n - hi * TWO_32;
  out[at] = hi >>> 24;
  out[at + 1] = hi >>> 16;
  out[at + 2] = hi >>> 8;
  out[at + 3] = hi;
  out[at + 4] = lo >>> 24;
  out[at + 5] = lo >>> 16;
  out[at + 6] = lo >>> 8;
  out[at + 7] = lo;
}

/** Reads what {@link writeU64} wrote. */
export function readU64(bytes: Uint8Array, at: number): number {
  return readU32(bytes, at) * TWO_32 + readU32(bytes, at + 4);
}
