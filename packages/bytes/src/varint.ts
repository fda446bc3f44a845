// Unsigned LEB128 varints, as protobuf and QuorumKV's own formats write them: 7 bits per byte, low
// group first, high bit set on every byte but the last. Numbers use arithmetic, not bit operators,
// above 2^31 (JavaScript's bitwise operators truncate to 32 bits, and millisecond timestamps need 41);
// 64-bit values are bigints, written from two 32-bit halves.
import { BytesError } from './bytes-error.js';

/** Largest number a number varint carries: 2^53 - 1, so every decoded value is a safe integer. */
export const MAX_UVARINT = Number.MAX_SAFE_INTEGER;
/** Bytes of the longest number varint: 8 groups of 7 bits hold 56 bits, enough for 2^53 - 1. */
export const MAX_UVARINT_BYTES = 8;
/** Bytes of the longest 64-bit varint (protobuf's limit). */
export const MAX_VARINT64_BYTES = 10;

const MAX_SAFE_BIG = 2n ** 53n;
const MIN_INT64 = -(2n ** 63n);
const MAX_UINT64 = 2n ** 64n - 1n;
const isSafeInteger = Number.isSafeInteger;
const asUintN = BigInt.asUintN;
// Module aliases: a global lookup costs far more than a binding inside vm sandboxes (jest, simulators).
const floor = Math.floor;

/**
 * Bytes `n` (a non-negative safe integer) takes as a varint. Comparisons only, no loop, so a value
 * that cannot be written (NaN, Infinity) still gets a size here and is refused by {@link writeVarint}.
 */
export function varintSize(n: number): number {
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x200000) return 3;
  if (n < 0x10000000) return 4;
  if (n < 0x800000000) return 5;
  if (n < 0x40000000000) return 6;
  if (n < 0x2000000000000) return 7;
  return MAX_UVARINT_BYTES;
}

/**
 * Writes `n` at `pos` and returns the position after it; `buf` must have {@link varintSize} bytes
 * of room there.
 * @throws BytesError `not-a-uint53` unless `n` is a non-negative safe integer
 */
export function writeVarint(buf: Uint8Array, pos: number, n: number): number {
  if (n < 0x80 && n >= 0 && (n | 0) === n) {
    buf[pos] = n;
    return pos + 1;
  }
  if (!isSafeInteger(n) || n < 0) throw new BytesError('not-a-uint53', pos, `${n} is not a non-negative safe integer`);
  while (n >= 0x80) {
    buf[pos++] = (n % 0x80) | 0x80;
    n = floor(n / 0x80);
  }
  buf[pos++] = n;
  return pos;
}

/** Bytes a 64-bit varint of `v` takes: uint64, or int64 as its two's complement (negatives take 10). */
export function varint64Size(v: bigint): number {
  if (v >= 0n && v < MAX_SAFE_BIG) return varintSize(Number(v));
  let u = asUintN(64, v);
  let size = 1;
  while (u >= 0x80n) {
    u >>= 7n;
    size++;
  }
  return size;
}

/**
 * Writes a uint64, or an int64 as its 64-bit two's complement (protobuf's `int64`), at `pos` and
 * returns the position after it.
 * @throws BytesError `varint-out-of-range` when `v` is below -2^63 or above 2^64 - 1
 */
export function writeVarint64(buf: Uint8Array, pos: number, v: bigint): number {
  if (v >= 0n && v < MAX_SAFE_BIG) return writeVarint(buf, pos, Number(v));
  if (v < MIN_INT64 || v > MAX_UINT64) throw new BytesError('varint-out-of-range', pos, `${v} is outside int64 and uint64`);
  const u = asUintN(64, v);
  let lo = Number(u & 0xffffffffn);
  let hi = Number(u >> 32n);
  while (hi > 0 || lo >= 0x80) {
    buf[pos++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi = hi >>> 7;
  }
  buf[pos++] = lo;
  return pos;
}
