import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';
import fc from 'fast-check';
import { ByteReader } from './byte-reader.js';
import { BytesError, type BytesErrorReason } from './bytes-error.js';
import { MAX_UVARINT, MAX_UVARINT_BYTES, varint64Size, varintSize, writeVarint, writeVarint64 } from './varint.js';

const U64_MAX = 2n ** 64n - 1n;
const uvarint = (n: number): Uint8Array => {
  const buf = new Uint8Array(varintSize(n));
  expect(writeVarint(buf, 0, n)).toBe(buf.length);
  return buf;
};
const varint64 = (v: bigint): Uint8Array => {
  const buf = new Uint8Array(varint64Size(v));
  expect(writeVarint64(buf, 0, v)).toBe(buf.length);
  return buf;
};
/** The reason `read` fails with; fails the test if it throws anything but a BytesError. */
function reasonOf(read: () => unknown): BytesErrorReason | 'none' {
  try {
    read();
    return 'none';
  } catch (err) {
    if (!(err instanceof BytesError)) throw err;
    return err.reason;
  }
}
const boundaries53 = [0, 1, 127, 128, 16_383, 16_384, 2 ** 21, 2 ** 28 - 1, 2 ** 28, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 49, MAX_UVARINT];
const boundaries64 = [0n, 127n, 128n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 56n, 2n ** 63n - 1n, 2n ** 63n, U64_MAX];

describe('number varints (up to 2^53 - 1)', () => {
  it('round-trip every safe integer in exactly varintSize bytes, as protobuf writes them', () => {
    const check = (n: number): void => {
      const bytes = uvarint(n);
      expect(bytes).toEqual(new BinaryWriter().uint64(n).finish());
      const r = new ByteReader(bytes);
      expect(r.uvarint()).toBe(n);
      expect(r.done).toBe(true);
    };
    fc.assert(fc.property(fc.maxSafeNat(), check), { seed: 42, numRuns: 2000 });
    boundaries53.forEach(check);
    expect(varintSize(MAX_UVARINT)).toBe(MAX_UVARINT_BYTES);
  });

  it('refuse to write what is not a non-negative safe integer', () => {
    for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 53, -0.5]) {
      expect(varintSize(bad)).toBeLessThanOrEqual(MAX_UVARINT_BYTES); // sizing first never loops or throws
      expect(reasonOf(() => writeVarint(new Uint8Array(10), 0, bad))).toBe('not-a-uint53');
    }
  });

  it('reject every prefix, every padded form, overlong and out-of-range encodings', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.integer({ min: 1, max: 3 }), (n, pad) => {
        const bytes = uvarint(n);
        for (let cut = 0; cut < bytes.length; cut++) expect(reasonOf(() => new ByteReader(bytes.subarray(0, cut)).uvarint())).toBe('truncated');
        // The same number with `pad` redundant zero groups: still n, but not its one encoding.
        const padded = new Uint8Array(bytes.length + pad);
        padded.set(bytes);
        padded[bytes.length - 1]! |= 0x80;
        for (let i = bytes.length; i < padded.length - 1; i++) padded[i] = 0x80;
        const expected = padded.length > MAX_UVARINT_BYTES ? 'overlong-varint' : 'non-canonical-varint';
        expect(reasonOf(() => new ByteReader(padded).uvarint())).toBe(expected);
      }),
      { seed: 42, numRuns: 500 },
    );
    expect(reasonOf(() => new ByteReader(new Uint8Array(9).fill(0x80)).uvarint())).toBe('overlong-varint');
    // 2^53 and 2^56 - 1 fit in 8 groups but are not safe integers.
    expect(reasonOf(() => new ByteReader(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10)).uvarint())).toBe('varint-out-of-range');
    expect(reasonOf(() => new ByteReader(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)).uvarint())).toBe('varint-out-of-range');
    const err = (() => {
      try {
        new ByteReader(Uint8Array.of(7, 0x81, 0x00), 1).uvarint();
      } catch (e) {
        return e as BytesError;
      }
    })();
    expect(err).toMatchObject({ name: 'BytesError', reason: 'non-canonical-varint', offset: 1 });
  });

  it('bound counts by the bytes left', () => {
    expect(new ByteReader(Uint8Array.of(3, 1, 2, 3)).count(1)).toBe(3);
    expect(reasonOf(() => new ByteReader(Uint8Array.of(3, 1, 2, 3)).count(2))).toBe('count-exceeds-input');
    expect(reasonOf(() => new ByteReader(Uint8Array.of(0xff, 0xff, 0xff, 0x7f)).count(1))).toBe('count-exceeds-input');
  });
});

