import { CorruptRingError, RingError } from './errors.js';
import { xxHash64Low } from './hash.js';
import { RING_FORMAT, RING_MAGIC, encodeRingFields } from './ring-encoding.js';
import { buildRing } from './ring-value.js';
import type { NodeState, Ring, RingNode } from './types.js';

/**
 * Compact, versioned binary encoding of a ring (layout in ring-encoding.ts and the README).
 * The same ring always encodes to the same bytes; its last 4 bytes are the ring's checksum.
 */
export function encodeRing(ring: Ring): Uint8Array {
  return encodeRingFields(ring);
}

// The pure build has no DOM typings; TextDecoder exists in every runtime we target.
const utf8 = new (
  globalThis as unknown as {
    TextDecoder: new (label: string, options: { fatal: boolean }) => { decode(bytes: Uint8Array): string };
  }
).TextDecoder('utf-8', { fatal: true });

class Reader {
  offset = 0;
  private readonly view: DataView;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly end: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private need(n: number, what: string): void {
    if (this.offset + n > this.end) throw new CorruptRingError(`truncated while reading ${what} at byte ${this.offset}`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.offset++]!;
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.offset, true);
    this.offset += 2;
    return v;
  }
  f64(what: string): number {
    this.need(8, what);
    const v = this.view.getFloat64(this.offset, true);
    this.offset += 8;
    return v;
  }
  varint(what: string): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const b = this.u8(what);
      value += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 128;
      if (scale > 2 ** 49) throw new CorruptRingError(`${what} varint too long at byte ${this.offset}`);
    }
    if (!Number.isSafeInteger(value)) throw new CorruptRingError(`${what} out of range`);
    return value;
  }
  str(what: string): string {
    const len = this.varint(`${what} length`);
    this.need(len, what);
    const start = this.offset;
    this.offset += len;
    try {
      return utf8.decode(this.bytes.subarray(start, start + len));
    } catch {
      throw new CorruptRingError(`${what} is not valid UTF-8 at byte ${start}`);
    }
  }
}

/**
 * Decodes bytes made by {@link encodeRing}.
 * @throws CorruptRingError if the bytes are truncated, fail the checksum, have an unknown
 *   magic/format, or describe an invalid ring.
 */
export function decodeRing(bytes: Uint8Array): Ring {
  if (!(bytes instanceof Uint8Array)) throw new CorruptRingError('input is not a Uint8Array');
  if (bytes.length < RING_MAGIC.length + 3 + 2 + 4) throw new CorruptRingError(`truncated: only ${bytes.length} bytes`);
  for (let i = 0; i < RING_MAGIC.length; i++) {
    if (bytes[i] !== RING_MAGIC[i]) throw new CorruptRingError('bad magic: not an encoded ring');
  }
  if (bytes[4] !== RING_FORMAT) throw new CorruptRingError(`unsupported format ${bytes[4]} (this build reads ${RING_FORMAT})`);
  const body = bytes.length - 4;
  const stored =
    (bytes[body]! | (bytes[body + 1]! << 8) | (bytes[body + 2]! << 16) | (bytes[body + 3]! << 24)) >>> 0;
  const actual = xxHash64Low(bytes, body);
  if (stored !== actual) {
    throw new CorruptRingError(
      `checksum mismatch (stored ${stored.toString(16).padStart(8, '0')}, computed ${actual.toString(16).padStart(8, '0')}): truncated or corrupted`,
    );
  }

  const r = new Reader(bytes, body);
  r.offset = RING_MAGIC.length + 1;
  const log2q = r.u8('log2(partitionCount)');
  if (log2q < 3 || log2q > 16) throw new CorruptRingError(`partition count 2^${log2q} out of range`);
  const partitionCount = 2 ** log2q;
  const targetN = r.u8('targetN');
  const version = r.varint('version');
  const nodeCount = r.varint('node count');
  if (nodeCount === 0 || nodeCount > 65536) throw new CorruptRingError(`node count ${nodeCount} out of range`);
  const nodes: RingNode[] = [];
  for (let i = 0; i < nodeCount; i++) {
    const id = r.str(`node ${i} id`);
    const address = r.str(`node ${i} address`);
    const zone = r.str(`node ${i} zone`);
    const weight = r.f64(`node ${i} weight`);
    const stateByte = r.u8(`node ${i} state`);
    if (stateByte > 1) throw new CorruptRingError(`node ${i} has unknown state ${stateByte}`);
    const state: NodeState = stateByte === 0 ? 'active' : 'leaving';
    if (i > 0 && !(nodes[i - 1]!.id < id)) throw new CorruptRingError(`node ids not strictly sorted at node ${i}`);
    nodes.push({ id, address, zone, weight, state });
  }
  const wide = nodeCount > 256;
  const owners = new Array<string>(partitionCount);
  for (let p = 0; p < partitionCount; p++) {
    const i = wide ? r.u16(`owner of partition ${p}`) : r.u8(`owner of partition ${p}`);
    if (i >= nodeCount) throw new CorruptRingError(`owner of partition ${p} is node index ${i}, only ${nodeCount} nodes`);
    owners[p] = nodes[i]!.id;
  }
  if (r.offset !== body) throw new CorruptRingError(`${body - r.offset} unexpected bytes before the checksum`);
  try {
    return buildRing({ version, partitionCount, targetN, owners, nodes });
  } catch (err) {
    if (err instanceof RingError && !(err instanceof CorruptRingError)) throw new CorruptRingError(err.message);
    throw err;
  }
}
