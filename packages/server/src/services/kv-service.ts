// KvService: the public data API, unary (browsers, other languages) and streamed (the Node SDK).
import { create } from '@bufbuild/protobuf';
import type { HandlerContext, ServiceImpl } from '@connectrpc/connect';
import {
  GetRoutingResponseSchema,
  SessionRequestSchema,
  ENVELOPE_HEADER_BYTES,
  SESSION_BATCH_BYTES,
  SESSION_MAX_OPS_PER_MESSAGE,
  decodeSessionRequest,
  encodeSessionResponse,
  frameEnvelope,
  sessionResultBytes,
  soleSessionOpId,
  type KvService,
  type SessionOp,
  type SessionRequest,
  type SessionResponse,
  type SessionResult,
} from '@quorumkv/protocol';
import { toSessionError } from '../errors/connect-errors.js';
import { NodeArgumentError } from '../errors/errors.js';
import type { StreamBudgetFactory } from '../http/call-budget.js';
import type { RawStreamHandler } from '../http/raw-stream.js';
import type { BudgetTicket, StreamBudget } from '../http/stream-budget.js';
import type { KvFrontend } from '../coordinator/kv-frontend.js';
import { scopeOf } from '../coordinator/request-scope.js';
import { serveConnectStream } from './connect-stream.js';
import { rawStreamSession, type StreamMessages, type StreamProcessor, type StreamSink } from './stream-processor.js';
import { guard } from './guard.js';
import type { RingInfoSource } from './ring-info.js';
import type { KeyLister } from '../coordinator/key-lister.js';
import type { NodeMetrics } from '../observability/metrics.js';
import { callerKey, type Caller, type Permit } from '../security/access-policy.js';
import type { Scope } from '../security/token-file.js';

/** What the Session handlers need besides the frontend. */
interface SessionDeps {
  metrics: NodeMetrics;
  streamBudget: StreamBudgetFactory;
  /** Whether a caller may do what an operation asks (its token's scopes and buckets). */
  permit: Permit;
}

/** Throws when the caller may not do `need` on `bucket` (a token restricted to other buckets). */
type Allow = (need: Scope, bucket: string) => void;

function allowFor(permit: Permit, caller: Caller): Allow {
  return (need, bucket) => {
    const refusal = permit(caller, need, bucket);
    if (refusal) throw refusal;
  };
}

export function kvService(kv: KvFrontend, ringInfo: RingInfoSource, lister: KeyLister, deps: SessionDeps): Partial<ServiceImpl<typeof KvService>> {
  const allow = (ctx: HandlerContext): Allow => allowFor(deps.permit, ctx.values.get(callerKey));
  return {
    // The call's signal and a forwarder's deadline follow the request (coordinator/request-scope.ts).
    get: (req, ctx) => guard(() => (allow(ctx)('read', req.bucket), kv.get(req, scopeOf(ctx)))),
    put: (req, ctx) => guard(() => (allow(ctx)('write', req.bucket), kv.put(req, scopeOf(ctx)))),
    delete: (req, ctx) => guard(() => (allow(ctx)('write', req.bucket), kv.delete(req, scopeOf(ctx)))),
    listKeys: (req, ctx) => guard(() => (allow(ctx)('read', req.bucket), lister.list(req, scopeOf(ctx), ctx.timeoutMs()))),
    getRouting: (req) =>
      guard(() => {
        const version = BigInt(ringInfo.version());
        // Liveness changes without the ring: clients get this node's view of it on every call.
        if (req.knownVersion === version) return create(GetRoutingResponseSchema, { unchanged: true, nodes: ringInfo.nodes() });
        const ring = ringInfo.ringInfo();
        return create(GetRoutingResponseSchema, { ring, nodes: ring.nodes });
      }),
    session: (requests, ctx) => session(kv, requests, ctx, deps, allow(ctx)),
  };
}

/** Bytes of an operation's request held while it runs (its key, value and context). */
function requestBytes(op: SessionOp): number {
  const o = op.op;
  if (o.case === undefined) return 0;
  return o.value.key.length + (o.case === 'put' ? o.value.value.length + o.value.context.length : o.case === 'delete' ? o.value.context.length : 0);
}

/**
 * The operations of one Session stream: they start as they arrive while the stream's budget has
 * room (the rest of a message waits, and the stream reads no further message meanwhile), and
 * results finished in the same event-loop turn leave together, in messages of at most
 * SESSION_BATCH_BYTES (a larger result alone).
 */
class SessionProcessor implements StreamProcessor<SessionRequest> {
  private waiting: SessionOp[] = [];
  private nextWaiting = 0;
  private batch: SessionResult[] = [];
  private scheduled = false;
  private open = 0;
  private inputDone = false;
  private readonly flushBound = (): void => this.flush();

  constructor(
    private readonly kv: KvFrontend,
    private readonly metrics: NodeMetrics,
    private readonly budget: StreamBudget,
    private readonly sink: Pick<StreamSink<SessionResponse>, 'send' | 'done'>,
    private readonly allow: Allow,
  ) {}

  /** Whether the stream may read another message: nothing waits, and the budget has room. */
  get ready(): boolean {
    return this.nextWaiting === this.waiting.length && this.budget.hasRoom;
  }

  message(req: SessionRequest): void {
    this.metrics.sessionMessages.inc();
    this.metrics.sessionOps.inc(req.ops.length);
    if (this.nextWaiting === this.waiting.length) {
      this.waiting = req.ops;
      this.nextWaiting = 0;
    } else {
      this.waiting.push(...req.ops);
    }
    this.pump();
  }

