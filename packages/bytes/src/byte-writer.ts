import { BytesError } from './bytes-error.js';
import { writeFloat64le } from './float64.js';
import { utf8Length, writeUtf8 } from './utf8.js';
import { varintSize, writeVarint, writeVarint64 } from './varint.js';

/**
 * Writes into a buffer the caller sized in advance (sizes first, then one pass: a value is copied
 * once, and nothing grows or re-allocates). The buffer is the caller's, so it decides how it is
 * allocated (a pooled Node Buffer for a message about to leave, a plain array for a stored record)
 * and may reserve room in front for a header by starting at `pos`.
 *
 * Methods do not check the room left: a wrong size surfaces in {@link finish} as `size-mismatch`.
 */
export class ByteWriter {
  /** Position of the next byte to write. */
  pos: number;

  constructor(
    /** The output, exactly as long as what will be written (from `pos` on). */
    readonly buf: Uint8Array,
    pos = 0,
  ) {
    this.pos = pos;
  }

  u8(v: number): void {
    this.buf[this.pos++] = v;
  }

  u16le(v: number): void {
    const { buf } = this;
    buf[this.pos++] = v & 0xff;
    buf[this.pos++] = (v >>> 8) & 0xff;
  }

  u32le(v: number): void {
    const { buf } = this;
    buf[this.pos++] = v & 0xff;
    buf[this.pos++] = (v >>> 8) & 0xff;
    buf[this.pos++] = (v >>> 16) & 0xff;
    buf[this.pos++] = v >>> 24;
  }

  f64le(v: number): void {
    this.pos = writeFloat64le(this.buf, this.pos, v);
  }

  /**
   * A varint of a non-negative safe integer ({@link varintSize} bytes).
   * @throws BytesError `not-a-uint53`
   */
  uvarint(n: number): void {
    this.pos = writeVarint(this.buf, this.pos, n);
  }

  /**
   * A 64-bit varint: uint64, or int64 as its two's complement ({@link varint64Size} bytes).
   * @throws BytesError `varint-out-of-range`
   */
  varint64(v: bigint): void {
    this.pos = writeVarint64(this.buf, this.pos, v);
  }

  /** `bytes` as they are. */
  raw(bytes: Uint8Array): void {
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /**
   * `s` as UTF-8, without a length ({@link utf8Length} bytes).
   * @throws BytesError `lone-surrogate`
   */
  utf8(s: string): void {
    this.pos = writeUtf8(this.buf, this.pos, s);
  }

  /** A varint length, then `bytes` ({@link prefixedBytesSize}). */
  prefixedBytes(bytes: Uint8Array): void {
    this.uvarint(bytes.length);
    this.raw(bytes);
  }

  /**
   * A varint length, then `s` as UTF-8 ({@link prefixedUtf8Size}).
   * @throws BytesError `lone-surrogate`
   */
  prefixedUtf8(s: string): void {
    this.uvarint(utf8Length(s));
    this.utf8(s);
  }

  /**
   * The whole buffer (any reserved header included), once writing ended exactly at its end.
   * @throws BytesError `size-mismatch` when the caller's size was wrong
   */
  finish(): Uint8Array {
    if (this.pos !== this.buf.length) {
      throw new BytesError('size-mismatch', this.pos, `wrote up to byte ${this.pos} of a ${this.buf.length}-byte buffer`);
    }
    return this.buf;
  }
}

/** Bytes {@link ByteWriter.prefixedBytes} writes for `bytes`. */
export function prefixedBytesSize(bytes: Uint8Array): number {
  return varintSize(bytes.length) + bytes.length;
}

/**
 * Bytes {@link ByteWriter.prefixedUtf8} writes for `s`.
 * @throws BytesError `lone-surrogate`
 */
export function prefixedUtf8Size(s: string): number {
  const len = utf8Length(s);
  return varintSize(len) + len;
}
