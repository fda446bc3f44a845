// A simulated cluster: nodes on one virtual clock and one simulated network (which carries their
// replica traffic and their gossip: each node's view of who is up is its own memberlist's), and
// the faults the nemesis applies.
import { createHash } from 'node:crypto';
import type { MemberEvent } from '@quorumkv/gossip';
import { createRing, preferenceListForPartition, partitionOf, type Ring } from '@quorumkv/ring';
import type { Hint } from '@quorumkv/storage';
import { JOIN_WAIT_MS } from '../cluster/member-liveness.js';
import { join } from '@quorumkv/vclock';
import { serverConfigSchema, type ServerConfig } from '../config/config-schema.js';
import { decodeRecord, liveSiblings, mergeRecords, type KeyRecord } from '../record/key-record.js';
import { assessLoss } from './copy-loss.js';
import { describeRecord } from './describe-record.js';
import type { DotLedger } from './dot-ledger.js';
import type { History } from './history.js';
import { SimDisk } from './sim-disk.js';
import { CALM, SimNetwork, type LinkConditions } from './sim-network.js';
import { SimNode, type Mutation } from './sim-node.js';
import type { SimRandom } from './sim-random.js';
import type { Profile } from './schedule.js';
import type { VirtualClock } from './virtual-clock.js';

/** Partitions of the simulated ring (few, so keys share partitions and preference lists). */
const PARTITIONS = 8;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
export const BUCKET = 'default';
const BUCKET_BYTES = encoder.encode(BUCKET);
/** Step of the clock while the cluster starts (a starting node polls gossip as often). */
const JOIN_STEP_MS = 20;

export interface SimClusterOptions {
  clock: VirtualClock;
  history: History;
  ledger: DotLedger;
  profile: Profile;
  /** Randomness of the network, of the nodes' decisions and of their gossip. */
  random: SimRandom;
  /** The keys clients use. */
  keys: readonly string[];
  mutation?: Mutation | undefined;
}

/** The node settings of a simulated cluster (the defaults, except what the profile varies). */
export function simConfig(p: Profile): ServerConfig {
  return serverConfigSchema.parse({
    nodeId: 'sim',
    partitions: PARTITIONS,
    n: 3,
    r: 2,
    w: 2,
    requestTimeoutMs: 5_000,
    replicaTimeoutMs: 1_000,
    readRepairChance: p.readRepairChance,
    tombstoneGraceMs: p.tombstoneGraceMs,
    hintDeliveryIntervalMs: 1_000,
    ...(p.hintBounds && {
      maxHintsPerTarget: p.hintBounds.maxPerTarget,
      maxHints: p.hintBounds.maxTotal,
      hintWindowMs: p.hintBounds.windowMs,
      hintMaxAgeMs: p.hintBounds.maxAgeMs,
    }),
    logLevel: 'silent',
  });
}

const rings = new Map<number, Ring>();
/** The ring of an n-node cluster (immutable, so shared by every run of that size). */
function ringOf(nodes: number): Ring {
  let ring = rings.get(nodes);
  if (!ring) {
    ring = createRing({ partitionCount: PARTITIONS, nodes: [...Array(nodes).keys()].map((i) => ({ id: `n${i + 1}`, address: `n${i + 1}:7070` })), targetN: 3 });
    rings.set(nodes, ring);
  }
  return ring;
}

export class SimCluster {
  readonly nodes: SimNode[];
  readonly network: SimNetwork;
  readonly ring: Ring;
  readonly config: ServerConfig;
  warnings = 0;
  /** How many member events the nodes' memberlists emitted. */
  memberEvents = 0;
  /** Every member event (time, observer, event, member, incarnation) in order: see {@link memberDigest}. */
  private readonly memberHash = createHash('sha256');
  private readonly primariesOf = new Map<string, readonly string[]>();
  /** Values some lost record held, and values some lost record knew to be superseded. */
  private readonly touched = new Set<string>();
  private readonly touchedSupersessions = new Set<string>();

