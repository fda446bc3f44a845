/**
 * @quorumkv/gossip — SWIM membership with memberlist's and Lifeguard's refinements, plus cluster
 * metadata dissemination. Pure: clock, randomness and transport are injected.
 */
export { createMemberlist, Memberlist } from './memberlist.js';
export type { GossipTransport, MemberlistOptions } from './memberlist.js';
export { DEFAULT_GOSSIP_CONFIG, resolveConfig } from './config.js';
export type { GossipConfig } from './config.js';
export { GossipCodecError, GossipConfigError, GossipStateError } from './errors.js';
export type { MemberEvent, MemberEventType, MemberInfo, MembershipEvent, MembershipListener, MetadataEvent } from './events.js';
export { CODEC_VERSION, decodeMessage, encodeMessage } from './codec.js';
export { messageChannel } from './messages.js';
export type {
  AckMessage,
  AliveGossip,
  DeadGossip,
  Gossip,
  GossipMessage,
  GossipOnlyMessage,
  LeftGossip,
  MemberSnapshot,
  MemberState,
  MessageChannel,
  MetadataEntry,
  MetadataGossip,
  NackMessage,
  PingMessage,
  PingReqMessage,
  PushPullMessage,
  SuspectGossip,
} from './messages.js';
