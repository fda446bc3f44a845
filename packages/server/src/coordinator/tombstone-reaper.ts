// Tombstones are removed only after every primary acknowledged them and a grace period passed, and
// only where the stored record is still exactly the tombstone (REAP compares bytes), so a deleted
// key cannot come back from a stale replica and a newer write is never reaped.
import { ReplicaOp } from '@quorumkv/protocol';
import type { StorageEngine } from '@quorumkv/storage';
import type { ReplicaRouter } from '../replication/replica-router.js';
import type { RequestPlan } from './request-plan.js';

interface Due {
  atMs: number;
  plan: RequestPlan;
  key: Uint8Array;
  record: Uint8Array;
}

/** Most tombstones waiting in memory; beyond it they stay on disk until anti-entropy or a rewrite. */
const MAX_PENDING = 100_000;

export class TombstoneReaper {
  private readonly due: Due[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly selfId: string,
    private readonly storage: StorageEngine,
    private readonly router: ReplicaRouter,
    private readonly graceMs: number,
    private readonly now: () => number,
  ) {}

  /** Reaps `record` of the plan's key on every primary after the grace period. */
  schedule(plan: RequestPlan, key: Uint8Array, record: Uint8Array): void {
    if (this.due.length >= MAX_PENDING) return;
    this.due.push({ atMs: this.now() + this.graceMs, plan, key, record });
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.reapDue(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Reaps every tombstone whose grace period has passed; returns how many were reaped here. */
  async reapDue(): Promise<number> {
    const nowMs = this.now();
    let reaped = 0;
    while (this.due.length > 0 && this.due[0]!.atMs <= nowMs) {
      const d = this.due.shift()!;
      for (const nodeId of d.plan.primaries) {
        if (nodeId === this.selfId) {
          if (await this.storage.reap(d.plan.bucket.nameBytes, d.key, d.record, d.plan.partition).catch(() => false)) reaped++;
        } else if (this.router.isUp(nodeId)) {
          void this.router
            .send(nodeId, { op: ReplicaOp.REAP, bucket: d.plan.bucket.name, key: d.key, partition: d.plan.partition, record: d.record, expiresAtMs: 0n, hintFor: '', deadlineMs: BigInt(nowMs + 10_000) })
            .catch(() => undefined);
        }
      }
    }
    return reaped;
  }
}
