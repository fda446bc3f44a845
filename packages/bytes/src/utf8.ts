// Strict UTF-8 in both directions, written out because the pure build compiles against the bare
// ECMAScript library (no TextEncoder/TextDecoder typings) and because short strings are measured and
// written straight into the caller's buffer without an intermediate array.
//
// The one rule for lone surrogates: a string holding a UTF-16 surrogate that is not half of a pair
// cannot be encoded and is refused (BytesError `lone-surrogate`). TextEncoder would write U+FFFD
// instead, which makes '\uD800' and '\uDC00' the same bytes: as a node id or a key, two names for one
// thing. Decoding is strict in the same spirit: every accepted byte string maps to one string.
import { BytesError } from './bytes-error.js';

const fromCharCode = String.fromCharCode;

// The platform's fatal decoder is faster on long strings; every runtime QuorumKV targets has one.
// The hand-written decoder below accepts exactly the same inputs (property-tested).
type FatalDecoder = { decode(bytes: Uint8Array): string };
const Platform = (globalThis as { TextDecoder?: new (label: string, options: { fatal: boolean }) => FatalDecoder }).TextDecoder;
const platformDecoder: FatalDecoder | undefined = Platform ? new Platform('utf-8', { fatal: true }) : undefined;
/** Inputs up to this many bytes are decoded here; longer ones by the platform when it has a decoder. */
const SHORT = 64;

function loneSurrogate(pos: number, index: number): BytesError {
  return new BytesError('lone-surrogate', pos, `string has a lone surrogate at index ${index}`);
}

/**
 * Number of UTF-8 bytes of `s`.
 * @throws BytesError `lone-surrogate`
 */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c < 0xd800 || c > 0xdfff) n += 2;
    else if (c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // two UTF-16 units, four bytes
      i++;
    } else throw loneSurrogate(-1, i);
  }
  return n;
}

/** Upper bound of `utf8Length(s)`, without reading `s`: each UTF-16 unit yields at most 3 bytes. */
export function maxUtf8Length(s: string): number {
  return s.length * 3;
}

/**
 * Writes `s` as UTF-8 at `pos` and returns the position after it. `buf` must have room
 * ({@link utf8Length} exactly, or {@link maxUtf8Length} without measuring first).
 * @throws BytesError `lone-surrogate`
 */
export function writeUtf8(buf: Uint8Array, pos: number, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      buf[pos++] = c;
    } else if (c < 0x800) {
      buf[pos++] = 0xc0 | (c >> 6);
      buf[pos++] = 0x80 | (c & 0x3f);
    } else if (c < 0xd800 || c > 0xdfff) {
      buf[pos++] = 0xe0 | (c >> 12);
      buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
      buf[pos++] = 0x80 | (c & 0x3f);
    } else {
      const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (c > 0xdbff || (next & 0xfc00) !== 0xdc00) throw loneSurrogate(pos, i);
      c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
      i++;
      buf[pos++] = 0xf0 | (c >> 18);
      buf[pos++] = 0x80 | ((c >> 12) & 0x3f);
      buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
      buf[pos++] = 0x80 | (c & 0x3f);
    }
  }
  return pos;
}

/**
 * The UTF-8 bytes of `s` in a new array of exactly their length.
 * @throws BytesError `lone-surrogate`
 */
export function encodeUtf8(s: string): Uint8Array {
  const out = new Uint8Array(utf8Length(s));
  writeUtf8(out, 0, s);
  return out;
}

/**
 * Decodes `buf[start, end)` as strict UTF-8.
 * @throws BytesError `invalid-utf8` (offset: the first byte of the bad sequence)
 */
export function decodeUtf8(buf: Uint8Array, start = 0, end = buf.length): string {
  if (end - start <= SHORT || platformDecoder === undefined) {
    let out = '';
    for (let i = start; i < end; i++) {
      const b = buf[i]!;
      if (b >= 0x80) return out + decodeFrom(buf, i, end);
      out += fromCharCode(b);
    }
    return out;
  }
  try {
    return platformDecoder.decode(buf.subarray(start, end));
  } catch {
    decodeFrom(buf, start, end); // throws with the offset of the bad sequence
    throw new BytesError('invalid-utf8', start, 'bytes are not valid UTF-8');
  }
}

/** The strict decoder proper, from `i` (which may start a multi-byte sequence) to `end`. */
function decodeFrom(buf: Uint8Array, i: number, end: number): string {
  let out = '';
  while (i < end) {
    const b0 = buf[i]!;
    if (b0 < 0x80) {
      out += fromCharCode(b0);
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
      throw invalid(i);
    }
    if (i + need >= end) throw invalid(i); // the sequence is cut by the end of the field
    for (let k = 1; k <= need; k++) {
      const b = buf[i + k]!;
      if ((b & 0xc0) !== 0x80) throw invalid(i);
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw invalid(i);
    if (cp < 0x10000) out += fromCharCode(cp);
    else out += fromCharCode(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
    i += need + 1;
  }
  return out;
}

function invalid(at: number): BytesError {
  return new BytesError('invalid-utf8', at, 'bytes are not valid UTF-8');
}
