// Glue between the pure SWIM core (@quorumkv/gossip) and the network: messages travel as bytes over
// MembershipService, tagged with the cluster id, the core is ticked from a timer, and event-loop
// stalls are reported to it (Lifeguard) so a slow node doubts itself before it accuses others.
import { ConnectError } from '@connectrpc/connect';
import { createMemberlist, decodeMessage, encodeMessage, messageChannel, type GossipMessage, type Memberlist, type MetadataEntry } from '@quorumkv/gossip';
import { ErrorDetailSchema, ErrorReason, MembershipService } from '@quorumkv/protocol';
import { NodeForeignClusterError, NodeUnauthenticatedError } from '../errors/errors.js';
import { signGossip, verifyGossip, type GossipKeyring } from '../security/gossip-keys.js';
import type { PeerPool } from '../replication/peer-pool.js';
import { GOSSIP_TICK_MS, gossipConfigFor, isRoutable, knowsAll } from './member-liveness.js';

export interface MembershipOptions {
  selfId: string;
  advertise: string;
  /** Stamped on every message sent; messages carrying another are refused. */
  clusterId: string;
  probeIntervalMs: number;
  pool: PeerPool;
  /**
   * A peer refused our messages as coming from another cluster (`foreign`), or as not signed with a
   * gossip key it accepts (`unauthenticated`); called at most once a minute per peer.
   */
  onRefused: (address: string, why: 'foreign' | 'unauthenticated', message: string) => void;
  /** Wall clock. */
  now: () => number;
  /** The gossip keys in force (read on every message, so a reloaded key file applies at once); none: unsigned gossip. */
  keys?: () => GossipKeyring | undefined;
  /** Vets cluster metadata from peers (the memberlist's `acceptMetadata`). */
  acceptMetadata?: (entry: MetadataEntry) => boolean;
  /** What this node says of itself to peers (its gossip member meta). */
  meta?: Uint8Array;
}

/** A gossip request as it arrives over MembershipService. */
export interface GossipEnvelope {
  clusterId: string;
  fromAddress: string;
  message: Uint8Array;
  /** HMAC-SHA256 under a gossip key (empty without keys). */
  tag: Uint8Array;
}

const NO_TAG = new Uint8Array(0);
const SEND_TIMEOUT_MS = 2_000;
const REFUSAL_LOG_INTERVAL_MS = 60_000;

export class ClusterMembership {
  readonly list: Memberlist;
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastTickMs = 0;
  private readonly sending = new Set<Promise<unknown>>();
  private readonly refusalLoggedAt = new Map<string, number>();

  constructor(private readonly o: MembershipOptions) {
    this.list = createMemberlist({
      self: { id: o.selfId, address: o.advertise, ...(o.meta ? { meta: o.meta } : {}) },
      config: gossipConfigFor(o.probeIntervalMs),
      transport: { send: (to, message) => this.send(to, message) },
      random: Math.random,
      now: o.now,
      acceptMetadata: o.acceptMetadata,
    });
  }

  /** Joins through the seeds and starts the protocol timer. */
  start(seeds: readonly string[]): void {
    const others = seeds.filter((s) => s !== this.o.advertise);
    if (others.length > 0) this.list.join(others);
    this.lastTickMs = this.o.now();
    this.timer = setInterval(() => {
      const now = this.o.now();
      const lag = now - this.lastTickMs - GOSSIP_TICK_MS;
      if (lag > 200) this.list.reportLocalStall(lag);
      this.lastTickMs = now;
      this.list.tick();
    }, GOSSIP_TICK_MS);
    this.timer.unref();
  }

  /**
   * Leaves gracefully: announces `left` and keeps the protocol running until the announcement has
   * been handed to peers and those calls have settled, or `maxWaitMs` passed; then stops the timer.
   */
  async leave(maxWaitMs: number): Promise<void> {
    if (this.timer === undefined) return; // never joined: nobody to tell
    const until = this.o.now() + maxWaitMs;
    try {
      this.list.leave();
      while (this.list.pendingBroadcasts() > 0 && this.hasLivePeers() && this.o.now() < until) await sleep(GOSSIP_TICK_MS);
      const left = until - this.o.now();
      if (left > 0 && this.sending.size > 0) await Promise.race([Promise.allSettled([...this.sending]), sleep(left)]);
    } finally {
      clearInterval(this.timer);
    }
  }

  /**
   * Feeds a received message to the core. Throws NodeForeignClusterError for another cluster's
   * message and NodeUnauthenticatedError for one without a valid tag (both dropped unread), and
   * GossipCodecError on malformed bytes. `senderRefusal` may refuse the sender the message names
   * (a member whose certificate names another node): its error is thrown and nothing is applied.
   */
  receive(envelope: GossipEnvelope, senderRefusal?: (sourceId: string) => Error | undefined): void {
    if (envelope.clusterId !== this.o.clusterId) throw new NodeForeignClusterError(envelope.clusterId, this.o.clusterId);
    const keys = this.o.keys?.();
    if (keys && !verifyGossip(keys, envelope, envelope.tag)) throw new NodeUnauthenticatedError();
    const message = decodeMessage(envelope.message);
    const refusal = senderRefusal?.(message.sourceId);
    if (refusal) throw refusal;
    this.list.receive(envelope.fromAddress, message);
  }

  /** Whether routing may use `nodeId` (see {@link isRoutable}). */
  isUp(nodeId: string): boolean {
    return isRoutable(this.list, this.o.selfId, nodeId);
  }

  private hasLivePeers(): boolean {
    return this.list.members().some((m) => m.id !== this.o.selfId && (m.state === 'alive' || m.state === 'suspect'));
  }

  /** Whether gossip has a record (in any state) of every one of `ids`. */
  knowsAll(ids: readonly string[]): boolean {
    return knowsAll(this.list, this.o.selfId, ids);
  }

  private send(to: string, message: GossipMessage): void {
    const client = this.o.pool.client(to, MembershipService);
    const envelope = { clusterId: this.o.clusterId, fromAddress: this.o.advertise, message: encodeMessage(message) };
    const keys = this.o.keys?.();
    const req = { ...envelope, tag: keys ? signGossip(keys, envelope) : NO_TAG };
    const opts = { timeoutMs: SEND_TIMEOUT_MS };
    const channel = messageChannel(message);
    const call: Promise<unknown> = channel === 'ping' ? client.ping(req, opts) : channel === 'ping-req' ? client.pingReq(req, opts) : client.pushPull(req, opts);
    // Best effort, like UDP: SWIM's timeouts deal with what is lost. A refusal from another cluster
    // is a configuration error worth one line in the log.
    const settled = call.catch((err: unknown) => this.noteRefusal(to, err));
    this.sending.add(settled);
    void settled.finally(() => this.sending.delete(settled));
  }

  private noteRefusal(address: string, err: unknown): void {
    if (!(err instanceof ConnectError)) return;
    const reason = err.findDetails(ErrorDetailSchema)[0]?.reason;
    const why = reason === ErrorReason.FOREIGN_CLUSTER ? 'foreign' : reason === ErrorReason.UNAUTHENTICATED ? 'unauthenticated' : undefined;
    if (why === undefined) return;
    const now = this.o.now();
    if (now - (this.refusalLoggedAt.get(address) ?? -Infinity) < REFUSAL_LOG_INTERVAL_MS) return;
    this.refusalLoggedAt.set(address, now);
    this.o.onRefused(address, why, err.rawMessage);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
