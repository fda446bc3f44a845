// Decoders face bytes from disk and the network. Whatever they are given, they must return a valid
// value or throw VClockDecodeError: no other exception, no hang, no allocation the input cannot
// back. Accepted inputs must also be canonical: re-encoding what was decoded gives the same bytes,
// so a corrupted record can never decode to a different, plausible clock.
import fc from 'fast-check';
import {
  bytesCodec,
  decodeContext,
  decodeDVVSet,
  decodeVectorClock,
  encodeContext,
  encodeDVVSet,
  encodeVectorClock,
  utf8Codec,
} from './codec.js';
import { writeVarint, varintSize } from '@quorumkv/bytes';
import { VClockDecodeError } from './errors.js';
import { vectorClockArb, versionVectorArb } from './test-support/arbitraries.js';
import { threeSetsArb } from './test-support/simulation.js';
import { map } from './dvvset.js';

interface Format {
  readonly name: string;
  readonly header: number;
  readonly reencode: (bytes: Uint8Array) => Uint8Array;
}

const FORMATS: readonly Format[] = [
  { name: 'context', header: 0x11, reencode: (b) => encodeContext(decodeContext(b)) },
  { name: 'vector clock', header: 0x12, reencode: (b) => encodeVectorClock(decodeVectorClock(b)) },
  { name: 'dvvset/bytes', header: 0x13, reencode: (b) => encodeDVVSet(decodeDVVSet(b, bytesCodec.decode), bytesCodec.encode) },
  { name: 'dvvset/utf8', header: 0x13, reencode: (b) => encodeDVVSet(decodeDVVSet(b, utf8Codec.decode), utf8Codec.encode) },
];

/** Valid encodings of every kind, to truncate and mutate. */
const validEncodingArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  versionVectorArb.map(encodeContext),
  vectorClockArb.map(encodeVectorClock),
  threeSetsArb.map(([s]) => encodeDVVSet(s, utf8Codec.encode)),
  threeSetsArb.map(([s]) => encodeDVVSet(map(s, (v) => utf8Codec.encode(v)), bytesCodec.encode)),
);

/** Bytes biased towards what the formats contain: small varints, short ASCII, continuation bits. */
const byteArb = fc.oneof(
  fc.integer({ min: 0, max: 4 }),
  fc.constantFrom(0x61, 0x62, 0x63, 0x80, 0xff),
  fc.integer({ min: 0, max: 255 }),
);
const noiseArb = fc
  .tuple(fc.constantFrom(0x11, 0x12, 0x13, 0x00, 0x21), fc.oneof(fc.array(byteArb, { maxLength: 8 }), fc.array(byteArb, { maxLength: 48 })))
  .map(([h, rest]) => Uint8Array.from([h, ...rest]));

/** Decodes with every format: each must either round-trip exactly or throw the typed error. */
function checkAllFormats(bytes: Uint8Array): number {
  let accepted = 0;
  for (const f of FORMATS) {
    let out: Uint8Array;
    try {
      out = f.reencode(bytes);
    } catch (err) {
      if (!(err instanceof VClockDecodeError)) throw new Error(`${f.name}: ${String(err)} for ${Buffer.from(bytes).toString('hex')}`);
      continue;
    }
    expect(Buffer.from(out).toString('hex')).toBe(Buffer.from(bytes).toString('hex'));
    accepted++;
  }
  return accepted;
}

const RUNS = { seed: 42, numRuns: 1000 };

