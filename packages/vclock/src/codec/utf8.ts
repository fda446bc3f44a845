// UTF-8 for node ids, written here rather than with TextEncoder/TextDecoder because those are not
// part of the ECMAScript library this pure package compiles against, and because node ids are short
// strings that can be measured and written straight into the output buffer without allocating.

/** Number of UTF-8 bytes of `s`, which must be well formed (no lone surrogates; see node-id.ts). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++; // the low surrogate of the pair
    } else n += 3;
  }
  return n;
}

/** Writes `s` as UTF-8 at `offset`; returns the offset past it. */
export function writeUtf8(buf: Uint8Array, offset: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      buf[offset++] = c;
    } else if (c < 0x800) {
      buf[offset++] = 0xc0 | (c >> 6);
      buf[offset++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdbff) {
      c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00);
      buf[offset++] = 0xf0 | (c >> 18);
      buf[offset++] = 0x80 | ((c >> 12) & 0x3f);
      buf[offset++] = 0x80 | ((c >> 6) & 0x3f);
      buf[offset++] = 0x80 | (c & 0x3f);
    } else {
      buf[offset++] = 0xe0 | (c >> 12);
      buf[offset++] = 0x80 | ((c >> 6) & 0x3f);
      buf[offset++] = 0x80 | (c & 0x3f);
    }
  }
  return offset;
}

/**
 * Decodes `buf[start, end)` as strict UTF-8, or returns `undefined` if it is not: overlong forms,
 * surrogates, code points above U+10FFFF and cut sequences are all refused, so that every accepted
 * byte string maps to exactly one node id and back.
 */
export function readUtf8(buf: Uint8Array, start: number, end: number): string | undefined {
  let out = '';
  let i = start;
  while (i < end) {
    const b0 = buf[i]!;
    if (b0 < 0x80) {
      out += String.fromCharCode(b0);
      i++;
      continue;
    }
    let need: number;
    let cp: number;
    let min: number;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      need = 1;
      cp = b0 & 0x1f;
      min = 0x80;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2;
      cp = b0 & 0x0f;
      min = 0x800;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      need = 3;
      cp = b0 & 0x07;
      min = 0x10000;
    } else {
      return undefined;
    }
    if (i + need >= end) return undefined; // the sequence is cut by the end of the field
    for (let k = 1; k <= need; k++) {
      const b = buf[i + k]!;
      if ((b & 0xc0) !== 0x80) return undefined;
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
    out += String.fromCodePoint(cp);
    i += need + 1;
  }
  return out;
}
