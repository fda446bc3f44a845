// Hinted handoff: writes meant for a replica that could not take them are kept durably (by a
// fallback, or by the coordinator when no fallback exists) and delivered in batches once gossip
// sees the target alive again. A hint is removed only after the target acknowledged it. Each target
// is delivered to on its own, with its own call timeout and back-off, so a target that is slow or
// paused (yet still alive to gossip) delays nobody else's hints. Which hints are kept at all (ring
// members, the hint window, the caps, the max age) is hint-admission.ts's job.
import { create } from '@bufbuild/protobuf';
import { ReplicaItemSchema, ReplicaOp, ReplicaStatus } from '@quorumkv/protocol';
import type { StorageEngine } from '@quorumkv/storage';
import type { CancelTimer, Timers } from '../clock/timers.js';
import type { NodeMetrics } from '../observability/metrics.js';
import type { ReplicaTransport } from './replica-transport.js';

const decoder = new TextDecoder();
/** Default deadline of a delivery call and of its items: a target drops items that arrive later (see hint-admission.ts). */
const DELIVERY_TIMEOUT_MS = 5_000;

export interface HintKeeperOptions {
  /** How often pending hints are offered to live targets; also the first back-off after a failed delivery. */
  intervalMs: number;
  /** Most hints per delivery call. */
  batchSize: number;
  /** Deadline of one delivery call and of its items. Default 5000. */
  callTimeoutMs?: number;
  /** Longest back-off of a target whose deliveries keep failing. Default 30000. */
  maxBackoffMs?: number;
  /** Drives the delivery interval and times the back-off, monotonic (virtual in the simulation). */
  timers: Timers;
  /** Wall clock in ms, for the items' deadlines (a target compares them with its own clock). */
  now: () => number;
}

/** Delivery state of one target. */
interface TargetState {
  /** A delivery to it is in progress. */
  busy: boolean;
  /** Deliveries that failed (or made no full progress) in a row. */
  failures: number;
  /** No new delivery before this time (back-off). */
  notBefore: number;
  /** Routing saw it down since its last failure: when it is up again, the back-off is over. */
  sawDown: boolean;
  /**
   * Hints per call to it: halved after a failed call, so a batch too big to cross a slow link within
   * the call timeout cannot fail for ever; doubled back after a delivered one.
   */
  batch: number;
}

/** Delivers stored hints. */
export class HintKeeper {
  private cancelTimer: CancelTimer | undefined;
  private readonly targets = new Map<string, TargetState>();
  private stopped = false;

  constructor(
    private readonly storage: StorageEngine,
    private readonly router: ReplicaTransport,
    private readonly metrics: NodeMetrics,
    private readonly options: HintKeeperOptions,
    private readonly warn: (msg: string, fields: Record<string, unknown>) => void,
  ) {}

  private now(): number {
    return this.options.timers.monotonicMs();
  }

  start(): void {
    this.cancelTimer = this.options.timers.every(this.options.intervalMs, () => void this.deliverAll());
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
  }

  /**
   * Starts a delivery to every target that is up, not already being delivered to and not backing
   * off; resolves with how many hints those deliveries handed over, once they all ended.
   */
  async deliverAll(): Promise<number> {
    if (this.stopped) return 0;
    const started: Promise<number>[] = [];
    try {
      for (const target of this.storage.hintTargets()) {
        const st = this.stateOf(target);
        if (!this.router.isUp(target)) {
          st.sawDown = true;
          continue;
        }
        if (st.busy) continue;
        if (st.sawDown) {
          // Down and up again (gossip saw it come back): try at once.
          st.sawDown = false;
          st.notBefore = 0;
        }
        if (this.now() < st.notBefore) continue;
        started.push(this.deliverOne(target, st));
      }
    } catch (err) {
      // Storage closing under us at shutdown: nothing to deliver any more.
      if (!this.stopped) this.warn('hint delivery failed', { error: (err as Error).message });
    }
    const counts = await Promise.all(started);
    return counts.reduce((a, b) => a + b, 0);
  }

