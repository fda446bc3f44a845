// A QuorumKV node: opens storage, forms or loads the ring, joins gossip, and serves every service
// on one port. Each collaborator is a named piece (coordinator, replica router, hinted handoff,
// dead-record reaper, membership); this file only wires them.
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { toBinary } from '@bufbuild/protobuf';
import { AdminService, BucketPropsSchema, KvService, MembershipService, ReplicaService, type ReplicaHeader } from '@quorumkv/protocol';
import { decodeRing, partitionOf } from '@quorumkv/ring';
import { openLmdbEngine, type StorageEngine } from '@quorumkv/storage';
import { ActorEpochs } from './cluster/actor-epochs.js';
import { systemTimers } from './clock/timers.js';
import { BucketRegistry } from './cluster/buckets.js';
import { ClusterMembership } from './cluster/membership.js';
import { RING_METADATA_KEY, RingState } from './cluster/ring-state.js';
import type { ServerConfig } from './config/config-schema.js';
import { Coordinator } from './coordinator/coordinator.js';
import { KeyLister } from './coordinator/key-lister.js';
import { KvFrontend } from './coordinator/kv-frontend.js';
import { DeadRecordReaper } from './coordinator/dead-record-reaper.js';
import { HttpServer } from './http/http-server.js';
import { NodeMetrics } from './observability/metrics.js';
import { HintKeeper } from './replication/hinted-handoff.js';
import { PeerPool } from './replication/peer-pool.js';
import { ReplicaApplier } from './replication/replica-applier.js';
import { ReplicaRouter } from './replication/replica-router.js';
import { adminService } from './services/admin-service.js';
import { kvService, sessionRawStream } from './services/kv-service.js';
import { membershipService } from './services/membership-service.js';
import { replicaService, replicateRawStream } from './services/replica-service.js';
import { ringInfoSource } from './services/ring-info.js';

export const SERVER_VERSION = '0.1.0';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A data dir that belongs to another node or cluster than the config says. */
export class DataDirMismatchError extends Error {
  override readonly name = 'DataDirMismatchError';
}

export class QuorumNode {
  readonly log: Logger;
  private storage!: StorageEngine;
  private http!: HttpServer;
  private membership!: ClusterMembership;
  private router!: ReplicaRouter;
  private hints!: HintKeeper;
  private reaper!: DeadRecordReaper;
  private epochs: ActorEpochs | undefined;
  private coordinator: Coordinator | undefined;
  private readonly pool = new PeerPool();
  private stopSweeper: (() => void) | undefined;
  private ready = false;
  private nodeId = '';
  private clusterId = '';

  constructor(readonly config: ServerConfig) {
    this.log = pino({ level: config.logLevel, base: { node: config.nodeId } });
  }

  get id(): string {
    return this.nodeId;
  }

