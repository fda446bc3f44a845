// Protobuf binary writing for the hand-written hot-path codecs: sizes are computed first, then the
// message is written into one exactly sized buffer (optionally behind a reserved envelope header),
// so a 1 KiB value is copied once, not once per nesting level as a chunked writer does.
import { getTextEncoding } from '@bufbuild/protobuf/wire';

/** Protobuf wire types used here. */
export const WIRE_VARINT = 0;
export const WIRE_LEN = 2;

const MAX_SAFE = 2 ** 53;

/** Bytes a varint of a non-negative integer below 2^53 takes. */
export function varintSize(n: number): number {
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x200000) return 3;
  if (n < 0x10000000) return 4;
  let size = 4;
  let rest = Math.floor(n / 0x10000000);
  while (rest > 0) {
    size++;
    rest = Math.floor(rest / 0x80);
  }
  return size;
}

/** Bytes a uint64 (or int64, two's complement) varint takes. */
export function varint64Size(v: bigint): number {
  if (v >= 0n && v < BigInt(MAX_SAFE)) return varintSize(Number(v));
  let u = BigInt.asUintN(64, v);
  let size = 1;
  while (u >= 0x80n) {
    u >>= 7n;
    size++;
  }
  return size;
}

/** UTF-8 length of a string, without encoding it. */
export function utf8Length(s: string): number {
  let len = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) len += 1;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      len += 2;
      i++;
    } else len += 2;
  }
  return len;
}

/** Size of a length-delimited field (tag, length, body) with a field number below 16. */
export function lenFieldSize(bodyBytes: number): number {
  return 1 + varintSize(bodyBytes) + bodyBytes;
}


// Node's pooled Buffer.allocUnsafe costs ~0.4 µs for a 1 KiB message against ~1.6 µs for a fresh
// Uint8Array (its own off-heap backing store); browsers get the plain typed array. Every byte of the
// buffer is written before it is returned, so unzeroed memory never leaks out.
const nodeBuffer = (globalThis as { Buffer?: { allocUnsafe?: (size: number) => Uint8Array } }).Buffer;
const allocate: (size: number) => Uint8Array =
  typeof nodeBuffer?.allocUnsafe === 'function' ? nodeBuffer.allocUnsafe.bind(nodeBuffer) : (size) => new Uint8Array(size);

/** Writes protobuf fields into a buffer sized in advance. Field numbers must be below 16. */
export class WireWriter {
  readonly buf: Uint8Array;
  pos: number;

  /** @param offset bytes left free at the start (an envelope header, say). */
  constructor(size: number, offset = 0) {
    this.buf = allocate(offset + size);
    this.pos = offset;
  }

  varint(n: number): void {
    const buf = this.buf;
    while (n >= 0x80) {
      buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    buf[this.pos++] = n;
  }

  varint64(v: bigint): void {
    if (v >= 0n && v < BigInt(MAX_SAFE)) return this.varint(Number(v));
    const u = BigInt.asUintN(64, v);
    let lo = Number(u & 0xffffffffn);
    let hi = Number(u >> 32n);
    // 64-bit varint from two 32-bit halves, as protobuf's reference implementations do it.
    while (hi > 0 || lo >= 0x80) {
      this.buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi = hi >>> 7;
    }
    this.buf[this.pos++] = lo;
  }

  tag(field: number, wire: number): void {
    this.buf[this.pos++] = (field << 3) | wire;
  }

  /** A uint32/uint64-as-number/enum/bool field, skipped when zero (proto3 implicit presence). */
  uintField(field: number, n: number): void {
    if (n === 0) return;
    this.tag(field, WIRE_VARINT);
    this.varint(n);
  }

  /** A uint32 field with explicit presence (`optional`): written whenever set, zero included. */
  optionalUintField(field: number, n: number | undefined): void {
    if (n === undefined) return;
    this.tag(field, WIRE_VARINT);
    this.varint(n);
  }

  boolField(field: number, b: boolean): void {
    if (!b) return;
    this.tag(field, WIRE_VARINT);
    this.buf[this.pos++] = 1;
  }

  bigintField(field: number, v: bigint): void {
    if (v === 0n) return;
    this.tag(field, WIRE_VARINT);
    this.varint64(v);
  }

  bytesField(field: number, b: Uint8Array): void {
    if (b.length === 0) return;
    this.tag(field, WIRE_LEN);
    this.varint(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  stringField(field: number, s: string): void {
    if (s.length === 0) return;
    this.tag(field, WIRE_LEN);
    const len = utf8Length(s);
    this.varint(len);
    if (len === s.length) {
      for (let i = 0; i < len; i++) this.buf[this.pos + i] = s.charCodeAt(i);
      this.pos += len;
    } else {
      this.buf.set(getTextEncoding().encodeUtf8(s), this.pos);
      this.pos += len;
    }
  }

  /** Starts a nested message field whose body is `bodyBytes` long. */
  messageField(field: number, bodyBytes: number): void {
    this.tag(field, WIRE_LEN);
    this.varint(bodyBytes);
  }

  /** The written bytes (the whole buffer, header included); checks the size computed in advance. */
  finish(): Uint8Array {
    if (this.pos !== this.buf.length) throw new Error(`codec size mismatch: wrote ${this.pos} of ${this.buf.length} bytes`);
    return this.buf;
  }
}

/** Size of a varint field that is skipped when zero. */
export function uintFieldSize(n: number): number {
  return n === 0 ? 0 : 1 + varintSize(n);
}

export function optionalUintFieldSize(n: number | undefined): number {
  return n === undefined ? 0 : 1 + varintSize(n);
}

export function bigintFieldSize(v: bigint): number {
  return v === 0n ? 0 : 1 + varint64Size(v);
}

export function boolFieldSize(b: boolean): number {
  return b ? 2 : 0;
}

export function bytesFieldSize(b: Uint8Array): number {
  return b.length === 0 ? 0 : lenFieldSize(b.length);
}

export function stringFieldSize(s: string): number {
  return s.length === 0 ? 0 : lenFieldSize(utf8Length(s));
}


