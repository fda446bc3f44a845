// Which hints a node keeps. Hinted handoff must not let one dead (or made-up) node cost unbounded
// disk or CPU, so a hint is kept only:
//   - for a member of the ring (anything else could never be delivered, and would be a target the
//     delivery loop visits forever);
//   - while its target has been down for less than the hint window, as this node sees it (gossip's
//     suspect/dead time, or the first time routing found it down): like Cassandra's
//     max_hint_window, a node down longer catches up by read repair instead;
//   - within the caps (per target, in total, in bytes), which storage enforces by removing the
//     oldest hints in the same transaction as the new one.
// Hints older than the max age are dropped by a sweep costing one seek per target, never a walk
// over the hints. Delivery is hinted-handoff.ts's job.
//
// Dropping a hint (evicted, expired, target not a member) is safe for the dead-record reaper: a
// hint that is gone can no longer bring back anything a tombstone covers, and the reaper checks
// stored hints only. The one exception is a delivery of that hint already in flight when it is
// dropped, which could land after the reaper asked. Delivery items carry a deadline (their call's
// timeout), so for HINT_DROP_QUARANTINE_MS after any drop this node answers HINTS_PENDING as if it
// still held hints for every target.
import { StorageArgumentError, type Hint, type HintAdded, type HintLimits, type StorageEngine } from '@quorumkv/storage';
import type { CancelTimer, Timers } from '../clock/timers.js';
import type { NodeMetrics } from '../observability/metrics.js';

/** Longer than a hint delivery item may live (its deadline: the delivery call's timeout) plus clock skew. */
export const HINT_DROP_QUARANTINE_MS = 30_000;
/** Hints a sweep removes at most, so one sweep is one short burst of work. */
const SWEEP_BUDGET = 10_000;
const SWEEP_BATCH = 1_000;

/** Why a hint was not stored. */
export type HintRefusal = 'not_member' | 'window' | 'too_large';

/** A hint this node will not keep; the message names `hint_for` and why. */
export class HintRefusedError extends Error {
  override readonly name = 'HintRefusedError';
  constructor(
    readonly reason: HintRefusal,
    message: string,
  ) {
    super(message);
  }
}

export interface HintAdmissionOptions {
  /** Caps storage enforces on every hint it adds. */
  limits: HintLimits;
  /** A target down longer than this gets no new hints. */
  windowMs: number;
  /** Hints stored longer ago than this are dropped. */
  maxAgeMs: number;
}

export interface HintAdmissionDeps {
  storage: StorageEngine;
  /** Whether the ring names this node. */
  isMember: (nodeId: string) => boolean;
  /** Routing's view: gossip alive and its channel not backing off. */
  isUp: (nodeId: string) => boolean;
  /** Since when gossip has this node suspect, dead or left; undefined while alive or unknown to it. */
  goneSinceMs: (nodeId: string) => number | undefined;
  metrics: NodeMetrics;
  /** Wall clock in ms: hints' creation times and gossip's state-change times are wall-clock. */
  now: () => number;
  /** Drives the sweep (virtual in the simulation). */
  timers: Pick<Timers, 'every'>;
  warn: (msg: string, fields: Record<string, unknown>) => void;
}

/** One target's hints as status reports them. */
export interface HintTargetReport {
  nodeId: string;
  pending: number;
  bytes: number;
  oldestAgeMs: number;
  /** How long this node has seen it down; 0 while up. */
  downForMs: number;
  windowClosed: boolean;
}

/** The hints of this node, for status. */
export interface HintReport {
  pending: number;
  bytes: number;
  quotaBytes: number;
  evicted: number;
  expired: number;
  refused: number;
  dropped: number;
  targets: HintTargetReport[];
}

export class HintAdmission {
  /** When each target was first seen down in its current outage (members only, so bounded by the ring). */
  private readonly downSince = new Map<string, number>();
  private lastDropMs = -Infinity;
  private readonly totals = { evicted: 0, expired: 0, refused: 0, dropped: 0 };
  private cancelTimer: CancelTimer | undefined;
  private sweeping = false;
  private redirect: ((hint: Hint) => Promise<boolean>) | undefined;

