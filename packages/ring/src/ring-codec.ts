import { BytesError, ByteReader } from '@quorumkv/bytes';
import { CorruptRingError, RingError } from './errors.js';
import { xxHash64Low } from './hash.js';
import { RING_FORMAT, RING_FORMAT_TRANSITION, RING_MAGIC, encodeRingFields, type RingFields } from './ring-encoding.js';
import { buildRing } from './ring-value.js';
import type { NodeState, Ring, RingNode, RingTransition } from './types.js';

/**
 * Compact, versioned binary encoding of a ring (layout in ring-encoding.ts and the README).
 * The same ring always encodes to the same bytes; its last 4 bytes are the ring's checksum.
 */
export function encodeRing(ring: Ring): Uint8Array {
  return encodeRingFields(ring);
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
  const format = bytes[4];
  if (format !== RING_FORMAT && format !== RING_FORMAT_TRANSITION) {
    throw new CorruptRingError(`unsupported format ${format} (this build reads ${RING_FORMAT} and ${RING_FORMAT_TRANSITION})`);
  }
  const body = bytes.length - 4;
  const stored =
    (bytes[body]! | (bytes[body + 1]! << 8) | (bytes[body + 2]! << 16) | (bytes[body + 3]! << 24)) >>> 0;
  const actual = xxHash64Low(bytes, body);
  if (stored !== actual) {
    throw new CorruptRingError(
      `checksum mismatch (stored ${stored.toString(16).padStart(8, '0')}, computed ${actual.toString(16).padStart(8, '0')}): truncated or corrupted`,
    );
  }

  const fields = decodeFields(new ByteReader(bytes, RING_MAGIC.length + 1, body), format === RING_FORMAT_TRANSITION);
  try {
    return buildRing(fields);
  } catch (err) {
    if (err instanceof RingError && !(err instanceof CorruptRingError)) throw new CorruptRingError(err.message);
    throw err;
  }
}

/** The ring's fields from the body between the format byte and the checksum. */
function decodeFields(r: ByteReader, withTransition: boolean): RingFields {
  try {
    const log2q = r.u8();
    if (log2q < 3 || log2q > 16) throw new CorruptRingError(`partition count 2^${log2q} out of range`);
    const partitionCount = 2 ** log2q;
    const targetN = r.u8();
    const version = r.uvarint();
    const { nodes, owners } = decodeOwnedNodes(r, partitionCount, '');
    const transition = withTransition ? decodeTransition(r, partitionCount) : undefined;
    if (r.remaining !== 0) throw new CorruptRingError(`${r.remaining} unexpected bytes before the checksum`);
    return { version, partitionCount, targetN, owners, nodes, ...(transition ? { transition } : {}) };
  } catch (err) {
    if (err instanceof BytesError) throw new CorruptRingError(`${err.reason}: ${err.message}`);
    throw err;
  }
}

function decodeTransition(r: ByteReader, partitionCount: number): RingTransition {
  const n = r.u8();
  const targetN = r.u8();
  const since = r.uvarint();
  const { nodes, owners } = decodeOwnedNodes(r, partitionCount, 'target ');
  const done = new Array<boolean>(partitionCount);
  for (let i = 0; i < partitionCount / 8; i++) {
    const byte = r.u8();
    // Q is a power of two >= 8, so the bitmap has no spare bits.
    for (let bit = 0; bit < 8; bit++) done[i * 8 + bit] = (byte & (1 << bit)) !== 0;
  }
  return { n, targetN, since, nodes, owners, done };
}

/** A node list and the owner table indexing it (`what` names which, in errors). */
function decodeOwnedNodes(r: ByteReader, partitionCount: number, what: string): { nodes: RingNode[]; owners: string[] } {
  const nodeCount = r.uvarint();
  if (nodeCount === 0 || nodeCount > 65536) throw new CorruptRingError(`${what}node count ${nodeCount} out of range`);
  const nodes: RingNode[] = [];
  for (let i = 0; i < nodeCount; i++) {
    const id = r.prefixedUtf8();
    const address = r.prefixedUtf8();
    const zone = r.prefixedUtf8();
    const weight = r.f64le();
    const stateByte = r.u8();
    if (stateByte > 1) throw new CorruptRingError(`${what}node ${i} has unknown state ${stateByte}`);
    const state: NodeState = stateByte === 0 ? 'active' : 'leaving';
    if (i > 0 && !(nodes[i - 1]!.id < id)) throw new CorruptRingError(`${what}node ids not strictly sorted at node ${i}`);
    nodes.push({ id, address, zone, weight, state });
  }
  const wide = nodeCount > 256;
  const owners = new Array<string>(partitionCount);
  for (let p = 0; p < partitionCount; p++) {
    const i = wide ? r.u16le() : r.u8();
    if (i >= nodeCount) throw new CorruptRingError(`${what}owner of partition ${p} is node index ${i}, only ${nodeCount} nodes`);
    owners[p] = nodes[i]!.id;
  }
  return { nodes, owners };
}
