// ReplicaService (internal): applies replica items from other nodes. Every response carries this
// node's ring when the sender's is older, so a node that routed with a stale ring learns at once.
import { create } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import {
  ApplyResponseSchema,
  DeliverHintsResponseSchema,
  ENVELOPE_HEADER_BYTES,
  ReplicateRequestSchema,
  decodeReplicateRequest,
  encodeReplicateResponse,
  frameEnvelope,
  type ReplicaHeader,
  type ReplicaService,
  type ReplicateRequest,
  type ReplicateResponse,
} from '@quorumkv/protocol';
import { NodeArgumentError, NodeForeignClusterError, NodeMalformedRequestError } from '../errors/errors.js';
import type { RawStreamHandler } from '../http/raw-stream.js';
import { AsyncQueue } from '../replication/async-queue.js';
import type { ReplicaApplier } from '../replication/replica-applier.js';
import type { NodeMetrics } from '../observability/metrics.js';
import { guard, guardStream, requestMessages } from './guard.js';

export interface ReplicaServiceDeps {
  selfId: string;
  clusterId: () => string;
  ringVersion: () => number;
  ringBytes: () => Uint8Array;
  /** A peer's ring may be newer than ours. */
  noteRing: (header: ReplicaHeader | undefined) => void;
  applier: ReplicaApplier;
  metrics: NodeMetrics;
}

function headerChecks(d: ReplicaServiceDeps): { check: (h: ReplicaHeader | undefined) => void; header: (h: ReplicaHeader | undefined) => ReplicaHeader } {
  const EMPTY = new Uint8Array(0);
  const header = (req: ReplicaHeader | undefined): ReplicaHeader => {
    const version = d.ringVersion();
    return {
      $typeName: 'quorumkv.v1.ReplicaHeader',
      fromNode: d.selfId,
      ringVersion: BigInt(version),
      clusterId: d.clusterId(),
      ring: req && req.ringVersion < BigInt(version) ? d.ringBytes() : EMPTY,
    };
  };
  // Every internal request names its cluster: one without a header, or from another cluster, is
  // refused before anything in it (items, hints, its ring) is looked at.
  const check = (h: ReplicaHeader | undefined): void => {
    if (!h) throw new NodeArgumentError('header', 'is required on internal requests');
    if (h.clusterId !== d.clusterId()) {
      d.metrics.foreignClusterMessages.labels('replica').inc();
      throw new NodeForeignClusterError(h.clusterId, d.clusterId());
    }
    d.noteRing(h);
  };
  return { check, header };
}

export function replicaService(d: ReplicaServiceDeps): Partial<ServiceImpl<typeof ReplicaService>> {
  const { check, header } = headerChecks(d);
  return {
    apply: (req) =>
      guard(async () => {
        check(req.header);
        if (!req.item) throw new NodeArgumentError('item', 'is required');
        return create(ApplyResponseSchema, { header: header(req.header), result: await d.applier.apply(req.item) });
      }),
    deliverHints: (req) =>
      guard(async () => {
        check(req.header);
        return create(DeliverHintsResponseSchema, { header: header(req.header), results: await d.applier.applyAll(req.items) });
      }),
    replicate: (requests) => replicate(requests, d, check, header),
  };
}

/**
 * The persistent stream: messages are applied concurrently (their writes share LMDB commits) and
 * each is acknowledged as soon as all its items are durable, in completion order.
 */
async function replicateMessage(req: ReplicateRequest, d: ReplicaServiceDeps, header: (h: ReplicaHeader | undefined) => ReplicaHeader): Promise<ReplicateResponse> {
  d.metrics.replicaMessages.inc();
  d.metrics.replicaItems.inc(req.items.length);
  const results = await d.applier.applyAll(req.items);
  return { $typeName: 'quorumkv.v1.ReplicateResponse', messageId: req.messageId, header: header(req.header), results };
}

/** Replicate through connect-es (gRPC-protocol callers). */
function replicate(
  requests: AsyncIterable<ReplicateRequest>,
  d: ReplicaServiceDeps,
  check: (h: ReplicaHeader | undefined) => void,
  header: (h: ReplicaHeader | undefined) => ReplicaHeader,
): AsyncIterable<ReplicateResponse> {
  const out = new AsyncQueue<ReplicateResponse>();
  let open = 0;
  let inputDone = false;
  void (async () => {
    try {
      for await (const req of requestMessages(requests, ReplicateRequestSchema.typeName)) {
        check(req.header);
        open++;
        replicateMessage(req, d, header).then(
          (res) => {
            out.push(res);
            if (--open === 0 && inputDone) out.close();
          },
          (err: unknown) => out.close(err),
        );
      }
      inputDone = true;
      if (open === 0) out.close();
    } catch (err) {
      out.close(err);
    }
  })();
  return guardStream(out);
}

/** Replicate on the raw HTTP/2 stream (Connect protocol): the path nodes use between themselves. */
export function replicateRawStream(d: ReplicaServiceDeps): RawStreamHandler {
  const { check, header } = headerChecks(d);
  return (out) => {
    let open = 0;
    let inputDone = false;
    return {
      message(data) {
        let req: ReplicateRequest;
        try {
          req = decodeReplicateRequest(data);
        } catch (err) {
          return out.finish(new NodeMalformedRequestError(`malformed ReplicateRequest: ${(err as Error).message}`));
        }
        try {
          check(req.header);
        } catch (err) {
          return out.finish(err);
        }
        open++;
        replicateMessage(req, d, header).then(
          (res) => {
            out.sendFramed(frameEnvelope(encodeReplicateResponse(res, ENVELOPE_HEADER_BYTES)));
            if (--open === 0 && inputDone) out.finish();
          },
          // The sender fails this stream's in-flight items and retries or hints them.
          (err: unknown) => out.finish(err),
        );
      },
      end() {
        inputDone = true;
        if (open === 0) out.finish();
      },
    };
  };
}
