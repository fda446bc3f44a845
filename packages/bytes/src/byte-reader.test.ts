// The reader and writer as a pair: any sequence of typed values written is read back identically,
// every cut of the output fails with a BytesError, and random input never throws anything else.
import fc from 'fast-check';
import { ByteReader } from './byte-reader.js';
import { ByteWriter, prefixedBytesSize, prefixedUtf8Size } from './byte-writer.js';
import { BytesError } from './bytes-error.js';
import { varint64Size, varintSize } from './varint.js';

type Op =
  | { kind: 'u8'; v: number }
  | { kind: 'u16le'; v: number }
  | { kind: 'u32le'; v: number }
  | { kind: 'f64le'; v: number }
  | { kind: 'uvarint'; v: number }
  | { kind: 'varint64'; v: bigint }
  | { kind: 'prefixedBytes'; v: Uint8Array }
  | { kind: 'prefixedUtf8'; v: string };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map((v) => ({ kind: 'u8' as const, v })),
  fc.integer({ min: 0, max: 0xffff }).map((v) => ({ kind: 'u16le' as const, v })),
  fc.integer({ min: 0, max: 0xffffffff }).map((v) => ({ kind: 'u32le' as const, v })),
  fc.double().map((v) => ({ kind: 'f64le' as const, v })),
  fc.maxSafeNat().map((v) => ({ kind: 'uvarint' as const, v })),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((v) => ({ kind: 'varint64' as const, v })),
  fc.uint8Array({ maxLength: 20 }).map((v) => ({ kind: 'prefixedBytes' as const, v })),
  fc.string({ unit: 'binary', maxLength: 20 }).map((v) => ({ kind: 'prefixedUtf8' as const, v })),
);

function size(o: Op): number {
  switch (o.kind) {
    case 'u8':
      return 1;
    case 'u16le':
      return 2;
    case 'u32le':
      return 4;
    case 'f64le':
      return 8;
    case 'uvarint':
      return varintSize(o.v);
    case 'varint64':
      return varint64Size(o.v);
    case 'prefixedBytes':
      return prefixedBytesSize(o.v);
    case 'prefixedUtf8':
      return prefixedUtf8Size(o.v);
  }
}

function write(ops: Op[], header = 0): Uint8Array {
  const w = new ByteWriter(new Uint8Array(header + ops.reduce((n, o) => n + size(o), 0)), header);
  for (const o of ops) (w[o.kind] as (v: unknown) => void)(o.v);
  return w.finish();
}

function read(r: ByteReader, ops: Op[]): unknown[] {
  return ops.map((o) => (o.kind === 'prefixedBytes' ? Array.from(r.prefixedView()) : r[o.kind]()));
}

const expected = (ops: Op[]): unknown[] => ops.map((o) => (o.kind === 'prefixedBytes' ? Array.from(o.v) : o.v));

describe('ByteWriter and ByteReader', () => {
  it('read back every sequence of values written, bit for bit (NaN and -0 included)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 12 }), fc.integer({ min: 0, max: 5 }), (ops, header) => {
        const bytes = write(ops, header);
        const r = new ByteReader(bytes, header);
        const got = read(r, ops);
        got.forEach((v, i) => expect(Object.is(v, expected(ops)[i]) || JSON.stringify(v) === JSON.stringify(expected(ops)[i])).toBe(true));
        expect(() => r.expectEnd()).not.toThrow();
      }),
      { seed: 42, numRuns: 1000 },
    );
  });

  it('fail every cut of the output with a BytesError, never with anything else', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 8 }), (ops) => {
        const bytes = write(ops);
        for (let cut = 0; cut < bytes.length; cut++) {
          expect(() => read(new ByteReader(bytes.subarray(0, cut)), ops)).toThrow(BytesError);
        }
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('throw nothing but BytesError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 8 }), fc.uint8Array({ maxLength: 40 }), (ops, bytes) => {
        try {
          read(new ByteReader(bytes), ops);
        } catch (err) {
          expect(err).toBeInstanceOf(BytesError);
        }
      }),
      { seed: 42, numRuns: 2000 },
    );
  });

  it('return views, keep nested readers inside their range, and report leftovers', () => {
    const buf = Uint8Array.of(2, 0xaa, 0xbb, 3, 1, 2, 3, 9);
    const r = new ByteReader(buf);
    const v = r.prefixedView();
    buf[1] = 0xcc;
    expect(Array.from(v)).toEqual([0xcc, 0xbb]); // a view, not a copy
    const nested = r.sub(r.u8());
    expect([nested.u8(), nested.u8(), nested.u8()]).toEqual([1, 2, 3]);
    expect(() => nested.u8()).toThrow(expect.objectContaining({ reason: 'truncated', offset: 7 }));
    expect(() => r.expectEnd()).toThrow(expect.objectContaining({ reason: 'trailing-bytes', offset: 7 }));
    expect(() => new ByteReader(Uint8Array.of(5, 1)).prefixedView()).toThrow(expect.objectContaining({ reason: 'truncated', offset: 1 }));
    expect(() => new ByteReader(Uint8Array.of(2, 0xff, 0xfe)).prefixedUtf8()).toThrow(expect.objectContaining({ reason: 'invalid-utf8', offset: 1 }));
  });

  it('report a size computed wrongly in advance', () => {
    const short = new ByteWriter(new Uint8Array(2));
    short.uvarint(300);
    short.u8(1);
    expect(() => short.finish()).toThrow(expect.objectContaining({ name: 'BytesError', reason: 'size-mismatch' }));
    const long = new ByteWriter(new Uint8Array(4));
    long.uvarint(300);
    expect(() => long.finish()).toThrow(expect.objectContaining({ reason: 'size-mismatch' }));
  });
});
