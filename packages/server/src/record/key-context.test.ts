import fc from 'fast-check';
import { versionVector } from '@quorumkv/vclock';
import { NodeArgumentError } from '../errors/errors.js';
import { decodeKeyContext, encodeKeyContext } from './key-context.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const vv = versionVector({ 'n1~abc.1': 3, 'n2~def.2': 1 });

describe('key-bound contexts', () => {
  it('round-trips for the same bucket and key', () => {
    expect(decodeKeyContext(encodeKeyContext(enc('b'), enc('k'), vv), enc('b'), enc('k'))).toEqual(vv);
    expect(decodeKeyContext(new Uint8Array(0), enc('b'), enc('k'))).toBeUndefined();
  });

  it('refuses a context of another key or bucket, naming the field', () => {
    const ctx = encodeKeyContext(enc('b'), enc('k2'), vv);
    for (const [bucket, key] of [['b', 'k1'], ['c', 'k2'], ['bk', '2']]) {
      let err: unknown;
      try {
        decodeKeyContext(ctx, enc(bucket!), enc(key!));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(NodeArgumentError);
      expect((err as NodeArgumentError).field).toBe('context');
    }
  });

  it('refuses a counter that leaves no room for the next dots', () => {
    const ok = versionVector({ 'n1~abc.1': 2 ** 48 });
    expect(decodeKeyContext(encodeKeyContext(enc('b'), enc('k'), ok), enc('b'), enc('k'))).toEqual(ok);
    const forged = encodeKeyContext(enc('b'), enc('k'), versionVector({ 'n1~abc.1': Number.MAX_SAFE_INTEGER - 1 }));
    expect(() => decodeKeyContext(forged, enc('b'), enc('k'))).toThrow(NodeArgumentError);
  });

  it('refuses bytes it did not make, never throwing anything but NodeArgumentError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), (bytes) => {
        try {
          decodeKeyContext(bytes, enc('b'), enc('k'));
        } catch (e) {
          expect(e).toBeInstanceOf(NodeArgumentError);
        }
      }),
      { seed: 13, numRuns: 500 },
    );
  });
});
