// How far the request message now arriving got, followed from the bytes of a request body as they
// pass by (nothing is held): the watchdog cuts a sender whose message arrives too slowly. A unary
// body is one message; a stream's body is a sequence of envelopes (5-byte header, then the
// message), whose boundaries are found from the headers alone. Pure: the caller passes the time.

const HEADER_BYTES = 5;

/** A message partly received: since when (or since reading last resumed), and the bytes since. */
export interface PartialMessage {
  sinceMs: number;
  bytes: number;
}

export class MessageProgress {
  private headerSeen = 0;
  private length = 0;
  private bodyLeft = 0;
  private current: PartialMessage | undefined;

  /**
   * @param enveloped - the body is a stream of envelopes (else one unary message, from `startedMs`)
   */
  constructor(
    private readonly enveloped: boolean,
    startedMs: number,
  ) {
    if (!enveloped) this.current = { sinceMs: startedMs, bytes: 0 };
  }

  /** The message now arriving, or undefined between messages. */
  get partial(): PartialMessage | undefined {
    return this.current;
  }

  /** Bytes of the body arrived at `nowMs`. */
  feed(chunk: Uint8Array, nowMs: number): void {
    if (!this.enveloped) {
      this.current!.bytes += chunk.length;
      return;
    }
    let at = 0;
    while (at < chunk.length) {
      if (this.bodyLeft > 0) {
        const n = Math.min(this.bodyLeft, chunk.length - at);
        this.bodyLeft -= n;
        at += n;
      } else {
        if (this.headerSeen > 0) this.length = this.length * 256 + chunk[at]!;
        at++;
        if (++this.headerSeen === HEADER_BYTES) {
          this.bodyLeft = this.length;
          this.headerSeen = 0;
          this.length = 0;
        }
      }
      if (this.bodyLeft === 0 && this.headerSeen === 0) this.current = undefined;
      else this.current ??= { sinceMs: nowMs, bytes: 0 };
    }
    if (this.current) this.current.bytes += chunk.length;
  }

  /** Reading was paused by the node (back-pressure): the sender is not to blame, its clock restarts. */
  restart(nowMs: number): void {
    if (this.current) this.current = { sinceMs: nowMs, bytes: 0 };
  }
}
