import { GossipCodecError } from './errors.js';
import { floor, isSafeInteger } from './fast-globals.js';

const fromCodePoint = String.fromCodePoint;

/*
 * Primitive encodings for the gossip codec: unsigned LEB128 varints limited to 2^53 - 1 (so every
 * value is a safe JS integer), length-prefixed byte strings and strict UTF-8. Written by hand because
 * the pure build has no TextEncoder typings and the decoder must reject, not repair, bad input.
 */

const MAX_VARINT_BYTES = 8; // 8 × 7 bits = 56 ≥ 53

/** Bytes a varint of `value` occupies. */
export function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = floor(value / 128);
    size++;
  }
  return size;
}

/** UTF-8 length of `text` (lone surrogates count as U+FFFD, 3 bytes, as they are encoded). */
export function utf8Length(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) length += 1;
    else if (code < 0x800) length += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) {
      length += 4;
      i++;
    } else length += 3;
  }
  return length;
}

/** Encoded size of a length-prefixed string. */
export function stringSize(text: string): number {
  const length = utf8Length(text);
  return varintSize(length) + length;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Append-only buffer that grows by doubling. */
export class ByteWriter {
  private buffer = new Uint8Array(256);
  private length = 0;

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }

  byte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  varint(value: number): void {
    if (!isSafeInteger(value) || value < 0) throw new GossipCodecError('not-a-uint53', -1);
    this.reserve(MAX_VARINT_BYTES);
    while (value >= 0x80) {
      this.buffer[this.length++] = (value % 128) | 0x80;
      value = floor(value / 128);
    }
    this.buffer[this.length++] = value;
  }

  bytes(value: Uint8Array): void {
    this.varint(value.length);
    this.reserve(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
  }

  string(text: string): void {
    if (typeof text !== 'string') throw new GossipCodecError('not-a-string', -1);
    this.varint(utf8Length(text));
    this.reserve(text.length * 3);
    const out = this.buffer;
    let n = this.length;
    for (let i = 0; i < text.length; i++) {
      let code = text.charCodeAt(i);
      if (code >= 0xd800 && code <= 0xdfff) {
        const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
        if (code <= 0xdbff && isLowSurrogate(next)) {
          code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
          i++;
        } else code = 0xfffd;
      }
      if (code < 0x80) out[n++] = code;
      else if (code < 0x800) {
        out[n++] = 0xc0 | (code >> 6);
        out[n++] = 0x80 | (code & 0x3f);
      } else if (code < 0x10000) {
        out[n++] = 0xe0 | (code >> 12);
        out[n++] = 0x80 | ((code >> 6) & 0x3f);
        out[n++] = 0x80 | (code & 0x3f);
      } else {
        out[n++] = 0xf0 | (code >> 18);
        out[n++] = 0x80 | ((code >> 12) & 0x3f);
        out[n++] = 0x80 | ((code >> 6) & 0x3f);
        out[n++] = 0x80 | (code & 0x3f);
      }
    }
    this.length = n;
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

/** Cursor over received bytes; every failure is a {@link GossipCodecError}. */
export class ByteReader {
  private offset = 0;
  constructor(private readonly data: Uint8Array) {}

  get position(): number {
    return this.offset;
  }

  get remaining(): number {
    return this.data.length - this.offset;
  }

  fail(reason: string): never {
    throw new GossipCodecError(reason, this.offset);
  }

  byte(): number {
    if (this.offset >= this.data.length) this.fail('truncated');
    return this.data[this.offset++] as number;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (!isSafeInteger(value)) this.fail('varint-overflow');
        return value;
      }
      scale *= 128;
    }
    return this.fail('varint-too-long');
  }

  /** A count of items each at least `minItemBytes` long: bounded by what is left, so corrupt counts cannot allocate. */
  count(minItemBytes: number): number {
    const n = this.varint();
    if (n * minItemBytes > this.remaining) this.fail('count-exceeds-input');
    return n;
  }

  bytes(): Uint8Array {
    const length = this.varint();
    if (length > this.remaining) this.fail('truncated');
    const out = this.data.slice(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  string(): string {
    const length = this.varint();
    if (length > this.remaining) this.fail('truncated');
    const end = this.offset + length;
    const data = this.data;
    let text = '';
    let i = this.offset;
    while (i < end) {
      const b0 = data[i] as number;
      let code: number;
      let size: number;
      if (b0 < 0x80) {
        code = b0;
        size = 1;
      } else if (b0 >= 0xc2 && b0 <= 0xdf) {
        code = b0 & 0x1f;
        size = 2;
      } else if (b0 >= 0xe0 && b0 <= 0xef) {
        code = b0 & 0x0f;
        size = 3;
      } else if (b0 >= 0xf0 && b0 <= 0xf4) {
        code = b0 & 0x07;
        size = 4;
      } else {
        this.offset = i;
        return this.fail('bad-utf8');
      }
      if (i + size > end) {
        this.offset = i;
        return this.fail('bad-utf8');
      }
      for (let k = 1; k < size; k++) {
        const b = data[i + k] as number;
        if ((b & 0xc0) !== 0x80) {
          this.offset = i;
          return this.fail('bad-utf8');
        }
        code = (code << 6) | (b & 0x3f);
      }
      // Overlong forms, surrogates and out-of-range code points are invalid UTF-8.
      const overlong = (size === 3 && code < 0x800) || (size === 4 && code < 0x10000);
      if (overlong || (code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) {
        this.offset = i;
        return this.fail('bad-utf8');
      }
      text += fromCodePoint(code);
      i += size;
    }
    this.offset = end;
    return text;
  }
}
