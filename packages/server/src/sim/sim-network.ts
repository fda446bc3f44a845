// The simulated network between nodes: every replica item and hint batch travels as a message
// with a random delay (so messages reorder), can be cut in flight (the sender sees its stream
// break) or stall (no answer: the sender's timeouts decide), and never crosses a partition.
// A message reaches only the process incarnation it was sent to: after a crash and restart the
// old connection is gone. It implements the coordinator's `ReplicaTransport` for each node, and
// carries the nodes' gossip (one-way messages, lost where a replica message would fail).
import { ReplicaOp, ReplicaStatus, type ReplicaItem, type ReplicaItemResult } from '@quorumkv/protocol';
import { PeerUnavailableError } from '../replication/peer-channel.js';
import type { ReplicaItemInput, ReplicaTransport } from '../replication/replica-transport.js';
import { describeRecord } from './describe-record.js';
import type { SimRandom } from './sim-random.js';
import type { TimerOwner, VirtualClock } from './virtual-clock.js';

/** What the network needs of a running process: its replica service and its gossip endpoint. */
export interface SimProcess extends TimerOwner {
  apply(item: ReplicaItem): Promise<ReplicaItemResult>;
  applyAll(items: ReplicaItem[]): Promise<ReplicaItemResult[]>;
  /** One encoded gossip message from the node at `fromAddress`; true if it started asynchronous work. */
  receiveGossip(fromAddress: string, bytes: Uint8Array): boolean;
}

/** Faults currently in force. */
export interface LinkConditions {
  /** Share of messages whose connection is cut in flight (the sender gets an error). */
  cutRate: number;
  /** Share of messages that get no answer at all. */
  stallRate: number;
  /** Share of messages delayed 50 ms to 2.5 s instead of 0-3 ms. */
  slowRate: number;
}

export const CALM: LinkConditions = { cutRate: 0, stallRate: 0, slowRate: 0 };

export interface NetworkStats {
  sent: number;
  delivered: number;
  cut: number;
  stalled: number;
  partitioned: number;
  /** Gossip messages sent, and those lost (partition, cut or stalled link, receiver down or restarted). */
  gossipSent: number;
  gossipLost: number;
}

/** A process's replica traffic; `close` fails what is in flight and refuses more, as closing the router does. */
export interface SimTransport extends ReplicaTransport {
  close(): void;
}

/** Told about every record that travels (items and answers), for the dot ledger. */
export type RecordObserver = (bucket: string, key: Uint8Array, record: Uint8Array) => void;

const decoder = new TextDecoder();

const copy = (b: Uint8Array): Uint8Array => new Uint8Array(b);

export class SimNetwork {
  conditions: LinkConditions = { ...CALM };
  readonly stats: NetworkStats = { sent: 0, delivered: 0, cut: 0, stalled: 0, partitioned: 0, gossipSent: 0, gossipLost: 0 };
  private readonly processes = new Map<string, SimProcess>();
  private group = new Map<string, number>();
  /** Which node listens at each gossip address. */
  private readonly nodeAt = new Map<string, string>();

  constructor(
    private readonly clock: VirtualClock,
    private readonly random: SimRandom,
    private readonly observe: RecordObserver,
    /** Told what each message does, when tracing. */
    private readonly trace?: (line: string) => void,
  ) {}

  /** The process now running as `nodeId` (replacing any earlier incarnation), or none; gossip reaches it at `address`. */
  attach(nodeId: string, process: SimProcess | undefined, address?: string): void {
    if (address !== undefined) this.nodeAt.set(address, nodeId);
    if (process) this.processes.set(nodeId, process);
    else this.processes.delete(nodeId);
  }

  /** Splits the nodes into groups that cannot reach each other (unlisted nodes: one more group). */
  partition(groups: readonly (readonly string[])[]): void {
    this.group = new Map(groups.flatMap((g, i) => g.map((id) => [id, i + 1] as const)));
  }

  heal(): void {
    this.group = new Map();
  }

  /** Whether `a` and `b` are on the same side of the current partition. */
  connected(a: string, b: string): boolean {
    return (this.group.get(a) ?? 0) === (this.group.get(b) ?? 0);
  }

  /** Whether `nodeId` runs and `from` can reach it now. */
  reachable(from: string, nodeId: string): boolean {
    const p = this.processes.get(nodeId);
    return p !== undefined && p.alive && this.connected(from, nodeId);
  }

