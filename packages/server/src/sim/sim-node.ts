// One simulated QuorumKV node: the real Coordinator, ReplicaApplier, HintAdmission, HintKeeper,
// DeadRecordReaper, ActorEpochs, BucketRegistry and gossip memberlist, wired as node.ts wires them,
// over a SimDisk, the SimNetwork and virtual timers; its view of who is up is its memberlist's. A
// crash drops the process (its timers, in-memory state such as pending reaps, the actor epoch and
// its gossip, its connections and in-flight requests); the disk stays unless it is lost.
import { ReplicaOp, ReplicaStatus, newReplicaItemResult, type ReplicaItem, type ReplicaItemResult } from '@quorumkv/protocol';
import type { MemberEvent } from '@quorumkv/gossip';
import type { Ring } from '@quorumkv/ring';
import type { StorageEngine } from '@quorumkv/storage';
import { ActorEpochs } from '../cluster/actor-epochs.js';
import { BucketRegistry, METADATA_PREFIX as BUCKET_METADATA } from '../cluster/buckets.js';
import { JOIN_WAIT_MS, goneSinceMs, knowsAll, onPeerReturned } from '../cluster/member-liveness.js';
import type { ServerConfig } from '../config/config-schema.js';
import { Coordinator } from '../coordinator/coordinator.js';
import { planRequest, type RequestPlan } from '../coordinator/request-plan.js';
import { DeadRecordReaper } from '../coordinator/dead-record-reaper.js';
import { NodeMetrics } from '../observability/metrics.js';
import { HintAdmission } from '../replication/hint-admission.js';
import { HintKeeper } from '../replication/hinted-handoff.js';
import { ReplicaApplier } from '../replication/replica-applier.js';
import type { Timers } from '../clock/timers.js';
import type { SimDisk } from './sim-disk.js';
import { SimMembership } from './sim-membership.js';
import type { SimNetwork, SimProcess, SimTransport } from './sim-network.js';
import type { SimRandom } from './sim-random.js';
import type { VirtualClock } from './virtual-clock.js';

/**
 * Bugs planted on purpose, to prove the checker catches them:
 * - `replica-overwrites`: replicas store an incoming record over theirs instead of merging.
 * - `ignores-accusations`: a node's gossip drops what peers say against it (suspect, dead, left),
 *   so it never refutes: a restarted node stays dead or left to its peers.
 */
export type Mutation = 'replica-overwrites' | 'ignores-accusations';
export const MUTATIONS: readonly Mutation[] = ['replica-overwrites', 'ignores-accusations'];

/** How often a node sweeps expired records (node.ts uses the same period). */
const SWEEP_INTERVAL_MS = 10_000;
/** How often a joining node checks whether gossip knows every ring node yet (node.ts polls as often). */
const JOIN_POLL_MS = 20;

/** Counters only: prom-client's default metrics are process-wide, so every simulated node shares one. */
let sharedMetrics: NodeMetrics | undefined;
const metrics = (): NodeMetrics => (sharedMetrics ??= new NodeMetrics(() => undefined));

type Applier = Pick<ReplicaApplier, 'apply' | 'applyAll'>;

/** One running process of a node. */
export class Incarnation implements SimProcess {
  /** Resolves when this process dies (a client's request to it then ends without an answer). */
  readonly died: Promise<void>;
  private markDead!: () => void;
  /** Set once the process has joined gossip (or waited JOIN_WAIT_MS for it) and serves clients. */
  ready = false;

  constructor(
    /** Shared with the process's storage view, timers and connections: they stop when it dies. */
    private readonly owner: { alive: boolean },
    readonly storage: StorageEngine,
    readonly coordinator: Coordinator,
    readonly hints: HintKeeper,
    readonly admission: HintAdmission,
    readonly reaper: DeadRecordReaper,
    readonly epochs: ActorEpochs,
    readonly router: SimTransport,
    readonly buckets: BucketRegistry,
    private readonly applier: Applier,
    readonly membership: SimMembership,
  ) {
    this.died = new Promise((resolve) => (this.markDead = resolve));
  }

  get alive(): boolean {
    return this.owner.alive;
  }

  apply(item: ReplicaItem): Promise<ReplicaItemResult> {
    return this.applier.apply(item);
  }

  applyAll(items: ReplicaItem[]): Promise<ReplicaItemResult[]> {
    return this.applier.applyAll(items);
  }

