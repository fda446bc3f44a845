import { BytesError, ByteReader, ByteWriter, prefixedBytesSize, prefixedUtf8Size, varintSize } from '@quorumkv/bytes';
import { GossipCodecError } from './errors.js';
import type { Gossip, GossipMessage, MemberSnapshot, MemberState, MetadataEntry } from './messages.js';

/**
 * Binary codec of {@link GossipMessage}. Layout (all integers unsigned LEB128 varints ≤ 2^53-1 in
 * their one canonical encoding, strings and byte strings varint-length-prefixed, strings strict
 * UTF-8; the primitives are @quorumkv/bytes's):
 *
 * ```
 * message  = version:u8(=1) type:u8 body          (no trailing bytes allowed)
 * type     = 1 ping | 2 ping-req | 3 ack | 4 nack | 5 gossip | 6 push-pull
 * ping     = seq sourceId sourceAddress targetId gossips
 * ping-req = seq sourceId sourceAddress targetId targetAddress timeoutMs flags:u8(bit0 wantNack) gossips
 * ack/nack = seq sourceId gossips
 * gossip   = sourceId gossips
 * push-pull= sourceId sourceAddress flags:u8(bit0 join, bit1 reply) count member* count entry*
 * gossips  = count item*;  item = kind:u8 fields
 *   1 alive: id address incarnation meta   2 suspect: id incarnation from   3 dead: id incarnation from
 *   4 left: id incarnation                 5 metadata: key version value
 * member   = id address state:u8(0 alive,1 suspect,2 dead,3 left) incarnation meta
 * entry    = key version value
 * ```
 * A receiver seeing a different version byte rejects the message (`bad-version`): mixed-version
 * clusters must upgrade the codec in a compatible order, which version 1 does not yet need.
 */
export const CODEC_VERSION = 1;

const TYPE_CODES = { ping: 1, 'ping-req': 2, ack: 3, nack: 4, gossip: 5, 'push-pull': 6 } as const;
const KIND_CODES = { alive: 1, suspect: 2, dead: 3, left: 4, metadata: 5 } as const;
const STATES: readonly MemberState[] = ['alive', 'suspect', 'dead', 'left'];
const STATE_CODES: Record<MemberState, number> = { alive: 0, suspect: 1, dead: 2, left: 3 };

/** Encodes `message`; throws {@link GossipCodecError} (offset -1) if a field cannot be represented. */
export function encodeMessage(message: GossipMessage): Uint8Array {
  const code = TYPE_CODES[message.type];
  if (code === undefined) throw new GossipCodecError('unknown-type', -1);
  try {
    const w = new ByteWriter(new Uint8Array(messageSize(message)));
    w.u8(CODEC_VERSION);
    w.u8(code);
    writeBody(w, message);
    return w.finish();
  } catch (err) {
    throw codecError(err, -1);
  }
}

function writeBody(w: ByteWriter, message: GossipMessage): void {
  switch (message.type) {
    case 'ping':
      w.uvarint(message.seq);
      w.prefixedUtf8(message.sourceId);
      w.prefixedUtf8(message.sourceAddress);
      w.prefixedUtf8(message.targetId);
      writeGossips(w, message.gossip);
      break;
    case 'ping-req':
      w.uvarint(message.seq);
      w.prefixedUtf8(message.sourceId);
      w.prefixedUtf8(message.sourceAddress);
      w.prefixedUtf8(message.targetId);
      w.prefixedUtf8(message.targetAddress);
      w.uvarint(message.timeoutMs);
      w.u8(message.wantNack ? 1 : 0);
      writeGossips(w, message.gossip);
      break;
    case 'ack':
    case 'nack':
      w.uvarint(message.seq);
      w.prefixedUtf8(message.sourceId);
      writeGossips(w, message.gossip);
      break;
    case 'gossip':
      w.prefixedUtf8(message.sourceId);
      writeGossips(w, message.gossip);
      break;
    case 'push-pull':
      w.prefixedUtf8(message.sourceId);
      w.prefixedUtf8(message.sourceAddress);
      w.u8((message.join ? 1 : 0) | (message.reply ? 2 : 0));
      w.uvarint(message.members.length);
      for (const m of message.members) writeMember(w, m);
      w.uvarint(message.metadata.length);
      for (const e of message.metadata) writeEntry(w, e);
      break;
  }
}

