/**
 * The stored form of a hint's body and what a hint costs, shared by both engines so their hint
 * limits behave the same: `[u8 bucket length][bucket][u16 key length][key][value]`, kept in a
 * checksummed frame under the key `[target length][target][u64 id]`.
 */
import type { HintInput } from './engine.js';
import { KeyTooLargeError } from './errors.js';
import { frameSize } from './record-codec.js';

/** B-tree node header and slack charged per hint on top of its key and frame. */
const PER_HINT_OVERHEAD_BYTES = 16;
const ID_BYTES = 8;

export function encodeHintBody(hint: HintInput): Buffer {
  if (hint.bucket.length > 255) throw new KeyTooLargeError('bucket', hint.bucket.length, 255);
  if (hint.key.length > 0xffff) throw new KeyTooLargeError('key', hint.key.length, 0xffff);
  const out = Buffer.allocUnsafe(3 + hint.bucket.length + hint.key.length + hint.value.length);
  out[0] = hint.bucket.length;
  out.set(hint.bucket, 1);
  let at = 1 + hint.bucket.length;
  out.writeUInt16BE(hint.key.length, at);
  at += 2;
  out.set(hint.key, at);
  out.set(hint.value, at + hint.key.length);
  return out;
}

/** The parts of a hint body (copies), or undefined when it is malformed. */
export function decodeHintBody(body: Uint8Array): HintInput | undefined {
  const bucketEnd = 1 + (body[0] ?? 0);
  if (bucketEnd + 2 > body.length) return undefined;
  const keyLength = (body[bucketEnd]! << 8) | body[bucketEnd + 1]!;
  const keyEnd = bucketEnd + 2 + keyLength;
  if (keyEnd > body.length) return undefined;
  return {
    bucket: body.slice(1, bucketEnd),
    key: body.slice(bucketEnd + 2, keyEnd),
    value: body.slice(keyEnd),
  };
}

/** Bytes a hint is charged: its key, its frame and the per-entry overhead. */
export function hintStoredSize(targetPrefixBytes: number, body: Uint8Array): number {
  return targetPrefixBytes + ID_BYTES + frameSize({ value: body }) + PER_HINT_OVERHEAD_BYTES;
}

/** Bytes an entry already stored is charged. */
export function storedHintSize(hintKey: Uint8Array, frame: Uint8Array): number {
  return hintKey.length + frame.length + PER_HINT_OVERHEAD_BYTES;
}
