/**
 * xxHash64 (seed 0) computed on two unsigned 32-bit lanes per 64-bit word.
 *
 * Why not bigint: every bigint operation allocates, and this hash sits on the request hot path.
 * Each 64-bit value is kept as a (hi, lo) pair of *signed* int32 numbers: those stay small
 * integers in V8, whereas uint32 values above 2^31 would be boxed (allocated) whenever they cross a
 * call boundary that was not inlined. The helpers leave their result in the module registers
 * `rh`/`rl` instead of returning an object, so hashing allocates nothing. The output is bit-for-bit the reference XXH64 (see hash.test.ts for the vectors).
 */

// Module-level alias, not `Math.imul` at each use: inside vm contexts (jest, sandboxes) every
// global lookup goes through an interceptor that is ~100x slower than a local binding.
const imul = Math.imul;

let rh = 0;
let rl = 0;

/** Low 64 bits of a*b, into (rh, rl). */
function mul(ah: number, al: number, bh: number, bl: number): void {
  // The 32x32 -> 64 product of the low words is built from 16-bit limbs so every partial
  // product stays exact in a double; the cross terms only matter modulo 2^32 (imul).
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const a0b0 = a0 * b0;
  const a0b1 = a0 * b1;
  const a1b0 = a1 * b0;
  const mid = (a0b0 >>> 16) + (a0b1 & 0xffff) + (a1b0 & 0xffff);
  const carry = a1 * b1 + (a0b1 >>> 16) + (a1b0 >>> 16) + (mid >>> 16);
  rl = (mid << 16) | (a0b0 & 0xffff);
  rh = (carry + imul(ah, bl) + imul(al, bh)) | 0;
}

/** a + b modulo 2^64, into (rh, rl). */
function add(ah: number, al: number, bh: number, bl: number): void {
  const lo = (al >>> 0) + (bl >>> 0);
  rl = lo | 0;
  rh = (ah + bh + (lo > 0xffffffff ? 1 : 0)) | 0;
}

/** Rotate left by r (0 < r < 32), into (rh, rl). */
function rotl(h: number, l: number, r: number): void {
  rh = (h << r) | (l >>> (32 - r));
  rl = (l << r) | (h >>> (32 - r));
}

const P1H = 0x9e3779b1 | 0;
const P1L = 0x85ebca87 | 0;
const P2H = 0xc2b2ae3d | 0;
const P2L = 0x27d4eb4f | 0;
const P3H = 0x165667b1 | 0;
const P3L = 0x9e3779f9 | 0;
const P4H = 0x85ebca77 | 0;
const P4L = 0xc2b2ae63 | 0;
const P5H = 0x27d4eb2f | 0;
const P5L = 0x165667c5 | 0;

// Initial stripe accumulators for seed 0: v1 = P1 + P2, v2 = P2, v3 = 0, v4 = -P1 (mod 2^64).
add(P1H, P1L, P2H, P2L);
const V1H = rh;
const V1L = rl;
add(~P1H, ~P1L, 0, 1);
const V4H = rh;
const V4L = rl;

/** XXH64 round: rotl(acc + input * P2, 31) * P1, into (rh, rl). */
function round(acch: number, accl: number, inh: number, inl: number): void {
  mul(inh, inl, P2H, P2L);
  add(acch, accl, rh, rl);
  rotl(rh, rl, 31);
  mul(rh, rl, P1H, P1L);
}

/** XXH64 merge: (acc ^ round(0, v)) * P1 + P4, into (rh, rl). */
function merge(acch: number, accl: number, vh: number, vl: number): void {
  round(0, 0, vh, vl);
  mul(acch ^ rh, accl ^ rl, P1H, P1L);
  add(rh, rl, P4H, P4L);
}

function read32(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
}

