import { InvalidPartitionCountError } from './errors.js';
import { xxHash64, xxHash64High } from './hash.js';
import { maxUtf8Length, writeUtf8 } from '@quorumkv/bytes';

/**
 * A bucket or key: raw bytes, or a string hashed as its UTF-8 bytes. A string with a lone surrogate
 * has no UTF-8 form and is refused (`BytesError` from @quorumkv/bytes, reason `lone-surrogate`).
 */
export type KeyInput = Uint8Array | string;

/** Smallest and largest partition counts Q a ring may have. */
export const MIN_PARTITION_COUNT = 8;
export const MAX_PARTITION_COUNT = 65536;
/** Partition count used when none is given. */
export const DEFAULT_PARTITION_COUNT = 256;

// Aliases of globals used on the hot path: global lookups are slow inside vm contexts (jest).
const isInteger = Number.isInteger;
const clz32 = Math.clz32;

// One growing scratch buffer holds the framed (bucket, key) bytes so hashing never allocates.
// Safe because everything here is synchronous and JS is single-threaded per realm.
let scratch = new Uint8Array(1024);

function reserve(size: number): void {
  if (scratch.length < size) {
    let next = scratch.length;
    while (next < size) next *= 2;
    scratch = new Uint8Array(next);
  }
}

function put(input: KeyInput, offset: number): number {
  if (typeof input === 'string') return writeUtf8(scratch, offset, input) - offset;
  scratch.set(input, offset);
  return input.length;
}

/**
 * Frames (bucket, key) into the scratch buffer as
 * `u32 little-endian byte length of bucket ‖ bucket bytes ‖ key bytes` and returns its length.
 * The length prefix is what makes ("ab", "c") and ("a", "bc") hash differently.
 */
function frame(bucket: KeyInput, key: KeyInput): number {
  const bucketMax = typeof bucket === 'string' ? maxUtf8Length(bucket) : bucket.length;
  const keyMax = typeof key === 'string' ? maxUtf8Length(key) : key.length;
  reserve(4 + bucketMax + keyMax);
  const bucketLen = put(bucket, 4);
  scratch[0] = bucketLen & 0xff;
  scratch[1] = (bucketLen >>> 8) & 0xff;
  scratch[2] = (bucketLen >>> 16) & 0xff;
  scratch[3] = bucketLen >>> 24;
  return 4 + bucketLen + put(key, 4 + bucketLen);
}

/** True when `q` is a valid partition count: a power of two from 8 to 65536. */
export function isValidPartitionCount(q: unknown): q is number {
  return (
    typeof q === 'number' &&
    isInteger(q) &&
    q >= MIN_PARTITION_COUNT &&
    q <= MAX_PARTITION_COUNT &&
    (q & (q - 1)) === 0
  );
}

/** Throws {@link InvalidPartitionCountError} unless `q` is a valid partition count. */
export function assertPartitionCount(q: unknown): asserts q is number {
  if (!isValidPartitionCount(q)) throw new InvalidPartitionCountError(q);
}

/**
 * The stable 64-bit hash of a (bucket, key) pair: XXH64 (seed 0) of
 * `u32le(byteLength(bucket)) ‖ bucket ‖ key`, strings taken as UTF-8.
 * Part of the cluster contract: every node and client must compute the same value.
 */
export function keyHash(bucket: KeyInput, key: KeyInput): bigint {
  const len = frame(bucket, key);
  return xxHash64(scratch.subarray(0, len));
}

/**
 * The partition (0 ≤ p < Q) owning (bucket, key): the top log2(Q) bits of {@link keyHash}.
 * Allocation-free for ASCII strings and byte arrays.
 * @throws InvalidPartitionCountError if Q is not a power of two from 8 to 65536.
 */
export function partitionOf(partitionCount: number, bucket: KeyInput, key: KeyInput): number {
  if (!isValidPartitionCount(partitionCount)) throw new InvalidPartitionCountError(partitionCount);
  // Frame first: framing may replace `scratch` with a larger buffer, which must be the one hashed.
  const len = frame(bucket, key);
  const hi = xxHash64High(scratch, len);
  return hi >>> (1 + clz32(partitionCount));
}
