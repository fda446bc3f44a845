import { Awareness } from './awareness.js';
import { BroadcastQueue, retransmitLimit } from './broadcast-queue.js';
import { gossipSize } from './codec.js';
import { type GossipConfig, resolveConfig } from './config.js';
import type { NodeContext } from './context.js';
import { GossipStateError } from './errors.js';
import type { MemberInfo, MembershipEvent, MembershipListener } from './events.js';
import { MemberTable } from './member-state.js';
import type { Gossip, GossipMessage, GossipOnlyMessage, MetadataEntry } from './messages.js';
import { MetadataStore } from './metadata.js';
import { PushPull } from './push-pull.js';
import { Prober } from './probe.js';
import { pickRandom } from './random.js';
import { isSafeInteger, max, min, round } from './fast-globals.js';

/** Outgoing side of the network, supplied by the host. Delivery is best effort: failures are dropped. */
export interface GossipTransport {
  send(toAddress: string, message: GossipMessage): void;
}

/** Everything `createMemberlist` needs; the core reads no clock, randomness or network of its own. */
export interface MemberlistOptions {
  self: { id: string; address: string; meta?: Uint8Array };
  config?: Partial<GossipConfig>;
  transport: GossipTransport;
  /** Uniform in [0, 1); seed it for reproducible runs. */
  random: () => number;
  /** Current time in ms (any epoch, must not go backwards). */
  now: () => number;
  /**
   * Vets cluster metadata arriving from peers (gossip and push-pull): an entry it refuses is
   * dropped, neither stored nor passed on, so a forged entry cannot shadow later genuine versions.
   * Local {@link Memberlist.setMetadata} is not vetted. Default: accept everything.
   */
  acceptMetadata?: (entry: MetadataEntry) => boolean;
}

/**
 * One member of a gossip cluster. Drive it with {@link Memberlist.tick} from a timer (every 50–100 ms,
 * or exactly at {@link Memberlist.nextDeadlineMs}) and {@link Memberlist.receive} for each arriving
 * message. Events are delivered to listeners at the end of the call that caused them.
 */
export class Memberlist {
  /** This node's id. */
  readonly id: string;
  /** This node's address as given to peers. */
  readonly address: string;
  /** The validated configuration in force. */
  readonly config: Readonly<GossipConfig>;

  private readonly ctx: NodeContext;
  private readonly awareness: Awareness;
  private readonly queue = new BroadcastQueue();
  private readonly table: MemberTable;
  private readonly metadata = new MetadataStore();
  private readonly prober: Prober;
  private readonly pushPull: PushPull;
  private readonly listeners = new Set<MembershipListener>();
  private readonly acceptMetadata: (entry: MetadataEntry) => boolean;
  private readonly pending: MembershipEvent[] = [];
  private flushing = false;
  private nextGossipAtMs: number;

  /** Prefer {@link createMemberlist}. Throws `GossipConfigError` for an invalid config. */
  constructor(options: MemberlistOptions) {
    this.config = resolveConfig(options.config);
    const { id, address } = options.self;
    if (typeof id !== 'string' || id.length === 0) throw new GossipStateError('create', 'self.id must be a non-empty string');
    if (typeof address !== 'string' || address.length === 0) throw new GossipStateError('create', 'self.address must be a non-empty string');
    this.id = id;
    this.address = address;
    this.awareness = new Awareness(this.config.awarenessMaxMultiplier);
    const transport = options.transport;
    this.ctx = {
      config: this.config,
      selfId: id,
      selfAddress: address,
      awareness: this.awareness,
      now: options.now,
      random: options.random,
      send: (to, message) => {
        try {
          transport.send(to, message);
        } catch {
          // UDP-like semantics: a failed send is a lost message, which the protocol tolerates.
        }
      },
      emit: (event) => this.pending.push(event),
      broadcast: (subject, gossip) => this.queue.enqueue(subject, gossip, gossipSize(gossip)),
      takeGossip: () => this.queue.take(this.config.maxPiggybackBytes, retransmitLimit(this.config.retransmitMultiplier, this.table.liveCount)),
    };
    this.table = new MemberTable(this.ctx, options.self.meta ?? new Uint8Array(0));
    this.prober = new Prober(this.ctx, this.table);
    this.acceptMetadata = options.acceptMetadata ?? (() => true);
    this.pushPull = new PushPull(this.ctx, this.table, { all: () => this.metadata.all(), applyRemote: (e) => this.applyRemoteMetadata(e) });
    this.nextGossipAtMs = options.now() + options.random() * this.config.gossipIntervalMs;
  }

