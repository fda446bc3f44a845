// A QuorumKV node. `start` runs named steps, each building one layer from those before it:
// storage → identity (node id, cluster definition and id) → cluster view (ring, gossip, buckets) →
// replication (channels, hints) → request path (coordinator, front door, lister, reaper) → HTTP →
// join and serve. `stop` undoes them in reverse order, announcing the leave to peers first. This
// file only wires; each collaborator is a named piece with its own options object.
import { mkdirSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { toBinary, type DescService } from '@bufbuild/protobuf';
import { AdminService, BucketPropsSchema, KvService, MAX_ENVELOPE_BYTES, MembershipService, ReplicaService, type ReplicaHeader } from '@quorumkv/protocol';
import { allNodes, decodeRing, partitionOf, replicasAfter, targetRing, type Ring } from '@quorumkv/ring';
import { openLmdbEngine, type StorageEngine } from '@quorumkv/storage';
import { systemTimers } from './clock/timers.js';
import { ActorEpochs } from './cluster/actor-epochs.js';
import { BucketRegistry, METADATA_PREFIX as BUCKET_METADATA } from './cluster/buckets.js';
import { AutoJoin } from './cluster/auto-join.js';
import { Claimant, encodeMemberMeta } from './cluster/claimant.js';
import { ClusterMembership } from './cluster/membership.js';
import { JOIN_WAIT_MS, goneSinceMs, onPeerReturned } from './cluster/member-liveness.js';
import { discoverCluster } from './cluster/discovery.js';
import { establishIdentity, storeJoinedCluster, type NodeIdentity } from './cluster/node-identity.js';
import { RingGate, type RingSource } from './cluster/ring-gate.js';
import { RingPuller, type ServedRing } from './cluster/ring-pull.js';
import { RING_METADATA_KEY, RingState } from './cluster/ring-state.js';
import type { ServerConfig } from './config/config-schema.js';
import { streamLimitsOf } from './config/connection-limits.js';
import { Coordinator } from './coordinator/coordinator.js';
import { DeadRecordReaper } from './coordinator/dead-record-reaper.js';
import { KeyLister } from './coordinator/key-lister.js';
import { KvFrontend } from './coordinator/kv-frontend.js';
import { HandoffSender } from './handoff/handoff-sender.js';
import { HandoffLedger } from './handoff/handoff-ledger.js';
import { OldCopies } from './handoff/old-copies.js';
import { streamBudgetFactory } from './http/call-budget.js';
import { HttpServer } from './http/http-server.js';
import { NodeBudget } from './http/stream-budget.js';
import { NodeMetrics } from './observability/metrics.js';
import { HintAdmission } from './replication/hint-admission.js';
import { HintKeeper } from './replication/hinted-handoff.js';
import { PeerPool } from './replication/peer-pool.js';
import { ReplicaApplier } from './replication/replica-applier.js';
import { ReplicaRouter } from './replication/replica-router.js';
import { adminService } from './services/admin-service.js';
import { clusterCreate } from './services/cluster-create.js';
import { kvService, sessionRawStream } from './services/kv-service.js';
import { membershipService } from './services/membership-service.js';
import { replicaService, replicateRawStream, type ReplicaServiceDeps } from './services/replica-service.js';
import { ringInfoSource, type RingInfoSource } from './services/ring-info.js';
import { isLoopback, loadSecurity, type NodeSecurity } from './security/node-security.js';
import { permitOf } from './security/access-policy.js';

export { DataDirMismatchError } from './cluster/node-identity.js';

export const SERVER_VERSION = '0.1.0';

/** Longest a graceful stop waits for its leave announcement to reach peers (a few gossip rounds). */
const LEAVE_WAIT_MS = 2_000;

/** How long a node started with only --seeds tries them before giving up. */
const DISCOVERY_TIMEOUT_MS = 30_000;

/** How long verify waits for each peer's status. */
const PEER_STATUS_TIMEOUT_MS = 2_000;

type Warn = (msg: string, fields: Record<string, unknown>) => void;

/** The ring, gossip and bucket properties: this node's view of the cluster. */
interface ClusterView {
  ring: RingState;
  membership: ClusterMembership;
  buckets: BucketRegistry;
  /** The header stamped on this node's internal requests. */
  header: () => ReplicaHeader;
  /** Adopts the ring a peer's header carries when it is newer (and the peer is of this cluster). */
  noteRing: (header: ReplicaHeader | undefined) => void;
  /** Stages and commits membership changes (when this node is the claimant). */
  claimant: Claimant;
  /** Pulls the ring from the claimant when an unauthenticated sender hints at a newer one. */
  puller: RingPuller;
  /** Drops copies of partitions lost in a finished transition, once their new holders confirm. */
  oldCopies: OldCopies;
}

/** Node-to-node replica traffic, the hints kept for unreachable replicas, ownership handoff. */
interface Replication {
  router: ReplicaRouter;
  /** Which hints are kept (members, window, caps, max age). */
  admission: HintAdmission;
  /** Their delivery. */
  hints: HintKeeper;
  handoff: HandoffSender;
}

/** Everything that serves a client or replica request. */
interface RequestPath {
  epochs: ActorEpochs;
  coordinator: Coordinator;
  frontend: KvFrontend;
  lister: KeyLister;
  applier: ReplicaApplier;
  reaper: DeadRecordReaper;
  info: RingInfoSource;
}

/** The layers built so far; each step takes the ones it needs by name. */
interface Layers {
  storage: StorageEngine;
  identity: NodeIdentity;
  view: ClusterView;
  replication: Replication;
  requests: RequestPath;
}

export class QuorumNode {
  readonly log: Logger;
  private readonly pool: PeerPool;
  private readonly metrics = new NodeMetrics();
  private readonly warn: Warn;
  private readonly startedAtMs = Date.now();
  private storage: StorageEngine | undefined;
  private identity: NodeIdentity | undefined;
  private view: ClusterView | undefined;
  private replication: Replication | undefined;
  private requests: RequestPath | undefined;
  private http: HttpServer | undefined;
  private stopSweeper: (() => void) | undefined;
  private security: NodeSecurity | undefined;
  private claimantTimer: ReturnType<typeof setInterval> | undefined;
  private ready = false;
  private removed = false;

  /**
   * @param events.onLeft called once this node has left the cluster (a committed leave finished: it
   *   owns nothing and dropped its copies); the binary stops the process then.
   * @param events.onRemoved called once the claimant's ring shows this node force-removed (dropped
   *   without a leave); the binary stops the process with an error then.
   * @param events.onAdopted called once this node, started alone, took a proposed cluster (cluster
   *   create) and stored it in its data dir: the binary stops the node and starts it again on it.
   *   Without it, the node refuses proposals.
   */
  constructor(
    readonly config: ServerConfig,
    private readonly events: { onLeft?: () => void; onRemoved?: () => void; onAdopted?: () => void } = {},
  ) {
    this.pool = new PeerPool({ sourceAddress: config.sourceAddress });
    this.log = pino({ level: config.logLevel, base: { node: config.nodeId } });
    this.warn = (msg, fields) => this.log.warn(fields, msg);
  }

  get id(): string {
    return this.identity?.nodeId ?? '';
  }

  async start(): Promise<void> {
    const security = (this.security = loadSecurity(this.config, { warn: this.warn, info: (msg, fields) => this.log.info(fields, msg) }));
    this.pool.useTls(security.peerTls);
    const storage = (this.storage = await this.openStorage());
    const identity = (this.identity = await establishIdentity(storage, this.config, this.warn, (seeds) => discoverCluster(seeds, this.pool, DISCOVERY_TIMEOUT_MS)));
    const view = (this.view = await this.clusterView(storage, identity));
    const replication = (this.replication = this.replicationPath({ storage, identity, view }));
    const requests = (this.requests = await this.requestPath({ storage, identity, view, replication }));
    const layers: Layers = { storage, identity, view, replication, requests };
    this.collectMetrics(layers);
    this.http = this.httpServer(layers, security);
    const [host, port] = splitHostPort(this.config.listen);
    await this.http.listen(host, port);
    security.watch();
    if (!security.serverTls && !isLoopback(host))
      this.log.warn({ listen: this.config.listen }, 'SERVING WITHOUT TLS ON A NON-LOOPBACK ADDRESS: anyone who can reach this port can read and write every key, and send replica writes and gossip. Set tlsCert, tlsKey and tlsCa (mutual TLS between nodes) and tokenFile (client tokens): see docs/architecture.md, Security');
    await this.join(layers);
    this.startBackground(layers);
    this.ready = true;
    const ring = view.ring.current;
    this.log.info(
      { listen: this.config.listen, advertise: identity.advertise, cluster: identity.clusterId, ringVersion: ring.version, checksum: ring.checksum, partitions: ring.partitionCount, nodes: ring.nodes.length },
      'quorumkv node serving',
    );
  }

  /** Announces the leave to peers (bounded wait), stops serving and closes storage. */
  async stop(): Promise<void> {
    this.ready = false;
    await this.view?.membership.leave(LEAVE_WAIT_MS).catch((err: unknown) => this.warn('cannot announce leave', { error: String(err) }));
    this.security?.stop();
    this.replication?.hints.stop();
    this.replication?.admission.stop();
    this.replication?.handoff.stop();
    this.view?.puller.stop();
    this.view?.oldCopies.stop();
    clearInterval(this.claimantTimer);
    const reaping = this.requests?.reaper.stop();
    this.stopSweeper?.();
    await this.http?.close();
    // Writes this node coordinated settle first: one whose commit fails distrusts its epoch, and
    // that must be in the state the clean-stop marker is written with.
    await this.requests?.coordinator.drain();
    this.replication?.router.close();
    this.pool.close();
    // The reaper's batch in progress (its sends fail now) may merge copies, which can distrust epochs.
    await reaping;
    await this.requests?.epochs.markCleanStop().catch((err: unknown) => this.warn('cannot record clean stop', { error: String(err) }));
    await this.storage?.close();
  }

  private openStorage(): Promise<StorageEngine> {
    const c = this.config;
    mkdirSync(c.dataDir, { recursive: true });
    return openLmdbEngine({
      path: c.dataDir,
      partitionCount: c.partitions,
      // The engine refuses a data dir laid out for another partition count, so the ring's Q is c.partitions.
      partitioner: (b, k) => partitionOf(c.partitions, b, k),
      mapSizeBytes: c.mapSizeBytes,
      durability: c.durability,
      // A corrupt record may have held the only copy of dots this node minted: see ActorEpochs.
      onCorruptRecord: (err) => {
        this.warn('corrupt record', { error: err.message });
        this.requests?.epochs.distrustAfterLostRecord();
      },
    });
  }

  /**
   * The ring (stored, or the first one computed from the definition), gossip, and bucket
   * properties, wired so that gossiped metadata reaches them and their changes are gossiped.
   */
  private async clusterView(storage: StorageEngine, identity: NodeIdentity): Promise<ClusterView> {
    const c = this.config;
    const { nodeId, clusterId } = identity;
    const stored = storage.getMeta('ring');
    const ring = stored ? new RingState(decodeRing(stored)) : RingState.create(identity.definition);
    if (!stored) await storage.setMeta('ring', ring.bytes);
    // Every ring from a peer is vetted: a member of this cluster may still send one that would cut
    // this node off (and in insecure mode anyone can send one, so there a newer ring from a request
    // or gossip is only a hint to pull the ring from the claimant).
    const security = this.security!;
    const trusted = (source: RingSource): boolean => source === 'pull' || security.policy.membersOnly || (source === 'gossip' && security.gossipKeys !== undefined);
    const gate = new RingGate({
      ring,
      selfId: nodeId,
      knows: (id) => membership.list.member(id) !== undefined,
      refused: this.metrics.refusedRings,
      warn: this.warn,
      now: Date.now,
      trusted,
      hint: (version) => pulling.puller?.hint(version),
      removed: (version) => this.removedFromCluster(version),
    });
    // The puller is made once gossip and the claimant exist (below); no hint comes before gossip runs.
    const pulling: { puller?: RingPuller } = {};
    const EMPTY = new Uint8Array(0);
    const header = (routedBy?: number): ReplicaHeader => ({
      $typeName: 'quorumkv.v1.ReplicaHeader',
      fromNode: nodeId,
      ringVersion: BigInt(Math.min(routedBy ?? ring.current.version, ring.current.version)),
      clusterId,
      ring: EMPTY,
    });
    const membership: ClusterMembership = new ClusterMembership({
      selfId: nodeId,
      advertise: identity.advertise,
      clusterId,
      probeIntervalMs: c.gossipIntervalMs,
      pool: this.pool,
      now: Date.now,
      acceptMetadata: (e) => e.key !== RING_METADATA_KEY || gate.admit(e.value, e.version, 'gossip'),
      keys: () => this.security?.gossipKeys?.current,
      onRefused: (peer, why, message) =>
        this.log.error(
          { peer, cluster: clusterId, error: message },
          why === 'foreign'
            ? 'a peer refuses this node as belonging to another cluster: check --initial-cluster, --partitions and --n on both'
            : "a peer refuses this node's gossip or internal calls as unauthenticated: check --gossip-key-file (a key both accept) and --tls-ca/--tls-cert (certificates of one cluster CA)",
        ),
      meta: encodeMemberMeta(c.zone ?? identity.definition.nodes.find((f) => f.id === nodeId)?.zone ?? 'default', c.weight ?? identity.definition.nodes.find((f) => f.id === nodeId)?.weight ?? 1),
    });
    const buckets = new BucketRegistry(
      { n: c.n, r: c.r, w: c.w, autoCreate: c.autoCreateBuckets, maxBuckets: c.maxBuckets },
      () => ring.current.nodes.length,
      {
        publish: (key, version, value) => membership.list.setMetadata(key, version, value),
        persist: (key, value) => storage.setMeta(key, value),
      },
      () => {
        const t = ring.current.transition;
        return t && { n: t.n, targetNodes: targetRing(ring.current)!.nodes.length };
      },
    );
    buckets.load(storage.listMeta(BUCKET_METADATA).map((e) => e.value), storage.getMeta('buckets'));
    const oldCopies = this.oldCopies({ nodeId, storage, ring, membership, header, replicaCount: () => buckets.largestN(ring.current.nodes.length) });
    let previous: Ring = ring.current;
    ring.onChange((r, bytes) => {
      const before = previous;
      previous = r;
      oldCopies.ringChanged(before, r);
      buckets.invalidate();
      void storage.setMeta('ring', bytes);
      membership.list.setMetadata(RING_METADATA_KEY, r.version, bytes);
      this.log.info({ version: r.version, checksum: r.checksum }, 'adopted newer ring');
    });
    membership.list.setMetadata(RING_METADATA_KEY, ring.current.version, ring.bytes);
    for (const b of buckets.list()) if (b.version > 0n) membership.list.setMetadata(`bucket:${b.name}`, Number(b.version), toBinary(BucketPropsSchema, b));
    // Registered after the local metadata above: only what peers of this cluster gossip reaches here.
    membership.list.on((e) => {
      if (e.type === 'metadata') {
        // Vetted on arrival (acceptMetadata); this node's own ring is published here too.
        if (e.key === RING_METADATA_KEY) ring.adopt(e.value);
        else buckets.applyMetadata(e.key, e.value);
        return;
      }
      if (e.member.id === nodeId) return;
      ring.noteAddress(e.member.id, e.member.address);
      if (e.type !== 'updated') this.log.info({ member: e.member.id, state: e.type, address: e.member.address, incarnation: e.member.incarnation }, 'membership change');
    });
    const claimant = new Claimant({
      selfId: nodeId,
      ring,
      membership,
      // The largest n of any bucket: a transition's transfers cover every n up to it.
      transitionN: (members) => buckets.largestN(members),
      definedN: identity.definition.n,
      partitionStats: (p) => {
        const keys = storage.countPartition(p);
        return keys > 0 ? { keys, bytes: storage.partitionBytes(p) } : undefined;
      },
      now: Date.now,
      info: (msg, fields) => this.log.info(fields, msg),
      store: storage,
    });
    const puller = (pulling.puller = this.ringPuller({ nodeId, clusterId, ring, membership, gate, claimant, header }));
    return {
      claimant,
      puller,
      oldCopies,
      ring,
      membership,
      buckets,
      header,
      noteRing: (h) => {
        if (!h || h.clusterId !== clusterId || h.ringVersion <= BigInt(ring.current.version)) return;
        if (h.ring.length > 0) gate.offer(h.ring, Number(h.ringVersion), 'replica');
        // A peer's request names a newer version without carrying it: worth a pull where we pull.
        else if (!trusted('replica')) puller.hint(Number(h.ringVersion));
      },
    };
  }

  /** Where `id` is reached: the address gossip or the ring knows. Throws when neither does. */
  private static addressOf(ring: RingState, membership: ClusterMembership, id: string): string {
    const address = ring.addressOf(id) ?? membership.list.member(id)?.address;
    if (address === undefined) throw new Error(`no address for ${id}`);
    return address;
  }

  /** Pulls the ring, on a hint, from the claimant (or the other live members) with ReplicaService.GetRing. */
  private ringPuller(o: { nodeId: string; clusterId: string; ring: RingState; membership: ClusterMembership; gate: RingGate; claimant: Claimant; header: () => ReplicaHeader }): RingPuller {
    const { nodeId, clusterId, ring, membership, gate } = o;
    return new RingPuller({
      selfId: nodeId,
      currentVersion: () => ring.current.version,
      claimantId: () => o.claimant.claimantId(),
      othersUp: () => {
        const inRing = allNodes(ring.current).map((n) => n.id);
        const up = (id: string): boolean => id !== nodeId && membership.isUp(id);
        const others = membership.list.members().map((m) => m.id).filter((id) => !inRing.includes(id));
        return [...inRing.filter(up).sort(), ...others.filter(up).sort()];
      },
      fetch: async (id): Promise<ServedRing | undefined> => {
        const client = this.pool.client(QuorumNode.addressOf(ring, membership, id), ReplicaService);
        const h = (await client.getRing({ header: o.header() }, { timeoutMs: PEER_CALL_TIMEOUT_MS })).header;
        return h && h.clusterId === clusterId && h.ring.length > 0 ? { bytes: h.ring, version: Number(h.ringVersion) } : undefined;
      },
      adopt: (served, from) => {
        if (!gate.admit(served.bytes, served.version, 'pull') || !ring.adopt(served.bytes)) return false;
        this.log.info({ version: served.version, from }, 'pulled a newer ring');
        return true;
      },
      timers: systemTimers,
      debug: (msg, fields) => this.log.debug(fields, msg),
    });
  }

  /** Drops copies of partitions a finished transition took away, once their new holders confirm (ReplicaService.HandoffHeld). */
  private oldCopies(o: { nodeId: string; storage: StorageEngine; ring: RingState; membership: ClusterMembership; header: () => ReplicaHeader; replicaCount: () => number }): OldCopies {
    const { ring, membership } = o;
    return new OldCopies({
      selfId: o.nodeId,
      storage: o.storage,
      ring: () => ring.current,
      held: async (id, since, partitions, orLater) => {
        const client = this.pool.client(QuorumNode.addressOf(ring, membership, id), ReplicaService);
        return (await client.handoffHeld({ header: o.header(), since: BigInt(since), partitions: [...partitions], orLater }, { timeoutMs: PEER_CALL_TIMEOUT_MS })).complete;
      },
      replicaCount: o.replicaCount,
      timers: systemTimers,
      info: (msg, fields) => this.log.info(fields, msg),
      warn: this.warn,
      onLeft: () => void this.leaveCluster(ring.current),
    });
  }

  /** Replica channels to peers at the addresses gossip reports, and hinted handoff over them. */
  private replicationPath({ storage, identity, view }: Pick<Layers, 'storage' | 'identity' | 'view'>): Replication {
    const c = this.config;
    const addressOf = (id: string): string | undefined => view.ring.addressOf(id);
    const router = new ReplicaRouter(this.pool, addressOf, (id) => view.membership.isUp(id), {
      mode: c.replicaTransport,
      batchItems: c.replicaBatchItems,
      batchBytes: c.replicaBatchBytes,
      window: c.replicaWindow,
      maxQueuedItems: c.replicaQueueItems,
      maxQueuedBytes: c.replicaQueueBytes,
      onQueueFull: () => this.metrics.replicaQueueFull.inc(),
      stallMs: c.replicaTimeoutMs,
      header: view.header,
      onHeader: view.noteRing,
      now: Date.now,
    });
    const admission = new HintAdmission(
      {
        storage,
        isMember: (id) => allNodes(view.ring.current).some((n) => n.id === id),
        isUp: (id) => router.isUp(id),
        goneSinceMs: (id) => goneSinceMs(view.membership.list, id),
        metrics: this.metrics,
        now: Date.now,
        timers: systemTimers,
        warn: this.warn,
      },
      {
        // Hints never take more than a quarter of the data file, whatever maxHintBytes says.
        limits: { maxPerTarget: c.maxHintsPerTarget, maxTotal: c.maxHints, maxBytes: Math.min(c.maxHintBytes, Math.floor(c.mapSizeBytes / 4)) },
        windowMs: c.hintWindowMs,
        maxAgeMs: c.hintMaxAgeMs,
      },
    );
    const hints = new HintKeeper(storage, router, this.metrics, { intervalMs: c.hintDeliveryIntervalMs, batchSize: 256, timers: systemTimers, now: Date.now }, this.warn);
    onPeerReturned(view.membership.list, identity.nodeId, () => void hints.deliverAll());
    const handoff = new HandoffSender(
      {
        selfId: identity.nodeId,
        storage,
        ring: view.ring,
        membership: view.membership,
        pool: this.pool,
        isUp: (id) => router.isUp(id),
        // A bucket's n as the transition copies it: clamped to the grown ring, not the smaller one.
        bucketN: (name) => replicasAfter(view.ring.current, view.buckets.resolve(name).configured.n),
        minBucketN: () => Math.min(...view.buckets.list().map((b) => replicasAfter(view.ring.current, b.n))),
        header: view.header,
        metrics: this.metrics,
        now: Date.now,
        warn: this.warn,
        info: (msg, fields) => this.log.info(fields, msg),
      },
      { batchItems: c.handoffBatchItems, batchBytes: c.handoffBatchBytes, bytesPerSecond: c.handoffBytesPerSecond, adaptive: c.handoffPace === 'adaptive', concurrency: c.handoffConcurrency, intervalMs: 1_000 },
    );
    return { router, admission, hints, handoff };
  }

  /** The coordinator and everything around it; durable (the epoch lease) before the node serves. */
  private async requestPath({ storage, identity, view, replication }: Omit<Layers, 'requests'>): Promise<RequestPath> {
    const c = this.config;
    const { nodeId: selfId } = identity;
    const { ring, buckets } = view;
    const { router, admission } = replication;
    const metrics = this.metrics;
    const warn = this.warn;
    // Durable before the node serves: the epoch lease, and that this run has not stopped cleanly.
    const epochs = await ActorEpochs.start(selfId, storage, {
      onPersistError: (err) => warn('cannot persist actor epochs', { error: String(err) }),
      onCorruptState: (err) => warn('actor epochs unreadable: starting a new incarnation', { error: String(err) }),
    });
    const merging = { storage, epochs, tombstoneGraceMs: c.tombstoneGraceMs };
    const coordinator = new Coordinator({ selfId, epochs, config: c, storage, router, hints: admission, metrics, warn, now: Date.now, timers: systemTimers, random: Math.random, ringVersion: () => ring.current.version });
    const applier = new ReplicaApplier({ ...merging, selfId, buckets, ring: () => ring.current, reachAllFrom: () => ring.writesReachAllFrom, metrics, hints: admission, now: Date.now, handoffGrain: 'by-foreground' });
    // Hints for a node that left go to the holders of their keys (forwarding.ts).
    admission.redirectWith((hint) => applier.redirectHint(hint));
    return {
      epochs,
      coordinator,
      frontend: new KvFrontend({ selfId, config: c, ring, buckets, router, pool: this.pool, coordinator, metrics, onLatency: (ms) => replication.handoff.noteForeground(ms) }),
      lister: new KeyLister({ selfId, storage, ring, buckets, router, pool: this.pool, maxPageKeys: c.maxListKeysPage, maxKeyBytes: c.maxKeyBytes, now: Date.now }),
      applier,
      reaper: new DeadRecordReaper({ ...merging, selfId, ring: () => ring.current, buckets, router, hints: admission, replicaTimeoutMs: c.replicaTimeoutMs, now: Date.now, timers: systemTimers, warn }),
      info: ringInfoSource(ring, (id) => view.membership.list.member(id), selfId, () => buckets.resolve('').n),
    };
  }

  /** Gauges that mirror state, filled at scrape time. */
  private collectMetrics({ storage, identity, view, replication, requests }: Layers): void {
    this.metrics.addCollector((m) => {
      const hints = replication.admission.report();
      m.handoffPace.set(replication.handoff.pacedRate());
      m.hintsPending.set(hints.pending);
      m.hintBytes.set(hints.bytes);
      m.hintsPendingByTarget.reset();
      m.hintWindowClosed.reset();
      for (const t of hints.targets) {
        m.hintsPendingByTarget.labels(t.nodeId).set(t.pending);
        m.hintWindowClosed.labels(t.nodeId).set(t.windowClosed ? 1 : 0);
      }
      const stored = storage.stats();
      m.storageBytes.set(stored.bytes);
      m.storageLimitBytes.set(stored.mapSizeBytes ?? 0);
      m.storageFull.set(stored.full ? 1 : 0);
      const counts: Record<string, number> = { alive: 1, suspect: 0, dead: 0, left: 0 };
      for (const member of view.membership.list.members()) if (member.id !== identity.nodeId) counts[member.state] = (counts[member.state] ?? 0) + 1;
      for (const [state, n] of Object.entries(counts)) m.members.labels(state).set(n);
      m.inFlight.set(requests.frontend.requestsInFlight);
      m.connections.set(this.http?.connections ?? 0);
    });
  }

  /** Every service on one port: public KvService and AdminService, internal ReplicaService and MembershipService. */
  private httpServer({ storage, identity, view, replication, requests }: Layers, security: NodeSecurity): HttpServer {
    const c = this.config;
    const { nodeId: selfId, clusterId } = identity;
    const { ring, membership, buckets } = view;
    const { frontend, lister, info, applier } = requests;
    const metrics = this.metrics;
    const limits = streamLimitsOf(c);
    const nodeBudget = new NodeBudget(limits.node);
    const streamBudget = streamBudgetFactory({ stream: limits.stream, connection: limits.connections.connection, node: nodeBudget, initialResultBytes: limits.initialResultBytes });
    const permit = permitOf(security.policy);
    const replicaDeps: ReplicaServiceDeps = {
      selfId,
      clusterId: () => clusterId,
      ringVersion: () => ring.current.version,
      ringBytes: () => ring.bytes,
      noteRing: view.noteRing,
      ringMember: (id) => allNodes(ring.current).some((n) => n.id === id),
      applier,
      handoffs: new HandoffLedger({ selfId, storage, ring: () => ring.current }),
      metrics,
      streamBudget,
    };
    // Internal traffic carries whole records and keeps the protocol's ceiling; the public API gets
    // maxMessageBytes (a Session message larger than that is skipped and answered, up to the ceiling).
    const publicMessages = { readMaxBytes: limits.maxMessageBytes };
    return new HttpServer({
      ...(security.serverTls ? { tls: security.serverTls } : {}),
      policy: security.policy,
      callerOf: security.callerOf,
      ready: () => this.ready,
      metrics: () => metrics.render(),
      readMaxBytes: MAX_ENVELOPE_BYTES,
      limits: limits.connections,
      node: nodeBudget,
      rawStreamOptions: { limits: limits.stream, initialResultBytes: limits.initialResultBytes },
      streamingPaths: streamingPathsOf([KvService, AdminService, ReplicaService, MembershipService]),
      // Peers' internal calls are not held back: a held call could be what frees the room.
      budgetedUnaryPaths: unaryPathsOf([KvService, AdminService]),
      unaryBudget: { limits: limits.stream, resultBytes: limits.initialResultBytes },
      onRawStream: (path) => metrics.rawStreams.labels(path).inc(),
      onCut: (scope, reason) => (scope === 'connection' ? metrics.connectionsCut : metrics.streamsCut).labels(reason).inc(),
      rawStreams: new Map([
        [
          '/quorumkv.v1.ReplicaService/Replicate',
          { handler: replicateRawStream(replicaDeps), maxMessageBytes: MAX_ENVELOPE_BYTES, skipUpToBytes: MAX_ENVELOPE_BYTES, limitName: 'MAX_ENVELOPE_BYTES' },
        ],
        [
          '/quorumkv.v1.KvService/Session',
          { handler: sessionRawStream(frontend, metrics, permit), maxMessageBytes: limits.maxMessageBytes, skipUpToBytes: MAX_ENVELOPE_BYTES, limitName: 'maxMessageBytes' },
        ],
      ]),
      routes: (r) => {
        r.service(KvService, kvService(frontend, info, lister, { metrics, streamBudget, permit }), publicMessages);
        r.service(AdminService, { ...adminService({
          selfId,
          clusterId: () => clusterId,
          definition: identity.definition,
          peerStatus: (id) => {
            const address = ring.addressOf(id);
            if (!address) return Promise.reject(new Error('no address'));
            return this.pool.client(address, AdminService).status({}, { timeoutMs: PEER_STATUS_TIMEOUT_MS });
          },
          version: SERVER_VERSION,
          startedAtMs: this.startedAtMs,
          maxKeyBytes: c.maxKeyBytes,
          ring,
          ringInfo: info,
          membership,
          buckets,
          storage,
          ready: () => this.ready,
          requestsInFlight: () => frontend.requestsInFlight,
          hints: () => replication.admission.report(),
          isUp: (id) => id === selfId || replication.router.isUp(id),
          claimant: view.claimant,
          handoffs: () => replication.handoff.progress(),
          othersUp: () => allNodes(ring.current).map((n) => n.id).filter((id) => id !== selfId && replication.router.isUp(id)),
          partitionStats: (p) => ({ keys: storage.countPartition(p), bytes: storage.partitionBytes(p) }),
          bytesPerSecond: c.handoffBytesPerSecond,
          peerAdmin: (id) => {
            const address = ring.addressOf(id) ?? membership.list.member(id)?.address;
            return address === undefined ? undefined : this.pool.client(address, AdminService);
          },
        }), ...this.clusterCreate({ storage, identity, view, replication }) }, publicMessages);
        r.service(ReplicaService, replicaService(replicaDeps));
        r.service(MembershipService, membershipService(membership, metrics), publicMessages);
      },
    });
  }

  /** CreateCluster (this node proposes its cluster) and AdoptCluster (this node, alone, takes one). */
  private clusterCreate({ storage, identity, view, replication }: Omit<Layers, 'requests'>): ReturnType<typeof clusterCreate> {
    const c = this.config;
    const { nodeId: selfId } = identity;
    const { ring, membership, buckets } = view;
    // Client writes this node refused while forming a cluster resume once the grown ring's change
    // begins (from then on growthRefusal in the coordinator refuses them until it finishes). The
    // refusal is noted in storage meta, so a restart before that keeps refusing: the ring it
    // restarts with is still one node's (n = 1), and a write acknowledged then would keep one copy.
    let formingClosed = false;
    const lone = (r: Ring): boolean => r.transition === undefined && allNodes(r).length === 1;
    const closeForming = (why: string): Promise<void> => {
      formingClosed = true;
      return this.requests?.coordinator.closeWrites(`node ${selfId} is forming a cluster (cluster create${why}): writes resume once the grown ring is in force`) ?? Promise.resolve();
    };
    const reopenForming = (): void => {
      formingClosed = false;
      this.requests?.coordinator.reopenWrites();
      void storage.deleteMeta(FORMING_META).catch((err: unknown) => this.warn('cannot clear the cluster-forming note', { error: String(err) }));
    };
    if (storage.getMeta(FORMING_META) !== undefined) {
      if (lone(ring.current)) void closeForming(', interrupted by a restart: run it again to go on');
      else reopenForming();
    }
    ring.onChange((r) => {
      if (formingClosed && !lone(r)) reopenForming();
    });
    return clusterCreate({
      selfId,
      clusterId: () => identity.clusterId,
      advertise: identity.advertise,
      partitions: identity.definition.partitions,
      n: identity.definition.n,
      ring: () => ring.current,
      facts: () => ({
        selfId,
        ring: ring.current,
        peers: membership.list.members().filter((m) => m.id !== selfId && (m.state === 'alive' || m.state === 'suspect')).map((m) => m.id),
        records: storage.stats().keys,
        hints: replication.admission.report().pending,
        buckets: buckets.list().filter((b) => b.version > 0n).map((b) => b.name),
        partitions: c.partitions,
        n: c.n,
      }),
      isAlive: (id) => membership.list.member(id)?.state === 'alive',
      claimant: view.claimant,
      adminAt: (address) => this.pool.client(address, AdminService),
      discover: (seed) => discoverCluster([seed], this.pool, PEER_CALL_TIMEOUT_MS),
      store: async (found) => {
        await storeJoinedCluster(storage, found, { nodeId: selfId, partitions: c.partitions, n: c.n, zone: c.zone, weight: c.weight });
      },
      closeWrites: () => this.requests?.coordinator.closeWrites(`node ${selfId} is taking another cluster (cluster create)`) ?? Promise.resolve(),
      // A proposal refused after closing writes for it must not end a create's refusal (cluster-forming).
      reopenWrites: () => (formingClosed ? void closeForming('') : this.requests?.coordinator.reopenWrites()),
      abandonForming: reopenForming,
      closeWritesUntilGrown: async () => {
        const closing = closeForming('');
        // Durable before anything is proposed: a node that takes this cluster may restart on it first.
        await storage.setMeta(FORMING_META, new Uint8Array([1]));
        await closing;
      },
      adopted: () => {
        this.ready = false;
        this.log.warn({ cluster: identity.clusterId }, 'this node took a proposed cluster (cluster create): restarting on it');
        setTimeout(() => this.events.onAdopted?.(), ADOPT_RESTART_DELAY_MS);
      },
      canRestart: this.events.onAdopted !== undefined,
      now: Date.now,
    });
  }

  /**
   * Joins gossip through the seeds and the ring's other nodes, and waits (bounded) until gossip
   * has heard of every ring node: routing uses only nodes gossip knows, so a node that served at
   * once would take its peers for down and hint every write.
   */
  private async join({ identity, view }: Layers): Promise<void> {
    const others = allNodes(view.ring.current).filter((n) => n.id !== identity.nodeId);
    view.membership.start([...new Set([...this.config.seeds, ...others.map((n) => view.ring.addressOf(n.id) ?? n.address)])]);
    const ids = others.map((n) => n.id);
    const until = Date.now() + JOIN_WAIT_MS;
    while (!view.membership.knowsAll(ids) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  /** --auto-join: asks the claimant to stage and commit this node's join (retried by the caller's timer). */
  private async askToJoin(view: ClusterView, selfId: string): Promise<void> {
    const claimant = view.claimant.claimantId();
    if (claimant === selfId) return;
    const address = view.ring.addressOf(claimant);
    if (address === undefined) return;
    const admin = this.pool.client(address, AdminService);
    try {
      await admin.join({ nodeId: selfId }, { timeoutMs: 5_000 });
      const { ringVersion } = await admin.commit({ fromVersion: 0n }, { timeoutMs: 5_000 });
      this.log.info({ ringVersion }, 'auto-join committed');
    } catch (err) {
      this.log.debug({ error: String(err) }, 'auto-join not committed yet');
    }
  }

  /**
   * The claimant's ring no longer names this node, which never left: it was force-removed. Serving
   * on from its old ring would hand out (and read-repair back) values the cluster has deleted and
   * reaped since, so the node stops at once; its data dir must be wiped before it joins again.
   */
  private removedFromCluster(version: number): void {
    if (this.removed) return;
    this.removed = true;
    this.ready = false;
    this.log.error({ ringVersion: version }, 'this node was force-removed from the cluster (the claimant\'s ring no longer names it); stopping: wipe its data dir before it joins again');
    this.events.onRemoved?.();
  }

  /**
   * This node's leave finished and every copy is dropped: the hints it keeps for others are not
   * lost with it (each goes to its target, or to a remaining member that keeps it for the target);
   * then the process is told, after a few gossip rounds so the final ring spreads even when this
   * node was the claimant that made it.
   */
  private async leaveCluster(after: Ring): Promise<void> {
    const [replication, view] = [this.replication, this.view];
    const relayFor = (target: string): string | undefined => after.nodes.find((n) => n.id !== target && view?.membership.isUp(n.id))?.id;
    try {
      const left = await replication?.hints.handOver(relayFor, systemTimers.monotonicMs() + HINT_HAND_OVER_MS);
      if (left) this.warn('hints not handed over before leaving', { hints: left });
    } catch (err) {
      this.warn('cannot hand over hints before leaving', { error: String(err) });
    }
    setTimeout(() => this.events.onLeft?.(), LEFT_STOP_DELAY_MS);
  }

  private startBackground({ storage, identity, view, replication, requests }: Layers): void {
    const c = this.config;
    if (c.hintedHandoff) replication.hints.start();
    replication.admission.start();
    replication.handoff.start();
    view.oldCopies.resume();
    const autoJoin = c.autoJoin ? new AutoJoin({ selfId: identity.nodeId, ring: view.ring, store: storage, ask: () => this.askToJoin(view, identity.nodeId), warn: this.warn }) : undefined;
    this.claimantTimer = setInterval(() => {
      try {
        view.claimant.advance();
      } catch (err) {
        this.warn('cannot advance the ring change', { error: String(err) });
      }
      autoJoin?.tick();
    }, CLAIMANT_INTERVAL_MS);
    this.claimantTimer.unref();
    requests.reaper.start(Math.max(100, Math.min(c.tombstoneGraceMs / 2, 5_000)));
    this.stopSweeper = storage.startSweeper({ intervalMs: 10_000, batchLimit: 1000, onError: (err) => this.warn('expiry sweep failed', { error: String(err) }) });
  }
}

/** How long a node that left tries to hand over the hints it keeps before it stops anyway. */
const HINT_HAND_OVER_MS = 30_000;

/** How long a node that took a proposed cluster waits (its answer is sent meanwhile) before it restarts on it. */
const ADOPT_RESTART_DELAY_MS = 100;
/** Storage meta noting that this node refuses client writes while it forms a cluster (cluster create). */
const FORMING_META = 'cluster-forming';

/** How long a node that left keeps gossiping before it stops (the final ring spreads meanwhile). */
const LEFT_STOP_DELAY_MS = 2_000;

/** How long a ring pull or a HandoffHeld question waits for its answer. */
const PEER_CALL_TIMEOUT_MS = 5_000;

/** How often the claimant looks for completed transfers (and an auto-joining node for its chance). */
const CLAIMANT_INTERVAL_MS = 500;

function splitHostPort(hostPort: string): [string, number] {
  const i = hostPort.lastIndexOf(':');
  return [hostPort.slice(0, i), Number(hostPort.slice(i + 1))];
}

/** The HTTP paths of the methods of `services` that `pick` chooses. */
function methodPaths(services: DescService[], pick: (unary: boolean) => boolean): Set<string> {
  return new Set(services.flatMap((s) => s.methods.filter((m) => pick(m.methodKind === 'unary')).map((m) => `/${s.typeName}/${m.name}`)));
}

/** The HTTP paths of the streaming methods of `services`. */
function streamingPathsOf(services: DescService[]): Set<string> {
  return methodPaths(services, (unary) => !unary);
}

/** The HTTP paths of the unary methods of `services`. */
function unaryPathsOf(services: DescService[]): Set<string> {
  return methodPaths(services, (unary) => unary);
}