describe('64-bit varints (bigint)', () => {
  const anyU64 = fc.oneof(fc.bigInt({ min: 0n, max: U64_MAX }), fc.constantFrom(...boundaries64));
  const anyI64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });

  it('round-trip every uint64, and every int64 as its two complement, byte-identical to protobuf', () => {
    fc.assert(
      fc.property(anyU64, (v) => {
        const bytes = varint64(v);
        expect(bytes).toEqual(new BinaryWriter().uint64(v).finish());
        const r = new ByteReader(bytes);
        expect(r.varint64()).toBe(v);
        expect(r.done).toBe(true);
      }),
      { seed: 42, numRuns: 2000 },
    );
    fc.assert(
      fc.property(anyI64, (v) => {
        const bytes = varint64(v);
        expect(bytes).toEqual(new BinaryWriter().int64(v).finish());
        expect(BigInt.asIntN(64, new ByteReader(bytes).varint64())).toBe(v);
      }),
      { seed: 42, numRuns: 1000 },
    );
    expect(varint64Size(U64_MAX)).toBe(10);
    expect(varint64Size(-1n)).toBe(10);
  });

  it('refuse to write bigints outside int64 and uint64', () => {
    expect(reasonOf(() => writeVarint64(new Uint8Array(11), 0, 2n ** 64n))).toBe('varint-out-of-range');
    expect(reasonOf(() => writeVarint64(new Uint8Array(11), 0, -(2n ** 63n) - 1n))).toBe('varint-out-of-range');
  });

  it('read as protobuf does: padding accepted, no more than 10 bytes, nothing above 2^64 - 1', () => {
    fc.assert(
      fc.property(anyU64, (v) => {
        const bytes = varint64(v);
        for (let cut = 0; cut < bytes.length; cut++) expect(reasonOf(() => new ByteReader(bytes.subarray(0, cut)).varint64())).toBe('truncated');
        // Padded to 10 bytes (when shorter): protobuf readers accept it, and so does this one.
        if (bytes.length < 10) {
          const padded = new Uint8Array(10).fill(0x80);
          padded.set(bytes);
          padded[bytes.length - 1]! |= 0x80;
          padded[9] = 0;
          expect(new ByteReader(padded).varint64()).toBe(v);
          expect(BigInt(new BinaryReader(padded).uint64())).toBe(v);
        }
      }),
      { seed: 42, numRuns: 500 },
    );
    expect(reasonOf(() => new ByteReader(new Uint8Array(11).fill(0x80)).varint64())).toBe('overlong-varint');
    const above = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02); // 2^65 - 1
    expect(reasonOf(() => new ByteReader(above).varint64())).toBe('varint-out-of-range');
  });

  it('varint32 keeps the low 32 bits as protobuf does, and refuses what it cannot read', () => {
    fc.assert(
      fc.property(anyU64, (v) => {
        const bytes = varint64(v);
        expect(new ByteReader(bytes).varint32()).toBe(new BinaryReader(bytes).uint32());
        expect(new ByteReader(bytes).varint32()).toBe(Number(v & 0xffffffffn));
      }),
      { seed: 42, numRuns: 1000 },
    );
    expect(reasonOf(() => new ByteReader(new Uint8Array(11).fill(0xff)).varint32())).toBe('overlong-varint');
    expect(reasonOf(() => new ByteReader(Uint8Array.of(0x80)).varint32())).toBe('truncated');
    expect(() => new ByteReader(new Uint8Array(11).fill(0xff)).varint32()).toThrow('varint longer than 10 bytes');
  });
});