  /** Runs everything that is due: suspicion timeouts, probe steps, gossip round, push-pull, join retries. */
  tick(): void {
    const now = this.ctx.now();
    this.table.expireSuspicions(now);
    this.prober.tick(now);
    if (now >= this.nextGossipAtMs) {
      this.nextGossipAtMs = now + this.config.gossipIntervalMs;
      this.gossipRound(now);
    }
    this.pushPull.tick(now);
    this.flush();
  }

  /**
   * Earliest local time at which {@link tick} has work to do (INFINITY if none). Hosts may tick on a
   * fixed cadence instead; ticking late by more than `stallDetectionMs` is treated as a local stall.
   */
  nextDeadlineMs(): number {
    let next = min(this.table.nextSuspicionDeadlineMs(), this.prober.nextDeadlineMs(), this.pushPull.nextDeadlineMs());
    if (this.queue.size > 0) next = min(next, this.nextGossipAtMs);
    return next;
  }

  /** Handles one incoming message. `fromAddress` is informational: replies go to addresses inside messages. */
  receive(_fromAddress: string, message: GossipMessage): void {
    switch (message.type) {
      case 'ping':
        this.applyGossip(message.gossip);
        this.prober.onPing(message);
        break;
      case 'ping-req':
        this.applyGossip(message.gossip);
        this.prober.onPingReq(message);
        break;
      case 'ack':
        this.applyGossip(message.gossip);
        this.prober.onAck(message);
        break;
      case 'nack':
        this.applyGossip(message.gossip);
        this.prober.onNack(message);
        break;
      case 'gossip':
        this.applyGossip(message.gossip);
        break;
      case 'push-pull':
        this.pushPull.onPushPull(message);
        break;
    }
    this.flush();
  }

  /** Joins the cluster through any of `seedAddresses` (retried every `joinRetryIntervalMs` until someone answers). */
  join(seedAddresses: readonly string[]): void {
    if (this.table.isLeaving) throw new GossipStateError('join', 'node has left; create a new memberlist to rejoin');
    this.pushPull.join(seedAddresses);
    this.flush();
  }

  /**
   * Leaves gracefully: `left` is gossiped and probing stops. Keep calling `tick` and `receive` for a
   * few gossip intervals (until {@link pendingBroadcasts} is 0 or a timeout) before shutting down.
   */
  leave(): void {
    if (this.table.isLeaving) return;
    this.table.leave();
    // Pushed out now rather than at the next gossip round: the host is about to stop.
    const now = this.ctx.now();
    this.nextGossipAtMs = now + this.config.gossipIntervalMs;
    this.gossipRound(now);
    this.flush();
  }

