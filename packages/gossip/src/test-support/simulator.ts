import { decodeMessage, encodeMessage } from '../codec.js';
import type { GossipConfig } from '../config.js';
import type { MembershipEvent } from '../events.js';
import { Memberlist } from '../memberlist.js';
import type { GossipMessage } from '../messages.js';
import { PriorityQueue } from './priority-queue.js';
import { Prng } from './prng.js';
import { INFINITY, ceil, imul, isFinite, log, max, min } from '../fast-globals.js';

/** Network delay of one message in ms, drawn from the simulator's PRNG. */
export type LatencyModel = (random: () => number) => number;

export interface SimulatorOptions {
  seed: number;
  /** Config given to every node. */
  config?: Partial<GossipConfig>;
  /** Probability that any message is lost. Default 0. */
  lossRate?: number;
  /** Default: 0.5 ms + exponential with mean 2 ms, capped at 50 ms (a busy LAN). */
  latency?: LatencyModel;
  /** Round-trip every message through the binary codec (slower; proves the codec carries the protocol). */
  codec?: boolean;
  /** Call `reportLocalStall` when a stall ends, as a host measuring event-loop lag would. Default true. */
  reportStalls?: boolean;
  /** Tick on a fixed cadence like a host timer would; default: exactly at `nextDeadlineMs()`. */
  tickIntervalMs?: number;
}

/** One simulated process. */
export interface SimNode {
  readonly id: string;
  /** Where the process listens now (changes when it is restarted elsewhere). */
  address: string;
  /** The running memberlist; null while crashed. */
  ml: Memberlist | null;
  /** Bumped on crash/restart so messages and ticks for an old incarnation of the process are dropped. */
  generation: number;
  stalledUntil: number;
  stallStartedAt: number;
  backlog: { from: string; message: GossipMessage }[];
  tickPending: boolean;
  scheduledTickAt: number;
}

type SimEvent =
  | { kind: 'deliver'; node: SimNode; generation: number; from: string; message: GossipMessage }
  | { kind: 'tick'; node: SimNode; generation: number; at: number }
  | { kind: 'stall-end'; node: SimNode; generation: number }
  | { kind: 'call'; fn: () => void };

/** Observer of every event of every node: `(observerId, event)`. */
export type SimEventListener = (observer: string, event: MembershipEvent) => void;

/** Counters of the simulated network. */
export interface NetworkStats {
  sent: number;
  delivered: number;
  lost: number;
  partitioned: number;
  bytes: number;
}

/**
 * Deterministic discrete-event simulation of a gossip cluster: a virtual clock driven by a priority
 * queue, a lossy network with latency, per-link (asymmetric) loss, partitions, crashes, restarts and
 * stalls. All randomness flows from `seed`, so a run is a pure function of its inputs.
 */
export class Simulator {
  now = 0;
  readonly stats: NetworkStats = { sent: 0, delivered: 0, lost: 0, partitioned: 0, bytes: 0 };
  /** Every membership event as `time observer type subject incarnation`, folded into {@link digest}. */
  eventCount = 0;
  private digestA = 0x811c9dc5;
  private digestB = 0x01000193;
  private readonly queue = new PriorityQueue<SimEvent>();
  private readonly rng: Prng;
  private readonly nodes = new Map<string, SimNode>();
  private readonly byAddress = new Map<string, SimNode>();
  private readonly linkLoss = new Map<string, number>();
  private groups: Map<string, number> | null = null;
  private readonly listeners: SimEventListener[] = [];
  private readonly latency: LatencyModel;

  constructor(private readonly options: SimulatorOptions) {
    this.rng = new Prng(options.seed);
    this.latency = options.latency ?? ((r) => min(50, 0.5 - 2 * log(1 - r())));
  }

  /** Address of node `id` (addresses and ids differ, as they do in a real deployment). */
  static address(id: string): string {
    return `${id}@sim:7946`;
  }

