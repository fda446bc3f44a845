// How much work one stream, all streams of one connection, and the whole node may hold at once:
// operations running and bytes held, which are the reservations of running work (its requests and
// the results expected from them) plus responses not read yet. A stream starts an operation only
// when its own budget, its connection's and the node's have room; otherwise it stops reading
// requests, and HTTP/2 flow control stops its client, until results drain. Unread responses are the
// client's to drain: when those of all clients together pass half of the node's limit, the HTTP
// server closes the connections holding the most (`NodeBudget.overHoarded`), so clients that stop
// reading cannot keep the others waiting. Pure bookkeeping: no timers, no I/O.

/** The limits of one level (a stream, or a connection's streams together). */
export interface BudgetLimits {
  /** Units of work (operations, replica items) running at once. */
  maxInFlight: number;
  /** Bytes held at once. */
  maxBytes: number;
}

/** Smallest result size assumed: keeps a run of tiny results from promising unlimited room. */
const MIN_ESTIMATE_BYTES = 64;

/** What one level holds, and whether more fits. */
class Level {
  inFlight = 0;
  /** Reservations of running work. */
  reserved = 0;
  /** Responses not read yet. */
  unread = 0;

  constructor(readonly limits: BudgetLimits) {}

  get bytes(): number {
    return this.reserved + this.unread;
  }

  /**
   * Whether work of `units` and `bytes` fits. A level with nothing running takes any one piece of
   * work, however large (so every stream makes progress), unless unread responses already fill it.
   */
  fits(units: number, bytes: number): boolean {
    if (this.bytes >= this.limits.maxBytes) return false;
    if (this.inFlight === 0) return true;
    return this.inFlight + units <= this.limits.maxInFlight && this.bytes + bytes <= this.limits.maxBytes;
  }

  add(units: number, reserved: number, unread: number): void {
    this.inFlight += units;
    this.reserved += reserved;
    this.unread += unread;
  }
}

/** A level shared by several streams, which wait on it for room. */
class SharedLevel {
  readonly level: Level;
  private readonly waiting = new Set<() => void>();

  constructor(limits: BudgetLimits) {
    this.level = new Level(limits);
  }

  get inFlight(): number {
    return this.level.inFlight;
  }

  /** Bytes held: reservations and unread responses. */
  get bytes(): number {
    return this.level.bytes;
  }

  /** Unread responses. */
  get unread(): number {
    return this.level.unread;
  }

  /** Calls `wake` (once) the next time room is freed here. */
  waitForRoom(wake: () => void): void {
    this.waiting.add(wake);
  }

  /** Tells every waiting stream to try again. */
  freed(): void {
    if (this.waiting.size === 0) return;
    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const wake of waiting) wake();
  }
}

/** All streams of the node share this. */
export class NodeBudget extends SharedLevel {
  /** Whether unread responses hold more than half the node's bytes: time to close the hoarders. */
  get overHoarded(): boolean {
    return this.level.unread > this.level.limits.maxBytes / 2;
  }

  /** The unread bytes to shed to be back at half the node's bytes. */
  get hoardedExcess(): number {
    return Math.max(0, this.level.unread - this.level.limits.maxBytes / 2);
  }
}

/** The streams of one connection share this. */
export class ConnectionBudget extends SharedLevel {
  constructor(
    limits: BudgetLimits,
    readonly node: NodeBudget,
  ) {
    super(limits);
  }
}

/** A reservation for one piece of work: what `finish` releases. */
export interface BudgetTicket {
  readonly units: number;
  readonly bytes: number;
}

/**
 * One stream's budget. Results are expected to be as large as the largest recent ones (a
 * decaying maximum, starting pessimistic), so a stream whose reads return large values runs few
 * at once and one whose reads return small ones runs many.
 */
export class StreamBudget {
  private readonly level: Level;
  private estimate: number;
  private closed = false;
  private readonly wakeBound = (): void => this.onRoom();

  /**
   * @param initialResultBytes - the result size assumed before any result was seen (the largest
   *   value: a client cannot make the first burst of reads cost more than the limits allow)
   * @param onRoom - called when room was freed that this stream may use (its own, its connection's
   *   or the node's)
   */
  constructor(
    limits: BudgetLimits,
    private readonly connection: ConnectionBudget,
    initialResultBytes: number,
    private readonly onRoom: () => void,
  ) {
    this.level = new Level(limits);
    this.estimate = Math.max(MIN_ESTIMATE_BYTES, initialResultBytes);
  }

  get inFlight(): number {
    return this.level.inFlight;
  }

  /** Bytes held: reservations of running work and responses not drained. */
  get bytes(): number {
    return this.level.bytes;
  }

  /** Whether this stream could take any more work (used to decide whether to read another message). */
  get hasRoom(): boolean {
    return !this.closed && this.level.bytes < this.level.limits.maxBytes && this.level.inFlight < this.level.limits.maxInFlight;
  }

  /**
   * Reserves room for work of `units` carrying `requestBytes`, or returns undefined when it does
   * not fit now (the stream is woken through `onRoom` once room is freed).
   */
  tryStart(units: number, requestBytes: number): BudgetTicket | undefined {
    if (this.closed) return undefined;
    const bytes = requestBytes + units * this.estimate;
    if (!this.level.fits(units, bytes)) return undefined;
    for (const shared of [this.connection, this.connection.node]) {
      if (!shared.level.fits(units, bytes)) {
        shared.waitForRoom(this.wakeBound);
        return undefined;
      }
    }
    this.add(units, bytes, 0);
    return { units, bytes };
  }

  /**
   * Reserves room for work that must be answered whatever the budget says (a message already read
   * that is refused without running it); it counts like any other.
   */
  force(units: number, requestBytes: number): BudgetTicket {
    const bytes = requestBytes + units * this.estimate;
    if (!this.closed) this.add(units, bytes, 0);
    return { units, bytes };
  }

  /**
   * Ends the work of `ticket`. Its result, `resultBytes`, is held from now until {@link drained}
   * is called with the same number (when the client has read it).
   */
  finish(ticket: BudgetTicket, resultBytes: number): void {
    if (this.closed) return;
    const perUnit = resultBytes / Math.max(1, ticket.units);
    // Jump up to a larger result at once; come down towards smaller ones gradually.
    this.estimate = Math.max(MIN_ESTIMATE_BYTES, perUnit >= this.estimate ? perUnit : this.estimate - (this.estimate - perUnit) / 8);
    this.add(-ticket.units, -ticket.bytes, resultBytes);
    this.released();
  }

  /** Responses of `bytes` (as passed to {@link finish}) reached the client. */
  drained(bytes: number): void {
    if (this.closed) return;
    this.add(0, 0, -bytes);
    this.released();
  }

  /** Returns everything this stream holds to its connection and the node (the stream is gone). */
  close(): void {
    if (this.closed) return;
    const { inFlight, reserved, unread } = this.level;
    this.add(-inFlight, -reserved, -unread);
    this.closed = true;
    this.connection.freed();
    this.connection.node.freed();
  }

  private add(units: number, reserved: number, unread: number): void {
    this.level.add(units, reserved, unread);
    this.connection.level.add(units, reserved, unread);
    this.connection.node.level.add(units, reserved, unread);
  }

  private released(): void {
    this.onRoom();
    this.connection.freed();
    this.connection.node.freed();
  }
}