  constructor(private readonly o: SimClusterOptions) {
    const { clock, ledger, profile } = o;
    this.ring = ringOf(profile.nodes);
    this.config = simConfig(profile);
    const gossipRandom = o.random.fork();
    const nodeRandom = o.random.fork();
    const trace = o.history.tracing ? (line: string): void => o.history.trace(clock.now(), line) : undefined;
    this.network = new SimNetwork(clock, o.random.fork(), (bucket, key, record) => ledger.observe(bucket, key, record, 'network', clock.now()), trace);
    this.nodes = this.ring.nodes.map(
      (n) =>
        new SimNode({
          id: n.id,
          ring: this.ring,
          config: this.config,
          clock,
          network: this.network,
          disk: new SimDisk({
            partitionCount: PARTITIONS,
            partitioner: (b, k) => partitionOf(PARTITIONS, b, k),
            now: () => clock.now(),
            onStored: (bucket, key, record) => ledger.observe(decoder.decode(bucket), key, record, `stored on ${n.id}`, clock.now()),
            trace: trace && ((line) => trace(`${n.id} ${line}`)),
            onHintsAcked: (hints) => this.hintsAcked(hints),
            onHintsDropped: (hints) => this.hintsDropped(hints),
            onOverwrite: (key, before, after) =>
              o.history.overwrites.push({ node: n.id, key: decoder.decode(key), atMs: clock.now(), before: describeRecord(before, clock.now()), after: describeRecord(after, clock.now()) }),
          }),
          random: nodeRandom,
          gossipRandom,
          onMemberEvent: (observer, e) => this.memberEvent(observer, e),
          mutation: o.mutation,
          warn: () => void this.warnings++,
        }),
    );
  }

  get ids(): string[] {
    return this.nodes.map((n) => n.id);
  }

