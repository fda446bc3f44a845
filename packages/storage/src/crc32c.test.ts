import fc from 'fast-check';
import { crc32c, crc32cUpdate } from './crc32c.js';

/** Bit-at-a-time reference: slow, obviously correct, independent of the tables. */
function reference(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let i = 0; i < 8; i++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

describe('crc32c', () => {
  it('matches the published check values', () => {
    // RFC 3720 (iSCSI) appendix B.4 and the standard "123456789" check value.
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('agrees with the bitwise reference and composes across splits', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (bytes, cut) => {
        const split = bytes.length === 0 ? 0 : cut % bytes.length;
        const whole = crc32c(bytes);
        expect(whole).toBe(reference(bytes));
        expect(crc32cUpdate(crc32cUpdate(0, bytes, 0, split), bytes, split)).toBe(whole);
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
