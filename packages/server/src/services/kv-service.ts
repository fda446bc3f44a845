// KvService: the public data API, unary (browsers, other languages) and streamed (the Node SDK).
import { create } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import {
  GetRoutingResponseSchema,
  SessionResponseSchema,
  SessionResultSchema,
  type KvService,
  type SessionRequest,
  type SessionResponse,
  type SessionResult,
} from '@quorumkv/protocol';
import { toSessionError } from '../errors/connect-errors.js';
import type { KvFrontend } from '../coordinator/kv-frontend.js';
import { AsyncQueue } from '../replication/async-queue.js';
import { guard } from './guard.js';
import type { RingInfoSource } from './ring-info.js';
import type { KeyLister } from '../coordinator/key-lister.js';
import type { NodeMetrics } from '../observability/metrics.js';

export function kvService(kv: KvFrontend, ringInfo: RingInfoSource, lister: KeyLister, metrics: NodeMetrics): Partial<ServiceImpl<typeof KvService>> {
  return {
    get: (req) => guard(() => kv.get(req)),
    put: (req) => guard(() => kv.put(req)),
    delete: (req) => guard(() => kv.delete(req)),
    listKeys: (req) => guard(() => lister.list(req)),
    getRouting: (req) =>
      guard(() => {
        const version = BigInt(ringInfo.version());
        if (req.knownVersion === version) return create(GetRoutingResponseSchema, { unchanged: true });
        return create(GetRoutingResponseSchema, { ring: ringInfo.ringInfo() });
      }),
    session: (requests) => session(kv, requests, metrics),
  };
}

/**
 * One client stream: operations run concurrently as they arrive; results finished in the same
 * event-loop turn leave together in one response message.
 */
function session(kv: KvFrontend, requests: AsyncIterable<SessionRequest>, metrics: NodeMetrics): AsyncIterable<SessionResponse> {
  const out = new AsyncQueue<SessionResponse>();
  let batch: SessionResult[] = [];
  let scheduled = false;
  let open = 0;
  let inputDone = false;
  const flush = (): void => {
    scheduled = false;
    if (batch.length > 0) out.push(create(SessionResponseSchema, { results: batch }));
    batch = [];
    if (inputDone && open === 0) out.close();
  };
  const emit = (r: SessionResult): void => {
    batch.push(r);
    open--;
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  void (async () => {
    try {
      for await (const req of requests) {
        metrics.sessionMessages.inc();
        metrics.sessionOps.inc(req.ops.length);
        for (const op of req.ops) {
          open++;
          const id = op.id;
          const o = op.op;
          const run =
            o.case === 'get' ? kv.get(o.value).then((v) => ({ case: 'get' as const, value: v }))
            : o.case === 'put' ? kv.put(o.value).then((v) => ({ case: 'put' as const, value: v }))
            : o.case === 'delete' ? kv.delete(o.value).then((v) => ({ case: 'delete' as const, value: v }))
            : Promise.reject(new Error('operation has no get, put or delete'));
          run.then(
            (result) => emit(create(SessionResultSchema, { id, result })),
            (err: unknown) => emit(create(SessionResultSchema, { id, result: { case: 'error', value: toSessionError(err) } })),
          );
        }
      }
      inputDone = true;
      if (open === 0 && !scheduled) out.close();
    } catch (err) {
      out.close(err);
    }
  })();
  return out;
}
