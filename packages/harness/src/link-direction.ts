// One direction of a proxied connection: forwards what one socket reads to the other, after an
// added delay or not at all, as the link's fault says at the moment each chunk arrives. Chunks
// keep their order whatever the delay does meanwhile, and a slow or stalled reader pauses the
// source instead of growing a buffer without bound.
import type { Socket } from 'node:net';

/** What happens to a chunk now: forwarded after `delayMs`, or dropped. */
export type ChunkFate = { readonly drop: true } | { readonly drop: false; readonly delayMs: number };

/** Bytes queued in one direction above which the source is paused. */
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;

export class LinkDirection {
  /** Chunks waiting for their time, oldest first; `null` is the source's end. */
  private readonly queue: { dueAt: number; chunk: Buffer | null }[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  /** True once a chunk was dropped: the byte stream has a hole, so the connection cannot heal. */
  dropped = false;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly fate: () => ChunkFate,
  ) {
    from.on('data', (chunk: Buffer) => this.accept(chunk));
    from.on('end', () => this.accept(null));
    to.on('drain', () => this.flush());
  }

  /** Stops forwarding (the connection is being destroyed). */
  stop(): void {
    clearTimeout(this.timer);
    this.queue.length = 0;
  }

  private accept(chunk: Buffer | null): void {
    const fate = this.fate();
    if (fate.drop) {
      this.dropped = true;
      return;
    }
    // Never before the chunk ahead of it, even when the delay just fell.
    const last = this.queue[this.queue.length - 1]?.dueAt ?? 0;
    this.queue.push({ dueAt: Math.max(performance.now() + fate.delayMs, last), chunk });
    this.queuedBytes += chunk?.length ?? 0;
    if (this.queuedBytes > MAX_QUEUED_BYTES) this.from.pause();
    this.flush();
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = performance.now();
    while (this.queue.length > 0 && this.queue[0]!.dueAt <= now) {
      if (this.to.writableNeedDrain) return; // 'drain' calls flush again
      const { chunk } = this.queue.shift()!;
      if (chunk === null) {
        this.to.end();
        return;
      }
      this.queuedBytes -= chunk.length;
      this.to.write(chunk);
    }
    if (this.queuedBytes <= MAX_QUEUED_BYTES && this.from.isPaused()) this.from.resume();
    if (this.queue.length > 0) this.timer = setTimeout(() => this.flush(), this.queue[0]!.dueAt - now);
  }
}