  private stateOf(target: string): TargetState {
    let st = this.targets.get(target);
    if (!st) {
      st = { busy: false, failures: 0, notBefore: 0, sawDown: false, batch: this.options.batchSize };
      this.targets.set(target, st);
    }
    return st;
  }

  /** One delivery to `target`; a failure (or a target that takes only part of a batch) backs it off. */
  private async deliverOne(target: string, st: TargetState): Promise<number> {
    st.busy = true;
    try {
      const { delivered, complete } = await this.deliverTo(target, st);
      if (complete) {
        st.failures = 0;
        st.notBefore = 0;
      } else {
        this.backOff(st);
      }
      return delivered;
    } catch (err) {
      this.backOff(st);
      st.batch = Math.max(1, Math.floor(st.batch / 2));
      if (!this.stopped) this.warn('hint delivery failed', { target, error: (err as Error).message, retryInMs: Math.round(st.notBefore - this.now()) });
      return 0;
    } finally {
      st.busy = false;
    }
  }

  private backOff(st: TargetState): void {
    st.failures++;
    const delay = Math.min(this.options.maxBackoffMs ?? 30_000, this.options.intervalMs * 2 ** Math.min(20, st.failures - 1));
    st.notBefore = this.now() + delay;
  }

  /**
   * Before this node stops for good (its leave finished): delivers every hint it holds, to its
   * target when that is up, else to `relayFor(target)` (a remaining member), which keeps it as its
   * own hint for the target. Tries until none is left or `deadlineMs` (monotonic) passes; resolves
   * with how many are left (lost when the node's data goes).
   */
  async handOver(relayFor: (target: string) => string | undefined, deadlineMs: number): Promise<number> {
    while (this.storage.hasHints() && this.now() < deadlineMs) {
      for (const target of this.storage.hintTargets()) {
        const via = this.router.isUp(target) ? target : relayFor(target);
        if (via === undefined) continue;
        try {
          await this.deliverTo(target, this.stateOf(target), via);
        } catch (err) {
          this.warn('hint hand-over failed', { target, via, error: (err as Error).message });
        }
      }
      if (this.storage.hasHints()) await new Promise<void>((resolve) => this.options.timers.after(this.options.intervalMs, resolve));
    }
    return this.storage.countHints();
  }

  /**
   * Offers `target` its hints, batch after batch (through `via`, which keeps them as hints for
   * `target`, when it is another node); `complete` unless some of a batch were refused.
   */
  private async deliverTo(target: string, st: TargetState, via = target): Promise<{ delivered: number; complete: boolean }> {
    let delivered = 0;
    for (;;) {
      const hints = this.storage.hintsFor(target, st.batch);
      if (hints.length === 0 || this.stopped) return { delivered, complete: true };
      const timeoutMs = this.options.callTimeoutMs ?? DELIVERY_TIMEOUT_MS;
      const deadlineMs = BigInt(this.options.now() + timeoutMs);
      const items = hints.map((h) =>
        create(ReplicaItemSchema, {
          id: BigInt(h.id),
          op: ReplicaOp.WRITE,
          bucket: decoder.decode(h.bucket),
          key: h.key,
          partition: this.storage.partitionOf(h.bucket, h.key),
          record: h.value,
          deadlineMs,
          hintFor: via === target ? '' : target,
        }),
      );
      const results = await this.router.deliverHints(via, items, { timeoutMs });
      const acked = results.filter((r) => r.status === ReplicaStatus.OK).map((r) => Number(r.id));
      await this.storage.ackHints(target, acked);
      delivered += acked.length;
      this.metrics.hintsDelivered.inc(acked.length);
      st.batch = Math.min(this.options.batchSize, st.batch * 2);
      if (acked.length < hints.length) return { delivered, complete: false };
    }
  }
}
