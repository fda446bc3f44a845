/**
 * The canonical binary layout of a ring, shared by the checksum and the codec.
 *
 * ```
 * magic     4 bytes  "QKVR"
 * format    u8       1 (no transition) or 2 (a transition follows the owners)
 * log2(Q)   u8       3..16
 * targetN   u8
 * version   varint   unsigned LEB128 (up to 2^53 - 1)
 * nodes     varint count, then count × { id: str, address: str, zone: str, weight: f64 LE,
 *           state: u8 (0 active, 1 leaving) } sorted by id; str = varint byte length ‖ UTF-8 bytes
 * owners    Q × node index (u8 when the node count ≤ 256, else u16 LE)
 * -- format 2 only: the transition --
 * n         u8       replica count the transfers were computed for
 * targetN   u8       of the target ring
 * since     varint   ring version at which the transition began
 * nodes     the target members, same layout as above
 * owners    Q × index into the target members
 * done      Q/8 bytes, bit (p mod 8) of byte floor(p/8) set when partition p is done
 * -- always --
 * checksum  u32 LE   low 32 bits of XXH64 (seed 0) of every preceding byte
 * ```
 * A ring without a transition is always written in format 1, so its bytes and checksum are the
 * same as before transitions existed.
 */
import { ByteWriter, encodeUtf8, prefixedBytesSize, varintSize } from '@quorumkv/bytes';
import { xxHash64Low } from './hash.js';
import type { RingNode, RingTransition } from './types.js';

export const RING_MAGIC = [0x51, 0x4b, 0x56, 0x52] as const;
/** Format of a ring without a transition. */
export const RING_FORMAT = 1;
/** Format of a ring with a transition. */
export const RING_FORMAT_TRANSITION = 2;

/** The fields that define a ring; nodes must already be sorted by id. */
export interface RingFields {
  readonly version: number;
  readonly partitionCount: number;
  readonly targetN: number;
  readonly owners: readonly string[];
  readonly nodes: readonly RingNode[];
  readonly transition?: RingTransition;
}

/** A node list with its owner table, encoded the same way for the current and the target ring. */
class OwnedNodes {
  private readonly strings: (readonly [Uint8Array, Uint8Array, Uint8Array])[];
  private readonly wide: boolean;
  readonly size: number;

  constructor(
    private readonly nodes: readonly RingNode[],
    private readonly owners: readonly string[],
  ) {
    this.strings = nodes.map((n) => [encodeUtf8(n.id), encodeUtf8(n.address), encodeUtf8(n.zone)] as const);
    this.wide = nodes.length > 256;
    let size = varintSize(nodes.length);
    for (const [id, address, zone] of this.strings) size += prefixedBytesSize(id) + prefixedBytesSize(address) + prefixedBytesSize(zone) + 8 + 1;
    this.size = size + owners.length * (this.wide ? 2 : 1);
  }

  write(w: ByteWriter): void {
    const index = new Map<string, number>();
    w.uvarint(this.nodes.length);
    this.nodes.forEach((node, i) => {
      index.set(node.id, i);
      const [id, address, zone] = this.strings[i]!;
      w.prefixedBytes(id);
      w.prefixedBytes(address);
      w.prefixedBytes(zone);
      w.f64le(node.weight);
      w.u8(node.state === 'active' ? 0 : 1);
    });
    for (const owner of this.owners) {
      const i = index.get(owner)!;
      if (this.wide) w.u16le(i);
      else w.u8(i);
    }
  }
}

/**
 * Canonical encoding of `fields`, checksum included.
 * @throws BytesError (`lone-surrogate`) when a node's id, address or zone cannot be UTF-8
 */
export function encodeRingFields(fields: RingFields): Uint8Array {
  const current = new OwnedNodes(fields.nodes, fields.owners);
  const t = fields.transition;
  const target = t === undefined ? undefined : new OwnedNodes(t.nodes, t.owners);
  const doneBytes = fields.partitionCount / 8;
  let size = 4 + 3 + varintSize(fields.version) + current.size + 4;
  if (t !== undefined && target !== undefined) size += 2 + varintSize(t.since) + target.size + doneBytes;

  const w = new ByteWriter(new Uint8Array(size));
  for (const b of RING_MAGIC) w.u8(b);
  w.u8(t === undefined ? RING_FORMAT : RING_FORMAT_TRANSITION);
  w.u8(31 - Math.clz32(fields.partitionCount));
  w.u8(fields.targetN);
  w.uvarint(fields.version);
  current.write(w);
  if (t !== undefined && target !== undefined) {
    w.u8(t.n);
    w.u8(t.targetN);
    w.uvarint(t.since);
    target.write(w);
    for (let i = 0; i < doneBytes; i++) {
      let byte = 0;
      for (let bit = 0; bit < 8; bit++) if (t.done[i * 8 + bit] === true) byte |= 1 << bit;
      w.u8(byte);
    }
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
