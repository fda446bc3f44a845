// After an ownership transition finishes, a node that is no longer a possible holder of a
// partition drops its copies of it, once the nodes that gained it confirm they hold it. Left behind, they could come back: a later transition may make
// this node a source again, and its stale copy of a key whose tombstone was reaped meanwhile would
// revive the key. Records are removed with storage.reap (only if the bytes are still the ones
// scanned), so a write that lands meanwhile is kept.
import { allNodes, decodeRing, encodeRing, partitionTransfers, preferenceListForPartition, targetRing, type Ring } from '@quorumkv/ring';
import type { StorageEngine } from '@quorumkv/storage';
import type { Timers } from '../clock/timers.js';
import { possibleHolders } from '../cluster/buckets.js';
import { forgetReceived } from './handoff-ledger.js';

const PAGE = 512;
/**
 * Records reaped at once: each is still its own compare-and-delete, but lmdb-js commits all the
 * transactions queued together in one commit (and one fsync), where one reap awaited after another
 * cost a commit each (5,000 copies a join moves off a node of 20,000 records: 5,000 fsyncs in a
 * row, while foreground writes shared that commit stream). Small enough that one commit's
 * callbacks hold the event loop for well under a millisecond.
 */
const REAPS_AT_ONCE = 64;

/** Partitions `selfId` held copies of under `before` (or its target) and holds none of under `after`. */
export function partitionsLost(before: Ring, after: Ring, selfId: string): number[] {
  const lost: number[] = [];
  for (let p = 0; p < after.partitionCount; p++) {
    if (possibleHolders(before, p).includes(selfId) && !possibleHolders(after, p).includes(selfId)) lost.push(p);
  }
  return lost;
}

/** Whether `after` is the ring `ring`'s transition ends in (the same owners and members as its target). */
function endsIn(ring: Ring, after: Ring): boolean {
  const target = targetRing(ring);
  const ids = (r: Ring): string => r.nodes.map((n) => `${n.id}/${n.state}`).join(',');
  return target !== undefined && target.owners.join(',') === after.owners.join(',') && ids(target) === ids(after);
}

/**
 * Drops every record of `partitions` here (its handoff notes first); returns how many were removed.
 * `stillLost` is asked before every slice of reaps: a partition a newer ring gives this node again
 * is left as it is from then on (a transfer of that ring may be bringing it records with the very
 * bytes scanned here, which a reap would then remove after the transfer counted them held).
 */
export async function dropPartitions(storage: StorageEngine, partitions: readonly number[], stillLost: (partition: number) => boolean = () => true): Promise<number> {
  // Notes first: a crash in between leaves copies without notes (kept, asked about again), never
  // notes without copies.
  await forgetReceived(storage, partitions);
  let removed = 0;
  for (const partition of partitions) {
    for (let held = false; !held; ) {
      const page = storage.scanPartition(partition, { limit: PAGE });
      if (page.items.length === 0) break;
      let progress = 0;
      for (let at = 0; at < page.items.length; at += REAPS_AT_ONCE) {
        held = !stillLost(partition);
        if (held) break;
        const reaped = await Promise.all(page.items.slice(at, at + REAPS_AT_ONCE).map((item) => storage.reap(item.bucket, item.key, item.record.value, partition)));
        progress += reaped.filter(Boolean).length;
      }
      removed += progress;
      // Every record of the page changed under us: leave them (they are new writes) for now.
      if (progress === 0) break;
    }
  }
  return removed;
}

/** What dropping old copies needs. */
export interface OldCopiesDeps {
  selfId: string;
  storage: StorageEngine;
  /** The ring in force now (a partition this node holds again is kept). */
  ring: () => Ring;
  /**
   * Asks `nodeId`, at the address this node knows for it, which of `partitions` it received
   * complete in transition `since` (`orLater`: in any transition that began at or after it).
   * Rejects when it cannot be asked.
   */
  held: (nodeId: string, since: number, partitions: readonly number[], orLater: boolean) => Promise<readonly number[]>;
  /** The largest replica count of any bucket: who held a partition's data, for a node that missed the transfers. */
  replicaCount: () => number;
  timers: Timers;
  info: (msg: string, fields: Record<string, unknown>) => void;
  warn: (msg: string, fields: Record<string, unknown>) => void;
  /** Called once this node left the cluster and dropped every copy it held. */
  onLeft: () => void;
}

