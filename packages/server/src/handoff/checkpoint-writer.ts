// The checkpoint of a handoff transfer (the scan cursor after the last batch the receiver
// acknowledged), stored in storage metadata without holding up the stream that produces it.
import type { StorageEngine } from '@quorumkv/storage';

/**
 * The checkpoint of one transfer, written one write after another (so a later cursor never lands
 * before an earlier one) without making the stream wait; a failed write is reported by settled().
 */
export class CheckpointWriter {
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;
  private queued: Uint8Array | undefined;

  constructor(
    private readonly storage: StorageEngine,
    private readonly key: string,
  ) {}

  /** Queues `cursor` as the checkpoint; cursors queued while a write runs collapse into the last. */
  write(cursor: Uint8Array): void {
    const idle = this.queued === undefined;
    this.queued = cursor;
    if (!idle) return;
    this.chain = this.chain.then(async () => {
      const next = this.queued!;
      this.queued = undefined;
      try {
        await this.storage.setMeta(this.key, next);
      } catch (err) {
        this.failure ??= err;
      }
    });
  }

  /** Resolves once every queued checkpoint is written; rejects if one failed. */
  async settled(): Promise<void> {
    await this.chain;
    if (this.failure !== undefined) throw this.failure;
  }
}