  receiveGossip(fromAddress: string, bytes: Uint8Array): boolean {
    return this.membership.receive(fromAddress, bytes);
  }

  kill(): void {
    this.owner.alive = false;
    this.markDead();
  }
}

export interface SimNodeOptions {
  id: string;
  ring: Ring;
  config: ServerConfig;
  clock: VirtualClock;
  network: SimNetwork;
  disk: SimDisk;
  /** The node's randomness (which reads ask every replica). */
  random: SimRandom;
  /** Forked for each process's memberlist. */
  gossipRandom: SimRandom;
  /** Told every member event any process of this node sees. */
  onMemberEvent: (observer: string, event: MemberEvent) => void;
  mutation?: Mutation | undefined;
  warn: (node: string, msg: string, fields: Record<string, unknown>) => void;
}

export class SimNode {
  private inc: Incarnation | undefined;
  /** Set while a clean stop is under way: the node takes no new requests. */
  stopping = false;

  constructor(private readonly o: SimNodeOptions) {}

  get id(): string {
    return this.o.id;
  }

  get disk(): SimDisk {
    return this.o.disk;
  }

  /** The running process, if any. */
  get process(): Incarnation | undefined {
    return this.inc?.alive ? this.inc : undefined;
  }

  /** The running process if it takes client requests (it has joined and is not stopping). */
  get serving(): Incarnation | undefined {
    const p = this.process;
    return p?.ready && !this.stopping ? p : undefined;
  }

  /**
   * Starts a process on the node's disk, as `quorumkv-server` does after a crash or on a fresh
   * disk: it takes replica traffic and gossip at once, joins gossip through the ring's other nodes,
   * and serves clients (and starts its background work) once gossip knows every ring node or
   * JOIN_WAIT_MS passed, as node.ts's `join` does.
   */
  async start(): Promise<Incarnation> {
    if (this.process) throw new Error(`${this.id} is already running`);
    const { id, config: c, clock, network, disk, ring } = this.o;
    const owner = { alive: true };
    // As node.ts wires it: a corrupt record distrusts the epochs handed out so far (once they exist).
    const started: { epochs?: ActorEpochs } = {};
    const storage = disk.open(owner, () => started.epochs?.distrustAfterLostRecord());
    const timers = clock.timersFor(owner);
    const now = (): number => clock.now();
    const warn = (msg: string, fields: Record<string, unknown>): void => this.o.warn(id, msg, fields);
    const membership = this.gossip(owner);
    const view = (nodeId: string): boolean => membership.isUp(nodeId);
    const router = network.transport(id, owner, view);
    const buckets = new BucketRegistry({ n: c.n, r: c.r, w: c.w, autoCreate: c.autoCreateBuckets, maxBuckets: c.maxBuckets }, () => ring.nodes.length, {
      publish: () => undefined,
      persist: (key, value) => storage.setMeta(key, value),
    });
    buckets.load(storage.listMeta(BUCKET_METADATA).map((e) => e.value));
    // As node.ts wires them (there, a node's own hint quota is also capped by its map size).
    const admission = new HintAdmission(
      { storage, isMember: (n) => ring.nodes.some((m) => m.id === n), isUp: view, goneSinceMs: (n) => goneSinceMs(membership.list, n), metrics: metrics(), now, timers, warn },
      { limits: { maxPerTarget: c.maxHintsPerTarget, maxTotal: c.maxHints, maxBytes: c.maxHintBytes }, windowMs: c.hintWindowMs, maxAgeMs: c.hintMaxAgeMs },
    );
    const hints = new HintKeeper(storage, router, metrics(), { intervalMs: c.hintDeliveryIntervalMs, batchSize: 256, timers, now }, warn);
    const random = this.o.random;
    const epochs = await ActorEpochs.start(id, storage, {
      randomBytes: (n) => Uint8Array.from({ length: n }, () => random.int(0, 255)),
      onPersistError: (err) => warn('cannot persist actor epochs', { error: String(err) }),
    });
    started.epochs = epochs;
    const merging = { storage, epochs, tombstoneGraceMs: c.tombstoneGraceMs };
    const reaper = new DeadRecordReaper({ ...merging, selfId: id, ring: () => ring, buckets, router, hints: admission, replicaTimeoutMs: c.replicaTimeoutMs, now, timers, warn });
    const coordinator = new Coordinator({ selfId: id, epochs, config: c, storage, router, hints: admission, metrics: metrics(), warn, now, timers, random: () => random.float(), ringVersion: () => this.o.ring.version });
    const real = new ReplicaApplier({ ...merging, selfId: id, buckets, ring: () => ring, metrics: metrics(), hints: admission, now });
    const applier = this.o.mutation === 'replica-overwrites' ? overwritingApplier(id, storage, real) : real;
    const inc = new Incarnation(owner, storage, coordinator, hints, admission, reaper, epochs, router, buckets, applier, membership);
    onPeerReturned(membership.list, id, () => void hints.deliverAll());
    this.inc = inc;
    network.attach(id, inc, membership.list.address);
    this.join(inc, timers);
    return inc;
  }

