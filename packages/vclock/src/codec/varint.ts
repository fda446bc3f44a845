// Unsigned LEB128 varints for the numbers of this package's encodings: counters, lengths, counts
// and millisecond timestamps, all non-negative safe integers (below 2^53).
//
// Arithmetic instead of bit operations above 2^31: JavaScript's bitwise operators truncate to 32
// bits, and timestamps in ms already need 41.

/** 8 groups of 7 bits hold 56 bits, enough for any safe integer; longer varints are rejected. */
export const MAX_VARINT_BYTES = 8;

/** Number of bytes `n` takes as a varint. */
export function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

/** Writes `n` at `offset` and returns the offset just past it. `buf` must have room (see {@link varintSize}). */
export function writeVarint(buf: Uint8Array, offset: number, n: number): number {
  while (n >= 0x80) {
    buf[offset++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  buf[offset++] = n;
  return offset;
}

/** Why {@link readVarint} failed, so the caller can report it with its own error type. */
export type VarintFailure = 'truncated' | 'too-long' | 'non-canonical' | 'out-of-range';

/**
 * Reads a varint at `offset`. Returns the value and the offset past it, or the reason it is not a
 * valid encoding: truncated, more than {@link MAX_VARINT_BYTES} bytes, padded with redundant zero
 * groups (two encodings of one number would let corrupt bytes pass as canonical), or above 2^53-1.
 */
export function readVarint(
  buf: Uint8Array,
  offset: number,
): { readonly value: number; readonly next: number } | VarintFailure {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    const pos = offset + i;
    if (pos >= buf.length) return 'truncated';
    const byte = buf[pos]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      if (byte === 0 && i > 0) return 'non-canonical';
      if (value > Number.MAX_SAFE_INTEGER) return 'out-of-range';
      return { value, next: pos + 1 };
    }
    scale *= 0x80;
  }
  return 'too-long';
}