  constructor(
    private readonly d: HintAdmissionDeps,
    private readonly o: HintAdmissionOptions,
  ) {}

  /**
   * Stores a hint for `target` durably (the replica path: a fallback standing in for it).
   * @throws HintRefusedError when this node does not keep it; StorageFullError when the store is full.
   */
  async store(target: string, bucket: Uint8Array, key: Uint8Array, record: Uint8Array): Promise<void> {
    this.admit(target);
    let added: HintAdded;
    try {
      added = await this.d.storage.addHint(target, { bucket, key, value: record }, this.o.limits);
    } catch (err) {
      if (err instanceof StorageArgumentError && err.argument === 'hint') throw this.refuse('too_large', `hint_for: "${target}": ${err.message}`);
      throw err;
    }
    this.d.metrics.hintsStored.inc();
    const { perTarget, total, bytes } = added.evicted;
    if (perTarget + total + bytes > 0) {
      this.d.metrics.hintsEvicted.labels('per_target').inc(perTarget);
      this.d.metrics.hintsEvicted.labels('total').inc(total);
      this.d.metrics.hintsEvicted.labels('bytes').inc(bytes);
      this.totals.evicted += perTarget + total + bytes;
      this.dropped();
    }
  }

  /**
   * The coordinator's own hint for a primary it could not reach: as {@link store}, but never
   * rejects (the write is on its other replicas; refusals are counted, failures logged).
   */
  keep(target: string, bucket: Uint8Array, key: Uint8Array, record: Uint8Array): Promise<void> {
    return this.store(target, bucket, key, record).catch((err: unknown) => {
      if (!(err instanceof HintRefusedError)) this.d.warn('cannot store hint', { target, error: err instanceof Error ? err.message : String(err) });
    });
  }

  /** Whether a hint for `target` may still reach it from here: one is stored, or one was dropped too recently. */
  pendingFor(target: string): boolean {
    return this.d.storage.hasHints(target) || this.quarantined();
  }

  /** {@link pendingFor} for any target. */
  anyPending(): boolean {
    return this.d.storage.hasHints() || this.quarantined();
  }

  /**
   * Sends hints for nodes the ring no longer names (a node that left) to the holders of their keys
   * instead of dropping them: `redirect` resolves true once a hint is durably on its way (kept here
   * as a holder's copy, or as hints for the holders). Without it such hints are dropped.
   */
  redirectWith(redirect: (hint: Hint) => Promise<boolean>): void {
    this.redirect = redirect;
  }

  /** Sweeps on a timer: often enough that hints outlive their max age by at most a tenth of it. */
  start(): void {
    const intervalMs = Math.min(10_000, Math.max(250, Math.floor(this.o.maxAgeMs / 10)));
    this.cancelTimer = this.d.timers.every(intervalMs, () => void this.sweep());
  }

  stop(): void {
    this.cancelTimer?.();
  }

