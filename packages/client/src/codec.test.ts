import fc from 'fast-check';
import { InvalidArgumentError } from './errors.js';
import { bytesToJson, bytesToStringStrict, fromBase64, jsonToBytes, toBase64, toBytes } from './codec.js';

describe('codec', () => {
  it('base64 matches Node and round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const b64 = toBase64(bytes);
        return b64 === Buffer.from(bytes).toString('base64') && Buffer.from(fromBase64(b64)).equals(Buffer.from(bytes));
      }),
      { seed: 42, numRuns: 300 },
    );
  });
  it('rejects non-base64 text', () => {
    expect(() => fromBase64('ab$c')).toThrow(TypeError);
    expect(() => fromBase64('abcde')).toThrow(TypeError); // 5 characters cannot be whole bytes
  });
  it('reads URL-safe base64 and unpadded text', () => {
    expect(Array.from(fromBase64('-_8'))).toEqual([0xfb, 0xff]);
    expect(Array.from(fromBase64('+/8='))).toEqual([0xfb, 0xff]);
  });
  it('encodes strings as UTF-8 and JSON both ways', () => {
    expect([...toBytes('é')]).toEqual([0xc3, 0xa9]);
    expect(bytesToJson(jsonToBytes({ a: [1, 'x'] }))).toEqual({ a: [1, 'x'] });
    expect(bytesToStringStrict(new Uint8Array([0xff]))).toBeUndefined();
  });
  it('refuses strings with a lone surrogate, naming the field (TextEncoder would make them U+FFFD)', () => {
    for (const [s, at] of [['\uD800', 0], ['a\uDC00', 1], ['\uDBFFx', 0], ['ok\uD83D', 2]] as const) {
      let err: unknown;
      try {
        toBytes(s, 'key');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).field).toBe('key');
      expect((err as InvalidArgumentError).message).toContain(`index ${at}`);
    }
    expect([...toBytes('\uD83D\uDE00')]).toEqual([0xf0, 0x9f, 0x98, 0x80]); // a pair is fine
  });
});
