/**
 * The canonical binary layout of a ring (format 1), shared by the checksum and the codec.
 *
 * ```
 * magic     4 bytes  "QKVR"
 * format    u8       1
 * log2(Q)   u8       3..16
 * targetN   u8
 * version   varint   unsigned LEB128 (up to 2^53 - 1)
 * nodeCount varint
 * nodes     nodeCount × { id: str, address: str, zone: str, weight: f64 LE, state: u8 (0 active, 1 leaving) }
 *           sorted by id; str = varint byte length ‖ UTF-8 bytes
 * owners    Q × node index (u8 when nodeCount ≤ 256, else u16 LE)
 * checksum  u32 LE   low 32 bits of XXH64 (seed 0) of every preceding byte
 * ```
 */
import { xxHash64Low } from './hash.js';
import type { RingNode } from './types.js';
import { encodeUtf8 } from './utf8.js';

export const RING_MAGIC = [0x51, 0x4b, 0x56, 0x52] as const;
export const RING_FORMAT = 1;

/** The fields that define a ring; nodes must already be sorted by id. */
export interface RingFields {
  readonly version: number;
  readonly partitionCount: number;
  readonly targetN: number;
  readonly owners: readonly string[];
  readonly nodes: readonly RingNode[];
}

function varintSize(v: number): number {
  let size = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    size++;
  }
  return size;
}

class Writer {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  offset = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u8(v: number): void {
    this.bytes[this.offset++] = v;
  }
  varint(v: number): void {
    // Division, not shifts: versions may exceed 32 bits.
    while (v >= 128) {
      this.bytes[this.offset++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.bytes[this.offset++] = v;
  }
  raw(b: Uint8Array): void {
    this.varint(b.length);
    this.bytes.set(b, this.offset);
    this.offset += b.length;
  }
  f64(v: number): void {
    this.view.setFloat64(this.offset, v, true);
    this.offset += 8;
  }
  u16(v: number): void {
    this.view.setUint16(this.offset, v, true);
    this.offset += 2;
  }
  u32(v: number): void {
    this.view.setUint32(this.offset, v, true);
    this.offset += 4;
  }
}

/** Canonical encoding of `fields`, checksum included. */
export function encodeRingFields(fields: RingFields): Uint8Array {
  const strings = fields.nodes.map((n) => [encodeUtf8(n.id), encodeUtf8(n.address), encodeUtf8(n.zone)] as const);
  const index = new Map<string, number>();
  fields.nodes.forEach((n, i) => index.set(n.id, i));
  const wide = fields.nodes.length > 256;
  let size = 4 + 3 + varintSize(fields.version) + varintSize(fields.nodes.length);
  for (const [id, address, zone] of strings) {
    size += varintSize(id.length) + id.length + varintSize(address.length) + address.length;
    size += varintSize(zone.length) + zone.length + 8 + 1;
  }
  size += fields.partitionCount * (wide ? 2 : 1) + 4;

  const w = new Writer(size);
  for (const b of RING_MAGIC) w.u8(b);
  w.u8(RING_FORMAT);
  w.u8(31 - Math.clz32(fields.partitionCount));
  w.u8(fields.targetN);
  w.varint(fields.version);
  w.varint(fields.nodes.length);
  fields.nodes.forEach((node, i) => {
    const [id, address, zone] = strings[i]!;
    w.raw(id);
    w.raw(address);
    w.raw(zone);
    w.f64(node.weight);
    w.u8(node.state === 'active' ? 0 : 1);
  });
  for (const owner of fields.owners) {
    const i = index.get(owner)!;
    if (wide) w.u16(i);
    else w.u8(i);
  }
  w.u32(xxHash64Low(w.bytes, w.offset));
  return w.bytes;
}

/** The checksum as stored in the trailing u32 of an encoding, as 8 lower-case hex digits. */
export function checksumHex(encoded: Uint8Array): string {
  const n = encoded.length;
  const v = (encoded[n - 4]! | (encoded[n - 3]! << 8) | (encoded[n - 2]! << 16) | (encoded[n - 1]! << 24)) >>> 0;
  return v.toString(16).padStart(8, '0');
}
