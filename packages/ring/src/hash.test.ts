import fc from 'fast-check';
import { InvalidPartitionCountError, RingError } from './errors.js';
import { xxHash64 } from './hash.js';
import { keyHash, partitionOf } from './key-hash.js';
import { referenceXxh64 } from './test-support/xxh64-reference.js';
import { BytesError } from '@quorumkv/bytes';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function frameReference(bucket: Uint8Array, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + bucket.length + key.length);
  new DataView(out.buffer).setUint32(0, bucket.length, true);
  out.set(bucket, 4);
  out.set(key, 4 + bucket.length);
  return out;
}

describe('xxHash64', () => {
  it('matches the published XXH64 vectors (seed 0)', () => {
    expect(xxHash64(text(''))).toBe(0xef46db3751d8e999n);
    expect(xxHash64(text('a'))).toBe(0xd24ec4f1a98c6e5bn);
    expect(xxHash64(text('abc'))).toBe(0x44bc2cf5ad770999n);
    expect(xxHash64(text('Nobody inspects the spammish repetition'))).toBe(0xfbcea83c8a378bf1n);
  });

  it('agrees with a bigint reference implementation on every length and content', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(xxHash64(bytes)).toBe(referenceXxh64(bytes));
      }),
      { seed: 42, numRuns: 2000 },
    );
  });
});

describe('keyHash framing', () => {
  // Pinned: changing any of these changes where every key in every cluster lives.
  const vectors: [string, string, bigint, number][] = [
    ['', '', 0x3aefa6fd5cf2deb4n, 58],
    ['users', 'alice', 0xc896af2a168d1a4bn, 200],
    ['ab', 'c', 0x5679f13ecb571692n, 86],
    ['a', 'bc', 0x58b7ec63e2595240n, 88],
    ['bucket', 'ключ', 0xbddb4f8a9a648770n, 189],
    ['b', '😀', 0x0bb56028d9a82566n, 11],
  ];
  it.each(vectors)('keyHash(%j, %j) is pinned', (bucket, key, hash, partition256) => {
    expect(keyHash(bucket, key)).toBe(hash);
    expect(keyHash(text(bucket), text(key))).toBe(hash);
    expect(partitionOf(256, bucket, key)).toBe(partition256);
  });

  it('is XXH64 of u32le(bucket length) ‖ bucket ‖ key', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (bucket, key) => {
        expect(keyHash(bucket, key)).toBe(referenceXxh64(frameReference(text(bucket), text(key))));
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('separates bucket from key: ("ab","c") and ("a","bc") differ', () => {
    expect(keyHash('ab', 'c')).not.toBe(keyHash('a', 'bc'));
    expect(keyHash('', 'abc')).not.toBe(keyHash('abc', ''));
  });

  it('treats strings and their UTF-8 bytes the same', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.uint8Array(), (a, b, raw) => {
        expect(keyHash(a, b)).toBe(keyHash(text(a), text(b)));
        expect(keyHash(raw, a)).toBe(keyHash(raw, text(a)));
      }),
      { seed: 7, numRuns: 1000 },
    );
  });

  it('refuses strings with a lone surrogate instead of hashing them as U+FFFD', () => {
    // '\ud800' and '\udc00' would otherwise be the same key as each other and as the bytes EF BF BD.
    for (const bad of ['\ud800', 'a\udc00', '\ud83d']) {
      expect(() => keyHash('x', bad)).toThrow(expect.objectContaining({ name: 'BytesError', reason: 'lone-surrogate' }));
      expect(() => partitionOf(64, bad, 'k')).toThrow(BytesError);
    }
    expect(keyHash('x', '\ud83d\ude00')).toBe(keyHash('x', text('\ud83d\ude00')));
  });

  it('handles keys larger than the scratch buffer', () => {
    const big = 'k'.repeat(5000) + 'é'.repeat(3000);
    expect(keyHash('b', big)).toBe(referenceXxh64(frameReference(text('b'), text(big))));
    expect(keyHash('', '')).toBe(0x3aefa6fd5cf2deb4n);
  });
});

describe('partitionOf', () => {
  it('takes the top log2(Q) bits of keyHash', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 16 }), fc.string(), fc.string(), (bits, bucket, key) => {
        const q = 2 ** bits;
        const p = partitionOf(q, bucket, key);
        expect(p).toBe(Number(keyHash(bucket, key) >> BigInt(64 - bits)));
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThan(q);
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  // The first key too large for the scratch buffer used to be hashed over the old buffer: the
  // buffer was read before framing grew it. Every process placed one such key in a wrong partition
  // (a server stored an acknowledged write where no read looks). Each size here outgrows the buffer
  // any earlier call left, whatever ran before in this file.
  it('places the first key that outgrows the scratch buffer where every later call does', () => {
    for (let size = 1 << 20; size <= 1 << 23; size *= 2) {
      const key = 'k'.repeat(size);
      const expected = Number(referenceXxh64(frameReference(text('b'), text(key))) >> 56n);
      expect(partitionOf(256, 'b', key)).toBe(expected);
      expect(partitionOf(256, 'b', key)).toBe(expected);
    }
  });

  it.each([0, 4, 7, 12, 100, 131072, 256.5, NaN, -256])('rejects partition count %p with a typed error', (q) => {
    expect(() => partitionOf(q, 'b', 'k')).toThrow(InvalidPartitionCountError);
    try {
      partitionOf(q, 'b', 'k');
    } catch (err) {
      expect(err).toBeInstanceOf(RingError);
      expect((err as RingError).code).toBe('INVALID_PARTITION_COUNT');
      expect((err as Error).message).toContain('power of two');
    }
  });
});
