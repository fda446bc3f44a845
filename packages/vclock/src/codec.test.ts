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
import { filter, update, values, type DVVSet } from './dvvset.js';
import { InvalidClockError, VClockDecodeError } from './errors.js';
import { anyNodeIdArb, sortedEntries, vectorClockArb, versionVectorArb } from './test-support/arbitraries.js';
import { normalize, threeSetsArb } from './test-support/simulation.js';
import { increment, emptyClock, type VectorClock } from './vector-clock.js';

const RUNS = { seed: 42, numRuns: 300 };
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('context encoding', () => {
  it('has a stable, compact layout', () => {
    // header 0x11, 2 nodes, "a" counter 3, "b" counter 200 (0xc8 0x01)
    expect(hex(encodeContext(new Map([['b', 200], ['a', 3]])))).toBe('11020161030162c801');
    expect(hex(encodeContext(new Map()))).toBe('1100');
  });

  it('round-trips any version vector, whatever the node ids', () => {
    const vvArb = fc.dictionary(anyNodeIdArb, fc.maxSafeNat().map((n) => n || 1), { maxKeys: 6 }).map((o) => new Map(Object.entries(o)));
    fc.assert(
      fc.property(fc.oneof(versionVectorArb, vvArb), (vv) => {
        expect(sortedEntries(decodeContext(encodeContext(vv)))).toEqual(sortedEntries(vv));
      }),
      RUNS,
    );
  });

  it('refuses to encode invalid vectors and drops zero entries', () => {
    expect(() => encodeContext(new Map([['a', -1]]))).toThrow(InvalidClockError);
    expect(() => encodeContext(new Map([['', 1]]))).toThrow(InvalidClockError);
    expect(() => encodeContext(new Map([['\uDC00', 1]]))).toThrow(InvalidClockError);
    expect(encodeContext(new Map([['a', 0]]))).toEqual(encodeContext(new Map()));
  });
});

describe('vector clock encoding', () => {
  it('round-trips, timestamps included', () => {
    const realTimes = fc
      .dictionary(anyNodeIdArb, fc.record({ counter: fc.integer({ min: 1, max: 1e6 }), timestampMs: fc.integer({ min: 1.7e12, max: 1.8e12 }) }), { maxKeys: 6 })
      .map((o) => new Map(Object.entries(o)) as VectorClock);
    fc.assert(
      fc.property(fc.oneof(vectorClockArb, realTimes), (c) => {
        expect(sortedEntries(decodeVectorClock(encodeVectorClock(c)))).toEqual(sortedEntries(c));
      }),
      RUNS,
    );
  });

  it('stores timestamps relative to the oldest one', () => {
    const c = increment(increment(emptyClock(), 'a', 1_700_000_000_000), 'b', 1_700_000_000_005);
    // header, n, base (6 bytes), "a" 1 delta 0, "b" 1 delta 5
    expect(encodeVectorClock(c).length).toBe(1 + 1 + 6 + 4 + 4);
  });
});

describe('DVVSet encoding', () => {
  it('round-trips sets from random histories', () => {
    fc.assert(
      fc.property(threeSetsArb, ([a]) => {
        const bytes = encodeDVVSet(a, utf8Codec.encode);
        expect(normalize(decodeDVVSet(bytes, utf8Codec.decode))).toEqual(normalize(a));
      }),
      RUNS,
    );
  });

  it('lays out node ids once, then dots as gaps from the previous one', () => {
    let s: DVVSet<Uint8Array> = update(undefined, undefined, 'n2', new Uint8Array([9]));
    for (let i = 0; i < 3; i++) s = update(s, undefined, 'n1', new Uint8Array([i]));
    // n1's dots 3, 2, 1 are consecutive: gaps 0, 0, 0.
    expect(hex(encodeDVVSet(s, bytesCodec.encode))).toBe(
      '13' + '02' + ('026e31' + '03' + '03' + '000102' + '000101' + '000100') + ('026e32' + '01' + '01' + '000109'),
    );
    // Dropping n1:2 leaves dots 3 and 1: the second is one below the expected 2, gap 1.
    const holed = filter(s, (v) => v[0] !== 1);
    expect(hex(encodeDVVSet(holed, bytesCodec.encode))).toBe(
      '13' + '02' + ('026e31' + '03' + '02' + '000102' + '010100') + ('026e32' + '01' + '01' + '000109'),
    );
    expect(normalize(decodeDVVSet(encodeDVVSet(holed, bytesCodec.encode), bytesCodec.decode))).toEqual(normalize(holed));
  });

  it('decodes byte values as views into the input, without copying', () => {
    let s = update(undefined, undefined, 'n1', new Uint8Array([1, 2, 3]));
    s = update(s, undefined, 'n2', new Uint8Array([4, 5]));
    const bytes = encodeDVVSet(s, bytesCodec.encode);
    const decoded = decodeDVVSet(bytes, bytesCodec.decode);
    for (const v of values(decoded)) expect(v.buffer).toBe(bytes.buffer);
    expect(values(decoded).map((v) => [...v])).toEqual([[1, 2, 3], [4, 5]]);
  });

  it('refuses to encode a set that breaks the invariants', () => {
    const outside: DVVSet<string> = { context: new Map([['a', 1]]), siblings: [{ node: 'a', counter: 2, value: 'x' }] };
    const unknownNode: DVVSet<string> = { context: new Map([['a', 1]]), siblings: [{ node: 'b', counter: 1, value: 'x' }] };
    const unordered: DVVSet<string> = {
      context: new Map([['a', 3]]),
      siblings: [{ node: 'a', counter: 1, value: 'x' }, { node: 'a', counter: 2, value: 'y' }],
    };
    for (const bad of [outside, unknownNode, unordered]) expect(() => encodeDVVSet(bad, utf8Codec.encode)).toThrow(InvalidClockError);
  });

  it('reports value codec failures as VClockDecodeError with the cause', () => {
    const bytes = encodeDVVSet(update(undefined, undefined, 'n', 'v'), utf8Codec.encode);
    const boom = new TypeError('boom');
    let caught: unknown;
    try {
      decodeDVVSet(bytes, () => {
        throw boom;
      });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(VClockDecodeError);
    expect((caught as VClockDecodeError).code).toBe('value-codec');
    expect((caught as VClockDecodeError).cause).toBe(boom);
    expect((caught as VClockDecodeError).name).toBe('VClockDecodeError');
  });
});
