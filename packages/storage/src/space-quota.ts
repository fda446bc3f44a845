/**
 * Enforces `mapSizeBytes` for the LMDB engine.
 *
 * lmdb-js patches LMDB to grow the memory map on demand, so LMDB itself never reports MDB_MAP_FULL
 * for the size we configure: the limit has to be enforced here. The figure compared with the limit
 * is the bytes of the pages LMDB's trees use (lmdb-space.ts: not the file's high-water mark, which
 * never goes down) plus an estimate of the bytes queued since it was last read. Reading it costs
 * ~0.1 ms, so it is re-read only every `refreshBytes` of queued writes, or when a write would cross
 * the limit.
 * The check is therefore approximate by at most the writes in flight; since the map really grows,
 * overshooting never damages anything.
 */
import { StorageFullError } from './errors.js';

export class SpaceQuota {
  private usedBytes: number;
  private pendingBytes = 0;
  private refused = false;

  constructor(
    private limitBytes: number,
    private readonly readUsedBytes: () => number,
    private readonly refreshBytes = Math.max(64 * 1024, Math.floor(limitBytes / 64)),
  ) {
    this.usedBytes = readUsedBytes();
  }

  /** The configured limit. */
  get limit(): number {
    return this.limitBytes;
  }

  /** Raises (or lowers) the limit; takes effect for the next write. */
  setLimit(limitBytes: number): void {
    this.limitBytes = limitBytes;
  }

  /** Bytes in use as of the last refresh plus what was admitted since. */
  get used(): number {
    return this.usedBytes + this.pendingBytes;
  }

  /** The last write that needed room was refused, and none has been admitted since. */
  get full(): boolean {
    return this.refused;
  }

  /**
   * Charges a write that grows the store by about `bytes` (key + stored value); throws
   * StorageFullError, charging nothing, when it does not fit. A write that grows nothing
   * (`bytes` <= 0) is always admitted.
   */
  admit(bytes: number): void {
    if (bytes <= 0) return;
    if (this.usedBytes + this.pendingBytes + bytes > this.limitBytes) {
      this.refresh();
      this.refused = this.usedBytes + bytes > this.limitBytes;
      if (this.refused) throw new StorageFullError(this.limitBytes, this.usedBytes);
    }
    this.refused = false;
    this.pendingBytes += bytes;
    if (this.pendingBytes >= this.refreshBytes) this.refresh();
  }

  /** Re-reads the high-water mark (it includes everything committed so far). */
  refresh(): void {
    this.usedBytes = this.readUsedBytes();
    this.pendingBytes = 0;
  }
}
