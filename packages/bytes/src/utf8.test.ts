import fc from 'fast-check';
import { BytesError } from './bytes-error.js';
import { decodeUtf8, encodeUtf8, maxUtf8Length, utf8Length, writeUtf8 } from './utf8.js';

const LONE = /\p{Cs}/u; // in unicode mode a well-formed pair is one code point: this matches lone halves only
const platform = new TextEncoder();
const strictPlatform = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const wellFormed = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'binary', minLength: 60, maxLength: 200 }));
/** A string with at least one surrogate that is not half of a pair. */
const withLoneSurrogate = fc
  .tuple(wellFormed, fc.integer({ min: 0xd800, max: 0xdfff }), wellFormed)
  .map(([a, s, b]) => a + String.fromCharCode(s) + b)
  .filter((s) => LONE.test(s));

function failure(fn: () => unknown): BytesError {
  try {
    fn();
  } catch (err) {
    if (err instanceof BytesError) return err;
    throw err;
  }
  throw new Error('did not throw');
}

describe('UTF-8 encoding', () => {
  it('writes what TextEncoder writes for every well-formed string', () => {
    fc.assert(
      fc.property(wellFormed, (s) => {
        const expected = platform.encode(s);
        expect(utf8Length(s)).toBe(expected.length);
        expect(encodeUtf8(s)).toEqual(expected);
        const buf = new Uint8Array(maxUtf8Length(s) + 2);
        expect(writeUtf8(buf, 2, s)).toBe(2 + expected.length);
        expect(buf.subarray(2, 2 + expected.length)).toEqual(expected);
        expect(decodeUtf8(expected)).toBe(s);
      }),
      { seed: 42, numRuns: 1000 },
    );
    expect(encodeUtf8('\u{10FFFF}\u{10000}\uFFFF\u0800\u07FF\u0080\u007F')).toEqual(platform.encode('\u{10FFFF}\u{10000}\uFFFF\u0800\u07FF\u0080\u007F'));
  });

  it('refuses every string with a lone surrogate, where TextEncoder would write U+FFFD', () => {
    fc.assert(
      fc.property(withLoneSurrogate, (s) => {
        expect(failure(() => utf8Length(s)).reason).toBe('lone-surrogate');
        expect(failure(() => encodeUtf8(s)).reason).toBe('lone-surrogate');
        expect(failure(() => writeUtf8(new Uint8Array(maxUtf8Length(s)), 0, s)).reason).toBe('lone-surrogate');
      }),
      { seed: 42, numRuns: 500 },
    );
    for (const s of ['\uD800', '\uDC00', 'a\uD800b', '\uDC00\uD800', '\uD83D\uD83D\uDE00x\uD83D']) {
      expect(failure(() => encodeUtf8(s)).reason).toBe('lone-surrogate');
    }
  });
});

describe('UTF-8 decoding', () => {
  const decodeOrUndefined = (bytes: Uint8Array): string | undefined => {
    try {
      return decodeUtf8(bytes);
    } catch (err) {
      expect(err).toBeInstanceOf(BytesError);
      expect((err as BytesError).reason).toBe('invalid-utf8');
      return undefined;
    }
  };
  const platformOrUndefined = (bytes: Uint8Array): string | undefined => {
    try {
      return strictPlatform.decode(bytes);
    } catch {
      return undefined;
    }
  };
  // Random bytes are mostly invalid; valid text with a few bytes changed reaches the edge cases.
  const mutated = fc
    .tuple(wellFormed, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }))
    .map(([s, edits]) => {
      const bytes = platform.encode(s);
      for (const [at, b] of edits) if (bytes.length > 0) bytes[at % bytes.length] = b;
      return bytes;
    });

  it('accepts exactly what a fatal TextDecoder accepts, short inputs and long ones alike', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 12 }), fc.uint8Array({ minLength: 65, maxLength: 90 }), mutated), (bytes) => {
        expect(decodeOrUndefined(bytes)).toBe(platformOrUndefined(bytes));
      }),
      { seed: 42, numRuns: 5000 },
    );
  });

  it('refuses overlong forms, surrogates, code points above U+10FFFF and cut or stray bytes, at their offset', () => {
    const bad: [number[], number][] = [
      [[0x61, 0xc0, 0x80], 1], // overlong NUL
      [[0xe0, 0x80, 0x80], 0], // overlong 3-byte
      [[0xf0, 0x80, 0x80, 0x80], 0], // overlong 4-byte
      [[0x61, 0x62, 0xed, 0xa0, 0x80], 2], // an encoded surrogate
      [[0xf4, 0x90, 0x80, 0x80], 0], // U+110000
      [[0xf5, 0x80, 0x80, 0x80], 0],
      [[0xe2, 0x82], 0], // cut
      [[0x80], 0], // stray continuation byte
      [[0xc2, 0x41], 0],
    ];
    for (const [bytes, at] of bad) {
      const e = failure(() => decodeUtf8(Uint8Array.from(bytes)));
      expect([e.reason, e.offset]).toEqual(['invalid-utf8', at]);
      // The same fault in a long input (decoded by the platform) is reported at the same place.
      const long = Uint8Array.from([...new Array(100).fill(0x61), ...bytes]);
      expect(failure(() => decodeUtf8(long)).offset).toBe(100 + at);
    }
  });

  it('decodes a range of a larger buffer', () => {
    const buf = platform.encode('xx𝄞é-yy');
    expect(decodeUtf8(buf, 2, buf.length - 2)).toBe('𝄞é-');
    expect(failure(() => decodeUtf8(buf, 2, 4)).reason).toBe('invalid-utf8'); // cuts 𝄞 in half
  });
});
