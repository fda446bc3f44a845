import { VClockDecodeError } from '../errors.js';
import { readUtf8 } from './utf8.js';
import { readVarint } from './varint.js';

/**
 * A cursor over untrusted bytes. Every read is checked against the bytes that remain *before*
 * anything is allocated or looped over, so a corrupt length or count can neither crash the process
 * with a RangeError nor make it allocate or spin on a number the input could not back.
 */
export class ByteReader {
  offset = 0;

  constructor(readonly bytes: Uint8Array) {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  byte(): number {
    if (this.offset >= this.bytes.length) throw new VClockDecodeError('truncated', this.offset, 'unexpected end of input');
    return this.bytes[this.offset++]!;
  }

  varint(): number {
    const r = readVarint(this.bytes, this.offset);
    if (typeof r === 'string') {
      const code = r === 'truncated' ? 'truncated' : r === 'out-of-range' ? 'out-of-range' : r === 'non-canonical' ? 'non-canonical' : 'bad-varint';
      throw new VClockDecodeError(code, this.offset, `invalid varint (${r})`);
    }
    this.offset = r.next;
    return r.value;
  }

  /** A varint that must be at least `min` (counters are ≥ 1, lengths of node ids too). */
  varintAtLeast(min: number, what: string): number {
    const at = this.offset;
    const n = this.varint();
    if (n < min) throw new VClockDecodeError('out-of-range', at, `${what} must be at least ${min}, got ${n}`);
    return n;
  }

  /**
   * A count of items that each take at least `minBytesEach` bytes: refused when the remaining input
   * could not hold that many, which bounds every decoding loop by the input length.
   */
  count(minBytesEach: number, what: string): number {
    const at = this.offset;
    const n = this.varint();
    if (n * minBytesEach > this.remaining) {
      throw new VClockDecodeError('truncated', at, `${what} count ${n} exceeds the ${this.remaining} bytes left`);
    }
    return n;
  }

  /** `len` bytes as a view into the input (no copy). */
  view(len: number, what: string): Uint8Array {
    if (len > this.remaining) {
      throw new VClockDecodeError('truncated', this.offset, `${what} of ${len} bytes exceeds the ${this.remaining} bytes left`);
    }
    const start = this.offset;
    this.offset += len;
    return this.bytes.subarray(start, this.offset);
  }

  /** A length-prefixed, non-empty, strict UTF-8 string (a node id). */
  nodeId(): string {
    const at = this.offset;
    const len = this.varintAtLeast(1, 'node id length');
    if (len > this.remaining) {
      throw new VClockDecodeError('truncated', at, `node id of ${len} bytes exceeds the ${this.remaining} bytes left`);
    }
    const s = readUtf8(this.bytes, this.offset, this.offset + len);
    if (s === undefined) throw new VClockDecodeError('bad-utf8', this.offset, 'node id is not valid UTF-8');
    this.offset += len;
    return s;
  }

  /** Throws unless the whole input was consumed: trailing bytes mean a framing error upstream. */
  end(): void {
    if (this.remaining !== 0) {
      throw new VClockDecodeError('trailing-bytes', this.offset, `${this.remaining} unexpected trailing bytes`);
    }
  }
}
