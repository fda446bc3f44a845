import { decodeBoundContext, encodeBoundContext } from './bound-context.js';
import { VClockDecodeError } from './errors.js';
import { versionVector } from './version-vector.js';

describe('bound context', () => {
  it('round-trips the key hash and the version vector', () => {
    const vv = versionVector({ a: 3, b: 1 });
    const bytes = encodeBoundContext(0x0123456789abcdefn, vv);
    expect(bytes[0]).toBe(1);
    const back = decodeBoundContext(bytes);
    expect(back.keyHash).toBe(0x0123456789abcdefn);
    expect([...back.versionVector]).toEqual([...vv]);
  });

  it('refuses a short header, another binding version and a bad vector', () => {
    const good = encodeBoundContext(7n, versionVector({ a: 1 }));
    expect(() => decodeBoundContext(good.subarray(0, 8))).toThrow(VClockDecodeError);
    expect(() => decodeBoundContext(Uint8Array.from([2, ...good.subarray(1)]))).toThrow(/binding version 2/);
    expect(() => decodeBoundContext(Uint8Array.from([...good, 0]))).toThrow(VClockDecodeError);
  });
});
