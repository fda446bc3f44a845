/**
 * UTF-8 encoding with exactly the semantics of the WHATWG `TextEncoder` (lone surrogates become
 * U+FFFD). Written out by hand because the pure build has no DOM/Node typings, and because an
 * ASCII-first loop into a reused buffer is faster than `encodeInto` for short keys.
 */

/** Upper bound of the UTF-8 length of `s`: each UTF-16 code unit yields at most 3 bytes. */
export function maxUtf8Length(s: string): number {
  return s.length * 3;
}

/**
 * Writes the UTF-8 bytes of `s` into `out` at `offset` (which must have {@link maxUtf8Length}
 * bytes of room) and returns the number of bytes written.
 */
export function encodeUtf8Into(s: string, out: Uint8Array, offset: number): number {
  let o = offset;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[o++] = c;
    } else if (c < 0x800) {
      out[o++] = 0xc0 | (c >>> 6);
      out[o++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        out[o++] = 0xf0 | (c >>> 18);
        out[o++] = 0x80 | ((c >>> 12) & 0x3f);
        out[o++] = 0x80 | ((c >>> 6) & 0x3f);
        out[o++] = 0x80 | (c & 0x3f);
      } else {
        out[o++] = 0xef;
        out[o++] = 0xbf;
        out[o++] = 0xbd;
      }
    } else {
      out[o++] = 0xe0 | (c >>> 12);
      out[o++] = 0x80 | ((c >>> 6) & 0x3f);
      out[o++] = 0x80 | (c & 0x3f);
    }
  }
  return o - offset;
}

/** UTF-8 bytes of `s` (same result as `new TextEncoder().encode(s)`). */
export function encodeUtf8(s: string): Uint8Array {
  const buf = new Uint8Array(maxUtf8Length(s));
  const len = encodeUtf8Into(s, buf, 0);
  return buf.slice(0, len);
}