/** Hash `bytes[0, length)`; the result is left in (rh, rl). */
function xxh64Into(b: Uint8Array, length: number): void {
  let i = 0;
  let hh: number;
  let hl: number;
  if (length >= 32) {
    let v1h = V1H;
    let v1l = V1L;
    let v2h = P2H;
    let v2l = P2L;
    let v3h = 0;
    let v3l = 0;
    let v4h = V4H;
    let v4l = V4L;
    const limit = length - 32;
    do {
      round(v1h, v1l, read32(b, i + 4), read32(b, i));
      v1h = rh;
      v1l = rl;
      round(v2h, v2l, read32(b, i + 12), read32(b, i + 8));
      v2h = rh;
      v2l = rl;
      round(v3h, v3l, read32(b, i + 20), read32(b, i + 16));
      v3h = rh;
      v3l = rl;
      round(v4h, v4l, read32(b, i + 28), read32(b, i + 24));
      v4h = rh;
      v4l = rl;
      i += 32;
    } while (i <= limit);
    rotl(v1h, v1l, 1);
    hh = rh;
    hl = rl;
    rotl(v2h, v2l, 7);
    add(hh, hl, rh, rl);
    hh = rh;
    hl = rl;
    rotl(v3h, v3l, 12);
    add(hh, hl, rh, rl);
    hh = rh;
    hl = rl;
    rotl(v4h, v4l, 18);
    add(hh, hl, rh, rl);
    merge(rh, rl, v1h, v1l);
    merge(rh, rl, v2h, v2l);
    merge(rh, rl, v3h, v3l);
    merge(rh, rl, v4h, v4l);
    hh = rh;
    hl = rl;
  } else {
    hh = P5H;
    hl = P5L;
  }
  // Lengths are below 2^32 here: a key larger than 4 GiB is not a key.
  add(hh, hl, 0, length | 0);
  hh = rh;
  hl = rl;
  while (i + 8 <= length) {
    round(0, 0, read32(b, i + 4), read32(b, i));
    rotl(hh ^ rh, hl ^ rl, 27);
    mul(rh, rl, P1H, P1L);
    add(rh, rl, P4H, P4L);
    hh = rh;
    hl = rl;
    i += 8;
  }
  if (i + 4 <= length) {
    mul(0, read32(b, i), P1H, P1L);
    rotl(hh ^ rh, hl ^ rl, 23);
    mul(rh, rl, P2H, P2L);
    add(rh, rl, P3H, P3L);
    hh = rh;
    hl = rl;
    i += 4;
  }
  while (i < length) {
    mul(0, b[i]!, P5H, P5L);
    rotl(hh ^ rh, hl ^ rl, 11);
    mul(rh, rl, P1H, P1L);
    hh = rh;
    hl = rl;
    i += 1;
  }
  // Avalanche: h ^= h >>> 33; h *= P2; h ^= h >>> 29; h *= P3; h ^= h >>> 32.
  hl ^= hh >>> 1;
  mul(hh, hl, P2H, P2L);
  hh = rh;
  hl = rl ^ ((rl >>> 29) | (rh << 3));
  hh ^= hh >>> 29;
  mul(hh, hl, P3H, P3L);
  rl ^= rh;
}

/** High 32 bits (unsigned) of XXH64(bytes[0, length)); allocation-free, for the partition hot path. */
export function xxHash64High(bytes: Uint8Array, length: number): number {
  xxh64Into(bytes, length);
  return rh >>> 0;
}

/** Low 32 bits of XXH64(bytes[0, length)); used for the ring checksum. */
export function xxHash64Low(bytes: Uint8Array, length: number): number {
  xxh64Into(bytes, length);
  return rl >>> 0;
}

/**
 * XXH64 with seed 0 of `bytes`, as an unsigned 64-bit bigint (matches the reference
 * implementation, e.g. `XXH64("abc", 3, 0) = 0x44bc2cf5ad770999n`).
 */
export function xxHash64(bytes: Uint8Array): bigint {
  xxh64Into(bytes, bytes.length);
  return (BigInt(rh >>> 0) << 32n) | BigInt(rl >>> 0);
}
