// The coordinator: runs a client's Get, Put or Delete on the key's replicas (DESIGN.md "Requests").
// The node calls it only when it is itself one of the key's primaries; otherwise it forwards.
import {
  ReplicaOp,
  ReplicaStatus,
  type DeleteRequest,
  type DeleteResponse,
  type GetRequest,
  type GetResponse,
  type PutRequest,
  type PutResponse,
  type QuorumReceipt,
  type ReplicaItemResult,
  type Sibling,
} from '@quorumkv/protocol';
import { CorruptRecordError, STORAGE_FULL_MESSAGE_PREFIX, StorageFullError, type StorageEngine } from '@quorumkv/storage';
import { join, type VersionVector } from '@quorumkv/vclock';
import type { ActorEpochs } from '../cluster/actor-epochs.js';
import { growthRefusal } from '../cluster/growth-writes.js';
import type { Timers } from '../clock/timers.js';
import type { ServerConfig } from '../config/config-schema.js';
import { NodeNotReadyError, NodeRingMovedError, NodeStorageFullError, NodeQuorumNotMetError, NodeTooManySiblingsError } from '../errors/errors.js';
import type { NodeMetrics } from '../observability/metrics.js';
import { decodeKeyContext, encodeKeyContext } from '../record/key-context.js';
import { applyWrite, decodeStored, encodeRecord, liveSiblings, storedForm, type KeyRecord, type WriteIntent } from '../record/key-record.js';
import type { HintAdmission } from '../replication/hint-admission.js';
import type { ReplicaTransport } from '../replication/replica-transport.js';
import { quorumRequest, type LocalOutcome, type QuorumOutcome } from './quorum-request.js';
import { mergeReplicaRecords, repairReplicas, type RepairDeps } from './read-repair.js';
import { effectiveQuorum, effectiveTimeout, type RequestPlan } from './request-plan.js';
import { deadlineOf, isOver, type RequestScope } from './request-scope.js';

export interface CoordinatorDeps {
  selfId: string;
  /** Chooses the actor each write's dot is minted under (per-key actor epochs). */
  epochs: ActorEpochs;
  config: ServerConfig;
  storage: StorageEngine;
  router: ReplicaTransport;
  hints: Pick<HintAdmission, 'keep'>;
  metrics: NodeMetrics;
  warn: (msg: string, fields: Record<string, unknown>) => void;
  now: () => number;
  /** Replica timeouts and latencies (virtual in the simulation). */
  timers: Timers;
  /** Uniform in [0, 1): picks the reads that ask every primary (`readRepairChance`). */
  random: () => number;
  /** The version of the ring this node routes with now (a write's plan must still be of it when its dot is minted). */
  ringVersion: () => number;
}

const EMPTY: Uint8Array = new Uint8Array(0);

/**
 * The error of a failed quorum: the deadline passed, or too few replicas could answer. A write
 * that missed W because replicas (this one included) had no room says so: RESOURCE_EXHAUSTED
 * STORAGE_FULL naming them, not a quorum failure that hides the cause.
 */
function quorumFailed(operation: 'get' | 'put' | 'delete', o: QuorumOutcome): NodeQuorumNotMetError | NodeStorageFullError {
  const replicas = o.replicas.map((x) => ({ ...x }));
  const full = o.expired || operation === 'get' ? [] : replicas.filter((r) => !r.ok && r.error.startsWith(STORAGE_FULL_MESSAGE_PREFIX));
  if (full.length > 0) {
    const where = full.map((r) => `${r.nodeId} (${r.error.slice(STORAGE_FULL_MESSAGE_PREFIX.length)})`).join(', ');
    return new NodeStorageFullError(`${operation} stored on ${o.answered} of the ${o.required} replicas required; no room on ${where}`);
  }
  return new NodeQuorumNotMetError({ operation, asked: o.asked, answered: o.answered, required: o.required, replicas, deadlinePassed: o.expired });
}

type Replication = { quorum: Promise<QuorumOutcome>; all: Promise<QuorumOutcome> };

/** A request whose deadline passed (or whose caller went away) before this node did any work for it. */
function tooLate(operation: 'get' | 'put' | 'delete', required: number): NodeQuorumNotMetError {
  return new NodeQuorumNotMetError({ operation, asked: 0, answered: 0, required, replicas: [], deadlinePassed: true });
}

/** What {@link Coordinator.mint} needs of a write. */
interface MintInput {
  plan: RequestPlan;
  key: Uint8Array;
  context: VersionVector | undefined;
  intent: WriteIntent;
  w: number;
  /** Absolute deadline (wall-clock ms): no dot is minted at or after it. */
  deadlineMs: number;
  scope: RequestScope | undefined;
}