export interface OldCopiesOptions {
  /** First delay before asking again, ms; doubles up to {@link maxDelayMs}. */
  minDelayMs: number;
  maxDelayMs: number;
  /** Rounds of asking before the copies are kept for good (until a restart or the next change). */
  maxRounds: number;
}

export const DEFAULT_OLD_COPIES: OldCopiesOptions = { minDelayMs: 1_000, maxDelayMs: 60_000, maxRounds: 20 };

/** Storage meta of the copies still to drop (JSON {@link SavedJob}[]): a restart goes on asking. */
export const OLD_COPIES_META = 'old-copies';
/** Storage meta of the last ring without a transition whose lost copies are accounted for (ring bytes). */
export const OLD_COPIES_BASE_META = 'old-copies-base';

interface SavedJob {
  since: number;
  orLater: boolean;
  left: boolean;
  /** [partition, unconfirmed holders] pairs. */
  waiting: [number, string[]][];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One finished transition's copies still to drop. */
interface DropJob {
  readonly since: number;
  /** Confirmations of any transition since `since` count: the node missed the transitions' rings. */
  readonly orLater: boolean;
  /** Unconfirmed new holders of each partition still held. */
  readonly waiting: Map<number, Set<string>>;
  /** This node left the cluster in this transition (moved to a later job that takes its partitions over). */
  left: boolean;
  rounds: number;
  delayMs: number;
}

/**
 * Drops this node's copies of partitions it lost when a transition finished, each only once every
 * node that gained the partition in that transition confirms (HandoffHeld, asked by this node at
 * the address it knows) that it holds it complete. A finished ring whose transfers never happened,
 * forged or finished by forged reports, thus drops nothing. Unconfirmed copies are asked about
 * again with a doubling delay, a bounded number of times, then kept. A node that left the cluster
 * stops (onLeft) only once it dropped every copy.
 */
export class OldCopies {
  private stopped = false;
  private readonly cancels = new Set<() => void>();
  /** Jobs with copies still unconfirmed (retrying or given up): a later transition may rescue them. */
  private readonly unconfirmed = new Set<DropJob>();

  /** The last ring without a transition this node held (undefined while it knows none). */
  private base: Ring | undefined;
  /** The last write of the jobs and base to storage meta (writes go in order). */
  private saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly d: OldCopiesDeps,
    private readonly o: OldCopiesOptions = DEFAULT_OLD_COPIES,
  ) {
    const saved = d.storage.getMeta(OLD_COPIES_BASE_META);
    const ring = d.ring();
    this.base = saved !== undefined ? decodeRing(saved) : ring.transition === undefined ? ring : undefined;
  }

  /**
   * Goes on with what the last run left (after a restart, kill -9 included): the copies it still
   * had to drop are asked about again, and copies lost between the last ring it accounted for and
   * the ring it holds now (it stopped before it could note them) are weighed as a jump.
   */
  resume(): void {
    const text = this.d.storage.getMeta(OLD_COPIES_META);
    const saved = text === undefined || text.length === 0 ? [] : (JSON.parse(decoder.decode(text)) as SavedJob[]);
    const jobs = saved.map((j): DropJob => ({ since: j.since, orLater: j.orLater, left: j.left, waiting: new Map(j.waiting.map(([p, h]) => [p, new Set(h)])), rounds: 0, delayMs: this.o.minDelayMs }));
    for (const job of jobs) this.unconfirmed.add(job);
    if (jobs.length > 0) this.d.info('asking again about copies this node still has to drop', { jobs: jobs.length, partitions: jobs.reduce((n, j) => n + j.waiting.size, 0) });
    const ring = this.d.ring();
    const base = this.base;
    if (ring.transition === undefined) {
      this.base = ring;
      if (base !== undefined && base.version < ring.version) this.jumped(base, ring);
      this.persist(ring);
    }
    for (const job of jobs) void this.round(job);
  }