  /** Adds and starts a node; `seeds` are ids of nodes to join through. */
  addNode(id: string, seeds: readonly string[] = [], meta?: Uint8Array): SimNode {
    const address = Simulator.address(id);
    const node: SimNode = { id, address, ml: null, generation: 0, stalledUntil: -INFINITY, stallStartedAt: 0, backlog: [], tickPending: false, scheduledTickAt: INFINITY };
    this.nodes.set(id, node);
    this.byAddress.set(address, node);
    this.start(node, seeds, meta);
    return node;
  }

  /** Stops a node abruptly: no leave, its in-flight messages and timers vanish. */
  crash(id: string): void {
    const node = this.get(id);
    node.ml = null;
    node.generation++;
    node.backlog = [];
    node.stalledUntil = -INFINITY;
    node.scheduledTickAt = INFINITY;
  }

  /**
   * Starts a crashed node again as a fresh process (new state, incarnation 0) joining through
   * `seeds`. With `address` it listens there from now on and nothing answers at its old address;
   * with `advertise` it tells peers another address than the one it listens at (a misconfigured
   * node: it receives what is sent to where it listens, never the replies to its own messages).
   */
  restart(id: string, seeds: readonly string[], options: { meta?: Uint8Array; address?: string; advertise?: string } = {}): void {
    const node = this.get(id);
    node.generation++;
    if (options.address !== undefined && options.address !== node.address) {
      this.byAddress.delete(node.address);
      node.address = options.address;
      this.byAddress.set(options.address, node);
    }
    this.start(node, seeds, options.meta, options.advertise);
  }

  /** The node processes nothing for `ms`, then its late timers and its backlog of messages. */
  stall(id: string, ms: number): void {
    const node = this.get(id);
    node.stalledUntil = this.now + ms;
    node.stallStartedAt = this.now;
    this.queue.push(this.now + ms, { kind: 'stall-end', node, generation: node.generation });
  }

  /** Splits the network: nodes in different groups cannot exchange messages (unlisted nodes form one more group). */
  partition(groups: readonly (readonly string[])[]): void {
    this.groups = new Map();
    groups.forEach((g, i) => g.forEach((id) => this.groups?.set(id, i)));
  }

  heal(): void {
    this.groups = null;
  }

  /** Changes the global message loss rate. */
  setLossRate(rate: number): void {
    this.options.lossRate = rate;
  }

  /** Loss rate of the one-way link `from` → `to` (asymmetric links); undefined restores the global rate. */
  setLinkLoss(from: string, to: string, rate: number | undefined): void {
    const key = `${from}>${to}`;
    if (rate === undefined) this.linkLoss.delete(key);
    else this.linkLoss.set(key, rate);
  }

  /** Runs `fn` at virtual time `at`. */
  at(at: number, fn: () => void): void {
    this.queue.push(at, { kind: 'call', fn });
  }

  onEvent(listener: SimEventListener): void {
    this.listeners.push(listener);
  }