  /** All known members, ourselves included, sorted by id. */
  members(): MemberInfo[] {
    const out: MemberInfo[] = [];
    for (const r of this.table.values()) out.push(this.table.info(r.id) as MemberInfo);
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** One member, or undefined if unknown. */
  member(id: string): MemberInfo | undefined {
    return this.table.info(id);
  }

  /** True if `id` is known and alive (suspects are not: route around them). */
  isAlive(id: string): boolean {
    return this.table.get(id)?.state === 'alive';
  }

  /** Lifeguard health score: 0 is healthy; n means probe interval and timeout are stretched (n + 1)×. */
  localHealthScore(): number {
    return this.awareness.getScore();
  }

  /**
   * Tells the core its event loop was starved for `ms` (e.g. measured event-loop lag). Raises the
   * health score and voids the current probe, whose timing can no longer be trusted.
   */
  reportLocalStall(ms: number): void {
    if (!(ms > 0)) return;
    this.awareness.applyDelta(max(1, round(ms / this.config.probeIntervalMs)));
    this.prober.markStalled();
  }

  /** Replaces this node's member meta; gossiped at a new incarnation (others see `updated`). */
  setLocalMeta(meta: Uint8Array): void {
    if (this.table.isLeaving) throw new GossipStateError('setLocalMeta', 'node has left');
    this.table.setSelfMeta(meta);
    this.flush();
  }

  /**
   * Publishes cluster metadata. Returns false (and changes nothing) if a higher version, or the same
   * version with larger bytes, is already known. Emits a `metadata` event locally too when applied.
   */
  setMetadata(key: string, version: number, value: Uint8Array): boolean {
    if (typeof key !== 'string') throw new GossipStateError('setMetadata', 'key must be a string');
    if (!isSafeInteger(version) || version < 0) throw new GossipStateError('setMetadata', 'version must be a non-negative safe integer');
    const applied = this.applyMetadata({ key, version, value });
    this.flush();
    return applied;
  }

  /** Current entry for `key`, or undefined. */
  getMetadata(key: string): MetadataEntry | undefined {
    const e = this.metadata.get(key);
    return e === undefined ? undefined : { key: e.key, version: e.version, value: e.value.slice() };
  }

  /** All cluster metadata entries. */
  metadataEntries(): MetadataEntry[] {
    return this.metadata.all().map((e) => ({ key: e.key, version: e.version, value: e.value.slice() }));
  }

  /** Number of updates still waiting to be piggybacked. */
  pendingBroadcasts(): number {
    return this.queue.size;
  }

  /** Registers a listener; returns a function that removes it. */
  on(listener: MembershipListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private applyGossip(items: readonly Gossip[]): void {
    for (const g of items) {
      switch (g.kind) {
        case 'alive':
          this.table.applyAlive(g);
          break;
        case 'suspect':
          this.table.applySuspect(g.id, g.incarnation, g.from);
          break;
        case 'dead':
          this.table.applyDead(g.id, g.incarnation, g.from);
          break;
        case 'left':
          this.table.applyLeft(g.id, g.incarnation);
          break;
        case 'metadata':
          this.applyRemoteMetadata(g);
          break;
      }
    }
  }

  private applyRemoteMetadata(entry: MetadataEntry): void {
    if (this.acceptMetadata(entry)) this.applyMetadata(entry);
  }

  private applyMetadata(entry: MetadataEntry): boolean {
    if (!this.metadata.apply(entry)) return false;
    // Copies taken now: a caller that reuses its buffer must not change what peers receive.
    const { key, version } = entry;
    this.ctx.broadcast(`k:${key}`, { kind: 'metadata', key, version, value: entry.value.slice() });
    this.pending.push({ type: 'metadata', atMs: this.ctx.now(), key, version, value: entry.value.slice() });
    return true;
  }

  /** Pushes pending updates to a few random members, including recently dead ones so they can refute. */
  private gossipRound(now: number): void {
    if (this.queue.size === 0) return;
    const toTheDead = this.config.gossipToTheDeadMs;
    const targets = pickRandom(this.ctx.random, [...this.table.values()], this.config.gossipNodes, (r) => {
      if (r.id === this.id) return false;
      if (r.state === 'alive' || r.state === 'suspect') return true;
      return r.state === 'dead' && now - r.stateChangedAtMs < toTheDead;
    });
    for (const t of targets) {
      const gossip = this.ctx.takeGossip();
      if (gossip.length === 0) break;
      const msg: GossipOnlyMessage = { type: 'gossip', sourceId: this.id, gossip };
      this.ctx.send(t.address, msg);
    }
  }

  /** Delivers queued events once state is consistent; re-entrant calls from listeners append to the same drain. */
  private flush(): void {
    if (this.flushing) return;
    this.flushing = true;
    let firstError: unknown;
    let failed = false;
    try {
      for (let i = 0; i < this.pending.length; i++) {
        const event = this.pending[i] as MembershipEvent;
        for (const listener of this.listeners) {
          try {
            listener(event);
          } catch (error) {
            if (!failed) firstError = error;
            failed = true;
          }
        }
      }
    } finally {
      this.pending.length = 0;
      this.flushing = false;
    }
    if (failed) throw firstError;
  }
}

/** Creates a memberlist node; see {@link MemberlistOptions}. Throws `GossipConfigError` on a bad config. */
export function createMemberlist(options: MemberlistOptions): Memberlist {
  return new Memberlist(options);
}