  /** Writes the jobs with copies still unconfirmed, and `base` when given, to storage meta (in order). */
  private persist(base?: Ring): void {
    const jobs: SavedJob[] = [...this.unconfirmed].map((j) => ({ since: j.since, orLater: j.orLater, left: j.left, waiting: [...j.waiting].map(([p, h]) => [p, [...h]]) }));
    const bytes = encoder.encode(JSON.stringify(jobs));
    const baseBytes = base && encodeRing(base);
    this.saving = this.saving
      .then(async () => {
        await this.d.storage.setMeta(OLD_COPIES_META, bytes);
        if (baseBytes !== undefined) await this.d.storage.setMeta(OLD_COPIES_BASE_META, baseBytes);
      })
      .catch((err: unknown) => this.d.warn('cannot save the copies still to drop', { error: String(err) }));
  }

  /**
   * This node's ring went from `before` to `after`. Copies are weighed once a ring without a
   * transition is reached, against the last such ring this node held: when `before` is the
   * transition that began from it and `after` is where it ends, as {@link finished}; when the
   * node missed rings on the way (it was paused or cut off through a whole change, or through its
   * end and the next), as {@link jumped}.
   */
  ringChanged(before: Ring, after: Ring): void {
    // Held again, even for one ring: the waiting jobs' confirmations no longer cover the copy
    // (data written while this node held it again may be on no other node); if a later ring takes
    // it away again, the job of that change decides, on its own confirmations. A drop in progress
    // sees the partition gone from `waiting` before its next slice of reaps.
    let pruned = false;
    for (const job of this.unconfirmed) {
      for (const p of [...job.waiting.keys()]) {
        if (!possibleHolders(after, p).includes(this.d.selfId)) continue;
        job.waiting.delete(p);
        pruned = true;
      }
    }
    if (after.transition !== undefined) {
      if (pruned) this.persist();
      return;
    }
    const base = this.base;
    this.base = after;
    const t = before.transition;
    if (t !== undefined && (base === undefined || t.since === base.version + 1) && endsIn(before, after)) this.finished(before, after);
    else {
      const from = base ?? before;
      if (from.version < after.version) this.jumped(from, after);
    }
    this.persist(after);
  }

  /**
   * The node went from `from` to `after` without the rings between: it cannot know the transfers,
   * only who holds each partition's data now (its first replicas, as many as the largest bucket n)
   * and did not then. Each of those must confirm it received the partition complete in a
   * transition that began after `from`.
   */
  private jumped(from: Ring, after: Ring): void {
    const self = this.d.selfId;
    const n = this.d.replicaCount();
    const waiting = new Map<number, Set<string>>();
    for (const p of partitionsLost(from, after, self)) {
      const had = new Set(preferenceListForPartition(from, p, n).primaries);
      waiting.set(p, new Set(preferenceListForPartition(after, p, n).primaries.filter((id) => id !== self && !had.has(id))));
    }
    if (waiting.size === 0) return;
    const member = (r: Ring): boolean => allNodes(r).some((n) => n.id === self);
    const since = from.transition?.since ?? from.version + 1;
    const job: DropJob = { since, orLater: true, waiting, left: member(from) && !member(after), rounds: 0, delayMs: this.o.minDelayMs };
    this.d.info('this node missed ring versions between these: its lost copies wait for their holders to confirm', { from: from.version, to: after.version, partitions: waiting.size });
    this.unconfirmed.add(job);
    this.persist();
    void this.round(job);
  }

  /** `before` (the last ring of a transition) was followed by `after`, which ended it. */
  finished(before: Ring, after: Ring): void {
    const since = before.transition?.since;
    if (since === undefined || after.transition !== undefined) return;
    const waiting = new Map<number, Set<string>>();
    for (const p of partitionsLost(before, after, this.d.selfId)) {
      waiting.set(p, new Set(partitionTransfers(before, p).map((t) => t.to).filter((id) => id !== this.d.selfId)));
    }
    const member = (r: Ring): boolean => allNodes(r).some((n) => n.id === this.d.selfId);
    const job: DropJob = { since, orLater: false, waiting, left: member(before) && !member(after), rounds: 0, delayMs: this.o.minDelayMs };
    this.takeOverOrphans(job, before, after);
    if (waiting.size > 0) this.unconfirmed.add(job);
    this.persist();
    if (waiting.size === 0 && !job.left) return;
    void this.round(job);
  }

