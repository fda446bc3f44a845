// KvService: the public data API, unary (browsers, other languages) and streamed (the Node SDK).
import { create } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import {
  GetRoutingResponseSchema,
  SessionRequestSchema,
  ENVELOPE_HEADER_BYTES,
  decodeSessionRequest,
  encodeSessionResponse,
  frameEnvelope,
  type KvService,
  type SessionRequest,
  type SessionResponse,
  type SessionResult,
} from '@quorumkv/protocol';
import { toSessionError } from '../errors/connect-errors.js';
import { NodeArgumentError, NodeMalformedRequestError } from '../errors/errors.js';
import type { RawStreamHandler } from '../http/raw-stream.js';
import type { KvFrontend } from '../coordinator/kv-frontend.js';
import { scopeOf } from '../coordinator/request-scope.js';
import { AsyncQueue } from '../replication/async-queue.js';
import { guard, guardStream, requestMessages } from './guard.js';
import type { RingInfoSource } from './ring-info.js';
import type { KeyLister } from '../coordinator/key-lister.js';
import type { NodeMetrics } from '../observability/metrics.js';

export function kvService(kv: KvFrontend, ringInfo: RingInfoSource, lister: KeyLister, metrics: NodeMetrics): Partial<ServiceImpl<typeof KvService>> {
  return {
    // The call's signal and a forwarder's deadline follow the request (coordinator/request-scope.ts).
    get: (req, ctx) => guard(() => kv.get(req, scopeOf(ctx))),
    put: (req, ctx) => guard(() => kv.put(req, scopeOf(ctx))),
    delete: (req, ctx) => guard(() => kv.delete(req, scopeOf(ctx))),
    listKeys: (req, ctx) => guard(() => lister.list(req, scopeOf(ctx), ctx.timeoutMs())),
    getRouting: (req) =>
      guard(() => {
        const version = BigInt(ringInfo.version());
        // Liveness changes without the ring: clients get this node's view of it on every call.
        if (req.knownVersion === version) return create(GetRoutingResponseSchema, { unchanged: true, nodes: ringInfo.nodes() });
        const ring = ringInfo.ringInfo();
        return create(GetRoutingResponseSchema, { ring, nodes: ring.nodes });
      }),
    session: (requests) => session(kv, requests, metrics),
  };
}

/**
 * The operations of one Session stream: they run concurrently as they arrive, and results finished
 * in the same event-loop turn leave together in one response message.
 */
class SessionProcessor {
  private batch: SessionResult[] = [];
  private scheduled = false;
  private open = 0;
  private inputDone = false;
  private readonly flushBound = (): void => this.flush();

  constructor(
    private readonly kv: KvFrontend,
    private readonly metrics: NodeMetrics,
    private readonly emit: (res: SessionResponse) => void,
    private readonly done: () => void,
  ) {}

  message(req: SessionRequest): void {
    this.metrics.sessionMessages.inc();
    this.metrics.sessionOps.inc(req.ops.length);
    for (const op of req.ops) {
      this.open++;
      const id = op.id;
      const o = op.op;
      const run =
        o.case === 'get' ? this.kv.get(o.value).then((v) => ({ case: 'get' as const, value: v }))
        : o.case === 'put' ? this.kv.put(o.value).then((v) => ({ case: 'put' as const, value: v }))
        : o.case === 'delete' ? this.kv.delete(o.value).then((v) => ({ case: 'delete' as const, value: v }))
        : Promise.reject(new NodeArgumentError('op', 'operation has no get, put or delete'));
      run.then(
        (result) => this.result({ $typeName: 'quorumkv.v1.SessionResult', id, result }),
        (err: unknown) => this.result({ $typeName: 'quorumkv.v1.SessionResult', id, result: { case: 'error', value: toSessionError(err) } }),
      );
    }
  }

  end(): void {
    this.inputDone = true;
    if (this.open === 0 && !this.scheduled) this.done();
  }

  private result(r: SessionResult): void {
    this.batch.push(r);
    this.open--;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushBound);
    }
  }

  private flush(): void {
    this.scheduled = false;
    if (this.batch.length > 0) this.emit({ $typeName: 'quorumkv.v1.SessionResponse', results: this.batch });
    this.batch = [];
    if (this.inputDone && this.open === 0) this.done();
  }
}

/** Session through connect-es (gRPC-protocol callers). */
function session(kv: KvFrontend, requests: AsyncIterable<SessionRequest>, metrics: NodeMetrics): AsyncIterable<SessionResponse> {
  const out = new AsyncQueue<SessionResponse>();
  const processor = new SessionProcessor(kv, metrics, (res) => out.push(res), () => out.close());
  void (async () => {
    try {
      for await (const req of requestMessages(requests, SessionRequestSchema.typeName)) processor.message(req);
      processor.end();
    } catch (err) {
      out.close(err);
    }
  })();
  return guardStream(out);
}

/** Session on the raw HTTP/2 stream (Connect protocol): the Node SDK's path. */
export function sessionRawStream(kv: KvFrontend, metrics: NodeMetrics): RawStreamHandler {
  return (out) => {
    const processor = new SessionProcessor(kv, metrics, (res) => out.sendFramed(frameEnvelope(encodeSessionResponse(res, ENVELOPE_HEADER_BYTES))), () => out.finish());
    return {
      message(data) {
        let req: SessionRequest;
        try {
          req = decodeSessionRequest(data);
        } catch (err) {
          return out.finish(new NodeMalformedRequestError(`malformed SessionRequest: ${(err as Error).message}`));
        }
        processor.message(req);
      },
      end: () => processor.end(),
    };
  };
}