  /** The process's gossip, on its timers' owner, at the node's ring address. */
  private gossip(owner: { alive: boolean }): SimMembership {
    const { id, ring, network, config } = this.o;
    const self = ring.nodes.find((n) => n.id === id)!.address;
    return new SimMembership({
      id,
      address: self,
      probeIntervalMs: config.gossipIntervalMs,
      clock: this.o.clock,
      owner,
      random: this.o.gossipRandom.fork(),
      send: (to, bytes) => network.gossip(id, self, to, bytes),
      onEvent: (e) => this.o.onMemberEvent(id, e),
      ignoreAccusations: this.o.mutation === 'ignores-accusations',
    });
  }

  /**
   * Joins gossip through the ring's other nodes and, once gossip knows them all or JOIN_WAIT_MS
   * passed (polled as node.ts's `join` does), starts the background work and serves clients.
   */
  private join(inc: Incarnation, timers: Timers): void {
    const { id, ring, config: c } = this.o;
    const others = ring.nodes.filter((n) => n.id !== id);
    inc.membership.start(others.map((n) => n.address));
    const joined = (waitedMs: number): void => {
      if (!knowsAll(inc.membership.list, id, others.map((n) => n.id)) && waitedMs < JOIN_WAIT_MS) return void timers.after(JOIN_POLL_MS, () => joined(waitedMs + JOIN_POLL_MS));
      if (c.hintedHandoff) inc.hints.start();
      inc.admission.start();
      inc.reaper.start(Math.max(100, Math.min(c.tombstoneGraceMs / 2, 5_000)));
      timers.every(SWEEP_INTERVAL_MS, () => void inc.storage.sweepExpired({ limit: 1000 }).catch(() => undefined));
      inc.ready = true;
    };
    joined(0);
  }

  /**
   * A clean stop, in `QuorumNode.stop`'s order: no new requests or replica traffic, hints and reaper
   * stopped, the writes it coordinated settled, its replica channels closed, the reaper's batch
   * ended, the clean-stop marker written; then the process ends.
   */
  async stop(): Promise<void> {
    const inc = this.process;
    if (!inc) return;
    this.stopping = true;
    inc.membership.leave();
    this.o.network.attach(this.id, undefined);
    inc.hints.stop();
    inc.admission.stop();
    const reaping = inc.reaper.stop();
    await inc.coordinator.drain();
    inc.router.close();
    await reaping;
    await inc.epochs.markCleanStop().catch(() => undefined);
    this.crash();
  }

  /** kill -9: the process and everything only it held are gone; the disk stays. */
  crash(): void {
    this.stopping = false;
    if (!this.inc) return;
    this.inc.kill();
    this.inc = undefined;
    this.o.network.attach(this.id, undefined);
    this.o.disk.heal();
  }

  /** Where a key lives, as this node's front door computes it. */
  plan(process: Incarnation, key: Uint8Array): RequestPlan {
    return planRequest(this.o.ring, process.buckets.resolve(''), key, (nodeId) => process.membership.isUp(nodeId));
  }
}

/** The planted bug `replica-overwrites`: a replica stores what it receives without merging. */
function overwritingApplier(selfId: string, storage: StorageEngine, real: ReplicaApplier): Applier {
  const apply = async (item: ReplicaItem): Promise<ReplicaItemResult> => {
    if (item.op !== ReplicaOp.WRITE || (item.hintFor !== '' && item.hintFor !== selfId)) return real.apply(item);
    await storage.update(new TextEncoder().encode(item.bucket), item.key, () => ({ value: item.record }), item.partition);
    return newReplicaItemResult(item.id, ReplicaStatus.OK);
  };
  return { apply, applyAll: (items) => Promise.all(items.map(apply)) };
}
