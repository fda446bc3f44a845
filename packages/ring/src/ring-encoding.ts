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
import { ByteWriter, encodeUtf8, prefixedBytesSize, varintSize } from '@quorumkv/bytes';
import { xxHash64Low } from './hash.js';
import type { RingNode } from './types.js';

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

/**
 * Canonical encoding of `fields`, checksum included.
 * @throws BytesError (`lone-surrogate`) when a node's id, address or zone cannot be UTF-8
 */
export function encodeRingFields(fields: RingFields): Uint8Array {
  const strings = fields.nodes.map((n) => [encodeUtf8(n.id), encodeUtf8(n.address), encodeUtf8(n.zone)] as const);
  const index = new Map<string, number>();
  fields.nodes.forEach((n, i) => index.set(n.id, i));
  const wide = fields.nodes.length > 256;
  let size = 4 + 3 + varintSize(fields.version) + varintSize(fields.nodes.length);
  for (const [id, address, zone] of strings) size += prefixedBytesSize(id) + prefixedBytesSize(address) + prefixedBytesSize(zone) + 8 + 1;
  size += fields.partitionCount * (wide ? 2 : 1) + 4;

  const w = new ByteWriter(new Uint8Array(size));
  for (const b of RING_MAGIC) w.u8(b);
  w.u8(RING_FORMAT);
  w.u8(31 - Math.clz32(fields.partitionCount));
  w.u8(fields.targetN);
  w.uvarint(fields.version);
  w.uvarint(fields.nodes.length);
  fields.nodes.forEach((node, i) => {
    const [id, address, zone] = strings[i]!;
    w.prefixedBytes(id);
    w.prefixedBytes(address);
    w.prefixedBytes(zone);
    w.f64le(node.weight);
    w.u8(node.state === 'active' ? 0 : 1);
  });
  for (const owner of fields.owners) {
    const i = index.get(owner)!;
    if (wide) w.u16le(i);
    else w.u8(i);
  }
  w.u32le(xxHash64Low(w.buf, w.pos));
  return w.finish();
}

/** The checksum as stored in the trailing u32 of an encoding, as 8 lower-case hex digits. */
export function checksumHex(encoded: Uint8Array): string {
  const n = encoded.length;
  const v = (encoded[n - 4]! | (encoded[n - 3]! << 8) | (encoded[n - 2]! << 16) | (encoded[n - 1]! << 24)) >>> 0;
  return v.toString(16).padStart(8, '0');
}
