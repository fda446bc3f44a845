// The receiving side of ownership handoff writes every incoming message's records in chunks, each
// one storage transaction. LMDB (lmdb-js) runs queued transactions in arrival order, all the ones
// queued by the time a commit starts in that one commit: a foreground write that arrives behind the
// chunks of every handoff message in flight (three senders with three 1 MiB messages each: ~70
// chunks of 128 records, ~280 of 32) waits for all of them to be applied and committed, and for the fsync of
// them all. The lane bounds that queue: a chunk is started only while fewer than `depth` chunks are
// written and not yet committed, so a foreground write waits behind at most `depth` chunks whatever
// the number of senders and messages; chunks of concurrent messages take turns in the order they
// asked. The slot is given back at commit, not at fsync: a committed chunk no longer holds up the
// transactions after it (LMDB syncs it while the next one runs), and waiting for its fsync as well
// would only serialize the handoff on fsync latency.

/**
 * How finely a node cuts the handoff work it does in one go: records per storage transaction
 * (receiver) and per scan slice (sender), and chunks in storage at once (the lane's depth).
 */
export interface HandoffGrain {
  readonly chunkRecords: number;
  readonly chunksInStorage: number;
}

/** Handoff alone on a node: large pieces, for the transfer rate. */
export const THROUGHPUT_GRAIN: HandoffGrain = Object.freeze({ chunkRecords: 128, chunksInStorage: 8 });
/**
 * Handoff next to foreground work: pieces of a millisecond or so, one in storage at a time. At
 * 8 x 128 records a node holds its event loop (lmdb-js runs a batch's transaction callbacks on it)
 * for tens of ms at a time, and every foreground request that needs the node waits; at 1 x 32,
 * with 4 callers during a join's transfers, updates (which wait for the joiner) had a median of
 * 10 ms instead of 56 (docs/benchmarks.md, after the handoff table). Alone, the fine grain costs about a
 * third of the transfer rate, hence the two.
 */
export const YIELDING_GRAIN: HandoffGrain = Object.freeze({ chunkRecords: 32, chunksInStorage: 1 });

/**
 * The grain of a sender's scan (records per event-loop turn) at throttle `bytesPerSecond`: a
 * throttled sender is asked to leave room for foreground work, an unthrottled one for speed.
 */
export function scanGrain(bytesPerSecond: number): HandoffGrain {
  return bytesPerSecond > 0 ? YIELDING_GRAIN : THROUGHPUT_GRAIN;
}

/** Gives up a slot of the lane (once; later calls do nothing). */
export type LaneRelease = () => void;

/** A FIFO limit on handoff chunks written and not yet committed, shared by all incoming messages. */
export class HandoffLane {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  /**
   * @param depth - chunks in storage at once, at least 1; asked at every acquire and release, so
   *   it may change (a lower depth takes effect as slots are given back).
   * @param turn - awaited once a slot is held, before the chunk starts: an event-loop turn in the
   *   server (foreground requests are read between chunks); tests pass their own.
   */
  constructor(
    private readonly depth: () => number,
    private readonly turn: () => Promise<void>,
  ) {}

  /** Chunks holding a slot now. */
  get inUse(): number {
    return this.active;
  }

  /** Resolves, in the order of the calls, once a slot is held (and a turn has passed); release it once the chunk is committed or failed. */
  async acquire(): Promise<LaneRelease> {
    // A caller never overtakes one already waiting: freed slots go to waiters first (pump).
    if (this.waiting.length === 0 && this.active < this.limit()) this.active++;
    else await new Promise<void>((resume) => this.waiting.push(resume));
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.active--;
      this.pump();
    };
    try {
      await this.turn();
    } catch (err) {
      release();
      throw err;
    }
    return release;
  }

  private pump(): void {
    while (this.waiting.length > 0 && this.active < this.limit()) {
      this.active++;
      this.waiting.shift()!();
    }
  }

  private limit(): number {
    const depth = this.depth();
    if (!Number.isInteger(depth) || depth < 1) throw new RangeError(`lane depth must be a positive integer, got ${depth}`);
    return depth;
  }
}