  /**
   * An earlier job may wait for a holder that is gone from the ring (a replacement or joiner that
   * died and was forced out): it can never confirm, and the copies would be kept for good, to
   * revive reaped keys if this node is joined again. When this transition gave such a partition
   * to new receivers (rebuilt from the surviving replicas), their confirmation for this
   * transition stands in for the lost one.
   */
  private takeOverOrphans(job: DropJob, before: Ring, after: Ring): void {
    const members = new Set(allNodes(after).map((n) => n.id));
    for (const old of this.unconfirmed) {
      for (const [p, holders] of old.waiting) {
        if ([...holders].every((h) => members.has(h))) continue;
        const receivers = partitionTransfers(before, p).map((t) => t.to).filter((id) => id !== this.d.selfId);
        if (receivers.length === 0 || job.waiting.has(p)) continue;
        old.waiting.delete(p);
        job.waiting.set(p, new Set(receivers));
        job.left ||= old.left;
      }
      if (old.waiting.size === 0) {
        old.left = false;
        this.unconfirmed.delete(old);
      }
    }
  }

  stop(): void {
    this.stopped = true;
    for (const cancel of this.cancels) cancel();
    this.cancels.clear();
  }

  private async round(job: DropJob): Promise<void> {
    job.rounds++;
    await this.confirm(job);
    if (this.stopped) return;
    const ring = this.d.ring();
    const ready: number[] = [];
    for (const [p, holders] of job.waiting) {
      // The ring moved on and makes this node a holder again: the copy is needed.
      if (possibleHolders(ring, p).includes(this.d.selfId)) job.waiting.delete(p);
      else if (holders.size === 0) ready.push(p);
    }
    try {
      const removed = ready.length === 0 ? 0 : await dropPartitions(this.d.storage, ready, (p) => job.waiting.has(p));
      for (const p of ready) job.waiting.delete(p);
      if (ready.length > 0) this.d.info('dropped copies of partitions this node no longer holds, their new holders confirmed', { since: job.since, partitions: ready.length, records: removed });
    } catch (err) {
      this.d.warn('cannot drop old copies', { error: String(err) });
    }
    if (job.waiting.size > 0) {
      if (ready.length > 0) this.persist();
      return this.retry(job);
    }
    this.unconfirmed.delete(job);
    this.persist();
    // Copies of an earlier job still unconfirmed: that job stops the node once they are dropped.
    if (job.left && this.unconfirmed.size === 0 && !allNodes(this.d.ring()).some((n) => n.id === this.d.selfId)) {
      this.d.warn('this node left the cluster: it owns nothing and holds no data; stopping', { ringVersion: this.d.ring().version });
      this.d.onLeft();
    }
  }

  /** Asks each unconfirmed new holder, once, about the partitions it should hold. */
  private async confirm(job: DropJob): Promise<void> {
    const byHolder = new Map<string, number[]>();
    for (const [p, holders] of job.waiting) for (const h of holders) byHolder.set(h, [...(byHolder.get(h) ?? []), p]);
    await Promise.all(
      [...byHolder].map(async ([holder, partitions]) => {
        try {
          for (const p of await this.d.held(holder, job.since, partitions, job.orLater)) job.waiting.get(p)?.delete(holder);
        } catch (err) {
          this.d.warn('cannot ask a new holder whether it holds the partitions this node would drop', { holder, since: job.since, error: String(err) });
        }
      }),
    );
  }

  private retry(job: DropJob): void {
    const unconfirmed = [...job.waiting.keys()];
    if (job.rounds >= this.o.maxRounds) {
      this.d.warn('keeping copies of partitions this node no longer holds: their new holders never confirmed they hold them', { since: job.since, partitions: unconfirmed.length });
      return;
    }
    const delay = job.delayMs;
    job.delayMs = Math.min(this.o.maxDelayMs, job.delayMs * 2);
    this.d.info('keeping copies until their new holders confirm they hold them', { since: job.since, partitions: unconfirmed.length, retryInMs: delay });
    const cancel = this.d.timers.after(delay, () => {
      this.cancels.delete(cancel);
      if (!this.stopped) void this.round(job);
    });
    this.cancels.add(cancel);
  }
}