/** Runs quorum operations for keys this node is a primary of. */
export class Coordinator {
  /** Local commits of coordinated writes still in progress (see {@link drain}). */
  private readonly committing = new Set<Promise<unknown>>();
  /** Why client writes are refused for now (this node is taking another cluster or forming one), or undefined. */
  private writesClosed: string | undefined;

  private readonly repair: RepairDeps;

  constructor(private readonly d: CoordinatorDeps) {
    this.repair = { ...d, tombstoneGraceMs: d.config.tombstoneGraceMs };
  }

  /** Resolves once every local commit started so far has settled and been accounted for (clean stop). */
  async drain(): Promise<void> {
    while (this.committing.size > 0) await Promise.all([...this.committing]);
    // One more turn: a failed commit's handler (which distrusts its epoch) runs after the settling.
    await new Promise((resolve) => setImmediate(resolve));
  }

  /**
   * Refuses every client write from now on (NodeNotReadyError naming `reason`) and resolves once
   * the writes already minting have committed: after it, storage holds every write this node will
   * ever acknowledge on its current cluster (AdoptCluster checks it is still empty then).
   */
  async closeWrites(reason: string): Promise<void> {
    this.writesClosed = reason;
    await this.drain();
  }

  /** Accepts client writes again (a {@link closeWrites} whose purpose was abandoned). */
  reopenWrites(): void {
    this.writesClosed = undefined;
  }

  /**
   * Put (or, with `tombstone`, Delete): new dot locally, then replicate and wait for W.
   * @param scope - the caller's signal and a forwarder's absolute deadline: nothing is written once either says stop
   */
  async put(req: PutRequest, plan: RequestPlan, scope?: RequestScope): Promise<PutResponse> {
    const ttlMs = req.ttlMs > 0n ? Number(req.ttlMs) : plan.bucket.defaultTtlMs;
    const { record, outcome, lwwLost } = await this.write('put', req.key, req.context, req.w, req.timeoutMs, plan, false, req.value, ttlMs, scope);
    const nowMs = this.d.now();
    const live = liveSiblings(record, nowMs);
    return {
      $typeName: 'quorumkv.v1.PutResponse',
      context: encodeKeyContext(plan.bucket.nameBytes, req.key, join(record)),
      siblings: req.returnBody ? this.siblings(live) : [],
      receipt: this.receipt(outcome, plan, live.length, lwwLost),
    };
  }

  /** Delete: a tombstone with the caller's context (the reaper removes it once nothing can revive the key). */
  async delete(req: DeleteRequest, plan: RequestPlan, scope?: RequestScope): Promise<DeleteResponse> {
    const { outcome, lwwLost } = await this.write('delete', req.key, req.context, req.w, req.timeoutMs, plan, true, EMPTY, 0, scope);
    return { $typeName: 'quorumkv.v1.DeleteResponse', receipt: this.receipt(outcome, plan, 0, lwwLost) };
  }