/** Exact encoded size of `message`, computed before writing so the buffer is allocated once. */
function messageSize(message: GossipMessage): number {
  switch (message.type) {
    case 'ping':
      return 2 + varintSize(message.seq) + stringSize(message.sourceId) + stringSize(message.sourceAddress) + stringSize(message.targetId) + gossipsSize(message.gossip);
    case 'ping-req':
      return (
        2 +
        varintSize(message.seq) +
        stringSize(message.sourceId) +
        stringSize(message.sourceAddress) +
        stringSize(message.targetId) +
        stringSize(message.targetAddress) +
        varintSize(message.timeoutMs) +
        1 +
        gossipsSize(message.gossip)
      );
    case 'ack':
    case 'nack':
      return 2 + varintSize(message.seq) + stringSize(message.sourceId) + gossipsSize(message.gossip);
    case 'gossip':
      return 2 + stringSize(message.sourceId) + gossipsSize(message.gossip);
    case 'push-pull': {
      let size = 2 + stringSize(message.sourceId) + stringSize(message.sourceAddress) + 1 + varintSize(message.members.length) + varintSize(message.metadata.length);
      for (const m of message.members) size += stringSize(m.id) + stringSize(m.address) + 1 + varintSize(m.incarnation) + prefixedBytesSize(m.meta);
      for (const e of message.metadata) size += entrySize(e);
      return size;
    }
  }
}

function gossipsSize(items: readonly Gossip[]): number {
  let size = varintSize(items.length);
  for (const g of items) size += itemSize(g);
  return size;
}

function entrySize(e: MetadataEntry): number {
  return stringSize(e.key) + varintSize(e.version) + prefixedBytesSize(e.value);
}

/** Encoded size of a length-prefixed string; refuses what is not a string before measuring it. */
function stringSize(text: string): number {
  if (typeof text !== 'string') throw new GossipCodecError('not-a-string', -1);
  return prefixedUtf8Size(text);
}

/** Decodes bytes produced by {@link encodeMessage}; any malformed input throws {@link GossipCodecError}. */
export function decodeMessage(bytes: Uint8Array): GossipMessage {
  if (!(bytes instanceof Uint8Array)) throw new GossipCodecError('not-bytes', 0);
  try {
    return readMessage(new ByteReader(bytes));
  } catch (err) {
    throw codecError(err, 0);
  }
}

function readMessage(r: ByteReader): GossipMessage {
  const version = r.u8();
  if (version !== CODEC_VERSION) throw new GossipCodecError('bad-version', 0);
  const type = r.u8();
  let message: GossipMessage;
  switch (type) {
    case 1:
      message = { type: 'ping', seq: r.uvarint(), sourceId: r.prefixedUtf8(), sourceAddress: r.prefixedUtf8(), targetId: r.prefixedUtf8(), gossip: readGossips(r) };
      break;
    case 2: {
      const seq = r.uvarint();
      const sourceId = r.prefixedUtf8();
      const sourceAddress = r.prefixedUtf8();
      const targetId = r.prefixedUtf8();
      const targetAddress = r.prefixedUtf8();
      const timeoutMs = r.uvarint();
      const flags = r.u8();
      if (flags > 1) fail(r, 'bad-flags');
      message = { type: 'ping-req', seq, sourceId, sourceAddress, targetId, targetAddress, timeoutMs, wantNack: flags === 1, gossip: readGossips(r) };
      break;
    }
    case 3:
    case 4:
      message = { type: type === 3 ? 'ack' : 'nack', seq: r.uvarint(), sourceId: r.prefixedUtf8(), gossip: readGossips(r) };
      break;
    case 5:
      message = { type: 'gossip', sourceId: r.prefixedUtf8(), gossip: readGossips(r) };
      break;
    case 6: {
      const sourceId = r.prefixedUtf8();
      const sourceAddress = r.prefixedUtf8();
      const flags = r.u8();
      if (flags > 3) fail(r, 'bad-flags');
      const members: MemberSnapshot[] = [];
      for (let n = r.count(5); n > 0; n--) members.push(readMember(r));
      const metadata: MetadataEntry[] = [];
      for (let n = r.count(3); n > 0; n--) metadata.push({ key: r.prefixedUtf8(), version: r.uvarint(), value: bytes(r) });
      message = { type: 'push-pull', sourceId, sourceAddress, join: (flags & 1) !== 0, reply: (flags & 2) !== 0, members, metadata };
      break;
    }
    default:
      throw new GossipCodecError('unknown-type', 1);
  }
  r.expectEnd();
  return message;
}

/** Encoded size of one piggybacked item, used to fill messages up to `maxPiggybackBytes`. */
export function gossipSize(g: Gossip): number {
  try {
    return itemSize(g);
  } catch (err) {
    throw codecError(err, -1);
  }
}

