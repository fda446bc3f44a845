import fc from 'fast-check';
import { apply, plan } from './claim.js';
import { CorruptRingError, RingError } from './errors.js';
import { createRing } from './ring.js';
import { decodeRing, encodeRing } from './ring-codec.js';
import { makeNodes, partitionCountArb } from './test-support/nodes.js';

const expectCorrupt = (bytes: Uint8Array, message?: RegExp): void => {
  let caught: unknown;
  try {
    decodeRing(bytes);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(CorruptRingError);
  expect((caught as RingError).code).toBe('CORRUPT_RING');
  if (message) expect((caught as Error).message).toMatch(message);
};

describe('ring codec', () => {
  it('round-trips any ring, and its last 4 bytes are the checksum', () => {
    fc.assert(
      fc.property(
        partitionCountArb,
        fc.integer({ min: 1, max: 300 }),
        fc.string({ unit: 'grapheme', maxLength: 5 }),
        fc.double({ min: 0.01, max: 1000, noNaN: true }),
        (q, m, zone, weight) => {
          const nodes = makeNodes(m, 3, () => weight).map((n, i) => ({ ...n, zone: `${zone}${i % 3}`, state: i === 1 ? ('leaving' as const) : ('active' as const) }));
          const ring = createRing({ partitionCount: q, nodes, targetN: 2 });
          const bytes = encodeRing(ring);
          const back = decodeRing(bytes);
          expect(back).toEqual(ring);
          expect(encodeRing(back)).toEqual(bytes);
          const tail = new DataView(bytes.buffer, bytes.length - 4).getUint32(0, true);
          expect(tail.toString(16).padStart(8, '0')).toBe(ring.checksum);
        },
      ),
      { seed: 42, numRuns: 30 },
    );
  });

  it('is compact: one byte per partition for up to 256 nodes', () => {
    const ring = createRing({ partitionCount: 1024, nodes: makeNodes(16) });
    expect(encodeRing(ring).length).toBeLessThan(1024 + 16 * 40);
  });

  it('keeps the version across plans', () => {
    const ring = createRing({ partitionCount: 64, nodes: makeNodes(3) });
    const next = apply(ring, plan(ring, { join: [{ id: 'x', address: 'a' }] }));
    expect(decodeRing(encodeRing(next)).version).toBe(2);
    expect(next.checksum).not.toBe(ring.checksum);
  });

  it('detects every single flipped bit', () => {
    const bytes = encodeRing(createRing({ partitionCount: 32, nodes: makeNodes(3, 2) }));
    for (let i = 0; i < bytes.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const copy = bytes.slice();
        copy[i]! ^= 1 << bit;
        expectCorrupt(copy);
      }
    }
  });

  it('detects truncation and garbage with messages naming the problem', () => {
    const bytes = encodeRing(createRing({ partitionCount: 32, nodes: makeNodes(3) }));
    for (let len = 0; len < bytes.length; len++) expectCorrupt(bytes.subarray(0, len));
    expectCorrupt(new Uint8Array(3), /truncated/);
    expectCorrupt(new TextEncoder().encode('{"version":1,"owners":[]}'), /bad magic/);
    const otherFormat = bytes.slice();
    otherFormat[4] = 9;
    expectCorrupt(otherFormat, /unsupported format 9/);
    const flipped = bytes.slice();
    flipped[20]! ^= 0xff;
    expectCorrupt(flipped, /checksum mismatch/);
    expectCorrupt('not bytes' as unknown as Uint8Array, /not a Uint8Array/);
  });
});
