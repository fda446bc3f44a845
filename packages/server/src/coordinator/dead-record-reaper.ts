// Removes dead records (every sibling a tombstone or expired) once nothing can bring back a value
// their causal context covers. Each node reaps only its own copies, from its durable due index
// (storage `listDue`: due = death time + tombstoneGraceMs, the same on every replica holding the
// same bytes), in bounded batches on a timer. A record is reaped here only when, at that moment:
//   1. every node of the ring is up (routing's view): a down node may hold hints or a stale copy;
//   2. every other node that may hold a copy of the key (its primaries under any n a bucket can
//      have: n can be lowered, and a former primary keeps its copy) answers a READ with exactly
//      the same bytes, or NOT_FOUND (a copy that differs is merged both ways instead, so the
//      copies converge, and we retry);
//   3. every ring node, this one included, holds no hint for any of those nodes
//      (ReplicaOp.HINTS_PENDING);
//   4. `storage.reap` still finds the same bytes (a write racing the reaper is never lost).
// Otherwise the record's due time is pushed later (doubling with how overdue it is, bounded).
// The grace must exceed the longest a stale in-flight item can live: replica items carry
// deadlines and replicas drop items past them, so only what is stored (copies, hints) can revive a
// key, and rules 1-3 check all of it. Like Riak, no tombstone is reaped while any node is down,
// nor while the ring has an ownership transition: copies are then on their way to new holders
// (rules 2 and 3 could not see a copy in a transfer batch), so reaping waits until it finishes.
import { ReplicaOp, ReplicaStatus, type ReplicaItem, type ReplicaItemResult } from '@quorumkv/protocol';
import { allNodes, type Ring } from '@quorumkv/ring';
import type { DueItem, StorageEngine } from '@quorumkv/storage';
import { possibleHolders, type EffectiveBucket } from '../cluster/buckets.js';
import { decodeStored, deathTime, encodeRecord, mergeRecords, type KeyRecord } from '../record/key-record.js';
import type { CancelTimer, Timers } from '../clock/timers.js';
import type { HintAdmission } from '../replication/hint-admission.js';
import { mergeIntoLocal, type LocalMergeDeps } from '../replication/local-merge.js';
import type { ReplicaTransport } from '../replication/replica-transport.js';
import { quorumRequest } from './quorum-request.js';

export interface ReaperDeps extends LocalMergeDeps {
  selfId: string;
  storage: StorageEngine;
  ring: () => Ring;
  buckets: { resolve(name: string): EffectiveBucket };
  /** Routing's view of peers and the channel to each (ReplicaRouter). */
  router: Pick<ReplicaTransport, 'isUp' | 'send'>;
  /** Whether this node may still deliver a hint for a node (stored, or dropped too recently). */
  hints: Pick<HintAdmission, 'pendingFor'>;
  replicaTimeoutMs: number;
  now: () => number;
  /** Drives the reaping interval and the reaper's replica timeouts (virtual in the simulation). */
  timers: Timers;
  warn: (msg: string, fields: Record<string, unknown>) => void;
}

/** What the reaper did with one due record. */
export type ReapOutcome = 'reaped' | 'postponed' | 'changed';

/** Records considered at once. */
const BATCH = 64;
/**
 * Batches per tick at most: a backlog drains at up to 64 × 64 records per tick (~800/s at the
 * 5 s interval of the default grace) rather than one batch per tick (~13/s, less than a modest
 * rate of TTL writes or deletes, so the store would grow without bound), while one tick's work
 * stays bounded.
 */
const MAX_BATCHES_PER_TICK = 64;
/** Bounds of the postponement delay. */
const MIN_POSTPONE_MS = 1_000;
const MAX_POSTPONE_MS = 10 * 60_000;
const decoder = new TextDecoder();

/** Identifies a due record within one tick. */
function dueKey(item: DueItem): string {
  return `${item.partition}/${Buffer.from(item.bucket).toString('hex')}/${Buffer.from(item.key).toString('hex')}`;
}