describe('decoding untrusted bytes', () => {
  it('arbitrary bytes decode to a canonical value or throw VClockDecodeError', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(noiseArb, fc.uint8Array({ maxLength: 64 })), (bytes) => {
        accepted += checkAllFormats(bytes);
      }),
      RUNS,
    );
    // Noise rarely forms a valid encoding; mutations below exercise the round-trip half far more.
    expect(accepted).toBeGreaterThan(0);
  });

  it('every strict prefix of a valid encoding is reported as truncated', () => {
    fc.assert(
      fc.property(validEncodingArb, (bytes) => {
        expect(checkAllFormats(bytes)).toBeGreaterThan(0);
        for (let len = 0; len < bytes.length; len++) {
          const prefix = bytes.subarray(0, len);
          for (const f of FORMATS.filter((x) => x.header === bytes[0])) {
            expect(() => f.reencode(prefix)).toThrow(expect.objectContaining({ name: 'VClockDecodeError', code: 'truncated' }));
          }
        }
      }),
      { seed: 42, numRuns: 100 },
    );
  });

  it('mutated valid encodings decode to a canonical value or throw VClockDecodeError', () => {
    const mutationArb = fc.tuple(validEncodingArb, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete', 'append'));
    let accepted = 0;
    fc.assert(
      fc.property(mutationArb, ([valid, at, byte, how]) => {
        const bytes = [...valid];
        const i = at % (bytes.length + 1);
        if (how === 'set') bytes[Math.min(i, bytes.length - 1)] = byte;
        else if (how === 'insert') bytes.splice(i, 0, byte);
        else if (how === 'delete') bytes.splice(Math.min(i, bytes.length - 1), 1);
        else bytes.push(byte);
        accepted += checkAllFormats(Uint8Array.from(bytes));
      }),
      RUNS,
    );
    // Many mutations (a changed counter, a changed value byte) stay valid: the round-trip check runs.
    expect(accepted).toBeGreaterThan(40);
  });

  it('huge counts and lengths are refused at once, before allocating', () => {
    const varint = (n: number) => {
      const b = new Uint8Array(varintSize(n));
      writeVarint(b, 0, n);
      return [...b];
    };
    const cases = (huge: number): [string, number[]][] => [
      ['context node count', [0x11, ...varint(huge)]],
      ['clock node count', [0x12, ...varint(huge), 0]],
      ['node id length', [0x11, 1, ...varint(huge), 0x61, 1]],
      ['dvvset sibling count', [0x13, 1, 1, 0x61, ...varint(huge), ...varint(huge), 0, 1, 0x78]],
      ['dvvset value length', [0x13, 1, 1, 0x61, 1, 1, 0, ...varint(huge), 0x78]],
      ['dvvset gap', [0x13, 1, 1, 0x61, 5, 1, ...varint(huge), 1, 0x78]],
      ['clock timestamp', [0x12, 1, ...varint(huge), 1, 0x61, 1, ...varint(huge)]],
    ];
    fc.assert(
      fc.property(fc.integer({ min: 2 ** 20, max: Number.MAX_SAFE_INTEGER }), (huge) => {
        for (const [what, bytes] of cases(huge)) {
          const started = performance.now();
          expect([what, checkAllFormats(Uint8Array.from(bytes))]).toEqual([what, 0]);
          // Not a speed claim: a decoder that allocated or looped by the declared count (2^20 to
          // 2^53) would take far longer; 1 s leaves room for a loaded machine.
          expect(performance.now() - started).toBeLessThan(1_000);
        }
      }),
      { seed: 42, numRuns: 50 },
    );
    // A varint longer than any safe integer, and one past 2^53, are rejected as such.
    expect(() => decodeContext(Uint8Array.from([0x11, ...new Array(9).fill(0xff), 1]))).toThrow(
      expect.objectContaining({ code: 'bad-varint' }),
    );
    expect(() => decodeContext(Uint8Array.from([0x11, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]))).toThrow(
      expect.objectContaining({ code: 'out-of-range' }),
    );
  });

  it('names the problem: version, kind, order, duplicates, trailing bytes', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return err instanceof VClockDecodeError ? err.code : `not typed: ${String(err)}`;
      }
      return 'accepted';
    };
    expect(code(() => decodeContext(Uint8Array.from([0x21, 0])))).toBe('unsupported-version');
    expect(code(() => decodeContext(Uint8Array.from([0x12, 0])))).toBe('wrong-kind');
    expect(code(() => decodeContext(Uint8Array.from([0x11, 2, 1, 0x62, 1, 1, 0x61, 1])))).toBe('non-canonical');
    expect(code(() => decodeContext(Uint8Array.from([0x11, 2, 1, 0x61, 1, 1, 0x61, 2])))).toBe('non-canonical');
    expect(code(() => decodeContext(Uint8Array.from([0x11, 1, 1, 0x61, 0])))).toBe('out-of-range');
    expect(code(() => decodeContext(Uint8Array.from([0x11, 0, 0])))).toBe('trailing-bytes');
    expect(code(() => decodeContext(Uint8Array.from([0x11, 1, 1, 0xff, 1])))).toBe('bad-utf8');
    expect(code(() => decodeVectorClock(Uint8Array.from([0x12, 1, 5, 1, 0x61, 1, 3])))).toBe('non-canonical');
    // Three siblings cannot hide under counter 2; a dot below 1 cannot exist.
    expect(code(() => decodeDVVSet(Uint8Array.from([0x13, 1, 1, 0x61, 2, 3, 0, 0, 0, 0, 0, 0]), bytesCodec.decode))).toBe('out-of-range');
    expect(code(() => decodeDVVSet(Uint8Array.from([0x13, 1, 1, 0x61, 2, 1, 2, 0]), bytesCodec.decode))).toBe('out-of-range');
    expect(code(() => decodeDVVSet(Uint8Array.from([0x13, 1, 1, 0x61, 2, 1, 0, 0]), bytesCodec.decode))).toBe('accepted');
  });
});