  /** Get: ask the replicas R needs (all N on a `readRepairChance` share), answer after R, read-repair the stale ones afterwards. */
  async get(req: GetRequest, plan: RequestPlan, scope?: RequestScope): Promise<GetResponse> {
    const { config, storage, selfId, router } = this.d;
    const r = effectiveQuorum('r', req.r, plan.bucket.r, plan.bucket.n);
    const nowMs = this.d.now();
    const deadlineMs = deadlineOf(scope, effectiveTimeout(req.timeoutMs, config.requestTimeoutMs), nowMs);
    if (isOver(scope, deadlineMs, nowMs)) throw tooLate('get', r);
    const timeoutMs = deadlineMs - nowMs;
    const key = req.key;

    let local: { ok: boolean; error: string; result?: ReplicaItemResult; latencyUs: number };
    try {
      const rec = storage.get(plan.bucket.nameBytes, key, plan.partition);
      local = { ok: true, error: '', latencyUs: 0, result: localResult(rec?.value) };
    } catch (err) {
      if (!(err instanceof CorruptRecordError)) throw err;
      local = { ok: false, error: 'corrupt record', latencyUs: 0, result: localResult(undefined, ReplicaStatus.CORRUPT) };
    }
    const item = { op: ReplicaOp.READ, bucket: plan.bucket.name, key, partition: plan.partition, record: EMPTY, expiresAtMs: 0n, hintFor: '', deadlineMs: BigInt(deadlineMs) };
    const { primaries, spares } = this.readTargets(plan, r, local.ok);
    // Corrupt copies do not count towards R, but read repair must rewrite them.
    const corrupt = new Map<string, ReplicaItemResult>();
    if (local.result?.status === ReplicaStatus.CORRUPT) corrupt.set(selfId, local.result);
    const { quorum, all } = quorumRequest({
      required: r,
      local,
      selfId,
      primaries,
      spares,
      speculateAfterMs: config.speculativeRetryMs,
      fallbacks: [],
      send: (id) =>
        router.send(id, { ...item }).then((res) => {
          if (res.status === ReplicaStatus.CORRUPT) corrupt.set(id, res);
          return res;
        }),
      isAvailable: (id) => router.isUp(id),
      accept: (res) => res.status === ReplicaStatus.OK || res.status === ReplicaStatus.NOT_FOUND,
      replicaTimeoutMs: config.replicaTimeoutMs,
      timeoutMs,
      timers: this.d.timers,
    });
    // Repair even when R is not met: a read of R = N that meets a corrupt copy fails, and would
    // keep failing if it did not rewrite that copy from the answers it got.
    void all
      .then((final) => {
        for (const [id, res] of corrupt) final.results.set(id, res);
        return repairReplicas(final, plan, this.repair);
      })
      .catch((err: unknown) => this.d.warn('read repair failed', { bucket: plan.bucket.name, error: err instanceof Error ? err.message : String(err) }));
    const outcome = await quorum.catch((o: QuorumOutcome) => {
      throw quorumFailed('get', o);
    });
    const merged = mergeReplicaRecords(outcome.results.values(), plan.bucket.lww);
    const receipt = this.receipt(outcome, plan, 0);
    if (!merged) return { $typeName: 'quorumkv.v1.GetResponse', found: false, siblings: [], context: EMPTY, receipt };
    const siblings = this.siblings(liveSiblings(merged, nowMs));
    receipt.siblingCount = siblings.length;
    return { $typeName: 'quorumkv.v1.GetResponse', found: siblings.length > 0, siblings, context: encodeKeyContext(plan.bucket.nameBytes, key, join(merged)), receipt };
  }

  /**
   * Which other primaries a Get asks at first, and which it keeps in reserve: all of them on a
   * `readRepairChance` share of reads (full read repair), otherwise only as many reachable ones as
   * R still needs after this node's own copy.
   */
  private readTargets(plan: RequestPlan, r: number, localOk: boolean): { primaries: string[]; spares: string[] } {
    const { selfId, router, config } = this.d;
    const others = plan.primaries.filter((p) => p !== selfId);
    const need = r - (localOk ? 1 : 0);
    if (need >= others.length || this.d.random() < config.readRepairChance) return { primaries: others, spares: [] };
    const primaries: string[] = [];
    const spares: string[] = [];
    for (const p of others) (primaries.length < need && router.isUp(p) ? primaries : spares).push(p);
    // Too few reachable: ask everyone, so the answer lists each primary that is down.
    if (primaries.length < need) return { primaries: others, spares: [] };
    return { primaries, spares };
  }

  private async write(
    operation: 'put' | 'delete',
    key: Uint8Array,
    contextBytes: Uint8Array,
    requestedW: number | undefined,
    requestedTimeoutMs: number | undefined,
    plan: RequestPlan,
    tombstone: boolean,
    value: Uint8Array,
    ttlMs: number,
    scope: RequestScope | undefined,
  ): Promise<{ record: KeyRecord; outcome: QuorumOutcome; lwwLost: boolean }> {
    const { config } = this.d;
    const w = effectiveQuorum('w', requestedW, plan.bucket.w, plan.bucket.n);
    const context = decodeKeyContext(contextBytes, plan.bucket.nameBytes, key);
    const nowMs = this.d.now();
    const deadlineMs = deadlineOf(scope, effectiveTimeout(requestedTimeoutMs, config.requestTimeoutMs), nowMs);
    if (isOver(scope, deadlineMs, nowMs)) throw tooLate(operation, w);
    // The skew knob moves only the timestamp LWW picks winners by, never expiry.
    const timestampMs = plan.bucket.lww ? nowMs + config.lwwClockOffsetMs : nowMs;
    const intent = { tombstone, value, timestampMs, expiresAtMs: ttlMs > 0 ? nowMs + ttlMs : 0 };
    const { record, replication, kept } = await this.mint({ plan, key, context, intent, w, deadlineMs, scope });
    if (record.siblings.length > config.siblingsWarn) this.d.warn('key has many siblings', { bucket: plan.bucket.name, siblings: record.siblings.length });
    const outcome = await replication.quorum.catch((o: QuorumOutcome) => {
      throw quorumFailed(operation, o);
    });
    return { record, outcome, lwwLost: !kept };
  }

