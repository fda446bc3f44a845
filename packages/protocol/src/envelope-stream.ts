// The client side of one long-lived stream in the Connect streaming protocol, on any byte stream
// that looks like Node's ClientHttp2Stream (structurally: this package stays free of Node imports).
// It frames outgoing messages, splits incoming ones, and reports the end of the stream once, with
// the peer's error when it sent one. Messages written before the stream opened are queued.
import {
  ENVELOPE_COMPRESSED,
  ENVELOPE_END_STREAM,
  EnvelopeReader,
  encodeEnvelope,
  parseEndStream,
} from './envelope.js';

/** The parts of an HTTP/2 client stream this needs (Node's ClientHttp2Stream has them). */
export interface ByteStream {
  write(chunk: Uint8Array): boolean;
  end(): void;
  close(code?: number): void;
  // Node's EventEmitter signature, kept loose so Node's overloads are assignable.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  on(event: string, listener: (...args: any[]) => void): unknown;
}

/** Why a stream ended: `code` is a Connect code name ("unavailable", "canceled", ...). */
export class StreamEndedError extends Error {
  override readonly name = 'StreamEndedError';
  constructor(
    readonly code: string,
    message: string,
    /** The underlying failure (socket error), kept so callers can tell "never sent" from "broken". */
    cause?: unknown,
    /** The peer's error as its end-of-stream message carried it (JSON), when it sent one. */
    readonly peerError?: object,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

export interface EnvelopeStreamHandlers {
  /** One response message (the envelope's data; a view, valid during the call). */
  message(data: Uint8Array): void;
  /** The stream is over; called exactly once. */
  ended(error: StreamEndedError): void;
  /** Called after each chunk read (connect-node's session manager uses it to skip keepalive pings). */
  read?(stream: ByteStream): void;
}

/** A client stream in the Connect protocol over an HTTP/2 stream opened by `open`. */
export class EnvelopeStreamClient {
  private stream: ByteStream | undefined;
  private queued: Uint8Array[] = [];
  private done = false;

  constructor(
    open: () => Promise<ByteStream>,
    private readonly handlers: EnvelopeStreamHandlers,
  ) {
    open().then(
      (stream) => this.attach(stream),
      (err: unknown) => this.finish(new StreamEndedError('unavailable', messageOf(err), err)),
    );
  }

  get ended(): boolean {
    return this.done;
  }

  /** Sends one message (framed); queued until the stream is open. */
  send(message: Uint8Array): void {
    this.sendFramed(encodeEnvelope(message));
  }

  /** Sends a message already behind its envelope header (see `frameEnvelope`). */
  sendFramed(framed: Uint8Array): void {
    if (this.done) return;
    if (this.stream) this.stream.write(framed);
    else this.queued.push(framed);
  }

  /** Closes the stream (in-flight responses are abandoned). */
  close(reason = 'closed by client'): void {
    this.finish(new StreamEndedError('canceled', reason));
  }

  private attach(stream: ByteStream): void {
    if (this.done) {
      stream.close();
      return;
    }
    this.stream = stream;
    for (const framed of this.queued) stream.write(framed);
    this.queued = [];
    const reader = new EnvelopeReader();
    stream.on('response', (headers: Record<string, unknown>) => {
      const status = headers[':status'];
      if (status !== 200) this.finish(new StreamEndedError('unavailable', `HTTP status ${String(status)}`));
    });
    stream.on('data', (chunk: Uint8Array) => {
      this.handlers.read?.(stream);
      try {
        for (const e of reader.push(chunk)) {
          if (this.done) return;
          if (e.flags & ENVELOPE_END_STREAM) {
            const err = parseEndStream(e.data);
            this.finish(new StreamEndedError(err?.code ?? 'unavailable', err?.message ?? 'stream ended by the peer', undefined, err?.json));
            return;
          }
          if (e.flags & ENVELOPE_COMPRESSED) throw new Error('peer sent a compressed message');
          this.handlers.message(e.data);
        }
      } catch (err) {
        this.finish(new StreamEndedError('internal', err instanceof Error ? err.message : String(err)));
      }
    });
    stream.on('error', (err: Error) => this.finish(new StreamEndedError('unavailable', messageOf(err), err)));
    stream.on('close', () => this.finish(new StreamEndedError('unavailable', 'stream closed')));
  }

  private finish(error: StreamEndedError): void {
    if (this.done) return;
    this.done = true;
    this.queued = [];
    this.stream?.close();
    this.handlers.ended(error);
  }
}

/** An error's message; a ConnectError's without its "[code]" prefix (its raw message). */
function messageOf(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const raw = (err as { rawMessage?: unknown }).rawMessage;
    if (typeof raw === 'string') return raw;
    const msg = (err as { message?: unknown }).message;
    if (typeof msg === 'string') return msg;
  }
  return String(err);
}
