import { BytesError } from './bytes-error.js';
import { readFloat64le } from './float64.js';
import { decodeUtf8 } from './utf8.js';
import { MAX_UVARINT, MAX_UVARINT_BYTES, MAX_VARINT64_BYTES } from './varint.js';

const TWO_32 = 2 ** 32;

/**
 * A cursor over untrusted bytes `buf[pos, end)`. Every read is checked against the bytes that remain
 * *before* anything is allocated or looped over, so a corrupt length or count can neither crash the
 * process with a RangeError nor make it allocate or spin on a number the input could not back. Every
 * failure is a {@link BytesError} whose offset is where the offending value starts.
 *
 * Two varint rules live here. {@link uvarint} is the strict one for QuorumKV's own formats: at most
 * 8 bytes, at most 2^53 - 1, no redundant zero groups, so each number has exactly one encoding.
 * {@link varint32} and {@link varint64} read protobuf's varints as protobuf does: up to 10 bytes,
 * padding accepted, `varint32` keeping the low 32 bits.
 *
 * Byte strings come back as views into `buf` (no copy): its owner must not reuse it while they live.
 */
export class ByteReader {
  /** Position of the next byte to read. */
  pos: number;

  constructor(
    /** The input. */
    readonly buf: Uint8Array,
    pos = 0,
    /** End of the readable range (exclusive). */
    readonly end = buf.length,
  ) {
    this.pos = pos;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** True once every byte has been read. */
  get done(): boolean {
    return this.pos >= this.end;
  }

  u8(): number {
    if (this.pos >= this.end) throw truncated(this.pos, 'a byte');
    return this.buf[this.pos++]!;
  }

  u16le(): number {
    const p = this.take(2, 'a 16-bit integer');
    return this.buf[p]! | (this.buf[p + 1]! << 8);
  }

  u32le(): number {
    const p = this.take(4, 'a 32-bit integer');
    const b = this.buf;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
  }

  f64le(): number {
    return readFloat64le(this.buf, this.take(8, 'a 64-bit float'));
  }

  /** A strict varint (see the class comment): a safe integer with exactly one encoding. */
  uvarint(): number {
    const { buf, end } = this;
    const start = this.pos;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < MAX_UVARINT_BYTES; i++) {
      const p = start + i;
      if (p >= end) throw truncated(start, 'a varint');
      const b = buf[p]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (b === 0 && i > 0) throw new BytesError('non-canonical-varint', start, 'varint padded with zero groups');
        if (value > MAX_UVARINT) throw new BytesError('varint-out-of-range', start, 'varint above 2^53 - 1');
        this.pos = p + 1;
        return value;
      }
      scale *= 0x80;
    }
    throw new BytesError('overlong-varint', start, `varint longer than ${MAX_UVARINT_BYTES} bytes`);
  }

  /**
   * A {@link uvarint} counting items that take at least `minBytesEach` bytes each: refused when the
   * rest of the input could not hold that many, which bounds every decoding loop by the input length.
   */
  count(minBytesEach: number): number {
    const start = this.pos;
    const n = this.uvarint();
    if (n * minBytesEach > this.end - this.pos) {
      throw new BytesError('count-exceeds-input', start, `count ${n} exceeds the ${this.end - this.pos} bytes left`);
    }
    return n;
  }

  /** A protobuf varint's low 32 bits (its uint32, enum and bool fields; wider values are truncated). */
  varint32(): number {
    const { buf, end } = this;
    const start = this.pos;
    let result = 0;
    let shift = 0;
    for (let i = 0; i < MAX_VARINT64_BYTES; i++) {
      const p = start + i;
      if (p >= end) throw truncated(start, 'a varint');
      const b = buf[p]!;
      if (shift < 32) result += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (b < 0x80) {
        this.pos = p + 1;
        return result % TWO_32;
      }
    }
    throw overlong64(start);
  }

  /** A protobuf 64-bit varint as a uint64 (`BigInt.asIntN(64, ...)` gives int64). */
  varint64(): bigint {
    const { buf, end } = this;
    const start = this.pos;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < MAX_VARINT64_BYTES; i++) {
      const p = start + i;
      if (p >= end) throw truncated(start, 'a varint');
      const b = buf[p]!;
      if (i < 4) lo += (b & 0x7f) * 2 ** (7 * i);
      else if (i === 4) {
        lo += (b & 0x0f) * 2 ** 28;
        hi += (b & 0x7f) >>> 4;
      } else if (i < 9) hi += (b & 0x7f) * 2 ** (7 * i - 32);
      else if (b >= 0x80) break;
      else if (b > 1) throw new BytesError('varint-out-of-range', start, 'varint above 2^64 - 1');
      else hi += b * 2 ** 31;
      if (b < 0x80) {
        this.pos = p + 1;
        // Below 2^53 one BigInt conversion is enough; above, the halves are joined as bigints.
        if (hi < 0x200000) return BigInt(hi * TWO_32 + lo);
        return (BigInt(hi) << 32n) | BigInt(lo);
      }
    }
    throw overlong64(start);
  }

  /** The next `len` bytes, as a view into the input. */
  view(len: number): Uint8Array {
    const p = this.take(len, 'a byte string');
    return this.buf.subarray(p, p + len);
  }

  /** The next `len` bytes as strict UTF-8 (see `decodeUtf8`). */
  utf8(len: number): string {
    const p = this.take(len, 'a string');
    return decodeUtf8(this.buf, p, p + len);
  }

  /** A {@link uvarint} length, then that many bytes as a view. */
  prefixedView(): Uint8Array {
    return this.view(this.uvarint());
  }

  /** A {@link uvarint} length, then that many bytes of strict UTF-8. */
  prefixedUtf8(): string {
    return this.utf8(this.uvarint());
  }

  /** Skips `len` bytes. */
  skip(len: number): void {
    this.take(len, 'a skipped range');
  }

  /** A reader over the next `len` bytes (a nested message); this reader moves past them. */
  sub(len: number): ByteReader {
    const p = this.take(len, 'a nested range');
    return new ByteReader(this.buf, p, p + len);
  }

  /** Throws `trailing-bytes` unless every byte was read: leftovers mean a framing error upstream. */
  expectEnd(): void {
    if (this.pos !== this.end) throw new BytesError('trailing-bytes', this.pos, `${this.end - this.pos} unexpected trailing bytes`);
  }

  /**
   * Moves past `len` bytes and returns where they start; throws `truncated` when fewer are left.
   * `what` is a constant label: the message is built only on failure, so a read allocates nothing.
   */
  private take(len: number, what: string): number {
    const p = this.pos;
    if (len > this.end - p || len < 0) throw new BytesError('truncated', p, `${what} needs ${len} bytes, ${this.end - p} left`);
    this.pos = p + len;
    return p;
  }
}

function truncated(at: number, what: string): BytesError {
  return new BytesError('truncated', at, `input ends inside ${what}`);
}

function overlong64(at: number): BytesError {
  return new BytesError('overlong-varint', at, `varint longer than ${MAX_VARINT64_BYTES} bytes`);
}