  /**
   * Mints the write's dot in the key's local read-modify-write transaction and starts replication
   * from inside it; resolves once the local commit settled (its outcome goes to the quorum).
   */
  private async mint(m: MintInput): Promise<{ record: KeyRecord; replication: Replication; kept: boolean }> {
    const { config, storage, epochs } = this.d;
    const { plan, key, context, intent } = m;
    let record: KeyRecord | undefined;
    let refused = 0;
    let late = false;
    let closed: string | undefined;
    let moved: number | undefined;
    let kept = true;
    let replication: Replication | undefined;
    let settleLocal!: (l: LocalOutcome) => void;
    const localDone = new Promise<LocalOutcome>((resolve) => (settleLocal = resolve));
    const started = this.d.timers.monotonicMs();
    let settleMint = (): void => undefined;
    for (let attempt = 1; ; attempt++) {
      let noEpoch = false;
      const stored = storage.update(
        plan.bucket.nameBytes,
        key,
        (cur) => {
          // Runs inside the write transaction, serialized with every other write of the key here, so
          // each dot is minted exactly once. A local record that is absent, corrupt or undecodable
          // counts as absent: the write then gets a fresh epoch. The last moment to drop a write
          // whose deadline passed or whose caller went away while it waited (e.g. in a paused
          // process's socket buffer, or behind other writes of the key): after this, it exists.
          if (isOver(m.scope, m.deadlineMs, this.d.now())) {
            late = true;
            return undefined;
          }
          // The plan (replica set, bucket n, pending holders) was made by the ring of when the
          // request arrived; the write goes out now, so it must be made by the ring in force now.
          // A plan of an older ring misses holders when the ring changed meanwhile: a one-node
          // ring's n = 1 once the change growing it began (one copy, and the change's growth
          // refusal never asked), or a transition's pending holders. The front door routes the
          // write again (KvFrontend.run).
          const current = this.d.ringVersion();
          if (current !== plan.ring.version) {
            moved = current;
            return undefined;
          }
          // Checked here, in the key's write transaction, so closeWrites' drain covers every write
          // that got past it (a retry after an epoch wait included).
          closed = this.writesClosed ?? growthRefusal(plan.ring, plan.bucket.configured.n, plan.bucket.configured.w);
          if (closed !== undefined) return undefined;
          const local = decodeStored(cur);
          // (A corrupt one was reported by storage, which distrusted the epochs: see node.ts.)
          if (cur && !local) epochs.distrustAfterLostRecord();
          const actor = epochs.actorFor(local?.context);
          if (actor === undefined) {
            noEpoch = true;
            return undefined;
          }
          // A delete without a context deletes everything the coordinator holds (as the contract says).
          const effectiveContext = intent.tombstone && !context && local ? join(local) : context;
          const next = applyWrite(local, effectiveContext, actor, intent, plan.bucket.lww);
          if (next.siblings.length > config.siblingsMax) {
            refused = next.siblings.length;
            return undefined;
          }
          record = next;
          const dot = next.context.get(actor)!;
          // In an LWW bucket the new value may lose at once to a later one stored here.
          kept = next.siblings.some((s) => s.node === actor && s.counter === dot);
          settleMint = epochs.minted(actor, dot);
          const encoded = encodeRecord(next);
          // Replicas start their fsync while ours is in progress (Cassandra-style parallel writes);
          // if our own commit then fails, the epoch is distrusted so its dots are never minted again.
          replication = this.replicate(plan, key, encoded, m.w, m.deadlineMs, localDone);
          return storedForm(next, encoded, config.tombstoneGraceMs);
        },
        plan.partition,
      );
      const settled = stored.catch(() => undefined);
      this.committing.add(settled);
      void settled.then(() => this.committing.delete(settled));
      try {
        await stored;
        settleMint();
      } catch (err) {
        if (!replication) {
          if (err instanceof StorageFullError) throw new NodeStorageFullError(err.message);
          throw err;
        }
        // The record went out but is not stored here: never mint its dot again.
        epochs.distrustAfterFailedCommit();
        settleMint();
        settleLocal({ ok: false, error: err instanceof Error ? err.message : String(err), latencyUs: 0 });
        break;
      }
      if (late) throw tooLate(intent.tombstone ? 'delete' : 'put', m.w);
      if (moved !== undefined) throw new NodeRingMovedError(plan.ring.version, moved);
      if (closed !== undefined) throw new NodeNotReadyError(closed);
      if (!noEpoch) {
        settleLocal({ ok: true, error: '', latencyUs: Math.round((this.d.timers.monotonicMs() - started) * 1000) });
        break;
      }
      // Every leased epoch is handed out: wait for the next block to be durable, then mint.
      if (attempt === 3) throw new Error('no actor epoch available: the epoch lease could not be extended in time');
      await epochs.available();
    }
    if (refused > 0) throw new NodeTooManySiblingsError(refused, config.siblingsMax);
    if (!record || !replication) throw new Error('storage update did not run');
    return { record, replication, kept };
  }

