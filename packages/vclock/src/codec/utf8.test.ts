import fc from 'fast-check';
import { readUtf8, utf8Length, writeUtf8 } from './utf8.js';

describe('utf8', () => {
  it('agrees with the platform encoder on well-formed strings and round-trips', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 20 }).filter((s) => !/\p{Cs}/u.test(s)), (s) => {
        const expected = new TextEncoder().encode(s);
        const buf = new Uint8Array(utf8Length(s));
        expect(writeUtf8(buf, 0, s)).toBe(expected.length);
        expect(buf).toEqual(expected);
        expect(readUtf8(buf, 0, buf.length)).toBe(s);
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('accepts exactly what a fatal TextDecoder accepts', () => {
    const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), (bytes) => {
        let expected: string | undefined;
        try {
          expected = strict.decode(bytes);
        } catch {
          expected = undefined;
        }
        expect(readUtf8(bytes, 0, bytes.length)).toBe(expected);
      }),
      { seed: 42, numRuns: 3000 },
    );
    expect(readUtf8(new Uint8Array([0xc0, 0x80]), 0, 2)).toBeUndefined(); // overlong NUL
    expect(readUtf8(new Uint8Array([0xed, 0xa0, 0x80]), 0, 3)).toBeUndefined(); // surrogate
    expect(readUtf8(new Uint8Array([0xe2, 0x82]), 0, 2)).toBeUndefined(); // cut
  });
});