  /**
   * The transport of one process: `isUp` is that process's (possibly stale) view of its peers,
   * as gossip gives a real node.
   */
  transport(from: string, self: TimerOwner, isUp: (nodeId: string) => boolean): SimTransport {
    let nextId = 1n;
    let closed = false;
    const inFlight = new Set<(err: Error) => void>();
    /** Runs `call` unless closed; closing fails it. */
    const open = <R>(to: string, call: () => Promise<R>): Promise<R> => {
      if (closed) return Promise.reject(new PeerUnavailableError(to, 'channel closed'));
      return new Promise<R>((resolve, reject) => {
        inFlight.add(reject);
        call().then(
          (r) => (inFlight.delete(reject), resolve(r)),
          (err: unknown) => (inFlight.delete(reject), reject(err)),
        );
      });
    };
    return {
      isUp,
      close: () => {
        closed = true;
        for (const reject of inFlight) reject(new PeerUnavailableError(from, 'channel closed'));
        inFlight.clear();
      },
      send: (to, input: ReplicaItemInput) => open(to, () => {
        const item: ReplicaItem = { $typeName: 'quorumkv.v1.ReplicaItem', id: nextId++, ...input };
        this.observe(item.bucket, item.key, item.record);
        const what = this.trace && `${ReplicaOp[item.op]} ${decoder.decode(item.key)}${item.hintFor ? ` as hint for ${item.hintFor}` : ''} ${item.op === ReplicaOp.READ ? '' : describeRecord(item.record, this.clock.now())}`;
        return this.call(from, self, to, what, (p) => p.apply(copyItem(item)), (r) => {
          this.observe(item.bucket, item.key, r.record);
          return !this.trace ? '' : `${ReplicaStatus[r.status]}${r.record.length ? ` ${describeRecord(r.record, this.clock.now())}` : ''}${r.error ? ` (${r.error})` : ''}`;
        }).then((r) => copyResult(r));
      }),
      deliverHints: (to, items, { timeoutMs }) => open(to, () => {
        for (const i of items) this.observe(i.bucket, i.key, i.record);
        const what = this.trace && `DeliverHints ${items.map((i) => `${decoder.decode(i.key)} ${describeRecord(i.record, this.clock.now())}`).join('; ')}`;
        const answer = this.call(from, self, to, what, (p) => p.applyAll(items.map(copyItem)), (rs) => (this.trace ? rs.map((r) => ReplicaStatus[r.status]).join(' ') : ''));
        const timeout = new Promise<never>((_, reject) => {
          this.clock.schedule(timeoutMs, () => self.alive && reject(new PeerUnavailableError(to, 'deadline exceeded')));
        });
        return Promise.race([answer, timeout]).then((rs) => rs.map(copyResult));
      }),
    };
  }

  /**
   * One gossip message from `from` (listening at `fromAddress`) to the node at `toAddress`. SWIM treats the
   * network as UDP: nothing answers it, and a message a replica call would see fail (a partition, a
   * cut or stalled link, a receiver that is down) is simply lost; a slow link delays it, so gossip
   * reorders as replica traffic does. It reaches only the process that ran when it was sent.
   */
  gossip(from: string, fromAddress: string, toAddress: string, bytes: Uint8Array): void {
    this.stats.gossipSent++;
    const to = this.nodeAt.get(toAddress) ?? toAddress;
    const target = this.processes.get(to);
    const { cutRate, stallRate } = this.conditions;
    if (!target || !target.alive || !this.connected(from, to) || this.random.chance(cutRate + stallRate)) {
      this.stats.gossipLost++;
      return;
    }
    this.clock.scheduleSync(this.latency(), () => {
      if (target.alive && this.processes.get(to) === target && this.connected(from, to)) return target.receiveGossip(fromAddress, bytes);
      this.stats.gossipLost++;
      return false;
    });
  }

  /**
   * One request and its answer, each a message. Settles only while the sender is alive.
   * `what` and `onAnswer` describe both for the trace (`onAnswer` also feeds the ledger).
   */
  private call<R>(from: string, self: TimerOwner, to: string, what: string | undefined, handle: (p: SimProcess) => Promise<R>, onAnswer: (r: R) => string): Promise<R> {
    this.stats.sent++;
    const target = this.processes.get(to);
    const note = (outcome: string): void => this.trace?.(`${from} -> ${to} ${what ?? ''}: ${outcome}`);
    return new Promise<R>((resolve, reject) => {
      const fail = (reason: string): void => {
        note(reason);
        this.clock.schedule(this.latency(), () => self.alive && reject(new PeerUnavailableError(to, reason)));
      };
      if (!target || !target.alive) return fail('connection refused');
      if (!this.connected(from, to)) {
        this.stats.partitioned++;
        return note('lost in the partition'); // the sender's timeouts decide
      }
      if (this.random.chance(this.conditions.cutRate)) {
        this.stats.cut++;
        return fail('stream broken');
      }
      if (this.random.chance(this.conditions.stallRate)) {
        this.stats.stalled++;
        return note('stalled, never answered');
      }
      this.clock.schedule(this.latency(), () => {
        // The connection belongs to that incarnation: a restarted process never sees it.
        if (!target.alive || this.processes.get(to) !== target || !this.connected(from, to)) return note('lost: the receiver died or was cut off');
        this.stats.delivered++;
        handle(target).then(
          (answer) => {
            if (!target.alive) return; // died before answering
            const answered = onAnswer(answer);
            note(answered);
            this.clock.schedule(this.latency(), () => self.alive && this.connected(from, to) && resolve(answer));
          },
          (err: unknown) => target.alive && this.clock.schedule(this.latency(), () => self.alive && reject(err)),
        );
      });
    });
  }

  private latency(): number {
    return this.random.chance(this.conditions.slowRate) ? this.random.int(50, 2500) : this.random.int(0, 3);
  }
}

function copyItem(i: ReplicaItem): ReplicaItem {
  return { ...i, key: copy(i.key), record: copy(i.record) };
}

function copyResult(r: ReplicaItemResult): ReplicaItemResult {
  return { ...r, record: copy(r.record) };
}