  async start(): Promise<void> {
    const c = this.config;
    const advertise = c.advertise ?? c.listen;
    mkdirSync(c.dataDir, { recursive: true });
    this.storage = await openLmdbEngine({
      path: c.dataDir,
      partitionCount: c.partitions,
      // The engine refuses a data dir laid out for another partition count, so the ring's Q is c.partitions.
      partitioner: (b, k) => partitionOf(c.partitions, b, k),
      mapSizeBytes: c.mapSizeBytes,
      durability: c.durability,
    });
    const storage = this.storage;

    this.nodeId = await this.identity('node-id', c.nodeId, () => c.nodeId ?? 'node-1');
    const initial = c.initialCluster.length > 0 ? c.initialCluster : [{ id: this.nodeId, address: advertise }];
    if (!initial.some((m) => m.id === this.nodeId))
      throw new DataDirMismatchError(`node id "${this.nodeId}" is not in --initial-cluster (${initial.map((m) => m.id).join(', ')})`);
    this.clusterId = await this.identity('cluster-id', undefined, () =>
      c.initialCluster.length > 0
        ? createHash('sha256').update(`${c.partitions}|${[...initial].map((m) => `${m.id}=${m.address}`).sort().join(',')}`).digest('hex').slice(0, 16)
        : randomUUID().replaceAll('-', '').slice(0, 16),
    );
    const storedRing = storage.getMeta('ring');
    const ring = storedRing
      ? new RingState(decodeRing(storedRing))
      : RingState.create(c.partitions, initial.map((m) => ({ id: m.id, address: m.id === this.nodeId ? advertise : m.address, zone: m.id === this.nodeId ? c.zone : undefined })), c.n);
    if (!storedRing) await storage.setMeta('ring', ring.bytes);

    const metrics = new NodeMetrics((m) => {
      m.hintsPending.set(storage.countHints());
      const counts: Record<string, number> = { alive: 1, suspect: 0, dead: 0, left: 0 };
      for (const member of this.membership.list.members()) if (member.id !== this.nodeId) counts[member.state] = (counts[member.state] ?? 0) + 1;
      for (const [state, n] of Object.entries(counts)) m.members.labels(state).set(n);
      m.inFlight.set(frontend.requestsInFlight);
    });
    const warn = (msg: string, fields: Record<string, unknown>): void => this.log.warn(fields, msg);


    this.membership = new ClusterMembership({
      selfId: this.nodeId,
      advertise,
      probeIntervalMs: c.gossipIntervalMs,
      pool: this.pool,
      onEvent: (e) => {
        if (e.type === 'metadata') {
          if (e.key === RING_METADATA_KEY) this.adoptRing(ring, e.value);
          else buckets.applyMetadata(e.key, e.value);
          return;
        }
        if (e.member.id === this.nodeId) return;
        if (e.type === 'alive' || e.type === 'joined') void this.hints?.deliverAll();
        if (e.type !== 'updated') this.log.info({ member: e.member.id, state: e.type }, 'membership change');
      },
    });
    const membership = this.membership;
    const buckets: BucketRegistry = new BucketRegistry({ n: c.n, r: c.r, w: c.w, autoCreate: c.autoCreateBuckets }, () => ring.current.nodes.length, {
      publish: (key, version, value) => membership.list.setMetadata(key, version, value),
      persist: (all) => storage.setMeta('buckets', all),
    });
    buckets.load(storage.getMeta('buckets'));
    ring.onChange((r, bytes) => {
      buckets.invalidate();
      void storage.setMeta('ring', bytes);
      membership.list.setMetadata(RING_METADATA_KEY, r.version, bytes);
      this.log.info({ version: r.version, checksum: r.checksum }, 'adopted newer ring');
    });
    membership.list.setMetadata(RING_METADATA_KEY, ring.current.version, ring.bytes);
    for (const b of buckets.list()) if (b.version > 0n) membership.list.setMetadata(`bucket:${b.name}`, Number(b.version), toBinary(BucketPropsSchema, b));

    const header = (): ReplicaHeader =>
      ({ $typeName: 'quorumkv.v1.ReplicaHeader', fromNode: this.nodeId, ringVersion: BigInt(ring.current.version), clusterId: this.clusterId, ring: new Uint8Array(0) });
    const noteRing = (h: ReplicaHeader | undefined): void => {
      if (h && h.ring.length > 0 && h.ringVersion > BigInt(ring.current.version)) this.adoptRing(ring, h.ring);
    };
    const addressOf = (id: string): string | undefined => ring.addressOf(id) ?? membership.list.member(id)?.address;
    this.router = new ReplicaRouter(this.pool, addressOf, (id) => membership.isAlive(id), {
      mode: c.replicaTransport,
      batchItems: c.replicaBatchItems,
      batchBytes: c.replicaBatchBytes,
      window: c.replicaWindow,
      stallMs: c.replicaTimeoutMs,
      header,
      onHeader: noteRing,
      now: Date.now,
    });
    const router = this.router;
    this.hints = new HintKeeper(storage, router, metrics, { intervalMs: c.hintDeliveryIntervalMs, batchSize: 256, timers: systemTimers }, warn);
    // Durable before the node serves: the epoch lease, and that this run has not stopped cleanly.
    const epochs = await ActorEpochs.start(this.nodeId, storage, { onPersistError: (err) => warn('cannot persist actor epochs', { error: String(err) }) });
    this.epochs = epochs;
    const merging = { storage, epochs, tombstoneGraceMs: c.tombstoneGraceMs };
    this.reaper = new DeadRecordReaper({ ...merging, selfId: this.nodeId, ring: () => ring.current, buckets, router, replicaTimeoutMs: c.replicaTimeoutMs, now: Date.now, timers: systemTimers, warn });
    const coordinator = new Coordinator({ selfId: this.nodeId, epochs, config: c, storage, router, hints: this.hints, metrics, warn, now: Date.now, timers: systemTimers, random: Math.random });
    this.coordinator = coordinator;
    const frontend = new KvFrontend(this.nodeId, c, ring, buckets, router, this.pool, coordinator, metrics);
    const lister = new KeyLister(this.nodeId, storage, ring, buckets, router, this.pool, Date.now);
    const info = ringInfoSource(ring, (id) => membership.list.member(id), this.nodeId, () => buckets.resolve('').n);
    const applier = new ReplicaApplier({ ...merging, selfId: this.nodeId, buckets, ring: () => ring.current, metrics, now: Date.now });

    const replicaDeps = {
      selfId: this.nodeId,
      clusterId: () => this.clusterId,
      ringVersion: () => ring.current.version,
      ringBytes: () => ring.bytes,
      noteRing,
      applier,
      metrics,
    };
    this.http = new HttpServer({
      ready: () => this.ready,
      metrics: () => metrics.render(),
      readMaxBytes: c.maxValueBytes * 2 + 64 * 1024 * 1024,
      onRawStream: (path) => metrics.rawStreams.labels(path).inc(),
      rawStreams: new Map([
        ['/quorumkv.v1.ReplicaService/Replicate', replicateRawStream(replicaDeps)],
        ['/quorumkv.v1.KvService/Session', sessionRawStream(frontend, metrics)],
      ]),
      routes: (r) => {
        r.service(KvService, kvService(frontend, info, lister, metrics));
        r.service(AdminService, adminService({
          selfId: this.nodeId,
          clusterId: () => this.clusterId,
          version: SERVER_VERSION,
          startedAtMs: Date.now(),
          maxKeyBytes: c.maxKeyBytes,
          ring,
          ringInfo: info,
          membership,
          buckets,
          storage,
          ready: () => this.ready,
          requestsInFlight: () => frontend.requestsInFlight,
          isUp: (id) => id === this.nodeId || router.isUp(id),
        }));
        r.service(ReplicaService, replicaService(replicaDeps));
        r.service(MembershipService, membershipService(membership));
      },
    });
    const [host, port] = splitHostPort(c.listen);
    await this.http.listen(host, port);
    membership.start([...c.seeds, ...initial.filter((m) => m.id !== this.nodeId).map((m) => m.address)]);
    if (c.hintedHandoff) this.hints.start();
    this.reaper.start(Math.max(100, Math.min(c.tombstoneGraceMs / 2, 5_000)));
    this.stopSweeper = storage.startSweeper({ intervalMs: 10_000, batchLimit: 1000, onError: (err) => warn('expiry sweep failed', { error: String(err) }) });
    this.ready = true;
    this.log.info({ listen: c.listen, advertise, cluster: this.clusterId, ringVersion: ring.current.version, partitions: ring.current.partitionCount, nodes: ring.current.nodes.length }, 'quorumkv node serving');
  }

