import fc from 'fast-check';
import { MAX_VARINT_BYTES, readVarint, varintSize, writeVarint } from './varint.js';

describe('varint', () => {
  it('round-trips every safe integer in exactly varintSize bytes', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        const buf = new Uint8Array(varintSize(n));
        expect(writeVarint(buf, 0, n)).toBe(buf.length);
        expect(readVarint(buf, 0)).toEqual({ value: n, next: buf.length });
      }),
      { seed: 42, numRuns: 1000 },
    );
    for (const n of [0, 127, 128, 2 ** 31, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
      const buf = new Uint8Array(varintSize(n));
      writeVarint(buf, 0, n);
      expect(readVarint(buf, 0)).toEqual({ value: n, next: buf.length });
    }
    expect(varintSize(Number.MAX_SAFE_INTEGER)).toBeLessThanOrEqual(MAX_VARINT_BYTES);
  });

  it('rejects truncated, padded, overlong and out-of-range encodings', () => {
    expect(readVarint(new Uint8Array([]), 0)).toBe('truncated');
    expect(readVarint(new Uint8Array([0x80]), 0)).toBe('truncated');
    expect(readVarint(new Uint8Array([0x81, 0x00]), 0)).toBe('non-canonical');
    expect(readVarint(new Uint8Array(9).fill(0x80), 0)).toBe('too-long');
    // 2^53 needs 54 bits: fits 8 groups but exceeds the safe range.
    const big = new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]);
    expect(readVarint(big, 0)).toBe('out-of-range');
  });
});
