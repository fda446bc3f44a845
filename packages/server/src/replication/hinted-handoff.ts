// Hinted handoff: writes meant for a replica that could not take them are kept durably (by a
// fallback, or by the coordinator when no fallback exists) and delivered in batches once gossip
// sees the target alive again. A hint is removed only after the target acknowledged it. Which hints
// are kept at all (ring members, the hint window, the caps, the max age) is hint-admission.ts's job.
import { create } from '@bufbuild/protobuf';
import { ReplicaItemSchema, ReplicaOp, ReplicaService, ReplicaStatus, type ReplicaHeader } from '@quorumkv/protocol';
import type { StorageEngine } from '@quorumkv/storage';
import type { NodeMetrics } from '../observability/metrics.js';
import type { PeerPool } from './peer-pool.js';
import type { ReplicaRouter } from './replica-router.js';

const decoder = new TextDecoder();
/** Deadline of a delivery call and of its items: a target drops items that arrive later (see hint-admission.ts). */
const DELIVERY_TIMEOUT_MS = 10_000;

export interface HintKeeperOptions {
  /** How often pending hints are offered to live targets. */
  intervalMs: number;
  /** Hints per delivery call. */
  batchSize: number;
}

/** Delivers stored hints. */
export class HintKeeper {
  private timer: ReturnType<typeof setInterval> | undefined;
  private delivering = false;
  private stopped = false;

  constructor(
    private readonly storage: StorageEngine,
    private readonly router: ReplicaRouter,
    private readonly pool: PeerPool,
    private readonly addressOf: (nodeId: string) => string | undefined,
    private readonly header: () => ReplicaHeader,
    private readonly metrics: NodeMetrics,
    private readonly options: HintKeeperOptions,
    private readonly warn: (msg: string, fields: Record<string, unknown>) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.deliverAll(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
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
    const address = this.addressOf(target);
    if (!address) return 0;
    const client = this.pool.client(address, ReplicaService);
    let delivered = 0;
    for (;;) {
      const hints = this.storage.hintsFor(target, this.options.batchSize);
      if (hints.length === 0) return delivered;
      const deadlineMs = BigInt(Date.now() + DELIVERY_TIMEOUT_MS);
      const items = hints.map((h) =>
        create(ReplicaItemSchema, {
          id: BigInt(h.id),
          op: ReplicaOp.WRITE,
          bucket: decoder.decode(h.bucket),
          key: h.key,
          partition: this.storage.partitionOf(h.bucket, h.key),
          record: h.value,
          deadlineMs,
        }),
      );
      const res = await client.deliverHints({ header: this.header(), items }, { timeoutMs: DELIVERY_TIMEOUT_MS });
      const acked = res.results.filter((r) => r.status === ReplicaStatus.OK).map((r) => Number(r.id));
      await this.storage.ackHints(target, acked);
      delivered += acked.length;
      this.metrics.hintsDelivered.inc(acked.length);
      if (acked.length < hints.length) return delivered;
    }
  }
}