  /** Answers an operation without running it (it was too large to read). */
  refuse(id: bigint, err: Error): void {
    this.open++;
    const ticket = this.budget.tryStart(1, 0) ?? this.budget.force(1, 0);
    this.answer({ $typeName: 'quorumkv.v1.SessionResult', id, result: { case: 'error', value: toSessionError(err) } }, ticket);
  }

  /** Starts waiting operations while the budget has room. */
  pump(): void {
    while (this.nextWaiting < this.waiting.length) {
      const op = this.waiting[this.nextWaiting]!;
      const ticket = this.budget.tryStart(1, requestBytes(op));
      if (!ticket) return;
      this.nextWaiting++;
      this.run(op, ticket);
    }
    this.waiting = [];
    this.nextWaiting = 0;
  }

  end(): void {
    this.inputDone = true;
    this.doneIfIdle();
  }

  private run(op: SessionOp, ticket: BudgetTicket): void {
    this.open++;
    const id = op.id;
    const o = op.op;
    const refusal = o.case === undefined ? undefined : this.refusal(o.case === 'get' ? 'read' : 'write', o.value.bucket);
    const run =
      refusal ? this.kv.refuse(refusal)
      : o.case === 'get' ? this.kv.get(o.value).then((v) => ({ case: 'get' as const, value: v }))
      : o.case === 'put' ? this.kv.put(o.value).then((v) => ({ case: 'put' as const, value: v }))
      : o.case === 'delete' ? this.kv.delete(o.value).then((v) => ({ case: 'delete' as const, value: v }))
      : this.kv.refuse(new NodeArgumentError('op', 'operation has no get, put or delete'));
    run.then(
      (result) => this.answer({ $typeName: 'quorumkv.v1.SessionResult', id, result }, ticket),
      (err: unknown) => this.answer({ $typeName: 'quorumkv.v1.SessionResult', id, result: { case: 'error', value: toSessionError(err) } }, ticket),
    );
  }

  /** Why the caller may not run an operation (scope or bucket), or undefined. */
  private refusal(need: Scope, bucket: string): Error | undefined {
    try {
      this.allow(need, bucket);
      return undefined;
    } catch (err) {
      return err as Error;
    }
  }

  private answer(r: SessionResult, ticket: BudgetTicket): void {
    this.batch.push(r);
    this.open--;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushBound);
    }
    // Last: it may wake the stream, which may hand us more operations at once.
    this.budget.finish(ticket, sessionResultBytes(r));
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.batch;
    this.batch = [];
    let from = 0;
    let bytes = 0;
    for (let i = 0; i < batch.length; i++) {
      const b = sessionResultBytes(batch[i]!);
      if (i > from && bytes + b > SESSION_BATCH_BYTES) {
        this.sink.send({ $typeName: 'quorumkv.v1.SessionResponse', results: batch.slice(from, i) }, bytes);
        from = i;
        bytes = 0;
      }
      bytes += b;
    }
    if (from < batch.length) this.sink.send({ $typeName: 'quorumkv.v1.SessionResponse', results: from === 0 ? batch : batch.slice(from) }, bytes);
    this.doneIfIdle();
  }

  private doneIfIdle(): void {
    if (this.inputDone && this.open === 0 && !this.scheduled && this.nextWaiting === this.waiting.length) this.sink.done();
  }
}

/** Session request messages: at most SESSION_MAX_OPS_PER_MESSAGE operations and maxMessageBytes. */
const SESSION_MESSAGES: StreamMessages<SessionRequest> = {
  type: SessionRequestSchema.typeName,
  sizeLimit: 'maxMessageBytes',
  countLimit: { name: 'SESSION_MAX_OPS_PER_MESSAGE', max: SESSION_MAX_OPS_PER_MESSAGE, count: (req) => req.ops.length },
  decode: (data) => decodeSessionRequest(data),
};

/** Session through connect-es (gRPC-protocol callers). */
function session(kv: KvFrontend, requests: AsyncIterable<SessionRequest>, ctx: HandlerContext, deps: SessionDeps, allow: Allow): AsyncIterable<SessionResponse> {
  return serveConnectStream<SessionRequest, SessionResponse>({
    requests,
    ctx,
    messages: SESSION_MESSAGES,
    streamBudget: deps.streamBudget,
    processor: (budget, sink) => new SessionProcessor(kv, deps.metrics, budget, sink, allow),
  });
}

/** Session on the raw HTTP/2 stream (Connect protocol): the Node SDK's path. */
export function sessionRawStream(kv: KvFrontend, metrics: NodeMetrics, permit: Permit): RawStreamHandler {
  return (out, budget, caller) => {
    const sink = {
      send: (res: SessionResponse, heldBytes: number) => out.sendFramed(frameEnvelope(encodeSessionResponse(res, ENVELOPE_HEADER_BYTES)), heldBytes),
      done: () => out.finish(),
    };
    const processor = new SessionProcessor(kv, metrics, budget, sink, allowFor(permit, caller));
    return rawStreamSession(out, processor, SESSION_MESSAGES, (prefix, bytes, err) => {
      // The SDK sends any operation larger than a batch alone, so it can be answered by its id.
      const id = soleSessionOpId(prefix, bytes);
      if (id === undefined) return out.finish(err);
      processor.refuse(id, err);
    });
  };
}
