// Random well-formed SWIM messages, encoded with the gossip codec, for the bytes MembershipService
// carries. Every member they name is a stranger (`zz-fuzz-…`, sorting after real node ids, so a
// fake member never becomes claimant) at the sink address, and metadata keys are random, so a
// message can add strangers but never speaks for a real node or overwrites the ring or a bucket.
import { encodeMessage, type Gossip, type GossipMessage, type MemberState } from '@quorumkv/gossip';
import type { FuzzRandom } from './fuzz-random.js';

const STATES: readonly MemberState[] = ['alive', 'suspect', 'dead', 'left'];

/** Encodes a random gossip message; `address` is where every member it names is said to be. */
export function randomGossipBytes(random: FuzzRandom, address: string): Uint8Array {
  return encodeMessage(randomGossipMessage(random, address));
}

function randomGossipMessage(r: FuzzRandom, address: string): GossipMessage {
  const sourceId = stranger(r);
  const seq = r.int(0, 2 ** 31 - 1);
  const gossip = (): Gossip[] => Array.from({ length: r.int(0, 4) }, () => randomGossip(r, address));
  switch (r.int(0, 5)) {
    case 0:
      return { type: 'ping', seq, sourceId, sourceAddress: address, targetId: stranger(r), gossip: gossip() };
    case 1:
      return { type: 'ping-req', seq, sourceId, sourceAddress: address, targetId: stranger(r), targetAddress: address, timeoutMs: r.int(0, 2000), wantNack: r.chance(0.5), gossip: gossip() };
    case 2:
      return { type: 'ack', seq, sourceId, gossip: gossip() };
    case 3:
      return { type: 'nack', seq, sourceId, gossip: gossip() };
    case 4:
      return { type: 'gossip', sourceId, gossip: gossip() };
    default:
      return {
        type: 'push-pull',
        sourceId,
        sourceAddress: address,
        join: r.chance(0.5),
        reply: r.chance(0.5),
        members: Array.from({ length: r.int(0, 4) }, () => ({ id: stranger(r), address, state: r.pick(STATES), incarnation: r.int(0, 1000), meta: r.bytes(r.int(0, 32)) })),
        metadata: Array.from({ length: r.int(0, 2) }, () => ({ key: `zz-fuzz-${r.int(0, 1e9)}`, version: r.int(0, 1000), value: r.bytes(r.int(0, 64)) })),
      };
  }
}

function randomGossip(r: FuzzRandom, address: string): Gossip {
  const id = stranger(r);
  const incarnation = r.int(0, 1000);
  switch (r.int(0, 4)) {
    case 0:
      return { kind: 'alive', id, address, incarnation, meta: r.bytes(r.int(0, 32)) };
    case 1:
      return { kind: 'suspect', id, incarnation, from: stranger(r) };
    case 2:
      return { kind: 'dead', id, incarnation, from: stranger(r) };
    case 3:
      return { kind: 'left', id, incarnation };
    default:
      return { kind: 'metadata', key: `zz-fuzz-${r.int(0, 1e9)}`, version: r.int(0, 1000), value: r.bytes(r.int(0, 64)) };
  }
}

/** A member id no real node has: few distinct ones, so strangers are also seen again. */
function stranger(r: FuzzRandom): string {
  return `zz-fuzz-${r.int(0, 63)}`;
}
