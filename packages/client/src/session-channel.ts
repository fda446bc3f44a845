// The Node SDK's fast path: one long-lived KvService.Session stream per node. Operations issued in
// the same event-loop turn leave together in one message (no timer: an idle client adds no
// latency) and results come back correlated by id, so one operation no longer costs one HTTP/2
// request. It offers the same get/put/delete shapes as the unary Connect client, so the core's
// routing, retries and error mapping apply unchanged.
import type { MessageInitShape } from '@bufbuild/protobuf';
import { Code, ConnectError, type CallOptions } from '@connectrpc/connect';
import {
  ENVELOPE_HEADER_BYTES,
  EnvelopeStreamClient,
  SESSION_BATCH_BYTES,
  SESSION_MAX_OPS_PER_MESSAGE,
  sessionOpBytes,
  decodeSessionResponse,
  encodeSessionRequest,
  frameEnvelope,
  type ByteStream,
  DeleteRequestSchema,
  ErrorDetailSchema,
  GetRequestSchema,
  PutRequestSchema,
  QuorumFailureSchema,
  type DeleteResponse,
  type GetResponse,
  type PutResponse,
  type SessionError,
  type SessionOp,
  type SessionResult,
  type StreamEndedError,
} from '@quorumkv/protocol';
import { errorFromJson } from '@connectrpc/connect/protocol-connect';
import type { JsonValue } from '@bufbuild/protobuf';

const EMPTY = new Uint8Array(0);

type Kind = 'get' | 'put' | 'delete';

interface Pending {
  resolve: (value: never) => void;
  reject: (err: ConnectError) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** Turns a Session error result into the ConnectError a unary call would have thrown. */
function toConnectError(e: SessionError): ConnectError {
  const details = [];
  if (e.quorum) details.push({ desc: QuorumFailureSchema, value: e.quorum });
  if (e.detail) details.push({ desc: ErrorDetailSchema, value: e.detail });
  return new ConnectError(e.message, e.code as Code, undefined, details);
}

/**
 * Splits queued operations into Session messages as the node accepts them: at most
 * SESSION_MAX_OPS_PER_MESSAGE operations and SESSION_BATCH_BYTES bytes each, an operation larger
 * than that alone (a node accepts any single valid operation: its maxMessageBytes is at least its
 * largest value plus SESSION_BATCH_BYTES).
 */
export function sessionMessages(queue: SessionOp[]): SessionOp[][] {
  if (queue.length === 0) return [];
  const messages: SessionOp[][] = [];
  let from = 0;
  let bytes = 0;
  for (let i = 0; i < queue.length; i++) {
    const b = sessionOpBytes(queue[i]!);
    if (i > from && (i - from === SESSION_MAX_OPS_PER_MESSAGE || bytes + b > SESSION_BATCH_BYTES)) {
      messages.push(queue.slice(from, i));
      from = i;
      bytes = 0;
    }
    bytes += b;
  }
  messages.push(from === 0 ? queue : queue.slice(from));
  return messages;
}

/** Codes a node ends a Session with when it refuses the caller: its answer, not a broken stream. */
const REFUSALS = new Set([Code.Unauthenticated, Code.PermissionDenied]);

/** The node's refusal of the whole stream (with its details), or undefined for any other end. */
function refusalOf(err: StreamEndedError): ConnectError | undefined {
  if (!err.peerError) return undefined;
  const ce = errorFromJson(err.peerError as JsonValue, undefined, new ConnectError(err.message, Code.Unavailable));
  return REFUSALS.has(ce.code) ? ce : undefined;
}

/** A coalescing Session stream to one node. */
export class SessionChannel {
  private readonly pending = new Map<bigint, Pending>();
  private queue: SessionOp[] = [];
  private scheduled = false;
  private nextId = 1n;
  private stream: EnvelopeStreamClient | undefined;
  private closed = false;
  private readonly flushBound = (): void => this.flush();

  /**
   * @param raw opens the Session stream (the Connect protocol on a raw HTTP/2 stream, which costs a
   *   fraction of connect-es's per-message CPU) and reports reads to the session's keepalive.
   */
  constructor(private readonly raw: { open: () => Promise<ByteStream>; read: (s: ByteStream) => void }) {}

  // Plain message objects (what protobuf-es's create would build, without its reflection).
  get(req: MessageInitShape<typeof GetRequestSchema>, options?: CallOptions): Promise<GetResponse> {
    return this.call(
      'get',
      { $typeName: 'quorumkv.v1.GetRequest', bucket: req.bucket ?? '', key: req.key ?? EMPTY, r: req.r, timeoutMs: req.timeoutMs },
      options,
    );
  }

