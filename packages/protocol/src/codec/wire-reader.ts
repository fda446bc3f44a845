// Protobuf binary reading for the hand-written hot-path codecs. Bytes fields come back as views
// into the input (no copy): the input must not be reused by its owner while they are alive.
import { getTextEncoding } from '@bufbuild/protobuf/wire';
import { WIRE_LEN, WIRE_VARINT } from './wire-writer.js';

/** The bytes are not a valid encoding of the expected message. */
export class WireFormatError extends Error {
  override readonly name = 'WireFormatError';
}

const TWO_32 = 2 ** 32;

/** Reads one message's fields in order. */
export class WireReader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    pos = 0,
    readonly end = buf.length,
  ) {
    this.pos = pos;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** The next tag: field number times 8 plus wire type. */
  tag(): number {
    const t = this.varint32();
    if (t >>> 3 === 0) throw new WireFormatError(`invalid field number 0 at byte ${this.pos}`);
    return t;
  }

  /** A varint's low 32 bits (uint32, enum and bool fields; wider values are truncated as protobuf says). */
  varint32(): number {
    const { buf } = this;
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new WireFormatError('truncated varint');
      const b = buf[this.pos++]!;
      if (shift < 32) result += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (b < 0x80) return result % TWO_32;
    }
    throw new WireFormatError('varint longer than 10 bytes');
  }

  /** A uint64 varint. */
  varint64(): bigint {
    const { buf } = this;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new WireFormatError('truncated varint');
      const b = buf[this.pos++]!;
      if (i < 4) lo += (b & 0x7f) * 2 ** (7 * i);
      else if (i === 4) {
        lo += (b & 0x0f) * 2 ** 28;
        hi += (b & 0x7f) >>> 4;
      } else hi += (b & 0x7f) * 2 ** (7 * i - 32);
      if (b < 0x80) {
        hi %= TWO_32;
        if (hi < 0x200000) return BigInt(hi * TWO_32 + lo);
        return (BigInt(hi) << 32n) | BigInt(lo);
      }
    }
    throw new WireFormatError('varint longer than 10 bytes');
  }

  /** An int64 varint (two's complement). */
  int64(): bigint {
    return BigInt.asIntN(64, this.varint64());
  }

  bool(): boolean {
    return this.varint32() !== 0;
  }

  /** Length of a length-delimited field; checks it fits in the message. */
  length(): number {
    const len = this.varint32();
    if (len > this.end - this.pos) throw new WireFormatError(`length ${len} overruns the message at byte ${this.pos}`);
    return len;
  }

  /** A bytes field, as a view into the input. */
  bytes(): Uint8Array {
    const len = this.length();
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  string(): string {
    const len = this.length();
    const { buf } = this;
    let ascii = true;
    for (let i = this.pos; i < this.pos + len; i++) {
      if (buf[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    let s: string;
    if (ascii && len < 64) {
      s = '';
      for (let i = this.pos; i < this.pos + len; i++) s += String.fromCharCode(buf[i]!);
    } else {
      // proto3 strings must be valid UTF-8 (protobuf-es refuses them too).
      try {
        s = getTextEncoding().decodeUtf8(buf.subarray(this.pos, this.pos + len), true);
      } catch {
        throw new WireFormatError('string field is not valid UTF-8');
      }
    }
    this.pos += len;
    return s;
  }

  /** A reader over a nested message's bytes; advances past them. */
  nested(): WireReader {
    const len = this.length();
    const r = new WireReader(this.buf, this.pos, this.pos + len);
    this.pos += len;
    return r;
  }

  /** Skips a field this codec does not know (or whose wire type is not the expected one). */
  skip(tag: number): void {
    switch (tag & 7) {
      case WIRE_VARINT:
        this.varint32();
        return;
      case 1:
        this.advance(8);
        return;
      case WIRE_LEN:
        this.advance(this.length());
        return;
      case 5:
        this.advance(4);
        return;
      case 3: {
        // A group: skip fields up to its end tag.
        for (;;) {
          const t = this.tag();
          if ((t & 7) === 4) return;
          this.skip(t);
        }
      }
      default:
        throw new WireFormatError(`unsupported wire type ${tag & 7}`);
    }
  }

  private advance(n: number): void {
    if (n > this.end - this.pos) throw new WireFormatError('truncated field');
    this.pos += n;
  }
}
