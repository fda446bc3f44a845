// Ownership handoff, sending side: while the ring has a transition, each transfer (a key-partition
// and a node joining its replica set) is streamed by one source to the new holder over
// ReplicaService.Handoff, in batches, throttled, and checkpointed after every acknowledged batch
// so that a transfer interrupted by a crash of either side resumes where it stopped. Completed
// transfers are reported in gossip metadata ("handoff:<node>"), which the claimant turns into
// done partitions.
//
// The source of a transfer is the first up node among the current replicas that hold every bucket
// it sends (sources[0], the owner, holds all; sources[i] holds buckets with n > i; only buckets that
// exist count), so every node picks the same source from the same view, and another takes over when
// the first is down (a claimant killed mid-change is often a source too).
import { create } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import { HandoffRequestSchema, HandoffState, ReplicaService, packHandoffRecords, type HandoffProgress, HandoffProgressSchema, type HandoffRecord, type ReplicaHeader } from '@quorumkv/protocol';
import { transfersOf, type Ring, type Transfer } from '@quorumkv/ring';
import type { Cursor, ScanItem, ScanPage, StorageEngine } from '@quorumkv/storage';
import { HANDOFF_METADATA_PREFIX, transferKey, type HandoffReport } from '../cluster/claimant.js';
import type { ClusterMembership } from '../cluster/membership.js';
import type { RingState } from '../cluster/ring-state.js';
import type { NodeMetrics } from '../observability/metrics.js';
import type { PeerPool } from '../replication/peer-pool.js';
import { nextTurn } from '../http/next-turn.js';
import { scanGrain } from '../replication/handoff-lane.js';
import { CheckpointWriter } from './checkpoint-writer.js';
import { HandoffPace, paceOptions } from './handoff-pace.js';

export interface HandoffSenderOptions {
  /** Records per Handoff message, at most. */
  batchItems: number;
  /** A Handoff message ends once its keys and records reach this many bytes. */
  batchBytes: number;
  /** Bytes per second each node sends in total (0: unthrottled). */
  bytesPerSecond: number;
  /** The rate backs off while the node's client requests are slower than without transfers (handoff-pace.ts); otherwise bytesPerSecond holds. */
  adaptive: boolean;
  /** Transfers this node sends at once. */
  concurrency: number;
  /** How often the sender looks for work, ms. */
  intervalMs: number;
}

export interface HandoffSenderDeps {
  selfId: string;
  storage: StorageEngine;
  ring: RingState;
  membership: ClusterMembership;
  pool: PeerPool;
  /** A node is worth sending to (gossip and the replica channel). */
  isUp: (nodeId: string) => boolean;
  /** The n of a bucket by name in the transition (see replicasAfter in the ring package). */
  bucketN: (bucket: string) => number;
  /** The smallest such n of any bucket. */
  minBucketN: () => number;
  header: () => ReplicaHeader;
  metrics: NodeMetrics;
  now: () => number;
  warn: (msg: string, fields: Record<string, unknown>) => void;
  info: (msg: string, fields: Record<string, unknown>) => void;
}

interface Running {
  readonly transfer: Transfer;
  sent: number;
  total: number;
  bytesSent: number;
  readonly bytesTotal: number;
  readonly startedAt: number;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();
const HANDOFF_TIMEOUT_MS = 30_000;
/** Batches of one transfer sent and not yet acknowledged, at most. */
const BATCHES_IN_FLIGHT = 3;
const MIN_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;
/** The smallest batch the adaptive pace shrinks batches to, bytes. */
const MIN_PACED_BATCH_BYTES = 16 * 1024;
/** A throttle wait sleeps at most this long before it looks again (timers overflow past 2^31 ms). */
const MAX_THROTTLE_SLEEP_MS = 60_000;

/** Metadata key of the checkpoint (the scan cursor after the last acknowledged batch) of a transfer. */
function checkpointKey(since: number, t: Transfer): string {
  return `handoff-checkpoint:${since}:${t.partition}:${t.to}`;
}

export class HandoffSender {
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly running = new Map<string, Running>();
  private readonly completed = new Set<string>();
  /** Failed transfers wait before their next attempt (doubling from 1 s up to 30 s). */
  private readonly backoff = new Map<string, { at: number; delayMs: number; error: string }>();
  private completedSince = -1;
  private stopped = false;
  /** When the batches handed to the throttle so far have had their time, each at the rate it was priced at (d.now()'s clock). */
  private paidUntil = 0;
  /** Records a batch's scan reads per event-loop turn (finer when throttled: see scanGrain). */
  private readonly scanSlice: number;
  private readonly pace: HandoffPace | undefined;
  /** The throttle's queue: each batch's turn follows the one before it. */
  private gate: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly d: HandoffSenderDeps,
    private readonly o: HandoffSenderOptions,
  ) {
    this.scanSlice = scanGrain(o.bytesPerSecond).chunkRecords;
    this.pace = o.adaptive && o.bytesPerSecond > 0 ? new HandoffPace(paceOptions(o.bytesPerSecond)) : undefined;
  }

