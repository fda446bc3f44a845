import { GossipCodecError } from './errors.js';
import type { Gossip, GossipMessage, MemberSnapshot, MemberState, MetadataEntry } from './messages.js';
import { ByteReader, ByteWriter, stringSize, varintSize } from './wire.js';

/**
 * Binary codec of {@link GossipMessage}. Layout (all integers unsigned LEB128 varints ≤ 2^53-1,
 * strings and byte strings varint-length-prefixed, strings UTF-8):
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
  const w = new ByteWriter();
  w.byte(CODEC_VERSION);
  const code = TYPE_CODES[message.type];
  if (code === undefined) throw new GossipCodecError('unknown-type', -1);
  w.byte(code);
  switch (message.type) {
    case 'ping':
      w.varint(message.seq);
      w.string(message.sourceId);
      w.string(message.sourceAddress);
      w.string(message.targetId);
      writeGossips(w, message.gossip);
      break;
    case 'ping-req':
      w.varint(message.seq);
      w.string(message.sourceId);
      w.string(message.sourceAddress);
      w.string(message.targetId);
      w.string(message.targetAddress);
      w.varint(message.timeoutMs);
      w.byte(message.wantNack ? 1 : 0);
      writeGossips(w, message.gossip);
      break;
    case 'ack':
    case 'nack':
      w.varint(message.seq);
      w.string(message.sourceId);
      writeGossips(w, message.gossip);
      break;
    case 'gossip':
      w.string(message.sourceId);
      writeGossips(w, message.gossip);
      break;
    case 'push-pull':
      w.string(message.sourceId);
      w.string(message.sourceAddress);
      w.byte((message.join ? 1 : 0) | (message.reply ? 2 : 0));
      w.varint(message.members.length);
      for (const m of message.members) writeMember(w, m);
      w.varint(message.metadata.length);
      for (const e of message.metadata) writeEntry(w, e);
      break;
  }
  return w.finish();
}

/** Decodes bytes produced by {@link encodeMessage}; any malformed input throws {@link GossipCodecError}. */
export function decodeMessage(bytes: Uint8Array): GossipMessage {
  if (!(bytes instanceof Uint8Array)) throw new GossipCodecError('not-bytes', 0);
  const r = new ByteReader(bytes);
  const version = r.byte();
  if (version !== CODEC_VERSION) throw new GossipCodecError('bad-version', 0);
  const type = r.byte();
  let message: GossipMessage;
  switch (type) {
    case 1:
      message = { type: 'ping', seq: r.varint(), sourceId: r.string(), sourceAddress: r.string(), targetId: r.string(), gossip: readGossips(r) };
      break;
    case 2: {
      const seq = r.varint();
      const sourceId = r.string();
      const sourceAddress = r.string();
      const targetId = r.string();
      const targetAddress = r.string();
      const timeoutMs = r.varint();
      const flags = r.byte();
      if (flags > 1) r.fail('bad-flags');
      message = { type: 'ping-req', seq, sourceId, sourceAddress, targetId, targetAddress, timeoutMs, wantNack: flags === 1, gossip: readGossips(r) };
      break;
    }
    case 3:
    case 4:
      message = { type: type === 3 ? 'ack' : 'nack', seq: r.varint(), sourceId: r.string(), gossip: readGossips(r) };
      break;
    case 5:
      message = { type: 'gossip', sourceId: r.string(), gossip: readGossips(r) };
      break;
    case 6: {
      const sourceId = r.string();
      const sourceAddress = r.string();
      const flags = r.byte();
      if (flags > 3) r.fail('bad-flags');
      const members: MemberSnapshot[] = [];
      for (let n = r.count(5); n > 0; n--) members.push(readMember(r));
      const metadata: MetadataEntry[] = [];
      for (let n = r.count(3); n > 0; n--) metadata.push({ key: r.string(), version: r.varint(), value: r.bytes() });
      message = { type: 'push-pull', sourceId, sourceAddress, join: (flags & 1) !== 0, reply: (flags & 2) !== 0, members, metadata };
      break;
    }
    default:
      throw new GossipCodecError('unknown-type', 1);
  }
  if (r.remaining !== 0) r.fail('trailing-bytes');
  return message;
}

/** Encoded size of one piggybacked item, used to fill messages up to `maxPiggybackBytes`. */
export function gossipSize(g: Gossip): number {
  switch (g.kind) {
    case 'alive':
      return 1 + stringSize(g.id) + stringSize(g.address) + varintSize(g.incarnation) + varintSize(g.meta.length) + g.meta.length;
    case 'suspect':
    case 'dead':
      return 1 + stringSize(g.id) + varintSize(g.incarnation) + stringSize(g.from);
    case 'left':
      return 1 + stringSize(g.id) + varintSize(g.incarnation);
    case 'metadata':
      return 1 + stringSize(g.key) + varintSize(g.version) + varintSize(g.value.length) + g.value.length;
  }
}

function writeGossips(w: ByteWriter, items: readonly Gossip[]): void {
  w.varint(items.length);
  for (const g of items) {
    const code = KIND_CODES[g.kind];
    if (code === undefined) throw new GossipCodecError('unknown-gossip-kind', -1);
    w.byte(code);
    switch (g.kind) {
      case 'alive':
        w.string(g.id);
        w.string(g.address);
        w.varint(g.incarnation);
        w.bytes(g.meta);
        break;
      case 'suspect':
      case 'dead':
        w.string(g.id);
        w.varint(g.incarnation);
        w.string(g.from);
        break;
      case 'left':
        w.string(g.id);
        w.varint(g.incarnation);
        break;
      case 'metadata':
        w.string(g.key);
        w.varint(g.version);
        w.bytes(g.value);
        break;
    }
  }
}

function readGossips(r: ByteReader): Gossip[] {
  const items: Gossip[] = [];
  for (let n = r.count(3); n > 0; n--) {
    const kind = r.byte();
    switch (kind) {
      case 1:
        items.push({ kind: 'alive', id: r.string(), address: r.string(), incarnation: r.varint(), meta: r.bytes() });
        break;
      case 2:
      case 3:
        items.push({ kind: kind === 2 ? 'suspect' : 'dead', id: r.string(), incarnation: r.varint(), from: r.string() });
        break;
      case 4:
        items.push({ kind: 'left', id: r.string(), incarnation: r.varint() });
        break;
      case 5:
        items.push({ kind: 'metadata', key: r.string(), version: r.varint(), value: r.bytes() });
        break;
      default:
        r.fail('unknown-gossip-kind');
    }
  }
  return items;
}

function writeMember(w: ByteWriter, m: MemberSnapshot): void {
  w.string(m.id);
  w.string(m.address);
  const state = STATE_CODES[m.state];
  if (state === undefined) throw new GossipCodecError('unknown-state', -1);
  w.byte(state);
  w.varint(m.incarnation);
  w.bytes(m.meta);
}

function readMember(r: ByteReader): MemberSnapshot {
  const id = r.string();
  const address = r.string();
  const state = STATES[r.byte()];
  if (state === undefined) r.fail('unknown-state');
  return { id, address, state, incarnation: r.varint(), meta: r.bytes() };
}

function writeEntry(w: ByteWriter, e: MetadataEntry): void {
  w.string(e.key);
  w.varint(e.version);
  w.bytes(e.value);
}