  /** Sends a coordinated record to the other primaries (fallbacks and hints for the down ones). */
  private replicate(
    plan: RequestPlan,
    key: Uint8Array,
    encoded: Uint8Array,
    w: number,
    deadlineMs: number,
    local: Promise<LocalOutcome>,
  ): Replication {
    const { config, selfId, router, hints } = this.d;
    const timeoutMs = Math.max(1, deadlineMs - this.d.now());
    // Replicas get at least the replica timeout, whatever the client's deadline (see unreachedAfterMs):
    // one that drops the item as late would need a hint as surely as one that never answered.
    const itemDeadlineMs = this.d.now() + Math.max(timeoutMs, config.replicaTimeoutMs);
    const item = {
      op: ReplicaOp.WRITE,
      bucket: plan.bucket.name,
      key,
      partition: plan.partition,
      record: encoded,
      expiresAtMs: 0n,
      hintFor: '',
      deadlineMs: BigInt(itemDeadlineMs),
    };
    const replication = quorumRequest({
      required: w,
      local,
      selfId,
      primaries: plan.primaries.filter((p) => p !== selfId),
      fallbacks: config.hintedHandoff ? plan.fallbacks : [],
      send: (id, hintFor) => router.send(id, { ...item, hintFor }, plan.ring.version),
      isAvailable: (id) => router.isUp(id),
      accept: (res) => res.status === ReplicaStatus.OK,
      onUnreached: config.hintedHandoff ? (primary) => void hints.keep(primary, plan.bucket.nameBytes, key, encoded) : undefined,
      unreachedAfterMs: config.replicaTimeoutMs,
      replicaTimeoutMs: config.replicaTimeoutMs,
      timeoutMs,
      timers: this.d.timers,
    });
    if (plan.pending.length === 0) return replication;
    // Nodes gaining the key in an ownership transition get the write too, before it is
    // acknowledged: the transfer may have passed this key already. One that fails gets a hint.
    const toPending = plan.pending.map((id) =>
      router
        .send(id, { ...item, hintFor: '' }, plan.ring.version)
        .then((res) => res.status === ReplicaStatus.OK)
        .catch(() => false)
        .then((ok) => (ok ? undefined : hints.keep(id, plan.bucket.nameBytes, key, encoded))),
    );
    const pending = Promise.all(toPending);
    return { quorum: replication.quorum.then(async (o) => (await pending, o)), all: replication.all.then(async (o) => (await pending, o)) };
  }

  // Plain message objects rather than protobuf-es's reflective create(): these are built per request.
  private receipt(o: QuorumOutcome, plan: RequestPlan, siblingCount: number, lwwLost = false): QuorumReceipt {
    return {
      $typeName: 'quorumkv.v1.QuorumReceipt',
      required: o.required,
      asked: o.asked,
      answered: o.answered,
      replicas: o.replicas.map((x) => ({ $typeName: 'quorumkv.v1.ReplicaAnswer', ...x })),
      siblingCount,
      ringVersion: BigInt(plan.ring.version),
      coordinator: this.d.selfId,
      forwarded: false,
      lwwLost,
    };
  }

  private siblings(live: ReturnType<typeof liveSiblings>): Sibling[] {
    return live.map((s) => ({
      $typeName: 'quorumkv.v1.Sibling',
      value: s.value,
      timestampMs: BigInt(Math.trunc(s.timestampMs)),
      tombstone: false,
      expiresAtMs: BigInt(Math.trunc(s.expiresAtMs)),
      writtenBy: s.writtenBy,
    }));
  }
}

function localResult(record: Uint8Array | undefined, status?: ReplicaStatus): ReplicaItemResult {
  return {
    $typeName: 'quorumkv.v1.ReplicaItemResult',
    id: 0n,
    status: status ?? (record ? ReplicaStatus.OK : ReplicaStatus.NOT_FOUND),
    record: record ?? EMPTY,
    expiresAtMs: 0n,
    error: '',
  };
}
