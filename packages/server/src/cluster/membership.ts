// Glue between the pure SWIM core (@quorumkv/gossip) and the network: messages travel as bytes over
// MembershipService, the core is ticked from a timer, and event-loop stalls are reported to it
// (Lifeguard) so a slow node doubts itself before it accuses others.
import {
  createMemberlist,
  decodeMessage,
  encodeMessage,
  messageChannel,
  type Memberlist,
  type MembershipEvent,
} from '@quorumkv/gossip';
import { MembershipService } from '@quorumkv/protocol';
import type { PeerPool } from '../replication/peer-pool.js';

export interface MembershipOptions {
  selfId: string;
  advertise: string;
  probeIntervalMs: number;
  pool: PeerPool;
  onEvent: (event: MembershipEvent) => void;
}

const TICK_MS = 50;

export class ClusterMembership {
  readonly list: Memberlist;
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastTickMs = 0;

  constructor(private readonly o: MembershipOptions) {
    this.list = createMemberlist({
      self: { id: o.selfId, address: o.advertise },
      config: {
        probeIntervalMs: o.probeIntervalMs,
        probeTimeoutMs: Math.max(10, Math.floor(o.probeIntervalMs / 2)),
        gossipIntervalMs: Math.max(10, Math.floor(o.probeIntervalMs / 3)),
        pushPullIntervalMs: Math.max(1000, o.probeIntervalMs * 10),
        joinRetryIntervalMs: Math.max(200, o.probeIntervalMs),
      },
      transport: { send: (to, message) => this.send(to, message) },
      random: Math.random,
      now: Date.now,
    });
    this.list.on(o.onEvent);
  }

  /** Joins through the seeds and starts the protocol timer. */
  start(seeds: readonly string[]): void {
    const others = seeds.filter((s) => s !== this.o.advertise);
    if (others.length > 0) this.list.join(others);
    this.lastTickMs = Date.now();
    this.timer = setInterval(() => {
      const now = Date.now();
      const lag = now - this.lastTickMs - TICK_MS;
      if (lag > 200) this.list.reportLocalStall(lag);
      this.lastTickMs = now;
      this.list.tick();
    }, TICK_MS);
    this.timer.unref();
  }

  /** Leaves gracefully and stops the timer. */
  stop(): void {
    try {
      this.list.leave();
    } catch {
      // already left
    }
    clearInterval(this.timer);
  }

  /** Feeds a received message to the core; throws GossipCodecError on malformed bytes. */
  receive(fromAddress: string, bytes: Uint8Array): void {
    this.list.receive(fromAddress, decodeMessage(bytes));
  }

  /**
   * Whether replica traffic may go to `nodeId`: alive in gossip, or not yet heard of (a node of the
   * initial cluster that gossip has not met is tried; the replica channel finds out fast).
   */
  isAlive(nodeId: string): boolean {
    if (nodeId === this.o.selfId) return true;
    const m = this.list.member(nodeId);
    return m === undefined || m.state === 'alive';
  }

  private send(to: string, message: Parameters<typeof encodeMessage>[0]): void {
    const bytes = encodeMessage(message);
    const client = this.o.pool.client(to, MembershipService);
    const req = { fromAddress: this.o.advertise, message: bytes };
    const opts = { timeoutMs: 2_000 };
    const channel = messageChannel(message);
    const call = channel === 'ping' ? client.ping(req, opts) : channel === 'ping-req' ? client.pingReq(req, opts) : client.pushPull(req, opts);
    // Best effort, like UDP: SWIM's timeouts deal with what is lost.
    call.catch(() => undefined);
  }
}