  node(id: string): SimNode {
    const n = this.nodes.find((x) => x.id === id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  /** The N home replicas of a key, in preference order. */
  primaries(key: string): readonly string[] {
    let p = this.primariesOf.get(key);
    if (!p) this.primariesOf.set(key, (p = preferenceListForPartition(this.ring, partitionOf(PARTITIONS, BUCKET_BYTES, encoder.encode(key)), 3).primaries));
    return p;
  }

  /** Starts every node and runs until each serves (each has joined gossip, or waited as long as a node does). */
  async start(): Promise<void> {
    for (const n of this.nodes) await n.start();
    for (let waited = 0; this.nodes.some((n) => !n.serving) && waited <= JOIN_WAIT_MS; waited += JOIN_STEP_MS) await this.o.clock.run(JOIN_STEP_MS);
  }

  crash(id: string): void {
    this.node(id).crash();
    this.note(`crash ${id}`);
  }

  /** A clean stop (restart it later). */
  async stop(id: string): Promise<void> {
    if (!this.node(id).process) return;
    this.note(`stop ${id} cleanly`);
    await this.node(id).stop();
  }

  async restart(id: string): Promise<void> {
    const node = this.node(id);
    if (node.process) return;
    await node.start();
    this.note(`restart ${id}`);
  }

  /** Crash, and the disk is gone: the node comes back (on restart) with an empty one. */
  loseDisk(id: string): void {
    const node = this.node(id);
    for (const key of this.o.keys) this.accountForLoss(node, key, true);
    node.crash();
    node.disk.lose();
    this.o.history.lostCopy(id, '*', this.o.clock.now());
    this.note(`lose disk of ${id} (crashed; restarts empty)`);
  }

  corrupt(id: string, key: string): void {
    const node = this.node(id);
    if (!node.disk.peek(BUCKET_BYTES, encoder.encode(key))) return;
    this.accountForLoss(node, key, false);
    node.disk.corruptRecord(BUCKET_BYTES, encoder.encode(key));
    this.o.history.lostCopy(id, key, this.o.clock.now());
    this.note(`corrupt ${key} on ${id}`);
  }

  diskFault(id: string, writes: number): void {
    if (!this.node(id).process) return;
    this.node(id).disk.failWrites(writes);
    this.note(`the next ${writes} write(s) on ${id}'s disk fail`);
  }

  /** `id`'s disk has no room for `forMs`: writes that would grow it fail (StorageFullError), as LMDB's quota refuses them. */
  diskFull(id: string, forMs: number): void {
    const disk = this.node(id).disk;
    if (disk.full) return;
    disk.full = true;
    this.note(`${id}'s disk is full for ${forMs} ms`);
    this.o.clock.schedule(forMs, () => {
      if (!disk.full) return;
      disk.full = false;
      this.note(`${id}'s disk has room again`);
    });
  }

  partition(groups: string[][]): void {
    this.network.partition(groups);
    this.note(`partition ${groups.map((g) => `{${g.join(' ')}}`).join(' ')}`);
  }

  heal(): void {
    this.network.heal();
    this.note('heal partition');
  }

  links(c: LinkConditions): void {
    this.network.conditions = { ...c };
    this.note(`links cut=${c.cutRate} stall=${c.stallRate} slow=${c.slowRate}`);
  }

  /** Ends every fault: network healed and calm, every node running. */
  async healAll(): Promise<void> {
    this.network.heal();
    this.network.conditions = { ...CALM };
    for (const n of this.nodes) {
      n.disk.heal();
      n.disk.full = false;
    }
    this.note('heal everything: partition healed, links calm');
    for (const n of this.nodes) await this.restart(n.id);
  }

  /**
   * The live values of a key merged from its primaries' disks, corrupt copies skipped: what a read
   * of every replica would return, without the read path.
   */
  valuesOnDisks(key: string): { values: string[]; read: string[]; unrepairable: boolean } {
    let merged: KeyRecord | undefined;
    let corrupt = false;
    const read: string[] = [];
    for (const id of this.primaries(key)) {
      const disk = this.node(id).disk;
      const k = encoder.encode(key);
      corrupt ||= disk.isCorrupt(BUCKET_BYTES, k);
      const stored = disk.isCorrupt(BUCKET_BYTES, k) ? undefined : disk.peek(BUCKET_BYTES, k);
      read.push(id);
      if (stored) merged = mergeRecords(merged, decodeRecord(stored.value), false);
    }
    const values = merged ? liveSiblings(merged, this.o.clock.now()).map((s) => decoder.decode(s.value)) : [];
    // A corrupt copy with no intact copy anywhere: read repair has nothing to rewrite it from.
    return { values: values.sort(), read, unrepairable: corrupt && !merged };
  }

  /**
   * When the intact copies on `key`'s primaries' disks hold different causal states (clock or
   * siblings), or some primary holds none while another does, what each holds; undefined when they
   * agree. Corrupt copies count as missing.
   */
  disksDiffer(key: string): string | undefined {
    const k = encoder.encode(key);
    const copies = this.primaries(key).map((id) => {
      const disk = this.node(id).disk;
      const stored = disk.isCorrupt(BUCKET_BYTES, k) ? undefined : disk.peek(BUCKET_BYTES, k);
      if (!stored) return { id, state: 'absent', text: 'absent' };
      const r = decodeRecord(stored.value);
      const siblings = r.siblings.map((s) => Buffer.from(s.value).toString('base64')).sort();
      return { id, state: JSON.stringify([[...join(r)].sort(), siblings]), text: describeRecord(stored.value, this.o.clock.now()) };
    });
    if (copies.every((c) => c.state === copies[0]!.state)) return undefined;
    return copies.map((c) => `${c.id}: ${c.text}`).join('; ');
  }

  /** Notes in the history what `node` losing its record of `key` (and its hints, with `hints`) destroys. */
  private accountForLoss(lossy: SimNode, key: string, hints: boolean): void {
    const { destroyed, remaining } = this.copies(key, (node, kind) => node === lossy && (kind === 'record' || hints));
    this.noteLoss(key, destroyed, remaining);
  }

  /** Notes what losing `destroyed` (copies of `key`) destroys, given the copies `remaining`. */
  private noteLoss(key: string, destroyed: KeyRecord[], remaining: KeyRecord[]): void {
    if (destroyed.length === 0) return;
    const { lost, revivable, held, superseded } = this.assess(key, destroyed, remaining);
    for (const v of held) this.touched.add(v);
    for (const v of superseded) this.touchedSupersessions.add(v);
    for (const v of lost) this.o.history.destroyed.add(v);
    for (const v of revivable) this.o.history.revivable.add(v);
  }

  /** Hints removed unacknowledged (by hint admission's caps, window sweep or max age): copies destroyed. */
  private hintsDropped(hints: readonly Hint[]): void {
    this.o.history.hintsDropped += hints.length;
    for (const key of new Set(hints.map((h) => decoder.decode(h.key)))) {
      const dropped = hints.filter((h) => decoder.decode(h.key) === key).map((h) => decodeRecord(h.value));
      this.noteLoss(key, dropped, this.copies(key, () => false).remaining);
    }
  }

  /**
   * A hint whose target acknowledged it is removed. If the target's copy was destroyed after it
   * applied the hint but before the acknowledgement arrived, that removal is the loss's last step.
   */
  private hintsAcked(hints: readonly Hint[]): void {
    for (const key of new Set(hints.map((h) => decoder.decode(h.key)))) {
      const acked = hints.filter((h) => decoder.decode(h.key) === key).map((h) => decodeRecord(h.value));
      const { lost, revivable } = this.assess(key, acked, this.copies(key, () => false).remaining);
      for (const v of lost) if (this.touched.has(v)) this.o.history.destroyed.add(v);
      for (const v of revivable) if (this.touchedSupersessions.has(v)) this.o.history.revivable.add(v);
    }
  }

  /** Every intact stored copy of `key` (records that are not corrupt, and hints), split by `lost`. */
  private copies(key: string, lost: (node: SimNode, kind: 'record' | 'hint') => boolean): { destroyed: KeyRecord[]; remaining: KeyRecord[] } {
    const k = encoder.encode(key);
    const destroyed: KeyRecord[] = [];
    const remaining: KeyRecord[] = [];
    for (const node of this.nodes) {
      const record = node.disk.isCorrupt(BUCKET_BYTES, k) ? undefined : node.disk.peek(BUCKET_BYTES, k);
      if (record) (lost(node, 'record') ? destroyed : remaining).push(decodeRecord(record.value));
      for (const h of node.disk.hintRecords(BUCKET_BYTES, k)) (lost(node, 'hint') ? destroyed : remaining).push(decodeRecord(h));
    }
    return { destroyed, remaining };
  }

  private assess(key: string, destroyed: KeyRecord[], remaining: KeyRecord[]): ReturnType<typeof assessLoss> {
    const values = this.o.ledger.valuesOfKey.get(key) ?? new Set<string>();
    return assessLoss(destroyed, remaining, [...values].map((v) => [v, this.o.ledger.dotOfValue.get(v)!] as [string, string]));
  }

  /** Hints still waiting on any disk. */
  pendingHints(): number {
    return this.nodes.reduce((sum, n) => sum + n.disk.countHints(), 0);
  }

  private note(what: string): void {
    this.o.history.note(this.o.clock.now(), what);
  }

  /** A digest of every member event so far: equal for two runs exactly when they saw the same gossip history. */
  memberDigest(): string {
    return this.memberHash.copy().digest('hex');
  }

  /** Folds one member event into the digest, and traces it. */
  private memberEvent(observer: string, e: MemberEvent): void {
    const line = `${observer} sees ${e.member.id} ${e.type} (incarnation ${e.member.incarnation})`;
    this.memberEvents++;
    this.memberHash.update(`${e.atMs} ${line}\n`);
    if (this.o.history.tracing) this.o.history.trace(this.o.clock.now(), line);
  }
}
