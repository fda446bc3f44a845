// Hinted handoff: writes meant for a replica that could not take them are kept durably (by a
// fallback, or by the coordinator when no fallback exists) and delivered in batches once gossip
// sees the target alive again. A hint is removed only after the target acknowledged it.
import { create } from '@bufbuild/protobuf';
import { ReplicaItemSchema, ReplicaOp, ReplicaStatus } from '@quorumkv/protocol';
import type { StorageEngine } from '@quorumkv/storage';
import type { CancelTimer, Timers } from '../clock/timers.js';
import type { NodeMetrics } from '../observability/metrics.js';
import type { ReplicaTransport } from './replica-transport.js';

const decoder = new TextDecoder();

export interface HintKeeperOptions {
  /** How often pending hints are offered to live targets. */
  intervalMs: number;
  /** Hints per delivery call. */
  batchSize: number;
  /** Drives the delivery interval (virtual in the simulation). */
  timers: Timers;
}

/** Stores hints and delivers them. */
export class HintKeeper {
  private cancelTimer: CancelTimer | undefined;
  private delivering = false;
  private stopped = false;

  constructor(
    private readonly storage: StorageEngine,
    private readonly router: ReplicaTransport,
    private readonly metrics: NodeMetrics,
    private readonly options: HintKeeperOptions,
    private readonly warn: (msg: string, fields: Record<string, unknown>) => void,
  ) {}

  /** Keeps a write for `target` (durably; failures are logged, the write is still on its other replicas). */
  keep(target: string, bucket: Uint8Array, key: Uint8Array, record: Uint8Array): Promise<void> {
    return this.storage.addHint(target, { bucket, key, value: record }).then(
      () => {
        this.metrics.hintsStored.inc();
      },
      (err: unknown) => this.warn('cannot store hint', { target, error: (err as Error).message }),
    );
  }

  start(): void {
    this.cancelTimer = this.options.timers.every(this.options.intervalMs, () => void this.deliverAll());
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
  }

  /** Offers pending hints to every target that is up; returns how many were delivered. */
  async deliverAll(): Promise<number> {
    if (this.delivering || this.stopped) return 0;
    this.delivering = true;
    let delivered = 0;
    try {
      for (const target of this.storage.hintTargets()) {
        if (this.stopped) break;
        if (!this.router.isUp(target)) continue;
        delivered += await this.deliverTo(target).catch((err: unknown) => {
          this.warn('hint delivery failed', { target, error: (err as Error).message });
          return 0;
        });
      }
    } catch (err) {
      // Storage closing under us at shutdown: nothing to deliver any more.
      if (!this.stopped) this.warn('hint delivery failed', { error: (err as Error).message });
    } finally {
      this.delivering = false;
    }
    return delivered;
  }

  private async deliverTo(target: string): Promise<number> {
    let delivered = 0;
    for (;;) {
      const hints = this.storage.hintsFor(target, this.options.batchSize);
      if (hints.length === 0) return delivered;
      const items = hints.map((h) =>
        create(ReplicaItemSchema, {
          id: BigInt(h.id),
          op: ReplicaOp.WRITE,
          bucket: decoder.decode(h.bucket),
          key: h.key,
          partition: this.storage.partitionOf(h.bucket, h.key),
          record: h.value,
        }),
      );
      const results = await this.router.deliverHints(target, items);
      const acked = results.filter((r) => r.status === ReplicaStatus.OK).map((r) => Number(r.id));
      await this.storage.ackHints(target, acked);
      delivered += acked.length;
      this.metrics.hintsDelivered.inc(acked.length);
      if (acked.length < hints.length) return delivered;
    }
  }
}
