import type { NodeContext } from './context.js';
import type { MemberTable } from './member-state.js';
import type { MetadataEntry, PushPullMessage } from './messages.js';
import { randomIndex } from './random.js';
import { INFINITY, ceil, log2, min } from './fast-globals.js';

/**
 * Anti-entropy for membership: joins, periodic full-state exchange with a random live member (repairs
 * whatever piggybacked gossip missed), and reconnect attempts towards dead members so two halves of a
 * healed partition, each believing the other dead, find each other again. Members first heard of
 * here are recorded in whatever state the sender has them (a node restarted while another is dead
 * learns of it as dead, not never).
 */
export class PushPull {
  private seeds: string[] = [];
  private nextPushPullAtMs: number;
  private nextReconnectAtMs: number;
  private nextJoinRetryAtMs = INFINITY;

  constructor(
    private readonly ctx: NodeContext,
    private readonly members: MemberTable,
    private readonly metadata: {
      all(): MetadataEntry[];
      applyRemote(entry: MetadataEntry): void;
    },
  ) {
    const now = ctx.now();
    // Random phases keep a cluster started at once from exchanging state in bursts.
    this.nextPushPullAtMs = now + ctx.random() * this.pushPullIntervalMs();
    this.nextReconnectAtMs = now + ctx.random() * ctx.config.reconnectIntervalMs;
  }

  /** Sends a join request (our full state) to every seed and keeps retrying while we know nobody. */
  join(seeds: readonly string[]): void {
    this.seeds = seeds.filter((s) => s !== this.ctx.selfAddress);
    this.sendJoins();
  }

  nextDeadlineMs(): number {
    let next = INFINITY;
    if (this.ctx.config.pushPullIntervalMs > 0) next = this.nextPushPullAtMs;
    if (this.ctx.config.reconnectIntervalMs > 0) next = min(next, this.nextReconnectAtMs);
    if (this.seeds.length > 0) next = min(next, this.nextJoinRetryAtMs);
    return next;
  }

  tick(now: number): void {
    if (this.members.isLeaving) return;
    const config = this.ctx.config;
    if (config.pushPullIntervalMs > 0 && now >= this.nextPushPullAtMs) {
      this.nextPushPullAtMs = now + this.pushPullIntervalMs();
      const peers = this.peers((s) => s === 'alive');
      const peer = peers[randomIndex(this.ctx.random, peers.length)];
      if (peer !== undefined) this.ctx.send(peer, this.state(false, false));
    }
    if (config.reconnectIntervalMs > 0 && now >= this.nextReconnectAtMs) {
      this.nextReconnectAtMs = now + config.reconnectIntervalMs;
      const dead = this.peers((s) => s === 'dead');
      // Chance proportional to the dead share keeps a cluster with a few real failures quiet.
      if (dead.length > 0 && this.ctx.random() * this.members.liveCount < dead.length) {
        this.ctx.send(dead[randomIndex(this.ctx.random, dead.length)] as string, this.state(false, false));
      }
    }
    if (this.seeds.length > 0 && now >= this.nextJoinRetryAtMs) this.sendJoins();
  }

  onPushPull(msg: PushPullMessage): void {
    this.merge(msg);
    if (!msg.reply && !this.members.isLeaving) this.ctx.send(msg.sourceAddress, this.state(false, true));
  }

  private sendJoins(): void {
    // Once anyone else is known alive, gossip and push-pull take over from the seeds.
    if (this.members.liveCount > 1) {
      this.nextJoinRetryAtMs = INFINITY;
      this.seeds = [];
      return;
    }
    this.nextJoinRetryAtMs = this.ctx.now() + this.ctx.config.joinRetryIntervalMs;
    for (const seed of this.seeds) this.ctx.send(seed, this.state(true, false));
  }

  private merge(msg: PushPullMessage): void {
    for (const m of msg.members) {
      if (this.members.learn(m, msg.sourceId)) continue;
      switch (m.state) {
        case 'alive':
          this.members.applyAlive({ kind: 'alive', id: m.id, address: m.address, incarnation: m.incarnation, meta: m.meta });
          break;
        case 'suspect':
        case 'dead':
          // A remote death verdict becomes only a suspicion here: the accused gets to refute it
          // (this is what revives the other half of a healed partition).
          this.members.applySuspect(m.id, m.incarnation, msg.sourceId);
          break;
        case 'left':
          this.members.applyLeft(m.id, m.incarnation);
          break;
      }
    }
    for (const entry of msg.metadata) this.metadata.applyRemote(entry);
  }

  private state(join: boolean, reply: boolean): PushPullMessage {
    return {
      type: 'push-pull',
      sourceId: this.ctx.selfId,
      sourceAddress: this.ctx.selfAddress,
      join,
      reply,
      members: this.members.snapshot(),
      metadata: this.metadata.all(),
    };
  }

  private peers(accept: (state: string) => boolean): string[] {
    const out: string[] = [];
    for (const r of this.members.values()) if (r.id !== this.ctx.selfId && accept(r.state)) out.push(r.address);
    return out;
  }

  /** memberlist's scaling: beyond 32 members the interval grows with log2(n) so state traffic stays bounded. */
  private pushPullIntervalMs(): number {
    const base = this.ctx.config.pushPullIntervalMs;
    const n = this.members.liveCount;
    if (n <= 32) return base;
    return base * (ceil(log2(n) - log2(32)) + 1);
  }
}