function itemSize(g: Gossip): number {
  switch (g.kind) {
    case 'alive':
      return 1 + stringSize(g.id) + stringSize(g.address) + varintSize(g.incarnation) + prefixedBytesSize(g.meta);
    case 'suspect':
    case 'dead':
      return 1 + stringSize(g.id) + varintSize(g.incarnation) + stringSize(g.from);
    case 'left':
      return 1 + stringSize(g.id) + varintSize(g.incarnation);
    case 'metadata':
      return 1 + entrySize(g);
  }
}

function writeGossips(w: ByteWriter, items: readonly Gossip[]): void {
  w.uvarint(items.length);
  for (const g of items) {
    const code = KIND_CODES[g.kind];
    if (code === undefined) throw new GossipCodecError('unknown-gossip-kind', -1);
    w.u8(code);
    switch (g.kind) {
      case 'alive':
        w.prefixedUtf8(g.id);
        w.prefixedUtf8(g.address);
        w.uvarint(g.incarnation);
        w.prefixedBytes(g.meta);
        break;
      case 'suspect':
      case 'dead':
        w.prefixedUtf8(g.id);
        w.uvarint(g.incarnation);
        w.prefixedUtf8(g.from);
        break;
      case 'left':
        w.prefixedUtf8(g.id);
        w.uvarint(g.incarnation);
        break;
      case 'metadata':
        w.prefixedUtf8(g.key);
        w.uvarint(g.version);
        w.prefixedBytes(g.value);
        break;
    }
  }
}

function readGossips(r: ByteReader): Gossip[] {
  const items: Gossip[] = [];
  for (let n = r.count(3); n > 0; n--) {
    const kind = r.u8();
    switch (kind) {
      case 1:
        items.push({ kind: 'alive', id: r.prefixedUtf8(), address: r.prefixedUtf8(), incarnation: r.uvarint(), meta: bytes(r) });
        break;
      case 2:
      case 3:
        items.push({ kind: kind === 2 ? 'suspect' : 'dead', id: r.prefixedUtf8(), incarnation: r.uvarint(), from: r.prefixedUtf8() });
        break;
      case 4:
        items.push({ kind: 'left', id: r.prefixedUtf8(), incarnation: r.uvarint() });
        break;
      case 5:
        items.push({ kind: 'metadata', key: r.prefixedUtf8(), version: r.uvarint(), value: bytes(r) });
        break;
      default:
        fail(r, 'unknown-gossip-kind');
    }
  }
  return items;
}

function writeMember(w: ByteWriter, m: MemberSnapshot): void {
  w.prefixedUtf8(m.id);
  w.prefixedUtf8(m.address);
  const state = STATE_CODES[m.state];
  if (state === undefined) throw new GossipCodecError('unknown-state', -1);
  w.u8(state);
  w.uvarint(m.incarnation);
  w.prefixedBytes(m.meta);
}

function readMember(r: ByteReader): MemberSnapshot {
  const id = r.prefixedUtf8();
  const address = r.prefixedUtf8();
  const state = STATES[r.u8()];
  if (state === undefined) fail(r, 'unknown-state');
  return { id, address, state, incarnation: r.uvarint(), meta: bytes(r) };
}

function writeEntry(w: ByteWriter, e: MetadataEntry): void {
  w.prefixedUtf8(e.key);
  w.uvarint(e.version);
  w.prefixedBytes(e.value);
}

/** A length-prefixed byte string, copied out of the message (decoded state outlives the buffer). */
function bytes(r: ByteReader): Uint8Array {
  return r.prefixedView().slice();
}

function fail(r: ByteReader, reason: string): never {
  throw new GossipCodecError(reason, r.pos);
}

/**
 * `err` as this codec reports it: a failure of @quorumkv/bytes becomes a GossipCodecError, at its
 * byte offset when decoding and at -1 when encoding (`offset`); anything else is returned as is.
 */
function codecError(err: unknown, offset: 0 | -1): unknown {
  if (!(err instanceof BytesError)) return err;
  return new GossipCodecError(reasonOf(err), offset === 0 ? err.offset : -1, { cause: err });
}

/** The gossip codec's name for a byte-level failure (its reasons predate @quorumkv/bytes). */
function reasonOf(err: BytesError): string {
  switch (err.reason) {
    case 'overlong-varint':
      return 'varint-too-long';
    case 'varint-out-of-range':
      return 'varint-overflow';
    case 'invalid-utf8':
      return 'bad-utf8';
    default:
      return err.reason;
  }
}