  get(id: string): SimNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no simulated node ${id}`);
    return node;
  }

  ids(): string[] {
    return [...this.nodes.keys()];
  }

  /** Running (not crashed) nodes. */
  running(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.ml !== null);
  }

  /** Advances virtual time by `ms`. */
  run(ms: number): void {
    this.runUntil(this.now + ms);
  }

  runUntil(time: number): void {
    while (this.queue.peekTime() <= time) {
      this.now = this.queue.peekTime();
      this.process(this.queue.pop() as SimEvent);
    }
    this.now = time;
  }

  /** Runs in steps of `stepMs` until `done()` holds or `maxMs` elapsed; returns the elapsed time or -1. */
  runUntilTrue(done: () => boolean, stepMs: number, maxMs: number): number {
    const start = this.now;
    while (this.now - start < maxMs) {
      if (done()) return this.now - start;
      this.run(stepMs);
    }
    return done() ? this.now - start : -1;
  }

  /** Digest of the whole event history (time, observer, event), for replay comparisons. */
  digest(): string {
    return `${(this.digestA >>> 0).toString(16).padStart(8, '0')}${(this.digestB >>> 0).toString(16).padStart(8, '0')}`;
  }

  private start(node: SimNode, seeds: readonly string[], meta?: Uint8Array, advertise?: string): void {
    const random = this.rng.fork();
    const generation = node.generation;
    const ml = new Memberlist({
      self: { id: node.id, address: advertise ?? node.address, meta },
      config: this.options.config,
      transport: { send: (to, message) => this.send(node, generation, to, message) },
      random: () => random.next(),
      now: () => this.now,
    });
    ml.on((event) => this.record(node.id, event));
    node.ml = ml;
    node.stalledUntil = -INFINITY;
    node.backlog = [];
    node.scheduledTickAt = INFINITY;
    if (seeds.length > 0) ml.join(seeds.map((s) => this.nodes.get(s)?.address ?? Simulator.address(s)));
    this.reschedule(node);
  }

  private send(from: SimNode, generation: number, toAddress: string, message: GossipMessage): void {
    if (from.generation !== generation) return;
    this.stats.sent++;
    const to = this.byAddress.get(toAddress);
    if (to === undefined) {
      this.stats.lost++;
      return;
    }
    if (this.groups !== null && (this.groups.get(from.id) ?? -1) !== (this.groups.get(to.id) ?? -1)) {
      this.stats.partitioned++;
      return;
    }
    const loss = this.linkLoss.get(`${from.id}>${to.id}`) ?? this.options.lossRate ?? 0;
    if (loss > 0 && this.rng.next() < loss) {
      this.stats.lost++;
      return;
    }
    let delivered = message;
    if (this.options.codec === true) {
      const bytes = encodeMessage(message);
      this.stats.bytes += bytes.length;
      delivered = decodeMessage(bytes);
    }
    const delay = this.latency(() => this.rng.next());
    this.queue.push(this.now + delay, { kind: 'deliver', node: to, generation: to.generation, from: from.address, message: delivered });
  }

  private process(ev: SimEvent): void {
    if (ev.kind === 'call') {
      ev.fn();
      return;
    }
    const node = ev.node;
    if (ev.generation !== node.generation || node.ml === null) return;
    const stalled = this.now < node.stalledUntil;
    switch (ev.kind) {
      case 'deliver':
        if (stalled) {
          node.backlog.push({ from: ev.from, message: ev.message });
          return;
        }
        this.stats.delivered++;
        node.ml.receive(ev.from, ev.message);
        break;
      case 'tick':
        if (ev.at !== node.scheduledTickAt) return;
        node.scheduledTickAt = INFINITY;
        if (stalled) {
          node.tickPending = true;
          return;
        }
        node.ml.tick();
        break;
      case 'stall-end': {
        if (this.now < node.stalledUntil) return; // superseded by a longer stall
        // An event loop coming back runs its overdue timers first, then the queued I/O.
        node.tickPending = false;
        node.ml.tick();
        const backlog = node.backlog;
        node.backlog = [];
        for (const item of backlog) {
          if (node.ml === null) break;
          this.stats.delivered++;
          node.ml.receive(item.from, item.message);
        }
        if (this.options.reportStalls !== false) node.ml?.reportLocalStall(this.now - node.stallStartedAt);
        break;
      }
    }
    this.reschedule(node);
  }

  private reschedule(node: SimNode): void {
    if (node.ml === null) return;
    let at = max(node.ml.nextDeadlineMs(), this.now + 1);
    const cadence = this.options.tickIntervalMs;
    if (cadence !== undefined) at = ceil(at / cadence) * cadence;
    if (!isFinite(at) || at >= node.scheduledTickAt) return;
    node.scheduledTickAt = at;
    this.queue.push(at, { kind: 'tick', node, generation: node.generation, at });
  }

  private record(observer: string, event: MembershipEvent): void {
    this.eventCount++;
    const line =
      event.type === 'metadata'
        ? `${event.atMs}|${observer}|metadata|${event.key}|${event.version}`
        : `${event.atMs}|${observer}|${event.type}|${event.member.id}|${event.member.incarnation}`;
    let a = this.digestA;
    let b = this.digestB;
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      a = imul(a ^ c, 0x01000193);
      b = imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
    }
    this.digestA = a;
    this.digestB = b;
    for (const listener of this.listeners) listener(observer, event);
  }
}