export class DeadRecordReaper {
  private cancelTimer: CancelTimer | undefined;
  private running = false;
  private stopped = false;
  /** The tick in progress (resolved when none). */
  private tick: Promise<unknown> = Promise.resolve();

  constructor(private readonly d: ReaperDeps) {}

  start(intervalMs: number): void {
    this.cancelTimer = this.d.timers.every(intervalMs, () => {
      if (this.running) return;
      this.running = true;
      this.tick = this.reapDue()
        .catch((err: unknown) => this.d.warn('reaping failed', { error: err instanceof Error ? err.message : String(err) }))
        .finally(() => (this.running = false));
    });
  }

  /**
   * Starts no more batches; resolves once the tick in progress has ended. A clean stop waits for
   * it before its marker: a merge of the reaper can distrust epochs, which the marker must include.
   */
  stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    return this.tick.then(() => undefined);
  }

  /**
   * Considers the due records, batch after batch, each at most once per call; returns what happened
   * to each.
   */
  async reapDue(): Promise<ReapOutcome[]> {
    const outcomes: ReapOutcome[] = [];
    // A record still due after its batch (e.g. its postponement could not be written) is listed
    // again: the tick ends there rather than considering it twice.
    const seen = new Set<string>();
    for (let batch = 0; batch < MAX_BATCHES_PER_TICK && !this.stopped; batch++) {
      const due = this.d.storage.listDue({ untilMs: this.d.now(), limit: BATCH });
      const fresh = due.filter((item) => !seen.has(dueKey(item)));
      if (fresh.length === 0) break;
      for (const item of fresh) seen.add(dueKey(item));
      const done = await this.reapBatch(fresh);
      outcomes.push(...done);
      if (done.length === 0 || due.length < BATCH) break;
    }
    return outcomes;
  }

  /** Considers one batch of due records. */
  private async reapBatch(due: DueItem[]): Promise<ReapOutcome[]> {
    // Rule 1, once per batch: with a node down nothing can be reaped, and nothing is rewritten.
    if (!this.allNodesUp()) return [];
    if (this.d.ring().transition !== undefined) return Promise.all(due.map((item) => this.postpone(item, item.record.dueAtMs ?? this.d.now())));
    return Promise.all(
      due.map((item) =>
        this.consider(item).catch((err: unknown) => {
          // E.g. a bucket not known here yet: this record waits, the others of the batch go on.
          this.d.warn('cannot reap record', { error: err instanceof Error ? err.message : String(err) });
          return this.postpone(item, item.record.dueAtMs ?? this.d.now());
        }),
      ),
    );
  }

  /** Reaps `item` here if rules 2-4 hold now, otherwise postpones it. */
  async consider(item: DueItem): Promise<ReapOutcome> {
    const local = decodeStored(item.record);
    const died = local && deathTime(local);
    // Not dead any more (cannot happen for a record still carrying a due time, but cheap to check).
    if (local === undefined || died === undefined) return 'changed';
    const bucket = this.d.buckets.resolve(decoder.decode(item.bucket));
    const holders = possibleHolders(this.d.ring(), item.partition);
    const others = holders.filter((p) => p !== this.d.selfId);
    const [copies, noHints] = await Promise.all([this.sameCopies(item, bucket, local, others), this.noHintsAnywhere(item, bucket, holders)]);
    if (copies && noHints && (await this.d.storage.reap(item.bucket, item.key, item.record.value, item.partition))) {
      this.d.epochs.noteReaped(item.bucket, item.key, local.context);
      return 'reaped';
    }
    return this.postpone(item, died + this.d.tombstoneGraceMs);
  }

  private allNodesUp(): boolean {
    return allNodes(this.d.ring()).every((n) => n.id === this.d.selfId || this.d.router.isUp(n.id));
  }

  /**
   * Rule 2: every other possible holder keeps exactly our bytes or nothing. Copies that differ are merged
   * both ways (theirs into ours, the union to them), so the next attempt finds them equal.
   */
  private async sameCopies(item: DueItem, bucket: EffectiveBucket, local: KeyRecord, others: readonly string[]): Promise<boolean> {
    if (others.length === 0) return true;
    const results = await this.ask(others, item, bucket, ReplicaOp.READ);
    // A primary that did not answer in time counts as different.
    let same = results.size === others.length;
    let merged = local;
    const differing: string[] = [];
    for (const [nodeId, r] of results) {
      if (r.status === ReplicaStatus.NOT_FOUND) continue;
      if (r.status === ReplicaStatus.OK && Buffer.compare(r.record, item.record.value) === 0) continue;
      same = false;
      const theirs = r.status === ReplicaStatus.OK ? decodeStored({ value: r.record }) : undefined;
      if (theirs) merged = mergeRecords(merged, theirs, bucket.lww);
      if (theirs || r.status === ReplicaStatus.CORRUPT) differing.push(nodeId);
    }
    if (differing.length > 0) {
      const bytes = encodeRecord(merged);
      if (merged !== local) await mergeIntoLocal(this.d, { bucket: item.bucket, key: item.key, partition: item.partition, lww: bucket.lww }, merged, bytes);
      for (const nodeId of differing) void this.d.router.send(nodeId, this.item(item, bucket, ReplicaOp.WRITE, bytes)).catch(() => undefined);
    }
    return same;
  }

  /** Rule 3: no ring node (this one included) keeps a hint for a possible holder of the key. */
  private async noHintsAnywhere(item: DueItem, bucket: EffectiveBucket, holders: readonly string[]): Promise<boolean> {
    if (holders.some((p) => this.d.hints.pendingFor(p))) return false;
    const nodes = allNodes(this.d.ring()).map((n) => n.id).filter((id) => id !== this.d.selfId);
    if (nodes.length === 0) return true;
    const results = await this.ask(nodes, item, bucket, ReplicaOp.HINTS_PENDING);
    return results.size === nodes.length && [...results.values()].every((r) => r.status === ReplicaStatus.OK);
  }

  /** Sends one item to each node and collects the answers that came back in time. */
  private async ask(nodes: readonly string[], item: DueItem, bucket: EffectiveBucket, op: ReplicaOp): Promise<Map<string, ReplicaItemResult>> {
    const request = this.item(item, bucket, op, new Uint8Array(0));
    const { quorum, all } = quorumRequest({
      required: nodes.length,
      selfId: this.d.selfId,
      primaries: nodes,
      fallbacks: [],
      send: (id) => this.d.router.send(id, request),
      isAvailable: (id) => this.d.router.isUp(id),
      accept: () => true,
      replicaTimeoutMs: this.d.replicaTimeoutMs,
      timeoutMs: this.d.replicaTimeoutMs,
      timers: this.d.timers,
    });
    quorum.catch(() => undefined); // only `all` is used: every answer, or its absence
    return (await all).results;
  }

  private item(item: DueItem, bucket: EffectiveBucket, op: ReplicaOp, record: Uint8Array): Omit<ReplicaItem, 'id' | '$typeName'> {
    return {
      op,
      bucket: bucket.name,
      key: item.key,
      partition: item.partition,
      record,
      expiresAtMs: 0n,
      hintFor: '',
      deadlineMs: BigInt(this.d.now() + this.d.replicaTimeoutMs),
    };
  }

  /** Pushes the due time later, by how overdue the record already is (so doubling), bounded. */
  private async postpone(item: DueItem, firstDueAtMs: number): Promise<ReapOutcome> {
    const now = this.d.now();
    const delay = Math.min(MAX_POSTPONE_MS, Math.max(MIN_POSTPONE_MS, now - firstDueAtMs));
    await this.d.storage
      .update(item.bucket, item.key, (cur) => (cur && Buffer.compare(cur.value, item.record.value) === 0 ? { ...cur, dueAtMs: now + delay } : undefined), item.partition)
      .catch((err: unknown) => this.d.warn('cannot postpone reaping', { error: err instanceof Error ? err.message : String(err) }));
    return 'postponed';
  }
}