  /**
   * Drops hints past their max age, redirects (or without a redirect, drops) hints for nodes the
   * ring no longer names, and forgets outages of targets seen up again. At most
   * {@link SWEEP_BUDGET} hints per call.
   */
  async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      for (const target of [...this.downSince.keys()]) if (this.d.isUp(target) || !this.d.isMember(target)) this.downSince.delete(target);
      let budget = SWEEP_BUDGET;
      for (let more = true; more && budget > 0; ) {
        const r = await this.d.storage.expireHints({ createdBeforeMs: this.d.now() - this.o.maxAgeMs, limit: Math.min(SWEEP_BATCH, budget) });
        this.removed(r.removed, 'expired');
        budget -= r.removed;
        more = r.more;
      }
      for (const target of this.d.storage.hintTargets()) {
        if (this.d.isMember(target)) continue;
        if (this.redirect) {
          budget -= await this.redirectAll(target, this.redirect, budget);
          continue;
        }
        for (let more = true; more && budget > 0; ) {
          const r = await this.d.storage.dropHints(target, Math.min(SWEEP_BATCH, budget));
          this.removed(r.removed, 'not_member');
          budget -= r.removed;
          more = r.more;
        }
      }
    } catch (err) {
      this.d.warn('hint sweep failed', { error: err instanceof Error ? err.message : String(err) });
    } finally {
      this.sweeping = false;
    }
  }

  /** Redirects up to `budget` hints for `target`; stops at the first batch not wholly redirected. Returns how many it handled. */
  private async redirectAll(target: string, redirect: (hint: Hint) => Promise<boolean>, budget: number): Promise<number> {
    let handled = 0;
    while (handled < budget) {
      const hints = this.d.storage.hintsFor(target, Math.min(SWEEP_BATCH, budget - handled));
      if (hints.length === 0) break;
      const done = await Promise.all(hints.map((h) => redirect(h).catch(() => false)));
      const acked = hints.filter((_, i) => done[i]).map((h) => h.id);
      await this.d.storage.ackHints(target, acked);
      handled += hints.length;
      if (acked.length < hints.length) break;
    }
    return handled;
  }

  /** Figures for status and metrics: O(targets). */
  report(): HintReport {
    const now = this.d.now();
    const stats = this.d.storage.hintStats();
    const byTarget = new Map<string, HintTargetReport>();
    const entry = (nodeId: string): HintTargetReport => {
      const since = this.downSince.get(nodeId);
      const downForMs = since === undefined ? 0 : now - since;
      return { nodeId, pending: 0, bytes: 0, oldestAgeMs: 0, downForMs, windowClosed: downForMs > this.o.windowMs };
    };
    for (const t of stats.targets) byTarget.set(t.target, { ...entry(t.target), pending: t.count, bytes: t.bytes, oldestAgeMs: Math.max(0, now - t.oldestCreatedAtMs) });
    for (const nodeId of this.downSince.keys()) if (!byTarget.has(nodeId)) byTarget.set(nodeId, entry(nodeId));
    return {
      pending: stats.count,
      bytes: stats.bytes,
      quotaBytes: this.o.limits.maxBytes,
      ...this.totals,
      targets: [...byTarget.values()].sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1)),
    };
  }

  private admit(target: string): void {
    if (!this.d.isMember(target)) throw this.refuse('not_member', `hint_for: "${target}" is not a member of the ring`);
    const downFor = this.downFor(target);
    if (downFor !== undefined && downFor > this.o.windowMs) {
      throw this.refuse('window', `hint_for: "${target}" has been down for ${downFor} ms, longer than the hint window (${this.o.windowMs} ms)`);
    }
  }

  /** How long `target` has been down as this node sees it; undefined while it is up. */
  private downFor(target: string): number | undefined {
    if (this.d.isUp(target)) {
      this.downSince.delete(target);
      return undefined;
    }
    const now = this.d.now();
    const since = Math.min(this.downSince.get(target) ?? now, this.d.goneSinceMs(target) ?? now);
    this.downSince.set(target, since);
    return now - since;
  }

  private refuse(reason: HintRefusal, message: string): HintRefusedError {
    this.d.metrics.hintsRefused.labels(reason).inc();
    this.totals.refused++;
    return new HintRefusedError(reason, message);
  }

  private removed(n: number, why: 'expired' | 'not_member'): void {
    if (n === 0) return;
    if (why === 'expired') {
      this.d.metrics.hintsExpired.inc(n);
      this.totals.expired += n;
    } else {
      this.d.metrics.hintsDropped.labels(why).inc(n);
      this.totals.dropped += n;
    }
    this.dropped();
  }

  private dropped(): void {
    this.lastDropMs = this.d.now();
  }

  private quarantined(): boolean {
    return this.d.now() - this.lastDropMs < HINT_DROP_QUARANTINE_MS;
  }
}
