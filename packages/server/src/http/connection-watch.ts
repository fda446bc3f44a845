// The deadlines of one connection or stream, checked by the watchdog's sweep. Connections reach
// the HTTP/1.1 and HTTP/2 servers by hand-over from the preface sniffing (http-server.ts), not by
// being accepted by a listening server, so Node's own headersTimeout/requestTimeout never arm: the
// node keeps these deadlines itself, on the socket.
import * as http2 from 'node:http2';
import type * as http from 'node:http';
import type * as net from 'node:net';
import { MessageProgress } from './message-progress.js';
import { DrainWatch, messageDeadline, type ConnectionTimeouts, type Watched } from './watchdog.js';

/** A connection that has sent nothing yet: its first byte is due within firstByteMs. */
export class FirstByteWatch implements Watched {
  readonly scope = 'connection';

  constructor(
    private readonly socket: net.Socket,
    private readonly acceptedMs: number,
    private readonly t: ConnectionTimeouts,
  ) {}

  check(nowMs: number): string | undefined {
    return nowMs - this.acceptedMs > this.t.firstByteMs ? 'first_byte_timeout' : undefined;
  }

  cut(): void {
    this.socket.destroy();
  }
}

interface H1Request {
  req: http.IncomingMessage;
  startedMs: number;
  bytesAtStart: number;
}

/**
 * An HTTP/1.1 connection. Between requests it may stay idle for idleMs; once bytes of a request
 * arrive (or from its first byte, for the first request) the headers are due within headersMs; a
 * body must keep arriving (see `messageDeadline`); responses must drain.
 */
export class H1Watch implements Watched {
  readonly scope = 'connection';
  private readonly requests = new Set<H1Request>();
  private firstRequest = true;
  private idleSinceMs: number;
  private bytesAtIdle: number;
  private headersSinceMs: number | undefined;
  private readonly drain = new DrainWatch();

  constructor(
    private readonly socket: net.Socket,
    handedOverMs: number,
    private readonly t: ConnectionTimeouts,
    private readonly now: () => number,
  ) {
    this.idleSinceMs = handedOverMs;
    this.bytesAtIdle = socket.bytesRead;
  }

  /** Requests whose responses are not done (more than one only when the client pipelines). */
  get openRequests(): number {
    return this.requests.size;
  }

  /** A request's headers arrived. */
  onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const r: H1Request = { req, startedMs: this.now(), bytesAtStart: this.socket.bytesRead };
    this.requests.add(r);
    this.headersSinceMs = undefined;
    res.once('close', () => {
      this.requests.delete(r);
      if (this.requests.size > 0) return;
      this.firstRequest = false;
      this.idleSinceMs = this.now();
      this.bytesAtIdle = this.socket.bytesRead;
    });
  }

  check(nowMs: number): string | undefined {
    if (this.requests.size === 0) {
      if (this.firstRequest) return nowMs - this.idleSinceMs > this.t.headersMs ? 'headers_timeout' : undefined;
      if (this.socket.bytesRead > this.bytesAtIdle) {
        this.headersSinceMs ??= nowMs;
        return nowMs - this.headersSinceMs > this.t.headersMs ? 'headers_timeout' : undefined;
      }
      return nowMs - this.idleSinceMs > this.t.idleMs ? 'idle_timeout' : undefined;
    }
    for (const r of this.requests) {
      if (!r.req.complete && nowMs > messageDeadline(r.startedMs, this.socket.bytesRead - r.bytesAtStart, this.t)) return 'message_timeout';
    }
    return this.drain.stalled(this.socket.writableLength, nowMs, this.t.drainMs) ? 'drain_timeout' : undefined;
  }

  cut(): void {
    this.socket.destroy();
  }
}

/**
 * An HTTP/2 connection: with no stream open it may stay idle for idleMs (headersMs before its
 * first stream, so a preface followed by silence does not hold a connection).
 */
export class H2SessionWatch implements Watched {
  readonly scope = 'connection';
  private streams = 0;
  private everHadStream = false;

  constructor(
    private readonly session: http2.ServerHttp2Session,
    private sinceMs: number,
    private readonly t: ConnectionTimeouts,
    private readonly now: () => number,
  ) {
    session.on('stream', (stream: http2.ServerHttp2Stream) => {
      this.streams++;
      this.everHadStream = true;
      stream.once('close', () => {
        if (--this.streams === 0) this.sinceMs = this.now();
      });
    });
  }

  check(nowMs: number): string | undefined {
    if (this.streams > 0) return undefined;
    if (!this.everHadStream) return nowMs - this.sinceMs > this.t.headersMs ? 'headers_timeout' : undefined;
    return nowMs - this.sinceMs > this.t.idleMs ? 'idle_timeout' : undefined;
  }

  cut(reason: string): void {
    // An idle client is told politely (GOAWAY); one that never sent a request is dropped.
    if (reason === 'idle_timeout') this.session.close();
    else this.session.destroy();
  }
}

/** The client sent END_STREAM: all of the request body is here (read or not). */
export function bodyReceived(stream: http2.Http2Stream): boolean {
  return stream.endAfterHeaders || stream.state?.remoteClose === 1;
}

/** One HTTP/2 request: its messages must keep arriving and its responses must drain. */
export class H2StreamWatch implements Watched {
  readonly scope = 'stream';
  private readonly drain = new DrainWatch();
  private readonly progress: MessageProgress;
  private respondedMs: number | undefined;

  /**
   * @param streaming - the body is a stream of messages (a raw hot stream, or one served by
   *   connect-es), else one unary message
   */
  constructor(
    private readonly req: http2.Http2ServerRequest,
    startedMs: number,
    private readonly streaming: boolean,
    private readonly t: ConnectionTimeouts,
    now: () => number,
  ) {
    const progress = new MessageProgress(streaming, startedMs);
    this.progress = progress;
    // Every chunk of the body passes through the request's push() (Node's compatibility layer
    // pushes what the HTTP/2 stream delivers as the request is read). Listening for 'data' instead
    // would start the stream flowing before its reader is attached, and lose chunks.
    const push = req.push.bind(req);
    req.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
      if (chunk instanceof Uint8Array) progress.feed(chunk, now());
      return push(chunk, encoding);
    };
  }

  /** The response is complete while the request is not: the client has messageMs to stop sending. */
  responded(nowMs: number): void {
    this.respondedMs = nowMs;
  }

  check(nowMs: number): string | undefined {
    if (this.respondedMs !== undefined) return nowMs - this.respondedMs > this.t.messageMs ? 'message_timeout' : undefined;
    // Bytes waiting unread in the request: the node is not reading (back-pressure), so the sender
    // is not to blame for what does not arrive; its clock restarts.
    if (this.req.readableLength > 0) this.progress.restart(nowMs);
    else if (!bodyReceived(this.req.stream)) {
      const p = this.progress.partial;
      if (p && nowMs > messageDeadline(p.sinceMs, p.bytes, this.t)) return 'message_timeout';
    }
    return this.drain.stalled(this.req.stream.writableLength, nowMs, this.t.drainMs) ? 'drain_timeout' : undefined;
  }

  cut(): void {
    // ENHANCE_YOUR_CALM: the client misbehaved (gRPC clients read it as RESOURCE_EXHAUSTED).
    this.req.stream.close(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
  }
}