  /** Stops serving, leaves gossip gracefully and closes storage. */
  async stop(): Promise<void> {
    this.ready = false;
    this.membership?.stop();
    this.hints?.stop();
    const reaping = this.reaper?.stop();
    this.stopSweeper?.();
    await this.http?.close();
    // Writes this node coordinated settle first: one whose commit fails distrusts its epoch, and
    // that must be in the state the clean-stop marker is written with.
    await this.coordinator?.drain();
    this.router?.close();
    this.pool.close();
    // The reaper's batch in progress (its sends fail now) may merge copies, which can distrust epochs.
    await reaping;
    await this.epochs?.markCleanStop().catch((err: unknown) => this.log.warn({ error: String(err) }, 'cannot record clean stop'));
    await this.storage?.close();
  }

  private adoptRing(ring: RingState, bytes: Uint8Array): void {
    try {
      ring.adopt(bytes);
    } catch (err) {
      this.log.warn({ error: (err as Error).message }, 'ignoring corrupt ring');
    }
  }

  /** An identity kept in the data dir: the stored one wins, and must match the configured one. */
  private async identity(name: string, configured: string | undefined, fresh: () => string): Promise<string> {
    const stored = this.storage.getMeta(name);
    if (stored) {
      const value = decoder.decode(stored);
      if (configured !== undefined && configured !== value)
        throw new DataDirMismatchError(`data dir ${this.config.dataDir} belongs to ${name} "${value}", not "${configured}"`);
      return value;
    }
    const value = fresh();
    await this.storage.setMeta(name, encoder.encode(value));
    return value;
  }
}

function splitHostPort(hostPort: string): [string, number] {
  const i = hostPort.lastIndexOf(':');
  return [hostPort.slice(0, i), Number(hostPort.slice(i + 1))];
}
