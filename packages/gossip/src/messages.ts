/**
 * The gossip wire vocabulary as plain TypeScript types. `codec.ts` turns them into bytes; the
 * server maps each message to one of three RPCs with {@link messageChannel}.
 */

/** Lifecycle state of a member as seen by one node. */
export type MemberState = 'alive' | 'suspect' | 'dead' | 'left';

/** A member is (again) alive at `incarnation`, reachable at `address`, with application `meta`. */
export interface AliveGossip {
  kind: 'alive';
  id: string;
  address: string;
  incarnation: number;
  meta: Uint8Array;
}

/** `from` failed to reach member `id` at `incarnation`. */
export interface SuspectGossip {
  kind: 'suspect';
  id: string;
  incarnation: number;
  from: string;
}

/** `from` declared member `id` dead at `incarnation` after its suspicion timed out. */
export interface DeadGossip {
  kind: 'dead';
  id: string;
  incarnation: number;
  from: string;
}

/** Member `id` left gracefully at `incarnation`. */
export interface LeftGossip {
  kind: 'left';
  id: string;
  incarnation: number;
}

/** A cluster metadata entry; the highest `version` wins (ties: the larger value bytes). */
export interface MetadataGossip {
  kind: 'metadata';
  key: string;
  version: number;
  value: Uint8Array;
}

/** One piggybacked update. */
export type Gossip = AliveGossip | SuspectGossip | DeadGossip | LeftGossip | MetadataGossip;

/** Direct probe. `targetId` lets a node that now owns the address of a former member ignore it. */
export interface PingMessage {
  type: 'ping';
  seq: number;
  sourceId: string;
  /** Where the ack goes; transport-level sender addresses are not trusted to be listening addresses. */
  sourceAddress: string;
  targetId: string;
  gossip: Gossip[];
}

/** Asks the receiver to probe `targetId` on the sender's behalf and forward the ack. */
export interface PingReqMessage {
  type: 'ping-req';
  seq: number;
  sourceId: string;
  sourceAddress: string;
  targetId: string;
  targetAddress: string;
  /** If no ack arrives within this many ms the receiver answers with a nack (when `wantNack`). */
  timeoutMs: number;
  wantNack: boolean;
  gossip: Gossip[];
}

/** Answer to a ping (or forwarded answer to a ping-req), matching the prober's `seq`. */
export interface AckMessage {
  type: 'ack';
  seq: number;
  sourceId: string;
  gossip: Gossip[];
}

/** An indirect prober could not reach the target: evidence that the requester's own network works. */
export interface NackMessage {
  type: 'nack';
  seq: number;
  sourceId: string;
  gossip: Gossip[];
}

/** Gossip round: pending updates only. */
export interface GossipOnlyMessage {
  type: 'gossip';
  sourceId: string;
  gossip: Gossip[];
}

/** One member's entry in a push-pull state exchange. */
export interface MemberSnapshot {
  id: string;
  address: string;
  state: MemberState;
  incarnation: number;
  meta: Uint8Array;
}

/** One cluster metadata entry in a push-pull state exchange. */
export interface MetadataEntry {
  key: string;
  version: number;
  value: Uint8Array;
}

/** Full-state exchange; `join` marks a join request, `reply` the answer (which is not answered again). */
export interface PushPullMessage {
  type: 'push-pull';
  sourceId: string;
  sourceAddress: string;
  join: boolean;
  reply: boolean;
  members: MemberSnapshot[];
  metadata: MetadataEntry[];
}

/** Every message a node sends or receives. All are one-way. */
export type GossipMessage = PingMessage | PingReqMessage | AckMessage | NackMessage | GossipOnlyMessage | PushPullMessage;

/** The RPC a message travels on. */
export type MessageChannel = 'ping' | 'ping-req' | 'push-pull';

/**
 * Which of the server's three RPCs carries `message`: ping, ack, nack and gossip-round messages
 * use `ping` (small, latency-sensitive), ping-req uses `ping-req`, state exchange `push-pull`.
 */
export function messageChannel(message: GossipMessage): MessageChannel {
  switch (message.type) {
    case 'ping-req':
      return 'ping-req';
    case 'push-pull':
      return 'push-pull';
    default:
      return 'ping';
  }
}
