import type { Awareness } from './awareness.js';
import type { GossipConfig } from './config.js';
import type { MembershipEvent } from './events.js';
import type { Gossip, GossipMessage } from './messages.js';

/**
 * What the protocol components share: injected clock, randomness and transport, plus the node's
 * outgoing update queue and event sink. Internal; the public surface is `Memberlist`.
 */
export interface NodeContext {
  readonly config: GossipConfig;
  readonly selfId: string;
  readonly selfAddress: string;
  readonly awareness: Awareness;
  now(): number;
  random(): number;
  send(toAddress: string, message: GossipMessage): void;
  emit(event: MembershipEvent): void;
  /** Queues an update for piggybacking; `subject` dedupes updates about the same thing. */
  broadcast(subject: string, gossip: Gossip): void;
  /** Piggyback payload for one outgoing message. */
  takeGossip(): Gossip[];
}