  put(req: MessageInitShape<typeof PutRequestSchema>, options?: CallOptions): Promise<PutResponse> {
    const value = {
      $typeName: 'quorumkv.v1.PutRequest' as const,
      bucket: req.bucket ?? '',
      key: req.key ?? EMPTY,
      value: req.value ?? EMPTY,
      context: req.context ?? EMPTY,
      w: req.w,
      timeoutMs: req.timeoutMs,
      ttlMs: req.ttlMs === undefined ? 0n : BigInt(req.ttlMs),
      returnBody: req.returnBody ?? false,
    };
    return this.call('put', value, options);
  }

  delete(req: MessageInitShape<typeof DeleteRequestSchema>, options?: CallOptions): Promise<DeleteResponse> {
    return this.call(
      'delete',
      { $typeName: 'quorumkv.v1.DeleteRequest', bucket: req.bucket ?? '', key: req.key ?? EMPTY, context: req.context ?? EMPTY, w: req.w, timeoutMs: req.timeoutMs },
      options,
    );
  }

  /** Ends the stream; operations still in flight fail with CANCELED. */
  close(): void {
    this.closed = true;
    this.stream?.close();
    this.failAll(new ConnectError('client closed', Code.Canceled));
  }

  private call<R>(kind: Kind, value: SessionOp['op']['value'], options: CallOptions | undefined): Promise<R> {
    if (this.closed) return Promise.reject(new ConnectError('client closed', Code.Canceled));
    const signal = options?.signal ?? undefined;
    if (signal?.aborted) return Promise.reject(new ConnectError('operation was aborted', Code.Canceled));
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      const p: Pending = { resolve: resolve as (v: never) => void, reject, timer: undefined, signal, onAbort: undefined };
      const timeoutMs = options?.timeoutMs;
      if (timeoutMs !== undefined && timeoutMs > 0)
        p.timer = setTimeout(() => this.settle(id, new ConnectError(`deadline of ${timeoutMs} ms exceeded`, Code.DeadlineExceeded)), timeoutMs);
      if (signal) {
        p.onAbort = () => this.settle(id, new ConnectError('operation was aborted', Code.Canceled));
        signal.addEventListener('abort', p.onAbort, { once: true });
      }
      this.pending.set(id, p);
      this.queue.push({ $typeName: 'quorumkv.v1.SessionOp', id, op: { case: kind, value } as SessionOp['op'] });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flushBound);
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    // Operations that timed out, were aborted or failed while queued are not sent at all.
    if (this.queue.some((op) => !this.pending.has(op.id))) this.queue = this.queue.filter((op) => this.pending.has(op.id));
    if (this.queue.length === 0) return;
    const stream = this.ensureStream();
    const queue = this.queue;
    this.queue = [];
    for (const ops of sessionMessages(queue)) stream.sendFramed(frameEnvelope(encodeSessionRequest({ $typeName: 'quorumkv.v1.SessionRequest', ops }, ENVELOPE_HEADER_BYTES)));
  }

  private ensureStream(): EnvelopeStreamClient {
    if (this.stream && !this.stream.ended) return this.stream;
    const stream = new EnvelopeStreamClient(this.raw.open, {
      message: (data) => {
        for (const r of decodeSessionResponse(data).results) this.deliver(r);
      },
      // Operations in flight on a broken stream have an unknown outcome; the core decides whether
      // each may be retried (reads and writes with a context) or not (blind writes).
      ended: (err) => {
        if (this.stream === stream) this.stream = undefined;
        const refusal = refusalOf(err);
        if (refusal) return this.failAll(refusal);
        const code = err.code === 'canceled' ? Code.Canceled : Code.Unavailable;
        this.failAll(new ConnectError(err.message, code, undefined, undefined, err.cause ?? err));
      },
      read: this.raw.read,
    });
    this.stream = stream;
    return stream;
  }

  private deliver(r: SessionResult): void {
    const result = r.result;
    if (result.case === 'error') this.settle(r.id, toConnectError(result.value));
    else if (result.case !== undefined) this.settle(r.id, undefined, result.value);
  }

  private settle(id: bigint, err: ConnectError | undefined, value?: unknown): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (p.onAbort) p.signal?.removeEventListener('abort', p.onAbort);
    if (err) p.reject(err);
    else p.resolve(value as never);
  }

  private failAll(err: ConnectError): void {
    for (const id of [...this.pending.keys()]) this.settle(id, err);
  }
}