  /** A client request this node coordinated took `ms`: the adaptive pace's signal. */
  noteForeground(ms: number): void {
    this.pace?.observe(ms, this.d.now(), this.running.size > 0);
  }

  /** Bytes per second this node sends at, as paced now (0: unthrottled). */
  pacedRate(): number {
    return this.pace?.at(this.d.now()) ?? this.o.bytesPerSecond;
  }

  start(): void {
    this.timer = setInterval(() => this.poll(), this.o.intervalMs);
    this.timer.unref();
    this.d.ring.onChange(() => this.poll());
    this.poll();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /**
   * Transfers this node sends: the running ones with their progress (records and bytes sent, of
   * the partition's), then those waiting for a slot or for their retry (with the last error).
   */
  progress(): HandoffProgress[] {
    const now = this.d.now();
    const base = (t: Transfer) => ({ partition: t.partition, fromNode: this.d.selfId, toNode: t.to });
    const active = [...this.running.values()].map((r) =>
      create(HandoffProgressSchema, {
        ...base(r.transfer),
        state: HandoffState.ACTIVE,
        sent: BigInt(r.sent),
        total: BigInt(r.total),
        bytesSent: BigInt(r.bytesSent),
        bytesTotal: BigInt(r.bytesTotal),
        elapsedMs: BigInt(Math.max(0, now - r.startedAt)),
        error: this.backoff.get(transferKey(r.transfer.partition, r.transfer.to))?.error ?? '',
      }),
    );
    const waiting = this.pendingHere().flatMap((t) => {
      const key = transferKey(t.partition, t.to);
      if (this.running.has(key)) return [];
      const retry = this.backoff.get(key);
      const total = this.d.storage.countPartition(t.partition);
      const totals = { total: BigInt(total), bytesTotal: BigInt(this.d.storage.partitionBytes(t.partition)) };
      if (retry === undefined) return [create(HandoffProgressSchema, { ...base(t), ...totals, state: HandoffState.QUEUED })];
      return [create(HandoffProgressSchema, { ...base(t), ...totals, state: HandoffState.RETRYING, error: retry.error, retryInMs: BigInt(Math.max(0, retry.at - now)) })];
    });
    return [...active, ...waiting];
  }

  /** Transfers of the current transition this node is the source of and has not completed. */
  private pendingHere(): Transfer[] {
    const t = this.d.ring.current.transition;
    if (t === undefined || this.completedSince !== t.since) return [];
    return transfersOf(this.d.ring.current).filter((transfer) => !this.completed.has(transferKey(transfer.partition, transfer.to)) && this.sourceOf(transfer) === this.d.selfId);
  }

  /** Starts the transfers this node is the source of, up to the concurrency limit. */
  poll(): void {
    if (this.stopped) return;
    const ring = this.d.ring.current;
    const t = ring.transition;
    if (t === undefined) return;
    if (this.completedSince !== t.since) this.restoreReport(t.since);
    for (const transfer of transfersOf(ring)) {
      if (this.running.size >= this.o.concurrency) return;
      const key = transferKey(transfer.partition, transfer.to);
      if (this.completed.has(key) || this.running.has(key) || (this.backoff.get(key)?.at ?? 0) > this.d.now()) continue;
      if (this.sourceOf(transfer) !== this.d.selfId || !this.d.isUp(transfer.to)) continue;
      const run: Running = {
        transfer,
        sent: 0,
        total: this.d.storage.countPartition(transfer.partition),
        bytesSent: 0,
        bytesTotal: this.d.storage.partitionBytes(transfer.partition),
        startedAt: this.d.now(),
      };
      this.running.set(key, run);
      void this.send(ring, run)
        .then((finished) => {
          this.backoff.delete(key);
          if (finished) this.complete(t.since, key);
        })
        .catch((err: unknown) => {
          const delayMs = Math.min(MAX_BACKOFF_MS, (this.backoff.get(key)?.delayMs ?? MIN_BACKOFF_MS / 2) * 2);
          this.backoff.set(key, { at: this.d.now() + delayMs, delayMs, error: oneLine(err) });
          this.d.warn('handoff failed; retrying from its checkpoint', { partition: transfer.partition, to: transfer.to, retryInMs: delayMs, error: err instanceof Error ? err.message : String(err) });
        })
        .finally(() => {
          this.d.metrics.handoffSendSeconds.inc(Math.max(0, this.d.now() - run.startedAt) / 1000);
          this.running.delete(key);
          if (this.running.size === 0) this.pace?.idle(this.d.now());
          if (!this.stopped) setTimeout(() => this.poll(), 0).unref();
        });
    }
  }

  private sourceOf(t: Transfer): string | undefined {
    // No bucket has an n in minN..maxN: the transfer carries nothing, any live source completes it
    // (the owner may be a dead node being forced out).
    const minBucketN = this.d.minBucketN();
    const holdAll = minBucketN > t.maxN ? t.sources.length : Math.max(t.minN, Math.min(minBucketN, t.maxN));
    return t.sources.slice(0, holdAll).find((id) => id === this.d.selfId || this.d.isUp(id));
  }

  /**
   * Streams one transfer from its checkpoint; resolves true once it is complete. Up to
   * {@link BATCHES_IN_FLIGHT} batches are sent at once (the next is read and sent while the receiver
   * commits the previous one); acknowledgements are taken in order, and the checkpoint moves past a
   * batch only once it and every batch before it are acknowledged, i.e. durable on the receiver.
   * Checkpoint writes are queued behind the stream rather than awaited by it: a checkpoint lost to a
   * crash only means resuming from an earlier acknowledged batch.
   */
  private async send(ring: Ring, run: Running): Promise<boolean> {
    const { transfer } = run;
    const since = ring.transition!.since;
    const address = this.d.ring.addressOf(transfer.to) ?? this.d.membership.list.member(transfer.to)?.address;
    if (address === undefined) throw new Error(`no address for ${transfer.to}`);
    const client = this.d.pool.client(address, ReplicaService);
    const checkpoints = new CheckpointWriter(this.d.storage, checkpointKey(since, transfer));
    const inFlight: Promise<Uint8Array | undefined>[] = [];
    let after = this.d.storage.getMeta(checkpointKey(since, transfer));
    try {
      for (;;) {
        if (this.stopped || this.d.ring.current.transition?.since !== since) return false;
        const page = await this.scanBatch(transfer.partition, after);
        const last = page.next === undefined;
        while (inFlight.length >= BATCHES_IN_FLIGHT) {
          const cursor = await inFlight.shift()!;
          if (cursor !== undefined) checkpoints.write(cursor);
        }
        const acked = this.sendBatch(client, run, { items: page.items, since }).then(() => page.next);
        // Rejections are taken in order; this only keeps a later one from going unhandled meanwhile.
        acked.catch(() => undefined);
        inFlight.push(acked);
        if (last) {
          // The message that tells the receiver it now holds the partition complete (see
          // handoff-ledger.ts) carries no records and goes out once every batch is acknowledged.
          while (inFlight.length > 0) await inFlight.shift();
          await this.sendLast(client, run, since);
          await checkpoints.settled();
          return true;
        }
        after = page.next;
      }
    } finally {
      await Promise.allSettled(inFlight);
      await checkpoints.settled().catch(() => undefined);
    }
  }

  /**
   * Bytes a batch may hold now: batchBytes, or under the adaptive pace what it sends in a quarter
   * of a second (16 KiB at least). At the floor a 1 MiB batch would land on the receiver as one
   * burst every 4 s, which a moderately loaded node feels as a stall; smaller batches spread it.
   */
  private batchBytesNow(): number {
    if (this.pace === undefined) return this.o.batchBytes;
    return Math.min(this.o.batchBytes, Math.max(MIN_PACED_BATCH_BYTES, Math.floor(this.pace.bytesPerSecond / 4)));
  }

  /**
   * The next batch of a partition's records after `after`, read in slices of at most
   * {@link scanSlice} records with the event loop free between them: a 1 MiB batch read at once
   * would hold up this node's foreground requests for its whole scan.
   */
  private async scanBatch(partition: number, after: Cursor | undefined): Promise<ScanPage> {
    const items: ScanItem[] = [];
    const maxBytes = this.batchBytesNow();
    let bytes = 0;
    let from = after;
    for (;;) {
      const slice = this.d.storage.scanPartition(partition, { limit: Math.min(this.scanSlice, this.o.batchItems - items.length), maxBytes: maxBytes - bytes, ...(from ? { after: from } : {}) });
      for (const item of slice.items) {
        items.push(item);
        bytes += item.key.length + item.record.value.length;
      }
      if (slice.next === undefined) return { items };
      if (items.length >= this.o.batchItems || bytes >= maxBytes) return { items, next: slice.next };
      from = slice.next;
      await nextTurn();
    }
  }

  /**
   * Sends one batch (the records of buckets this transfer carries), packed into one bytes field;
   * resolves once the receiver holds them durably.
   */
  private async sendBatch(client: Client<typeof ReplicaService>, run: Running, batch: { items: readonly ScanItem[]; since: number }): Promise<void> {
    const { transfer } = run;
    const records: Pick<HandoffRecord, 'bucketBytes' | 'key' | 'record'>[] = [];
    let bytes = 0;
    // Records come in key order, so a batch's records mostly share one bucket: look it up once.
    let bucketBytes: Uint8Array | undefined;
    let carried = false;
    for (const item of batch.items) {
      if (bucketBytes === undefined || Buffer.compare(item.bucket, bucketBytes) !== 0) {
        bucketBytes = item.bucket;
        const n = this.d.bucketN(decoder.decode(item.bucket));
        carried = n >= transfer.minN && n <= transfer.maxN;
      }
      if (!carried) continue;
      records.push({ bucketBytes: item.bucket, key: item.key, record: item.record.value });
      bytes += item.key.length + item.record.value.length;
    }
    run.sent += batch.items.length - records.length;
    if (records.length === 0) return;
    await this.throttle(bytes);
    const request = create(HandoffRequestSchema, { header: this.d.header(), partition: transfer.partition, packedRecords: packHandoffRecords(records), total: BigInt(run.total), since: BigInt(batch.since) });
    const res = await client.handoff(oneMessage(request), { timeoutMs: HANDOFF_TIMEOUT_MS });
    // A receiver that predates packed records ignores them and answers 0.
    if (Number(res.stored) !== records.length) throw new Error(`${transfer.to} stored ${res.stored} of ${records.length} records${res.stored === 0n ? ' (a version that does not read packed handoff records?)' : ''}`);
    this.d.metrics.handoffRecordsSent.inc(records.length);
    this.d.metrics.handoffBytesSent.inc(bytes);
    run.sent += records.length;
    run.bytesSent += bytes;
  }

  /** Tells the receiver, once every batch is acknowledged, that it now holds the whole partition. */
  private async sendLast(client: Client<typeof ReplicaService>, run: Running, since: number): Promise<void> {
    const request = create(HandoffRequestSchema, { header: this.d.header(), partition: run.transfer.partition, total: BigInt(run.total), since: BigInt(since), last: true });
    await client.handoff(oneMessage(request), { timeoutMs: HANDOFF_TIMEOUT_MS });
  }

  /**
   * Waits so that this node sends at most bytesPerSecond, or the adaptive pace's rate below it (one
   * shared budget for all transfers and their batches in flight). Batches take their turns in call
   * order; each goes out once the one before has had its time, and is priced when its turn comes,
   * at the rate of that moment, so batches queued while the pace was low do not keep it low after
   * it has climbed (and the other way round).
   */
  private async throttle(bytes: number): Promise<void> {
    if (this.o.bytesPerSecond <= 0) return;
    const turn = this.gate.then(async () => {
      for (let now = this.d.now(); this.paidUntil > now; now = this.d.now()) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(this.paidUntil - now, MAX_THROTTLE_SLEEP_MS)));
      }
      const now = this.d.now();
      this.paidUntil = now + (bytes * 1000) / (this.pace?.rate(now) ?? this.o.bytesPerSecond);
    });
    this.gate = turn.catch(() => undefined);
    await turn;
  }

  private complete(since: number, key: string): void {
    if (this.completedSince !== since) return;
    this.completed.add(key);
    this.d.metrics.handoffTransfersDone.inc();
    const report: HandoffReport = { since, done: [...this.completed] };
    const metaKey = HANDOFF_METADATA_PREFIX + this.d.selfId;
    const previous = this.d.membership.list.getMetadata(metaKey)?.version ?? 0;
    this.d.membership.list.setMetadata(metaKey, Math.max(previous + 1, this.d.now()), encoder.encode(JSON.stringify(report)));
    this.d.info('handoff complete', { transfer: key, since });
  }

  /** Takes up what this node already reported for transition `since` (after a restart, gossip may hold it). */
  private restoreReport(since: number): void {
    this.completed.clear();
    this.completedSince = since;
    const entry = this.d.membership.list.getMetadata(HANDOFF_METADATA_PREFIX + this.d.selfId);
    if (entry === undefined) return;
    const report = JSON.parse(decoder.decode(entry.value)) as HandoffReport;
    if (report.since === since) for (const key of report.done) this.completed.add(key);
  }
}

/** An error as one line (a Connect error's message already names its code). */
function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);
}

async function* oneMessage<T>(message: T): AsyncIterable<T> {
  yield message;
}
